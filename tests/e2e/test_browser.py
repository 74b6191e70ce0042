"""The admin and the browsable API in a real browser (headless Chromium) against the
live server: log in, create, list, complete, and the database agrees. One browser for
the whole file; each step's final page is saved to /tmp/e2e-shots/ for a human to look at."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tasks.data.staff import load_tasks
from tasks.models import Task
from tests.e2e.conftest import skip_or_fail

if importlib.util.find_spec("selenium") is None:
    skip_or_fail("selenium is not installed")

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

from tasks.identity.principal import principal_id
from tests.conftest import set_tags

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    # Committed rows for the live server; migration-made rows restored after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT_SECONDS = 10


@pytest.fixture
def browser(driver, live_server):
    """The shared browser, signed out, with helpers bound to this test's live server."""
    driver.delete_all_cookies()
    return Browser(driver, live_server.url)


class Browser:
    def __init__(self, driver, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, css: str):
        return WebDriverWait(self.driver, WAIT_SECONDS).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def fill(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def click_and_wait_for_page(self, css: str) -> None:
        """Click something that loads a new document (or, for the browsable API's PATCH
        forms, has its script write the response's page in place), and wait until it has."""
        old_page = self.find("html")
        self.find(css).click()
        WebDriverWait(self.driver, WAIT_SECONDS).until(lambda _: is_gone(old_page))
        self.find("body")

    def wait_for_text(self, text: str) -> None:
        WebDriverWait(self.driver, WAIT_SECONDS).until(
            EC.text_to_be_present_in_element((By.TAG_NAME, "body"), text)
        )

    @property
    def text(self) -> str:
        return self.find("body").text

    def assert_styled(self, stylesheet: str) -> None:
        """The page linked this stylesheet and the live server served it (the page is styled)."""
        loaded = self.driver.execute_script(
            "return Array.from(document.styleSheets)"
            ".filter(s => s.href && s.href.includes(arguments[0]) && s.cssRules.length > 0).length",
            stylesheet,
        )
        assert loaded, f"{stylesheet} did not load on {self.driver.current_url}"

    def wait_for_json(self, predicate) -> dict:
        """Wait until the JSON the page shows satisfies `predicate`, across the page being
        rewritten in place (the browsable API's script replaces the document)."""
        return WebDriverWait(
            self.driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException, ValueError)
        ).until(lambda _: (lambda data: data if predicate(data) else None)(self.response_json()))

    def response_json(self) -> dict:
        """The JSON body the browsable API shows under the response headers."""
        shown = self.find(".response-info pre").text
        return json.loads(shown[shown.index("\n\n") + 2 :] if "\n\n" in shown else shown[shown.index("{") :])


def is_gone(element) -> bool:
    """Whether `element` left the page: Chromium says so either as a stale reference or,
    while the document is being replaced, as a node that no longer belongs to it."""
    try:
        element.is_enabled()
    except (StaleElementReferenceException, WebDriverException):
        return True
    return False


def test_staff_add_a_task_in_the_admin_and_complete_it_with_the_bulk_action(
    browser, screenshot, django_user_model
):
    django_user_model.objects.create_superuser("root", "root@example.test", "root-pass-123!")

    browser.open("/admin/login/?next=/admin/")
    browser.assert_styled("admin/css/base.css")
    browser.fill("#id_username", "root")
    browser.fill("#id_password", "root-pass-123!")
    browser.click_and_wait_for_page("input[type=submit]")
    assert "Site administration" in browser.text
    assert "Tasks" in browser.text
    screenshot("admin-1-logged-in")

    browser.open("/admin/tasks/task/add/")
    browser.fill("#id_title", "Water the plants")
    browser.fill("#id_user_id", "idp|dave-01")
    browser.click_and_wait_for_page("input[name=_save]")
    assert browser.driver.current_url.endswith("/admin/tasks/task/")
    assert "was added successfully" in browser.text
    task = Task.objects.get(title="Water the plants")
    assert (task.user_id, task.completed) == ("idp|dave-01", False)
    row = browser.find(f"input.action-select[value='{task.pk}']").find_element(By.XPATH, "ancestor::tr")
    assert "Water the plants" in row.text and "idp|dave-01" in row.text
    assert row.find_element(By.CSS_SELECTOR, "td.field-completed img").get_attribute("alt") == "False"
    screenshot("admin-2-added")

    browser.find(f"input.action-select[value='{task.pk}']").click()
    Select(browser.find("select[name=action]")).select_by_visible_text("Mark selected tasks as completed")
    browser.click_and_wait_for_page("button[name=index]")
    assert "1 task(s) marked as completed." in browser.text
    row = browser.find(f"input.action-select[value='{task.pk}']").find_element(By.XPATH, "ancestor::tr")
    assert row.find_element(By.CSS_SELECTOR, "td.field-completed img").get_attribute("alt") == "True"
    screenshot("admin-3-completed")

    task.refresh_from_db()
    assert task.completed is True
    assert task.completed_at is not None

    # A title of the full 255 characters is cut short in the list, so the columns after it
    # stay in view. (One long word, as a pasted link is: the browser cannot wrap it.)
    load_tasks([Task(user_id="idp|dave-01", title="https://example.com/" + "x" * 235)])
    browser.open("/admin/tasks/task/")
    title_width, completed_right, list_right = browser.driver.execute_script(
        "const edge = s => document.querySelector(s).getBoundingClientRect();"
        "return [edge('#result_list thead th:nth-child(2)').width,"
        " edge('#result_list th.column-completed').right, edge('#changelist .results').right];"
    )
    screenshot("admin-4-long-title")
    assert title_width <= 400
    assert completed_right <= list_right, "the columns after the title are pushed out of view"


def test_the_admins_tag_picker_offers_only_the_owners_tags(
    browser, screenshot, django_user_model, alice, bob, make_task
):
    django_user_model.objects.create_superuser("root", "root@example.test", "root-pass-123!")
    task = make_task(alice, title="Buy milk")
    task = set_tags(task, ["home"])
    set_tags(make_task(bob, title="Call mum"), ["work"])
    browser.open(f"/admin/login/?next=/admin/tasks/task/{task.pk}/change/")
    browser.fill("#id_username", "root")
    browser.fill("#id_password", "root-pass-123!")
    browser.click_and_wait_for_page("input[type=submit]")

    # filter_horizontal's two boxes: the offered tags and the chosen ones.
    offered = [
        option.text for option in browser.driver.find_elements(By.CSS_SELECTOR, "#id_tags_from option")
    ]
    chosen = [option.text for option in browser.driver.find_elements(By.CSS_SELECTOR, "#id_tags_to option")]
    screenshot("admin-5-tag-picker")

    assert (offered, chosen) == ([], ["home"])


def test_a_user_logs_in_creates_lists_and_completes_a_task_in_the_browsable_api(browser, screenshot, alice):
    browser.open("/api-auth/login/?next=/api/me/tasks")
    browser.assert_styled("rest_framework/css/bootstrap.min.css")
    browser.fill("#id_username", "alice")
    browser.fill("#id_password", "alice-pass-123!")
    browser.click_and_wait_for_page("#submit-id-submit")
    assert browser.driver.current_url.endswith("/api/me/tasks")
    assert "Task List" in browser.text
    assert "alice" in browser.find(".navbar").text
    assert "HTTP 200 OK" in browser.text
    browser.assert_styled("rest_framework/css/bootstrap.min.css")
    screenshot("api-1-logged-in")

    # Create with the HTML form (a plain form POST: session and CSRF token).
    browser.find("a[name=html-tab][href='#post-object-form']").click()
    browser.fill("#post-object-form input[name=title]", "Buy oat milk")
    browser.fill("#post-object-form textarea[name=description]", "2 litres")
    browser.click_and_wait_for_page("#post-object-form button.btn-primary")
    assert "HTTP 201 Created" in browser.text
    created = browser.response_json()
    assert (created["title"], created["description"]) == ("Buy oat milk", "2 litres")
    assert (created["user_id"], created["completed"]) == (principal_id(alice), False)
    screenshot("api-2-created")

    browser.open("/api/me/tasks")
    listed = browser.response_json()
    assert [task["id"] for task in listed] == [created["id"]]
    assert "Buy oat milk" in browser.text
    screenshot("api-3-list")

    browser.open(f"/api/me/tasks/{created['id']}")
    assert "Task Instance" in browser.text
    assert browser.response_json()["id"] == created["id"]
    # Complete it: PATCH {"completed": true} from the raw-data form (an AJAX request).
    browser.find("a[name=raw-tab][href='#put-generic-content-form']").click()
    Select(browser.find("#put-generic-content-form select[name=_content_type]")).select_by_visible_text(
        "application/json"
    )
    browser.fill("#put-generic-content-form textarea[name=_content]", '{"completed": true}')
    browser.find("#put-generic-content-form button[data-method=PATCH]").click()
    browser.wait_for_text("HTTP 200 OK")
    browser.wait_for_json(lambda data: data["completed"] is True)
    assert browser.response_json()["completed_at"]
    assert re.search(r"Allow: .*PATCH", browser.text)
    screenshot("api-4-completed")

    task = Task.objects.get(pk=created["id"])
    assert (task.user_id, task.completed) == (principal_id(alice), True)
    assert task.completed_at is not None

    # The task's page has a button for the other state: reopen it.
    browser.open(f"/api/me/tasks/{created['id']}")
    assert browser.find("form.complete-task button").text == "Reopen this task"
    browser.click_and_wait_for_page("form.complete-task button")
    browser.wait_for_text("HTTP 200 OK")
    browser.wait_for_json(lambda data: data["completed"] is False)
    screenshot("api-5-reopened")
    task.refresh_from_db()
    assert (task.completed, task.completed_at) == (False, None)

    # "Extra Actions" leads to the complete page: a GET that says the state (no 405) and a
    # PATCH form prefilled with {"completed": true}.
    browser.open(f"/api/me/tasks/{created['id']}")
    browser.find("#extra-actions-menu").click()
    browser.click_and_wait_for_page(".dropdown-menu a[href$='/complete']")
    assert browser.driver.current_url.endswith(f"/api/me/tasks/{created['id']}/complete")
    assert "HTTP 200 OK" in browser.text
    assert browser.response_json() == {"completed": False}
    # Only the raw form is offered here (no HTML tab): the body to PATCH, ready to send.
    prefilled = browser.find("#put-generic-content-form textarea[name=_content]").get_attribute("value")
    assert json.loads(prefilled) == {"completed": True}
    screenshot("api-6-complete-page")
    browser.find("#put-generic-content-form button[data-method=PATCH]").click()
    browser.wait_for_json(lambda data: data.get("completed_at"))
    assert browser.response_json()["completed"] is True
    screenshot("api-7-completed-from-the-complete-page")

    task.refresh_from_db()
    assert task.completed is True


def test_a_user_filters_by_tag_and_state_and_completes_with_the_button(browser, screenshot, alice, make_task):
    groceries = make_task(alice, title="Buy apples")
    set_tags(groceries, ["shopping"])
    done = make_task(alice, title="Buy pears", completed=True)
    set_tags(done, ["shopping"])
    set_tags(make_task(alice, title="Mow the lawn"), ["garden"])
    sign_in(browser, "alice", "alice-pass-123!", "/api/me/tasks")

    browser.find("button[data-target='#filtersModal']").click()
    browser.find("#filtersModal.in")
    modal = browser.find("#filtersModal").text
    assert "[invalid name]" not in modal and "`" not in modal
    for label in ("Search:", "Overdue:", "Tag:", "Status:", "Sort:", "Order:"):
        assert label in modal
    assert "Completed:" not in modal and "Ordering:" not in modal  # one vocabulary
    browser.fill("#filtersModal input[name=tag]", "shopping")
    Select(browser.find("#filtersModal select[name=status]")).select_by_value("pending")
    Select(browser.find("#filtersModal select[name=sort]")).select_by_value("title")
    screenshot("api-filter-1-dialog")
    browser.click_and_wait_for_page("#filtersModal button[type=submit]")

    # Only what was chosen lands in the URL, not every empty field of the dialog.
    query = browser.driver.current_url.split("?", 1)[1]
    assert sorted(query.split("&")) == ["sort=title", "status=pending", "tag=shopping"]
    listed = browser.response_json()
    assert [task["title"] for task in listed] == ["Buy apples"]
    # Each task links to its page.
    link = browser.find(f"a[href='{listed[0]['url']}']")
    screenshot("api-filter-2-filtered")
    browser.click_and_wait_for_page(f"a[href='{link.get_attribute('href')}']")
    assert browser.response_json()["id"] == str(groceries.pk)

    assert browser.find("form.complete-task button").text == "Mark this task completed"
    screenshot("api-complete-1-task-page")
    browser.click_and_wait_for_page("form.complete-task button")
    browser.wait_for_json(lambda data: data["completed"] is True)
    assert browser.find("form.complete-task button").text == "Reopen this task"
    screenshot("api-complete-2-completed")
    groceries.refresh_from_db()
    assert groceries.completed is True and groceries.completed_at is not None


def test_a_user_clears_completed_tasks_from_the_extra_actions_menu(browser, screenshot, alice, make_task):
    make_task(alice, title="Done", completed=True)
    make_task(alice, title="Still to do")
    sign_in(browser, "alice", "alice-pass-123!", "/api/me/tasks")

    browser.find("#extra-actions-menu").click()
    browser.click_and_wait_for_page("a[href$='/tasks/clear-completed']")
    assert "Delete all of this user's completed tasks at once" in browser.text
    assert browser.response_json() == {"completed_tasks": 1}
    assert browser.find("form.clear-completed button").text == "Delete the 1 completed task"
    screenshot("api-clear-1-page")
    browser.click_and_wait_for_page("form.clear-completed button")

    assert browser.response_json() == {"deleted": 1}
    assert "No completed tasks to delete." in browser.text
    screenshot("api-clear-2-cleared")
    assert list(Task.objects.values_list("title", flat=True)) == ["Still to do"]


def test_the_admin_and_login_pages_are_found_without_their_slash(browser):
    browser.open("/admin")
    browser.find("#id_username")
    assert browser.driver.current_url == browser.base_url + "/admin/login/?next=/admin/"

    browser.open("/api-auth/login")
    browser.find("#id_username")
    assert browser.driver.current_url == browser.base_url + "/api-auth/login/"


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_the_docs_pages_request_nothing_from_outside(browser, screenshot, path):
    browser.driver.get_log("performance")  # drop what earlier pages logged
    browser.open(path)
    if path == "/api/docs":
        browser.find(".swagger-ui .info .title")
    else:
        browser.find(".api-content h1")
    browser.wait_for_text("Tasks API")
    WebDriverWait(browser.driver, WAIT_SECONDS).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )
    screenshot(f"docs{path.replace('/', '-')}")

    sent, blocked = requests_made(browser.driver)
    outside = {url for url in sent if not url.startswith((browser.base_url, "data:", "blob:"))}
    assert outside <= blocked, f"requests that left for another server: {sorted(outside - blocked)}"
    assert any(url.startswith(browser.base_url + "/static/") for url in sent)


def requests_made(driver) -> tuple[set[str], set[str]]:
    """The URLs the page asked for (DevTools' performance log), and those the browser
    refused to send (blocked, e.g. by the page's Content-Security-Policy)."""
    sent: dict[str, str] = {}
    blocked: set[str] = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    return set(sent.values()), {sent[request_id] for request_id in blocked if request_id in sent}


# What the official MCP TypeScript SDK sends from a page: initialize, then every message
# with `mcp-protocol-version` (a header that needs the CORS preflight to allow it), and a
# GET for a server-sent stream, which it skips quietly on a 405.
MCP_FROM_A_PAGE = """
const [url, token, done] = arguments;
const json = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"};
const auth = {"Authorization": "Bearer " + token};
const version = {"mcp-protocol-version": "2025-06-18"};
async function post(id, method, params, headers) {
  const response = await fetch(url, {method: "POST", headers: {...json, ...headers},
    body: JSON.stringify({jsonrpc: "2.0", id, method, params})});
  return {status: response.status, body: await response.json().catch(() => null),
          challenge: response.headers.get("WWW-Authenticate")};
}
(async () => {
  try {
    const init = await post(1, "initialize", {protocolVersion: "2025-06-18", capabilities: {},
      clientInfo: {name: "page", version: "1"}}, auth);
    const listed = await post(2, "tools/list", {}, {...auth, ...version});
    const stream = await fetch(url, {headers: {...auth, ...version, "Accept": "text/event-stream"}});
    const anonymous = await post(3, "tools/list", {}, version);
    done({init: init.status, server: init.body.result.serverInfo.name,
          tools: listed.body.result.tools.map(tool => tool.name).sort(),
          stream: stream.status, anonymous: anonymous.status, challenge: anonymous.challenge});
  } catch (error) {
    done({error: String(error)});
  }
})();
"""


def test_a_page_of_a_configured_origin_uses_mcp_across_origins(browser, settings, alice):
    # The same server under another host name is another origin for the browser.
    page_origin = browser.base_url.replace("localhost", "127.0.0.1")
    assert page_origin != browser.base_url
    settings.CORS_ALLOWED_ORIGINS = [page_origin]
    browser.driver.get(page_origin + "/admin/login/")
    browser.find("body")

    seen = browser.driver.execute_async_script(
        MCP_FROM_A_PAGE, browser.base_url + "/mcp", str(AccessToken.for_user(alice))
    )

    assert "error" not in seen, seen
    assert (seen["init"], seen["server"]) == (200, "tasks")
    assert seen["tools"] == ["add_task", "complete_task", "delete_task", "list_tasks", "update_task"]
    assert seen["stream"] == 405
    assert seen["anonymous"] == 401
    assert seen["challenge"].startswith("Bearer")


def sign_in(browser, username: str, password: str, next_path: str) -> None:
    browser.open(f"/api-auth/login/?next={next_path}")
    browser.fill("#id_username", username)
    browser.fill("#id_password", password)
    browser.click_and_wait_for_page("#submit-id-submit")
    assert browser.driver.current_url.endswith(next_path)
