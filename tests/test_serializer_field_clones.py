"""Each TaskSerializer (and CompletionSerializer) gets its own fields, cloned from ones
built once per class: what one serializer binds or learns must never reach another, nor
the fields kept to clone."""

import threading

import pytest
from rest_framework import serializers

from tasks.api.serializers import CompletedTaskSerializer, CompletionSerializer, TaskSerializer


def test_two_serializers_bind_fields_of_their_own():
    first, second = TaskSerializer(), TaskSerializer()

    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
        assert first.fields[name].field_name == name


def test_the_fields_kept_to_clone_stay_unbound():
    TaskSerializer().fields  # noqa: B018 - building them is the point
    kept = TaskSerializer._fields_built_once

    assert kept
    assert all(field.parent is None and field.field_name is None for field in kept.values())


def test_a_list_fields_child_belongs_to_its_own_list():
    first, second = TaskSerializer(), TaskSerializer()

    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.parent is first.fields["tags"]
    assert first.fields["tags"].child.root is first


def test_the_clones_match_what_drf_would_build():
    ours = TaskSerializer().fields
    drf = serializers.ModelSerializer.get_fields(TaskSerializer())

    assert list(ours) == list(drf)
    for name, field in ours.items():
        assert type(field) is type(drf[name]), name
        assert (field.required, field.read_only, field.allow_null) == (
            drf[name].required,
            drf[name].read_only,
            drf[name].allow_null,
        ), name
        assert [type(v) for v in field.validators] == [type(v) for v in drf[name].validators], name


def test_a_nested_serializer_is_its_own_copy():
    first, second = CompletedTaskSerializer(), CompletedTaskSerializer()

    assert first.fields["next_task"] is not second.fields["next_task"]
    assert first.fields["next_task"].parent is first


@pytest.mark.django_db
def test_errors_of_one_serializer_never_show_in_another():
    bad = TaskSerializer(data={"title": "", "tags": ["", "x" * 500]})
    good = TaskSerializer(data={"title": "Buy milk", "tags": ["home"]})

    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"title", "tags"}
    assert good.validated_data["tag_names"] == ["home"]


def test_serializers_built_on_many_threads_validate_alike():
    outcomes: list[tuple[bool, object]] = []
    lock = threading.Lock()

    def validate(title: object) -> None:
        for _ in range(50):
            serializer = TaskSerializer(data={"title": title, "priority": "high"})
            valid = serializer.is_valid()
            with lock:
                outcomes.append((valid, title))

    threads = [threading.Thread(target=validate, args=(title,)) for title in ("ok", 7, "fine", None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {title for valid, title in outcomes if valid} == {"ok", "fine"}
    assert {title for valid, title in outcomes if not valid} == {7, None}


def test_a_completion_body_gets_fields_of_its_own_and_validates_as_before():
    first, second = CompletionSerializer(data={"completed": False}), CompletionSerializer(data={})

    assert first.fields["completed"] is not second.fields["completed"]
    assert CompletionSerializer._fields_built_once["completed"].parent is None
    assert first.is_valid() and first.validated_data == {"completed": False}
    assert second.is_valid() and second.validated_data == {}
    wrong = CompletionSerializer(data={"completed": "yes please"})
    assert not wrong.is_valid() and set(wrong.errors) == {"completed"}
