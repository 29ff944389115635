"""The models' own rules: the field table, the folders, what a query may ask for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.models import (
    ARCHIVED,
    INBOX,
    NOTIFICATION_FIELDS,
    OLDEST_FIRST,
    USER_FIELDS,
    USER_RELATIONS,
    Notification,
    NotificationChanges,
    NotificationDraft,
    Query,
    User,
)


def test_the_field_tables_are_the_collections_as_directus_reports_them() -> None:
    assert {name: field.type for name, field in NOTIFICATION_FIELDS.items()} == {
        "id": "integer",
        "timestamp": "timestamp",
        "status": "string",
        "recipient": "string",
        "sender": "string",
        "subject": "string",
        "message": "text",
        "collection": "string",
        "item": "string",
    }
    assert USER_RELATIONS == ("recipient", "sender")
    assert [name for name, field in NOTIFICATION_FIELDS.items() if field.required] == ["recipient", "subject"]
    assert {name: field.type for name, field in USER_FIELDS.items()} == {
        "id": "uuid",
        "first_name": "string",
        "last_name": "string",
        "email": "string",
    }


def test_what_a_caller_may_write_is_a_notification_field() -> None:
    writable = set(NOTIFICATION_FIELDS) - {"id", "timestamp"}
    assert set(NotificationDraft.model_fields) == writable == set(NotificationChanges.model_fields)
    required = {name for name, info in NotificationDraft.model_fields.items() if info.is_required()}
    assert required == {name for name, field in NOTIFICATION_FIELDS.items() if field.required}


def test_to_json_has_every_field_with_users_as_ids() -> None:
    notification = Notification(
        id=7,
        timestamp="2026-11-22T16:04:05.123+01:00",
        recipient=User(id="u-1", first_name="Ada"),
        sender="u-2",
        subject="Hi",
        item=3,
    )
    assert notification.to_json() == {
        "id": 7,
        "timestamp": "2026-11-22T15:04:05.123000Z",
        "status": INBOX,
        "recipient": "u-1",
        "sender": "u-2",
        "subject": "Hi",
        "message": None,
        "collection": None,
        "item": "3",
    }
    assert list(notification.to_json()) == list(NOTIFICATION_FIELDS)


def test_the_inbox_is_every_status_but_archived() -> None:
    inbox = Query.of_folder(INBOX, search="report", sort=OLDEST_FIRST, page=2)
    assert inbox.combined_filter() == {
        "_and": [{"status": {"_neq": ARCHIVED}}, {"recipient": {"_eq": "$CURRENT_USER"}}]
    }
    assert (inbox.search, inbox.sort, inbox.effective_offset) == ("report", OLDEST_FIRST, 100)
    archived = Query.of_folder(ARCHIVED, search="", limit=1, fields=("status",))
    assert archived.combined_filter() == {
        "_and": [{"status": {"_eq": ARCHIVED}}, {"recipient": {"_eq": "$CURRENT_USER"}}]
    }
    assert (archived.search, archived.limit, archived.fields) == (None, 1, ("id", "status"))
    with pytest.raises(ValueError, match="not a folder"):
        Query.of_folder("read")  # type: ignore[arg-type]


@pytest.mark.parametrize("fields", [("id", "nope"), ("id", "sender.first_name"), ("recipient.*",)])
def test_a_query_reads_notification_fields_only(fields: tuple[str, ...]) -> None:
    """A user's fields come back from Directus without the user's id, which no model can hold."""
    with pytest.raises(ValueError, match="not a notification field"):
        Query(fields=fields)


def test_a_query_always_reads_the_id() -> None:
    """Directus answers only the fields asked for, and a notification without its id is no use."""
    assert Query(fields=("subject",)).fields == ("id", "subject")
    assert Query(fields=("*",)).fields == ("*",)
    assert Query().fields is None


def test_timestamps_are_aware() -> None:
    assert Notification(id=1, timestamp="2026-11-22T15:04:05").timestamp == datetime(2026, 11, 22, 15, 4, 5, tzinfo=UTC)
