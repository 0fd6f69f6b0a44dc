"""Wire details: batches, partial responses, encodings, query checks; routes against discovery."""

from __future__ import annotations

import json
from pathlib import Path

import googleapiclient
import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from littlesis.emulator import fields, routes
from littlesis.emulator.errors import ApiError
from littlesis.emulator.schema import SCHEMA_FIELDS
from tests.emulator.helpers import DOMAIN, OWNER, error_of, expect_error, make_course, run_batch

DISCOVERY = json.loads(
    (Path(googleapiclient.__file__).parent / "discovery_cache/documents/classroom.v1.json").read_text()
)


def _discovery_methods() -> dict[str, dict]:
    found: dict[str, dict] = {}

    def walk(resources: dict) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                found[method["id"].removeprefix("classroom.")] = method
            walk(resource.get("resources", {}))

    walk(DISCOVERY["resources"])
    return found


@pytest.mark.parametrize("route", routes.ROUTES, ids=lambda r: r.method_id)
def test_every_route_matches_the_discovery_document(route):
    method = _discovery_methods()[route.method_id]
    assert method["httpMethod"] == route.http_method
    assert method["flatPath"] == "v1/" + route.template
    query = {name for name, p in method.get("parameters", {}).items() if p["location"] == "query"}
    assert query == set(route.query)


@pytest.mark.parametrize("schema", sorted(SCHEMA_FIELDS))
def test_body_field_sets_match_the_discovery_schemas(schema):
    assert set(DISCOVERY["schemas"][schema]["properties"]) == SCHEMA_FIELDS[schema]


def test_global_query_parameters_match_discovery():
    assert set(DISCOVERY["parameters"]) == routes.GLOBAL_QUERY


def test_batch_parts_answer_with_response_content_ids(classroom, http, base_url, hooks):
    make_course(classroom)
    requests = [classroom.courses().students().create(courseId="d:SIS-1", body={"userId": f"s{i}@{DOMAIN}"})
                for i in range(49)]
    requests.append(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": f"s0@{DOMAIN}"}))
    results = run_batch(base_url, http, requests)
    assert all(exc is None for _, exc in results[:49])
    assert results[49][1] is not None and error_of(results[49][1])[:2] == (409, "ALREADY_EXISTS")
    entry = hooks.journal()[-1]
    assert entry["methodId"] == "batch" and entry["status"] == 200 and len(entry["parts"]) == 50
    assert entry["parts"][0]["methodId"] == "courses.students.create" and entry["parts"][49]["status"] == 409
    assert entry["parts"][0]["contentId"].startswith("<") and "+" in entry["parts"][0]["contentId"]


def test_batch_of_51_is_refused_whole(classroom, http, base_url, hooks):
    make_course(classroom)
    batch = BatchHttpRequest(batch_uri=base_url + "batch")
    for i in range(51):
        batch.add(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": f"s{i}@{DOMAIN}"}))
    with pytest.raises(HttpError) as caught:
        batch.execute(http=http)
    assert error_of(caught.value)[:2] == (400, "INVALID_ARGUMENT")
    state = hooks.state()
    assert len(state["courses"][0]["students"]) == 0
    assert hooks.journal()[-1]["status"] == 400


def test_batch_raw_format(classroom, http, base_url):
    make_course(classroom)
    body = (
        "--XYZ\r\nContent-Type: application/http\r\nContent-ID: <abc+1>\r\n\r\n"
        "GET /v1/courses/d%3ASIS-1?alt=json&fields=name HTTP/1.1\r\n\r\n\r\n"
        "--XYZ\r\nContent-Type: application/http\r\n\r\n"
        f"GET {base_url}v1/courses/nope HTTP/1.1\r\n\r\n\r\n"
        "--XYZ--\r\n"
    )
    resp, content = http.request(base_url + "batch", "POST", body=body,
                                 headers={"content-type": "multipart/mixed; boundary=XYZ"})
    assert resp.status == 200 and resp["content-type"].startswith("multipart/mixed; boundary=")
    text = content.decode()
    assert "Content-ID: <response-abc+1>" in text
    assert 'HTTP/1.1 200 OK' in text and '{"name":"Biology 10"}' in text and "HTTP/1.1 404 Not Found" in text
    resp, content = http.request(base_url + "batch", "POST", body="--XYZ--\r\n",
                                 headers={"content-type": "multipart/mixed; boundary=XYZ"})
    assert resp.status == 400
    resp, content = http.request(base_url + "batch", "POST", body="{}", headers={"content-type": "application/json"})
    assert resp.status == 400


def test_fields_both_syntaxes(classroom):
    make_course(classroom, section="P1")
    make_course(classroom, alias="d:SIS-2")
    parens = classroom.courses().list(fields="courses(id,name),nextPageToken").execute()
    assert all(set(c) == {"id", "name"} for c in parens["courses"])
    slashes = classroom.courses().list(fields="courses/id").execute()
    assert all(set(c) == {"id"} for c in slashes["courses"])
    nested = classroom.courses().teachers().list(courseId="d:SIS-1",
                                                 fields="teachers(profile/name/fullName,userId)").execute()
    assert set(nested["teachers"][0]) == {"profile", "userId"}
    assert nested["teachers"][0]["profile"] == {"name": {"fullName": "Olive Owner"}}
    single = classroom.courses().get(id="d:SIS-1", fields="section,gradebookSettings/calculationType").execute()
    assert single == {"section": "P1", "gradebookSettings": {"calculationType": "TOTAL_POINTS"}}
    assert classroom.courses().get(id="d:SIS-1", fields="*").execute()["name"] == "Biology 10"
    expect_error(classroom.courses().get(id="d:SIS-1", fields="courses(id"), 400, "INVALID_ARGUMENT")
    # errors are never trimmed by fields
    message = expect_error(classroom.courses().get(id="d:none", fields="id"), 404, "NOT_FOUND")
    assert message


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a", {"a": None}),
        ("a,b", {"a": None, "b": None}),
        ("a/b", {"a": {"b": None}}),
        ("a(b,c/d)", {"a": {"b": None, "c": {"d": None}}}),
        ("a/b(c),a/d", {"a": {"b": {"c": None}, "d": None}}),
        ("a(b),a", {"a": None}),
        ("kind, items(id)", {"kind": None, "items": {"id": None}}),
    ],
)
def test_field_selection_parser(text, tree):
    assert fields.parse(text) == tree


@pytest.mark.parametrize("text", ["a(", "a)", "a//b", ",a", "a(b))", "a b(c"])
def test_field_selection_parser_rejects(text):
    with pytest.raises(ApiError):
        fields.parse(text)


def test_percent_encoded_aliases_and_emails_in_paths(classroom, http, base_url):
    course = make_course(classroom, alias="d:SIS/1 A+B")
    assert classroom.courses().get(id="d:SIS/1 A+B").execute()["id"] == course["id"]
    resp, content = http.request(base_url + "v1/courses/d%3ASIS%2F1%20A%2BB?alt=json")
    assert resp.status == 200 and json.loads(content)["id"] == course["id"]
    resp, content = http.request(base_url + "v1/courses/d%3ASIS%2F1%20A%2BB/teachers/owner%40district.example.org")
    assert resp.status == 200 and json.loads(content)["profile"]["emailAddress"] == OWNER
    classroom.courses().aliases().create(courseId=course["id"], body={"alias": "p:a/b"}).execute()
    classroom.courses().aliases().delete(courseId="d:SIS/1 A+B", alias="p:a/b").execute()


def test_repeated_query_parameters_and_alt_json(classroom, http, base_url):
    make_course(classroom, alias="d:A", courseState="ACTIVE")
    make_course(classroom, alias="d:B")
    resp, content = http.request(base_url + "v1/courses?alt=json&courseStates=ACTIVE&courseStates=PROVISIONED")
    assert resp.status == 200 and len(json.loads(content)["courses"]) == 2
    resp, content = http.request(base_url + "v1/courses?alt=media")
    assert resp.status == 400


def test_unknown_query_parameters_body_and_paths_are_refused(classroom, http, base_url):
    make_course(classroom)
    resp, content = http.request(base_url + "v1/courses?pagesize=5")
    assert resp.status == 400 and b'Unknown name \\"pagesize\\"' in content
    resp, content = http.request(base_url + "v1/courses", "POST", body="{not json",
                                 headers={"content-type": "application/json"})
    assert resp.status == 400 and json.loads(content)["error"]["status"] == "INVALID_ARGUMENT"
    resp, content = http.request(base_url + "v1/courses", "POST", body="[]", headers={"content-type": "application/json"})
    assert resp.status == 400
    resp, content = http.request(base_url + "v1/nothing/here")
    assert resp.status == 404 and json.loads(content)["error"]["status"] == "NOT_FOUND"
    resp, content = http.request(base_url + "v1/courses/d%3ASIS-1", "POST", body="{}")
    assert resp.status == 404
    resp, _ = http.request(base_url + "v1/userProfiles/kid%40district.example.org/guardianInvitations?states=NOPE")
    assert resp.status == 400


def test_method_override_header(classroom, http, base_url):
    make_course(classroom)
    resp, content = http.request(base_url + "v1/courses/d%3ASIS-1", "POST", body="",
                                 headers={"x-http-method-override": "GET"})
    assert resp.status == 200 and json.loads(content)["name"] == "Biology 10"


def test_list_pagination_errors_on_non_integer_page_size(classroom, http, base_url):
    resp, _ = http.request(base_url + "v1/courses?pageSize=ten")
    assert resp.status == 400
