"""The few undocumented parts of Django, psycopg and drf-spectacular that the code still
relies on, each for a reason its module names. These fail loudly, with the module to
look at, if a library upgrade changes one of them."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.db import connection
from django.utils.functional import SimpleLazyObject, empty
from drf_spectacular.generators import SchemaGenerator

from tasks.data.utc_timestamps import UtcTimestamptzLoader


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders")
@pytest.mark.django_db
def test_django_keeps_the_utc_loader_on_every_cursor():
    """tasks/data/utc_timestamps.py: Django replaces a loader whose `timezone` differs
    from the connection's each time it opens a cursor."""
    from psycopg.pq import Format

    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        assert cursor.fetchone()[0].tzinfo == UTC
        oid = cursor.connection.adapters.types["timestamptz"].oid
        loader = cursor.cursor.adapters.get_loader(oid, Format.TEXT)

    assert loader is UtcTimestamptzLoader, "Django no longer honours the loader's `timezone`"


def test_a_lazy_object_tells_whether_it_was_evaluated():
    """config/middleware/access_log.py reads `_wrapped is empty` to leave the session
    user unloaded."""
    lazy = SimpleLazyObject(lambda: "user")
    assert lazy._wrapped is empty
    str(lazy)
    assert lazy._wrapped == "user"


def test_drf_spectacular_asks_the_filter_extension_for_each_filter():
    """tasks/api/schema.py overrides DjangoFilterExtension.resolve_filter_field to keep
    each filter's help text."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/api/{user_id}/tasks"]["get"]["parameters"]}

    assert parameters["completed"]["description"] == "Only completed (true) or open (false) tasks."
    assert parameters["tag"]["allowEmptyValue"] is True
