"""Values from a hostile export are shown as text, CSV downloads don't carry formulas, pages set safe headers."""

from __future__ import annotations

import csv
import io

import pytest
from markupsafe import escape

from tests.web.conftest import FORMULA_SCHOOL, QUOTES_NAME, XSS_JOB, XSS_NAME, WebWorld, run_path

pytestmark = pytest.mark.slow
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escaped(text: str) -> str:
    """How the templates write text into HTML (& < > " ' as entities)."""
    return str(escape(text))


@pytest.fixture(scope="module")
def xss_run(web: WebWorld) -> str:
    run = web.analyze(XSS_JOB)
    assert run.counts["create_course"] == 3
    return run.run_id


def test_class_and_school_names_from_the_export_render_as_text(web: WebWorld, xss_run: str) -> None:
    with web.http("editor") as client:
        pages = [client.get(run_path(XSS_JOB, xss_run)),
                 client.get(run_path(XSS_JOB, xss_run), params={"search": "<script>"}),
                 client.get(f"/littlesis/jobs/littlesis_{XSS_JOB}/history")]
    review = pages[0].text
    assert XSS_NAME not in review and "<b>bold</b>" not in review
    assert _escaped(XSS_NAME) in review  # shown, as the characters it is made of
    assert _escaped(QUOTES_NAME) in review
    assert f'<option value="{_escaped(FORMULA_SCHOOL)}">' in review  # an attribute can't be broken out of
    searched = pages[1].text
    assert 'value="&lt;script&gt;"' in searched and "<script>" not in searched.split("</head>", 1)[1]
    assert all(page.status_code == 200 for page in pages)
    assert "<script" not in pages[2].text.split("</head>", 1)[1]


def test_the_json_page_keeps_values_as_data(web: WebWorld, xss_run: str) -> None:
    with web.http("reader") as client:
        answer = client.get(run_path(XSS_JOB, xss_run, "actions.json"), params={"kind": "create_course"})
    assert answer.headers["content-type"] == "application/json"
    names = {item["payload"]["name"] for item in answer.json()["items"]}
    assert XSS_NAME in names and QUOTES_NAME in names


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote(web: WebWorld, xss_run: str) -> None:
    with web.http("reader") as client:
        download = client.get(run_path(XSS_JOB, xss_run, "results.csv"))
    rows = list(csv.reader(io.StringIO(download.text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert "'" + FORMULA_SCHOOL in cells  # the school name, neutralized but readable
    assert any(c.startswith("'=1+1-903-3-2026") for c in cells)  # an alias made from a formula-like SchoolID
    assert "'@School" in cells


def test_pages_send_security_headers_and_static_files_need_no_login(web: WebWorld, xss_run: str) -> None:
    with web.http("reader") as client:
        page = client.get(run_path(XSS_JOB, xss_run))
    with web.http() as anonymous:
        css = anonymous.get("/littlesis/static/littlesis.css")
        script = anonymous.get("/littlesis/static/littlesis.js")
        denied = anonymous.get("/littlesis/", headers={"Accept": "text/html"})
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-store"
    assert css.status_code == script.status_code == 200 and "text/css" in css.headers["content-type"]
    assert denied.status_code == 401 and "Log in to Airflow" in denied.text and "/auth/login" in denied.text
    # No page loads anything from elsewhere: every script, style and image is the app's own.
    assert "http://" not in page.text.split("</head>", 1)[0] and "https://" not in page.text.split("</head>", 1)[0]
