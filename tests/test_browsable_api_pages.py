"""The browsable API explains itself: readable filter form (with tag and ordering), links
from the list to each task, a button to complete a task, and HTML forms that store what
JSON clients would (null description, tags from a comma-separated box)."""

from http import HTTPStatus

import pytest
from django.test import Client

from tasks.models import Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture
def alice_browser(alice) -> Client:
    """Alice signed in with a session, as in a browser (the test client skips CSRF)."""
    client = Client()
    client.force_login(alice)
    return client


def page(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_the_filter_form_names_every_field_in_one_vocabulary(alice_browser):
    html = page(alice_browser.get(tasks_url(), **HTML))
    dialog = html.split('id="filtersModal"')[1].split("</form>")[0]

    assert "[invalid name]" not in html
    assert "`" not in dialog
    for label in ("Search", "Overdue", "Tag", "Due before", "Status", "Sort", "Order"):
        assert f">{label}:</label>" in dialog, label
    # The native names say the same as status and sort: one of each pair is shown.
    for label in ("Completed", "Ordering"):
        assert f">{label}:</label>" not in dialog, label
    assert 'name="tag"' in dialog
    assert 'name="completed"' not in dialog and 'name="ordering"' not in dialog


def test_the_filter_form_leaves_empty_fields_out_of_the_url(alice_browser):
    html = page(alice_browser.get(tasks_url(), **HTML))
    dialog = html.split('id="filtersModal"')[1].split("</form>")[0]

    assert 'method="get"' in dialog
    assert "if (field.name && field.value === '') { field.disabled = true; }" in dialog


def test_the_filter_form_keeps_every_tag_asked_for(alice_browser):
    html = page(alice_browser.get(tasks_url(), {"tag": ["home", "work"]}, **HTML))

    assert 'value="home"' in html and 'value="work"' in html


def test_the_ordering_in_the_filter_form_sorts_and_filters_nothing(alice_client, alice, make_task):
    make_task(alice, title="b")
    make_task(alice, title="a", completed=True)

    response = alice_client.get(tasks_url(), {"ordering": "title", "completed": ""})

    assert [task["title"] for task in response.json()] == ["a", "b"]


def test_the_html_list_links_each_task_the_json_does_not(alice_browser, alice_client, alice, make_task):
    task = make_task(alice, title="Call the plumber")

    html = page(alice_browser.get(tasks_url(), **HTML))
    listed = alice_client.get(tasks_url()).json()

    assert f'<a href="http://testserver/api/me/tasks/{task.pk}"' in html
    assert "url" not in listed[0]


def test_a_task_page_offers_a_button_that_completes_it(alice_browser, alice, make_task):
    task = make_task(alice)

    html = page(alice_browser.get(tasks_url(task_id=task.pk), **HTML))

    assert f'action="/api/me/tasks/{task.pk}/complete" data-method="PATCH"' in html
    assert '<input type="hidden" name="completed" value="true">' in html
    assert "Mark this task completed" in html


def test_the_completion_button_sends_what_completes_the_task(alice_browser, alice, make_task):
    task = make_task(alice)

    # What the button's form sends: PATCH, form-encoded `completed=true`.
    response = alice_browser.patch(
        tasks_url(task_id=task.pk, suffix="/complete"),
        "completed=true",
        content_type="application/x-www-form-urlencoded",
        **HTML,
    )

    assert response.status_code == HTTPStatus.OK
    task.refresh_from_db()
    assert task.completed is True
    assert "Reopen this task" in page(response)


def test_the_complete_page_answers_a_get_and_prefills_completed_true(alice_browser, alice, make_task):
    task = make_task(alice)

    response = alice_browser.get(tasks_url(task_id=task.pk, suffix="/complete"), **HTML)

    assert response.status_code == HTTPStatus.OK
    html = page(response)
    assert "HTTP 405" not in html  # the page shows its status line; an id may hold "405"
    assert "&quot;completed&quot;: true" in html  # the raw PATCH form's prefilled body
    task.refresh_from_db()
    assert task.completed is False


def test_a_get_on_complete_changes_nothing_and_says_the_state(alice_client, alice, make_task):
    task = make_task(alice)

    response = alice_client.get(tasks_url(task_id=task.pk, suffix="/complete"))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"completed": False}


def test_an_empty_description_in_the_html_form_is_stored_as_null(alice_browser):
    response = alice_browser.post(tasks_url(), {"title": "Form task", "description": ""}, **HTML)

    assert response.status_code == HTTPStatus.CREATED
    assert Task.objects.get(title="Form task").description is None


def test_a_json_empty_description_stays_empty(alice_client):
    response = alice_client.post(tasks_url(), {"title": "JSON task", "description": ""}, format="json")

    assert response.json()["description"] == ""


def test_the_html_form_takes_tags_separated_by_commas(alice_browser):
    response = alice_browser.post(tasks_url(), {"title": "Tagged", "tags": "home, errands ,,"}, **HTML)

    assert response.status_code == HTTPStatus.CREATED
    assert sorted(Task.objects.get(title="Tagged").tag_names) == ["errands", "home"]


def test_the_html_form_shows_tags_as_one_text_box(alice_browser, alice, make_task):
    task = make_task(alice)
    alice_browser.patch(
        tasks_url(task_id=task.pk), {"tags": ["home", "work"]}, content_type="application/json"
    )

    html = page(alice_browser.get(tasks_url(task_id=task.pk), **HTML))

    assert "Lists are not currently supported" not in html
    assert 'name="tags" class="form-control" type="text"' in html
    assert 'value="home, work"' in html


def test_the_html_form_says_its_due_time_is_read_as_utc_and_stores_it_so(alice_browser):
    form = page(alice_browser.get(tasks_url(), **HTML))
    response = alice_browser.post(tasks_url(), {"title": "Form due", "due_at": "2026-12-01T17:00"}, **HTML)

    assert ">Due at (UTC)</label>" in form
    assert "Read as UTC: this form sends no time zone." in form
    assert response.status_code == HTTPStatus.CREATED
    assert Task.objects.get(title="Form due").due_at.isoformat() == "2026-12-01T17:00:00+00:00"


def test_a_json_due_time_without_an_offset_is_still_refused(alice_client):
    response = alice_client.post(
        tasks_url(), {"title": "JSON due", "due_at": "2026-12-01T17:00"}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "offset" in response.json()["errors"]["due_at"][0]


def test_the_html_form_shows_a_stored_due_time_in_utc(alice_browser, alice, make_task):
    task = make_task(alice)
    alice_browser.patch(
        tasks_url(task_id=task.pk), {"due_at": "2026-12-01T18:30:00+01:00"}, content_type="application/json"
    )

    html = page(alice_browser.get(tasks_url(task_id=task.pk), **HTML))

    assert 'type="datetime-local" step="1" value="2026-12-01T17:30:00' in html


def test_the_clear_completed_page_explains_and_offers_a_button_not_a_form(alice_browser, alice, make_task):
    make_task(alice, title="Done 1", completed=True)
    make_task(alice, title="Done 2", completed=True)
    make_task(alice, title="Open")

    response = alice_browser.get(tasks_url(suffix="/clear-completed"), **HTML)
    html = page(response)

    assert response.status_code == HTTPStatus.OK
    assert (
        "Delete all of this user&#x27;s completed tasks at once" in html
        or "Delete all of this user's" in html
    )
    assert 'class="clear-completed" action="/api/me/tasks/clear-completed" method="POST"' in html
    assert "Delete the 2 completed tasks</button>" in html
    assert 'name="deleted"' not in html
    assert Task.objects.count() == 3


def test_the_clear_completed_button_posts_what_clears_them(alice, make_task):
    make_task(alice, title="Done", completed=True)
    make_task(alice, title="Open")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    html = page(browser.get(tasks_url(suffix="/clear-completed"), **HTML))
    token = html.split('name="csrfmiddlewaretoken" value="')[-1].split('"')[0]

    response = browser.post(tasks_url(suffix="/clear-completed"), {"csrfmiddlewaretoken": token}, **HTML)

    assert response.status_code == HTTPStatus.OK
    assert "No completed tasks to delete." in page(response)
    assert list(Task.objects.values_list("title", flat=True)) == ["Open"]


def test_a_json_get_on_clear_completed_counts_and_deletes_nothing(alice_client, alice, make_task):
    make_task(alice, title="Done", completed=True)

    response = alice_client.get(tasks_url(suffix="/clear-completed"))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"completed_tasks": 1}
    assert Task.objects.count() == 1
