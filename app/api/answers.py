"""What Directus answers, as models: every answer is read through ``read``, at the edge.

A successful answer whose JSON does not fit (``{"data": null}`` where rows are due, ``[]``, a row
without an id, a count that is not a number, a GraphQL result missing) becomes one
``UnexpectedAnswerError`` naming the request — never a ``ValidationError``, ``KeyError`` or
``TypeError`` further in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from app.counts import GroupCount, biggest_first, hour_of
from app.errors import unexpected_answer
from app.models import Notification

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Row = dict[str, Any]
"""A GraphQL row before its user ids are restored (see ``graphql._restore_user_ids``)."""


class Answer(BaseModel, Generic[T]):
    """A REST answer, ``{"data": ...}``; ``Answer[list[User]]`` and so on."""

    model_config = ConfigDict(extra="ignore")

    data: T


class Counts(BaseModel):
    """The ``meta`` of a listing asked for with ``meta=total_count,filter_count``."""

    total_count: int
    filter_count: int


class Listing(Answer[list[Notification]]):
    """``GET /notifications?meta=total_count,filter_count``."""

    meta: Counts


class CountOfIds(BaseModel):
    id: int


class Aggregate(BaseModel):
    """An ungrouped ``notifications_aggregated { count { id } }``."""

    count: CountOfIds


class Group(BaseModel):
    """One row of ``notifications_aggregated(groupBy: [...]) { group }``."""

    group: dict[str, Any]


class GraphQLListing(BaseModel):
    """``list_notifications`` over GraphQL: the rows, their raw user ids and both counts."""

    items: list[Row]
    refs: list[Group] | None = None
    matching: Aggregate | list[Aggregate]
    all: Aggregate | list[Aggregate]


class GraphQLRefs(BaseModel):
    refs: list[Group] | None = None


def count_of(aggregate: Aggregate | list[Aggregate], what: str) -> int:
    """The count an ungrouped aggregate holds (GraphQL answers a list of one in some versions)."""
    if isinstance(aggregate, list):
        if len(aggregate) != 1:
            raise unexpected_answer(what)
        aggregate = aggregate[0]
    return aggregate.count.id


def read(model: type[M], body: Any, what: str) -> M:
    """*body* as *model*, or ``UnexpectedAnswerError``: "The server answered something unexpected to *what*"."""
    try:
        return model.model_validate(body)
    except (ValidationError, ValueError, TypeError):
        # ValidationError is a ValueError; a validator may raise TypeError on a value of a kind it never saw.
        raise unexpected_answer(what) from None


def graphql_row(data: dict[str, Any], name: str, what: str) -> Row | None:
    """The result *name* of a GraphQL answer that is one row or null."""
    row = data.get(name)
    if row is None and name in data:
        return None
    if not isinstance(row, dict):
        raise unexpected_answer(what)
    return row


def graphql_rows(data: dict[str, Any], name: str, what: str) -> list[Row]:
    """The result *name* of a GraphQL answer that is a list of rows."""
    rows = data.get(name)
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise unexpected_answer(what)
    return rows


class GroupedCount(BaseModel):
    """One row of a grouped count: REST puts the group's values beside ``count``
    (``{"sender": "…", "count": {"id": 5}}``), GraphQL under ``group``."""

    model_config = ConfigDict(extra="allow")

    count: CountOfIds
    group: dict[str, Any] | None = None

    @property
    def values(self) -> dict[str, Any]:
        return self.group if self.group is not None else dict(self.model_extra or {})


def group_counts(rows: Iterable[GroupedCount], field: str, what: str) -> list[GroupCount]:
    """The counts per value of *field*, biggest first; a value must be text (or a number, as text) or null."""
    groups: list[GroupCount] = []
    for row in rows:
        if field not in row.values:
            raise unexpected_answer(what)
        value = row.values[field]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
            raise unexpected_answer(what)
        groups.append(GroupCount(None if value is None else str(value), row.count.id))
    return biggest_first(groups)


def hour_counts(rows: Iterable[GroupedCount], what: str) -> dict[datetime, int]:
    """The counts per UTC hour of an aggregate grouped by ``app.counts.HOUR_GROUPS``."""
    hours: dict[datetime, int] = {}
    for row in rows:
        try:
            hour = hour_of(row.values)
        except (ValueError, TypeError, OverflowError):
            raise unexpected_answer(what) from None
        if hour is not None:
            hours[hour] = hours.get(hour, 0) + row.count.id
    return hours


def total_of(rows: list[GroupedCount], what: str) -> int:
    """The count of an aggregate that is not grouped: one row."""
    if len(rows) != 1:
        raise unexpected_answer(what)
    return rows[0].count.id
