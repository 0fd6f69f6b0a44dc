"""Connection extras -> settings -> credentials -> client; Airflow's env-var connections without a database."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import service_account

from littlesis.classroom import calls
from littlesis.classroom.connection import connect
from littlesis.classroom.credentials import (
    CLASSROOM_SCOPES,
    ClassroomConfigError,
    ClassroomSettings,
    credentials_for,
    settings_from_extras,
)
from tests.classroom.helpers import ADMIN, Hooks
from tests.conftest import ROOT
from tests.google_token_server import SERVICE_ACCOUNT, TokenServer, keyfile, running_token_server


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("no network call expected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_extras_follow_the_provider_names():
    settings = settings_from_extras({"extra__google_cloud_platform__key_path": "/keys/sa.json", "keyfile_dict": "",
                                     "delegated_admin": ADMIN, "qps": "50", "concurrency": 2})
    assert (settings.key_path, settings.keyfile_dict, settings.delegated_admin) == ("/keys/sa.json", None, ADMIN)
    assert (settings.qps, settings.concurrency, settings.scopes, settings.emulated) == (50.0, 2, CLASSROOM_SCOPES,
                                                                                         False)
    assert settings.endpoint == "https://classroom.googleapis.com/"
    emulator = settings_from_extras({"api_endpoint": "http://127.0.0.1:8089", "scope": "a, b"})
    assert (emulator.endpoint, emulator.emulated, emulator.qps, emulator.concurrency, emulator.scopes) == (
        "http://127.0.0.1:8089/", True, 20.0, 4, ("a", "b"))
    assert settings_from_extras({"keyfile_dict": '{"type": "service_account"}'}).keyfile_dict == {
        "type": "service_account"}


@pytest.mark.parametrize(("extras", "message"), [
    ({"key_path": "/a", "keyfile_dict": {"type": "x"}}, "mutually exclusive"),
    ({"keyfile_dict": "{not json"}, "not valid JSON"),
    ({"keyfile_dict": "[1]"}, "JSON object"),
    ({"qps": "fast"}, "qps='fast' is not a number"),
    ({"qps": 0}, "qps must be positive"),
    ({"concurrency": -1}, "concurrency must be positive"),
])
def test_bad_extras_name_the_connection_and_field(extras, message):
    with pytest.raises(ClassroomConfigError, match=message) as caught:
        settings_from_extras(extras, "littlesis_classroom")
    assert str(caught.value).startswith("littlesis_classroom: ")


def test_a_key_file_gives_delegated_credentials_without_any_network_call(tmp_path: Path, private_key, no_network):
    key_path = tmp_path / "sa.json"
    key_path.write_text(json.dumps(keyfile(private_key)))
    for extras in ({"key_path": str(key_path)}, {"keyfile_dict": json.dumps(keyfile(private_key))}):
        creds = credentials_for(settings_from_extras({**extras, "delegated_admin": ADMIN}))
        assert isinstance(creds, service_account.Credentials)
        assert creds.service_account_email == SERVICE_ACCOUNT
        assert creds._subject == ADMIN
        assert tuple(creds.scopes) == CLASSROOM_SCOPES
        assert not creds.valid  # no token fetched yet


@pytest.mark.parametrize(("settings", "message"), [
    (ClassroomSettings(), "set key_path or keyfile_dict"),
    (ClassroomSettings(key_path="/nonexistent/sa.json", delegated_admin=ADMIN), "cannot load"),
    (ClassroomSettings(keyfile_dict={"type": "service_account"}), "set delegated_admin"),
])
def test_unusable_credentials_are_config_errors(settings, message):
    with pytest.raises(ClassroomConfigError, match=message):
        credentials_for(settings)


@pytest.fixture
def token_server(private_key) -> Iterator[TokenServer]:
    with running_token_server(private_key.public_key()) as server:
        yield server


def test_service_account_impersonates_the_admin_end_to_end(emulator, hooks: Hooks, private_key, token_server):
    settings = ClassroomSettings(api_endpoint=emulator.base_url, keyfile_dict=keyfile(private_key, token_server.uri),
                                 delegated_admin=ADMIN)
    assert not settings.emulated
    with connect(settings=settings) as client:
        results = client.execute([calls.get_user_profile("me"), calls.get_user_profile("me")])
        counts = client.counter.snapshot()
    assert [r.body["emailAddress"] for r in results] == [ADMIN, ADMIN]
    [grant] = token_server.grants
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert (grant["iss"], grant["sub"]) == (SERVICE_ACCOUNT, ADMIN)  # signed by the key, impersonating the admin
    assert grant["scope"].split() == list(CLASSROOM_SCOPES)
    assert [e["caller"] for e in hooks.journal()] == [ADMIN]
    assert (counts.http_requests, counts.batches) == (1, 1)


SCRIPT = """
import json, sys
from littlesis.classroom import calls
from littlesis.classroom.connection import connect, load_settings
from littlesis.classroom.credentials import ClassroomConfigError
out = {}
for conn_id in ("littlesis_classroom", "classroom_by_uri"):
    s = load_settings(conn_id)
    out[conn_id] = [s.endpoint, s.delegated_admin, s.qps, s.emulated]
with connect() as client:
    [result] = client.execute([calls.get_user_profile("me")])
    out["me"] = result.body["emailAddress"]
try:
    load_settings("not_there")
except ClassroomConfigError as exc:
    out["missing"] = str(exc)
try:
    load_settings("wrong_type")
except ClassroomConfigError as exc:
    out["wrong_type"] = str(exc)
print(json.dumps(out))
"""


def test_the_connection_comes_from_the_environment_without_an_airflow_database(emulator, hooks: Hooks,
                                                                                  tmp_path: Path):
    endpoint = emulator.base_url
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT / "plugins"),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_CONN_LITTLESIS_CLASSROOM": json.dumps({
            "conn_type": "google_cloud_platform",
            "extra": {"api_endpoint": endpoint, "delegated_admin": ADMIN, "qps": 50}}),
        "AIRFLOW_CONN_CLASSROOM_BY_URI": "google-cloud-platform://?" + urllib.parse.urlencode(
            {"api_endpoint": endpoint, "extra__google_cloud_platform__delegated_admin": "other@district.example.org"}),
        "AIRFLOW_CONN_WRONG_TYPE": json.dumps({"conn_type": "postgres"}),
    }
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["littlesis_classroom"] == [endpoint, ADMIN, 50.0, True]
    assert out["classroom_by_uri"] == [endpoint, "other@district.example.org", 20.0, True]
    assert out["me"] == ADMIN
    assert "AIRFLOW_CONN_NOT_THERE" in out["missing"]
    assert "conn_type must be google_cloud_platform" in out["wrong_type"]
    assert [e["caller"] for e in hooks.journal()] == [ADMIN]  # the bearer token names the admin


def test_the_classroom_package_does_not_import_airflow():
    # Airflow and the web layer stay out; the store (SQLAlchemy) is allowed: classroom -> store -> core.
    code = (
        "import importlib, pkgutil, sys, json\n"
        "import littlesis.classroom as pkg\n"
        "for m in pkgutil.walk_packages(pkg.__path__, 'littlesis.classroom.'): importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('airflow', 'fastapi', 'starlette'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(ROOT / "plugins"), "PATH": "/usr/bin"},
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
