"""What a person does in Airflow's own UI: sign in on its login form, open "Little SIS" from the navigation.

The plugin's pages live in an iframe of the Airflow UI (an ``external_views`` nav entry, same origin, so
the login cookie travels with every request the frame makes).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext, Frame, FrameLocator, Locator, Page

PLUGIN_IFRAME = "iframe[title='Little SIS']"
PLUGIN_ROUTE = "/plugin/littlesis"  # the UI's own route for the nav entry (its url_route)
# Airflow's UI mirrors the frame's address into its own route; when that address holds percent-escapes
# (a run id's ':' and '+'), it then loads the frame again at the unescaped address. Settled: the frame
# shows an unescaped address, completely loaded, and the UI's route names it.
FRAME_SETTLED = """([selector, route]) => {
  const frame = document.querySelector(selector);
  const inner = frame && frame.contentWindow;
  if (!inner || inner.document.readyState !== "complete") return false;
  const unescaped = (path) => path.split("/").map(decodeURIComponent).join("/");
  const path = inner.location.pathname;
  return path === unescaped(path) && unescaped(location.pathname) === route + path;
}"""


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in through the simple auth manager's form, where Airflow sends a visitor without a session."""
    page.goto(base_url + "/")
    page.wait_for_url("**/auth/login**")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")


def open_little_sis(page: Page) -> FrameLocator:
    """Click "Little SIS" in Airflow's navigation; the plugin's frame, once its job list is there."""
    page.get_by_role("link", name="Little SIS").click()
    page.wait_for_url(f"**{PLUGIN_ROUTE}**")
    frame = page.frame_locator(PLUGIN_IFRAME)
    frame.get_by_test_id("job-cards").wait_for()
    settle(page)
    return frame


def settle(page: Page) -> None:
    """Wait for the frame's second load (see FRAME_SETTLED) after a navigation inside it: what is typed or
    clicked during the first one is lost. Call it once the new page's content is there."""
    page.wait_for_function(FRAME_SETTLED, arg=[PLUGIN_IFRAME, PLUGIN_ROUTE])


def plugin_frame(page: Page) -> Frame:
    """The plugin's frame as a Frame (its URL, its JavaScript), not only a locator."""
    handle = page.locator(PLUGIN_IFRAME).element_handle()
    frame = handle.content_frame() if handle else None
    assert frame is not None, "no Little SIS iframe on the page"
    return frame


def job_card(frame: FrameLocator, job_id: str) -> Locator:
    return frame.locator(f"[data-testid=job-card][data-job-id='{job_id}']")


def card_state(frame: FrameLocator, job_id: str) -> str | None:
    return job_card(frame, job_id).get_by_test_id("job-state").get_attribute("data-state")


def screenshot(context: BrowserContext, url: str, path: Path) -> None:
    """A page of the plugin opened on its own (no Airflow chrome around it), as the README shows it."""
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
    finally:
        page.close()
