"""The next page's URL is what DRF's replace_query_param makes of the request's URL."""

from urllib.parse import quote_plus

import pytest
from django.core import signing
from django.test import RequestFactory
from rest_framework.utils.urls import replace_query_param

from tasks.api.pagination import KeysetPagination, quote_around_colons

CURSOR = signing.dumps(["-created_at", "2026-12-06T10:00:00+00:00", "5f0c8a7e"], salt="tasks.cursor")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=pending&sort=due_date&limit=20",
        "limit=5&cursor=old:cursor&status=pending",
        "tag=a&tag=b%20c&search=caf%C3%A9+au+lait&blank=",
        "search=a%3Ab%26c%3Dd%2Be&order=desc&_=1733480000",
        "z=1&a=2&m=%E2%9C%93%3A%3A",
    ],
)
def test_the_next_page_url_is_drfs_replace_query_param(query):
    request = RequestFactory().get(f"/api/u%C3%A9/tasks?{query}")

    url = KeysetPagination().next_page_url(request, CURSOR)

    assert url == replace_query_param(request.build_absolute_uri(), "cursor", CURSOR)
    assert url.startswith("http://testserver/api/u%C3%A9/tasks?")


@pytest.mark.parametrize("value", ["", ":", "a:b", "::x::", "café: ok+now/then?", CURSOR, "no colon"])
def test_quoting_around_colons_is_quote_plus(value):
    assert quote_around_colons(value) == quote_plus(value)
    assert quote_around_colons(value, safe="/") == quote_plus(value, safe="/")
