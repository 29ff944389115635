"""Hostile answers: every backend method called with fixed arguments, and JSON a server could send back.

``CALLS`` maps a method's name to a call and the type a valid result has; ``check_result`` says
whether a call ended as the app promises (a valid result, or an ``InboxError``). The hypothesis
strategies build JSON of every kind, biased towards what Directus sends (``{"data": ...}``,
rows with notification and user fields, GraphQL's named results, ``/permissions/me``) so that
the adapters' every branch meets bad values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from app.backend import InboxBackend
from app.counts import DayCount, GroupCount, LocalDays
from app.models import ARCHIVED, Capabilities, Notification, NotificationChanges, NotificationDraft, Page, Query, User

SOMEONE = "00000000-0000-4000-8000-000000000001"
DRAFT = NotificationDraft(recipient=SOMEONE, subject="hostile answers")
ARCHIVE = NotificationChanges(status=ARCHIVED)
TWO_DAYS = LocalDays(date(2026, 11, 2), 2, ZoneInfo("Asia/Kolkata"))  # midnights inside UTC hours: both requests


@dataclass(frozen=True)
class Call:
    run: Callable[[InboxBackend], Awaitable[Any]]
    valid: Callable[[Any], bool]


def _list_of(kind: type) -> Callable[[Any], bool]:
    return lambda result: isinstance(result, list) and all(isinstance(item, kind) for item in result)


CALLS = {
    "list_notifications": Call(lambda b: b.list_notifications(Query()), lambda r: isinstance(r, Page)),
    "get": Call(lambda b: b.get(1), lambda r: isinstance(r, Notification)),
    "create": Call(lambda b: b.create(DRAFT), lambda r: isinstance(r, Notification)),
    "create_many": Call(lambda b: b.create_many([DRAFT, DRAFT]), _list_of(Notification)),
    "update": Call(lambda b: b.update(1, ARCHIVE), lambda r: isinstance(r, Notification)),
    "update_many": Call(lambda b: b.update_many([1, 2], ARCHIVE), _list_of(Notification)),
    "delete": Call(lambda b: b.delete(1), lambda r: r is None),
    "delete_many": Call(lambda b: b.delete_many([1, 2]), lambda r: r is None),
    "me": Call(lambda b: b.me(), lambda r: isinstance(r, User)),
    "users": Call(lambda b: b.users(search="a"), _list_of(User)),
    "users_by_id": Call(lambda b: b.users(ids=[SOMEONE]), _list_of(User)),
    "capabilities": Call(lambda b: b.capabilities(), lambda r: isinstance(r, Capabilities)),
    "count_by": Call(lambda b: b.count_by(Query(), "sender"), _list_of(GroupCount)),
    "count_per_day": Call(
        lambda b: b.count_per_day(Query(), TWO_DAYS), lambda r: _list_of(DayCount)(r) and len(r) == TWO_DAYS.days
    ),
}


# --- JSON ------------------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53 - 2, max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
any_json = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)

NOTIFICATION_FIELDS = ("id", "timestamp", "status", "recipient", "sender", "subject", "message", "collection", "item")
COUNT_FIELDS = ("count", "group", "timestamp_year", "timestamp_month", "timestamp_day", "timestamp_hour")
USER_FIELDS = ("id", "first_name", "last_name", "email")
plausible = st.sampled_from(
    [1, 0, -1, "1", "x", "", "2026-03-14T09:30:00.000Z", "2026-03-14 09:30:00", "yesterday", "inbox", "archived"]
    + [{"id": SOMEONE}, {"id": 1}, {"id": None}, {}, [], SOMEONE]
)
field_value = plausible | any_json
row = st.dictionaries(st.sampled_from(NOTIFICATION_FIELDS + USER_FIELDS + COUNT_FIELDS), field_value, max_size=6)
rows = st.lists(row, max_size=3)
count = st.fixed_dictionaries({"count": st.fixed_dictionaries({"id": field_value}) | any_json}) | any_json
ACTIONS = ("read", "create", "update", "delete")
access = st.sampled_from(["full", "partial", "none"]) | any_json
rule = st.fixed_dictionaries({}, optional={"access": access, "fields": st.lists(any_json, max_size=3) | any_json})
permissions = st.dictionaries(
    st.sampled_from(["directus_notifications", "directus_users"]) | st.text(max_size=5),
    st.dictionaries(st.sampled_from(ACTIONS), rule | any_json, max_size=4) | any_json,
    max_size=2,
)
data = row | rows | permissions | any_json
rest_body = any_json | st.fixed_dictionaries(
    {"data": data}, optional={"meta": st.dictionaries(st.sampled_from(["total_count", "filter_count"]), field_value)}
)

GRAPHQL_RESULTS = (
    "items",
    "refs",
    "matching",
    "all",
    "notifications_by_id",
    "update_notifications_item",
    "update_notifications_items",
    "delete_notifications_item",
    "delete_notifications_items",
    "users_me",
    "users",
    "counts",
    "hourly",
    "split",
    "day0",
    "day1",
)
refs = st.lists(st.fixed_dictionaries({"group": row | any_json}) | any_json, max_size=3)
graphql_body = any_json | st.fixed_dictionaries(
    {"data": st.dictionaries(st.sampled_from(GRAPHQL_RESULTS), row | rows | refs | count | any_json) | any_json}
)
