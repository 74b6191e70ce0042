"""The admin and the browsable API in a real browser (headless Chromium) against the
live server: log in, create, list, complete, and the database agrees. One browser for
the whole file; each step's final page is saved to /tmp/e2e-shots/ for a human to look at."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from tasks.models import Task
from tests.e2e.conftest import skip_or_fail

if importlib.util.find_spec("selenium") is None:
    skip_or_fail("selenium is not installed")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

from tasks.principal import principal_id

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
        """Click something that loads a new document, and wait until it has."""
        old_page = self.find("html")
        self.find(css).click()
        WebDriverWait(self.driver, WAIT_SECONDS).until(EC.staleness_of(old_page))
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

    def response_json(self) -> dict:
        """The JSON body the browsable API shows under the response headers."""
        shown = self.find(".response-info pre").text
        return json.loads(shown[shown.index("\n\n") + 2 :] if "\n\n" in shown else shown[shown.index("{") :])


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
    WebDriverWait(browser.driver, WAIT_SECONDS).until(lambda _: browser.response_json()["completed"] is True)
    assert browser.response_json()["completed_at"]
    assert re.search(r"Allow: .*PATCH", browser.text)
    screenshot("api-4-completed")

    task = Task.objects.get(pk=created["id"])
    assert (task.user_id, task.completed) == (principal_id(alice), True)
    assert task.completed_at is not None

    # The seed's toggle endpoint is offered too, under "Extra Actions": PATCH with no body.
    browser.find("#extra-actions-menu").click()
    browser.click_and_wait_for_page(".dropdown-menu a[href$='/complete']")
    assert browser.driver.current_url.endswith(f"/api/me/tasks/{created['id']}/complete")
    assert "HTTP 405 Method Not Allowed" in browser.text  # a GET; the page offers the PATCH form
    browser.fill("#put-generic-content-form textarea[name=_content]", "")
    browser.find("#put-generic-content-form button[data-method=PATCH]").click()
    browser.wait_for_text("HTTP 200 OK")
    WebDriverWait(browser.driver, WAIT_SECONDS).until(lambda _: browser.response_json()["completed"] is False)
    screenshot("api-5-toggled-back")

    task.refresh_from_db()
    assert (task.completed, task.completed_at) == (False, None)
