"""The expectation table of the embedded filter engine: rows, queries and what Directus answers.

One table, run twice: against the engine on SQLite (``tests/embedded/test_filters.py``) and
against a real Directus 12.4 holding the same rows, asked by the same user over REST
(``tests/test_contract_filters.py``). Where the two ever disagree, the server is right and the
engine is fixed.

The rows are nine notifications between three users; the one asking is ``ME``, who may read every
row (``$CURRENT_USER`` is ``ME``). ``NOW_ROWS`` are placed around the moment of asking, hours
apart, for the ``$NOW`` cases: a server's clock cannot be fixed, so those rows are written just
before they are queried, and removed after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.embedded.filters import format_timestamp
from app.errors import ForbiddenError, InboxError, InvalidInputError


@dataclass(frozen=True)
class TableUser:
    id: str
    first_name: str
    last_name: str
    email: str

    def row(self) -> dict[str, Any]:
        return {"id": self.id, "first_name": self.first_name, "last_name": self.last_name, "email": self.email}


ME = TableUser("6c318a77-3ee6-4481-af99-20c8e291d9ef", "Ada", "Admin", "ada@example.com")
BOB = TableUser("0373ec2d-a100-4aae-8db0-a7eca01ce295", "Bob", "Builder", "bob@example.com")
UMA = TableUser("9a1b2c3d-0000-4000-8000-00000000abcd", "Uma", "Unger", "uma@example.com")
USERS = (ME, BOB, UMA)

T0 = datetime(2026, 11, 22, 15, 56, 4, 269000, tzinfo=UTC)


def ts(offset_ms: int) -> str:
    return format_timestamp(T0 + timedelta(milliseconds=offset_ms))


COLUMNS = ("id", "timestamp", "status", "recipient", "sender", "subject", "message", "collection", "item")
ROWS = [
    (1, ts(0), "inbox", ME.id, None, "Hello World", "abc", "articles", "1"),
    (2, ts(47), "archived", ME.id, BOB.id, "x", None, None, None),
    (3, ts(148), None, ME.id, None, "y", None, None, None),
    (4, ts(200), "inbox", UMA.id, None, "u1", None, None, None),
    (5, ts(250), "inbox", UMA.id, None, "u2", None, None, None),
    (
        6,
        ts(300),
        "inbox",
        ME.id,
        BOB.id,
        "Review requested: Spring Launch",
        "Please check 100% of it",
        "articles",
        "12",
    ),
    (7, ts(320), "inbox", BOB.id, None, "comment on spring launch", None, "pages", "7"),
    (8, ts(330), "archived", ME.id, None, "Scheduled publish failed", "Äpfel und Birnen", "", None),
    (9, ts(342), "inbox", ME.id, None, "a_b test", "under_score", "products", "42"),
]
ALL = [row[0] for row in ROWS]
MINE = [1, 2, 3, 6, 8, 9]
FULL_ROW = 6
"""The row with every field set: the field-list cases look at which of its fields come back."""


def as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(COLUMNS, row, strict=True))


def case(query: Any, expected: Any) -> Any:
    """A parametrize entry whose id is the query itself, so a failure names it."""
    return pytest.param(query, expected, id=json.dumps(query, ensure_ascii=False, default=str))


# --- filter -> the ids it matches ---------------------------------------------------------------

MATCHES = [
    # comparisons
    case({"status": {"_eq": "inbox"}}, [1, 4, 5, 6, 7, 9]),
    case({"status": "inbox"}, [1, 4, 5, 6, 7, 9]),  # a bare value means _eq
    case({"subject": {"_neq": "x"}}, [1, 3, 4, 5, 6, 7, 8, 9]),
    case({"status": {"_neq": "inbox"}}, [2, 8]),  # NULL status matches neither _eq nor _neq
    case({"status": {"_eq": None}}, [3]),
    case({"status": {"_eq": "null"}}, [3]),  # the string "null" means null
    case({"status": {"_neq": None}}, [1, 2, 4, 5, 6, 7, 8, 9]),
    case({"id": {"_lt": 3}}, [1, 2]),
    case({"id": {"_lte": 3}}, [1, 2, 3]),
    case({"id": {"_gt": 7}}, [8, 9]),
    case({"id": {"_gte": 7}}, [7, 8, 9]),
    case({"id": {"_gt": "5"}}, [6, 7, 8, 9]),  # numeric strings are numbers for an integer field
    case({"id": {"_eq": "0x2"}}, [2]),  # ... as JavaScript's Number() reads them
    case({"id": {"_eq": 1.5}}, []),
    case({"id": {"_gt": None}}, ALL),  # Number(null) is 0
    case({"status": {"_in": ["archived", "read"]}}, [2, 8]),
    case({"status": {"_in": "archived,read"}}, [2, 8]),  # a comma-separated string is a list
    case({"status": {"_nin": ["archived"]}}, [1, 4, 5, 6, 7, 9]),  # NULL is not "not in"
    case({"id": {"_in": "1,2"}}, [1, 2]),
    case({"id": {"_in": [3, 9, 1000]}}, [3, 9]),
    case({"item": {"_in": [42, 1]}}, [1, 9]),  # numbers compare as text with a text column
    case({"item": {"_eq": 42}}, [9]),
    case({"collection": {"_null": True}}, [2, 3, 4, 5]),
    case({"collection": {"_null": "true"}}, [2, 3, 4, 5]),
    case({"collection": {"_null": False}}, [1, 6, 7, 8, 9]),
    case({"collection": {"_nnull": True}}, [1, 6, 7, 8, 9]),
    case({"sender": {"_nnull": False}}, [1, 3, 4, 5, 7, 8, 9]),
    case({"collection": {"_empty": True}}, [2, 3, 4, 5, 8]),  # NULL or ""
    case({"collection": {"_empty": False}}, [1, 6, 7, 9]),
    case({"collection": {"_nempty": True}}, [1, 6, 7, 9]),
    case({"id": {"_between": [2, 4]}}, [2, 3, 4]),
    case({"id": {"_between": "2,4"}}, [2, 3, 4]),
    case({"id": {"_nbetween": [2, 4]}}, [1, 5, 6, 7, 8, 9]),
    case({"id": {"_between": [1, 2, 3]}}, ALL),  # not a pair: ignored, as Directus does
    # text
    case({"subject": {"_contains": "spring"}}, [6, 7]),  # SQLite LIKE: ASCII case-insensitive
    case({"subject": {"_contains": "Spring"}}, [6, 7]),
    case({"message": {"_contains": "äpfel"}}, []),  # ... but not beyond ASCII
    case({"message": {"_contains": "Äpfel"}}, [8]),
    case({"message": {"_icontains": "ÄPFEL"}}, []),  # LOWER() folds ASCII only
    case({"subject": {"_icontains": "SPRING"}}, [6, 7]),
    case({"subject": {"_contains": "_"}}, ALL),  # _ and % are wildcards, like on the server
    case({"message": {"_contains": "%"}}, [1, 6, 8, 9]),
    case({"subject": {"_ncontains": "spring"}}, [1, 2, 3, 4, 5, 8, 9]),
    case({"message": {"_ncontains": "x"}}, [1, 6, 8, 9]),  # NULL messages never match a negation
    case({"subject": {"_starts_with": "review"}}, [6]),
    case({"subject": {"_nstarts_with": "review"}}, [1, 2, 3, 4, 5, 7, 8, 9]),
    case({"subject": {"_istarts_with": "REVIEW"}}, [6]),
    case({"subject": {"_nistarts_with": "REVIEW"}}, [1, 2, 3, 4, 5, 7, 8, 9]),
    case({"subject": {"_ends_with": "LAUNCH"}}, [6, 7]),
    case({"subject": {"_nends_with": "launch"}}, [1, 2, 3, 4, 5, 8, 9]),
    case({"subject": {"_iends_with": "LAUNCH"}}, [6, 7]),
    case({"subject": {"_niends_with": "LAUNCH"}}, [1, 2, 3, 4, 5, 8, 9]),
    case({"item": {"_contains": 4}}, [9]),
    case({"recipient": {"_contains": BOB.id[:8]}}, [7]),  # recipient is a string field on SQLite
    case({"status": {"_eq": "true"}}, []),  # "true" is true, which SQLite compares as 1
    case({"status": {"_eq": True}}, []),
    # timestamps
    case({"timestamp": {"_gt": "2026-11-22"}}, ALL),  # a date alone is midnight UTC
    case({"timestamp": {"_lt": "2026-11-22"}}, []),
    case({"timestamp": {"_gte": ts(47)}}, [2, 3, 4, 5, 6, 7, 8, 9]),
    case({"timestamp": {"_lte": ts(148)}}, [1, 2, 3]),
    case({"timestamp": {"_gte": ts(47), "_lte": ts(148)}}, [2, 3]),
    case({"timestamp": {"_eq": ts(47)}}, [2]),
    case({"timestamp": {"_eq": ts(47)[:-1]}}, [2]),  # no offset: UTC
    case({"timestamp": {"_eq": ts(47).replace("T", " ")}}, [2]),
    case({"timestamp": {"_eq": "2026-11-22T16:56:04.316+01:00"}}, [2]),  # an offset is honoured
    case(
        {"timestamp": {"_gt": int((T0 - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000) + 47}},
        [3, 4, 5, 6, 7, 8, 9],
    ),  # a number is epoch milliseconds
    case({"timestamp": {"_between": [ts(47), ts(148)]}}, [2, 3]),
    case({"timestamp": {"_in": [ts(47), ts(148)]}}, [2, 3]),
    case({"timestamp": {"_gt": "garbage"}}, []),  # an unparsable date is greater than all (NaN)
    case({"timestamp": {"_lt": "garbage"}}, ALL),
    case({"timestamp": {"_neq": "garbage"}}, ALL),
    case({"timestamp": {"_gt": "12:00"}}, []),
    case({"timestamp": {"_gt": "2026"}}, ALL),
    case({"timestamp": {"_gt": "2027"}}, []),
    case({"timestamp": {"_gt": "2026-11"}}, ALL),
    case({"timestamp": {"_gt": "Nov 22 2026"}}, ALL),
    case({"timestamp": {"_contains": "2026"}}, []),  # LIKE sees epoch milliseconds, as on the server
    case({"timestamp": {"_null": True}}, []),
    case({"timestamp": {"_empty": True}}, []),
    # $CURRENT_USER, anywhere a value appears
    case({"recipient": {"_eq": "$CURRENT_USER"}}, MINE),
    case({"recipient": {"_in": ["$CURRENT_USER", UMA.id]}}, sorted(MINE + [4, 5])),
    case({"recipient": {"_neq": "$CURRENT_USER"}}, [4, 5, 7]),
    case({"_or": [{"sender": "$CURRENT_USER"}, {"recipient": {"_eq": "$CURRENT_USER"}}]}, MINE),
    case({"recipient": {"email": {"_eq": "$CURRENT_USER.email"}}}, MINE),
    # logic
    case({"_or": [{"id": {"_eq": 1}}, {"status": {"_eq": "archived"}}]}, [1, 2, 8]),
    case({"_and": [{"_or": [{"id": {"_eq": 1}}, {"id": {"_eq": 2}}]}, {"status": {"_eq": "archived"}}]}, [2]),
    case(
        {
            "_or": [
                {"_and": [{"recipient": {"_eq": UMA.id}}, {"subject": {"_eq": "u2"}}]},
                {"_and": [{"recipient": {"_eq": BOB.id}}, {"collection": {"_eq": "pages"}}]},
            ]
        },
        [5, 7],
    ),
    case({"status": {"_eq": "archived"}, "id": {"_gt": 2}}, [8]),  # several keys are AND-ed
    case({"id": {"_gt": 2, "_lt": 6}}, [3, 4, 5]),  # also several operators on one field
    case({"id": {"_or": [{"_eq": 1}, {"_eq": 2}]}}, [1, 2]),  # logic inside a field is about that field
    case({}, ALL),
    case({"_or": []}, ALL),
    case({"_and": []}, ALL),
    case({"_or": [{}, {"id": {"_eq": 1}}]}, ALL),  # Directus drops such an _or
    case({"status": {}}, ALL),
    case({"subject": []}, ALL),  # an empty list is no condition (a list's indexes are field names)
    # through a user relation
    case({"recipient": {"id": {"_eq": BOB.id}}}, [7]),
    case({"recipient": {"email": {"_icontains": "BOB"}}}, [7]),
    case({"sender": {"first_name": {"_eq": "Bob"}}}, [2, 6]),
    case({"sender": {"id": {"_null": True}}}, [1, 3, 4, 5, 7, 8, 9]),
]


# --- $NOW: rows around the moment of asking -----------------------------------------------------

NOW_ROWS = {
    101: timedelta(days=-400),
    102: timedelta(days=-40),
    103: timedelta(days=-3),
    104: timedelta(hours=-30),
    105: timedelta(hours=-2),
    106: timedelta(minutes=-30),
    107: timedelta(hours=2),
}
"""id -> age relative to now. Every case's boundary is at least half an hour from every row.

(A fraction of a day, week, month or year is not asked of the server here: date-fns truncates the
day or month it lands on, so "-1.5 days" is one day back on the 1st of a month and two on the
15th. ``tests/embedded/test_filters.py`` checks that against answers of date-fns itself.)"""


def among_now_rows(filter_obj: dict[str, Any]) -> dict[str, Any]:
    """*filter_obj* within the ``$NOW`` rows (the table's other rows are as old as ``T0``)."""
    return {"_and": [{"id": {"_gte": min(NOW_ROWS)}}, filter_obj]}


NOW_MATCHES = [
    case({"timestamp": {"_gt": "$NOW"}}, [107]),
    case({"timestamp": {"_lt": "$NOW"}}, [101, 102, 103, 104, 105, 106]),
    case({"timestamp": {"_gt": "$NOW(-1 hour)"}}, [106, 107]),
    case({"timestamp": {"_gt": "$NOW(-3 hours)"}}, [105, 106, 107]),
    case({"timestamp": {"_gt": "$NOW(-10800 s)"}}, [105, 106, 107]),
    case({"timestamp": {"_gt": "$NOW(-150 minutes)"}}, [105, 106, 107]),
    case({"timestamp": {"_gt": "$NOW(-1 day)"}}, [105, 106, 107]),
    case({"timestamp": {"_gt": "$NOW(-2.5 hours)"}}, [105, 106, 107]),
    case({"timestamp": {"_gt": "$NOW(-2 days)"}}, [104, 105, 106, 107]),
    case({"timestamp": {"_gt": "$NOW(-2 weeks)"}}, [103, 104, 105, 106, 107]),
    case({"timestamp": {"_gt": "$NOW(-1 month)"}}, [103, 104, 105, 106, 107]),
    case({"timestamp": {"_lt": "$NOW(-1 year)"}}, [101]),
    case({"timestamp": {"_lt": "$NOW(+1 day)"}}, list(NOW_ROWS)),
    case({"timestamp": {"_between": ["$NOW(-1 week)", "$NOW"]}}, [103, 104, 105, 106]),
    case({"timestamp": {"_gte": "$NOW(-3 hours)", "_lte": "$NOW(-1 hour)"}}, [105]),
]


def now_rows(now: datetime) -> list[tuple[Any, ...]]:
    return [
        (key, format_timestamp(now + age), "inbox", ME.id, None, f"now{age}", None, None, None)
        for key, age in NOW_ROWS.items()
    ]


# --- filters Directus refuses -------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    kind: type[InboxError]
    status: int
    code: str
    says: str

    def check(self, error: InboxError) -> None:
        assert (type(error), error.status, error.code) == (self.kind, self.status, self.code), error.message
        assert self.says in error.message


def forbidden(says: str = "or it does not exist") -> Refusal:
    return Refusal(ForbiddenError, 403, "FORBIDDEN", says)


def invalid(says: str) -> Refusal:
    return Refusal(InvalidInputError, 400, "INVALID_QUERY", says)


REFUSALS = [
    case({"nope": {"_eq": 1}}, forbidden('field "nope" in collection "directus_notifications"')),
    case({"recipient": {"nope": {"_eq": "x"}}}, forbidden('field "nope" in collection "directus_users"')),
    case({"status": {"foo": {"_eq": "x"}}}, forbidden()),
    case({"status": ["inbox"]}, forbidden('field "0" in collection "directus_notifications" or it does not exist')),
    # Directus names every unknown field ('fields "1", "0" ... or they do not exist'); the engine the first.
    case({"status": ["inbox", "x"]}, forbidden('in collection "directus_notifications"')),
    case({"subject": {"_foo": 1}}, invalid('"string" field type does not contain the "_foo" filter operator')),
    case({"subject": {"_nicontains": "x"}}, invalid('"_nicontains" filter operator')),
    case({"subject": {"_gt": "a"}}, invalid('"string" field type does not contain the "_gt"')),
    case({"id": {"_contains": 1}}, invalid('"integer" field type does not contain the "_contains"')),
    case({"id": {"_empty": True}}, invalid('"integer" field type does not contain the "_empty"')),
    case({"timestamp": {"_icontains": "2026"}}, invalid('"timestamp" field type does not contain the "_icontains"')),
    case({"recipient": {"id": {"_contains": "a"}}}, invalid('"uuid" field type does not contain the "_contains"')),
    case({"id": {"_eq": "abc"}}, invalid("Invalid numeric value")),
    case({"id": {"_in": ["1", "x"]}}, invalid("Invalid numeric value")),
    case({"status": {"_eq": ""}}, invalid("You can't filter for an empty string")),
    case({"status": {"_eq": {"a": 1}}}, invalid("has to be a string, number, or boolean")),
    case({"status": {"_eq": ["a"]}}, invalid("has to be a string, number, or boolean")),
    case({"status": {"_in": []}}, invalid('"_in" has to be an array of values')),
    case({"collection": {"_null": "x"}}, invalid('"_null" has to be a boolean')),
    case({"_and": {"id": {"_eq": 1}}}, invalid("Invalid filter object")),
    case({"_eq": 1}, invalid('Invalid filter key "_eq"')),
    case({"id": {"_eq": 2**60}}, invalid("is not a valid number")),
    case({"nope": {"_eq": ""}}, invalid("You can't filter for an empty string")),  # values before fields
]


# --- search, sort, field lists ------------------------------------------------------------------

SEARCHES = [
    case("spring", [6, 7]),
    case("SPRING", [6, 7]),
    case("  spring  ", [6, 7]),  # trimmed
    case("12", [6]),  # item "12"; no id 12
    case("5", [2, 5, 6, 7]),  # id 5, and Bob's id (sender or recipient) contains a 5
    case("09", []),  # not an integer's own form: no id match
    case("inbox", [1, 4, 5, 6, 7, 9]),  # status is searched too
    case(BOB.id[:8], [2, 6, 7]),  # so are the recipient and sender ids
    case("äpfel", []),
    case("", ALL),
    case("   ", []),  # only spaces: searched as is
]

SORTS = [
    case((), ALL),  # no sort: by the primary key
    case(("-id",), ALL[::-1]),
    case(("-timestamp",), ALL[::-1]),
    case(("status", "id"), [3, 2, 8, 1, 4, 5, 6, 7, 9]),  # NULL first
    case(("-status", "id"), [1, 4, 5, 6, 7, 9, 2, 8, 3]),
    case(("-collection",), [9, 7, 1, 6, 8, 2, 3, 4, 5]),  # ties by id
    case(("recipient.email", "id"), [1, 2, 3, 6, 8, 9, 7, 4, 5]),
]
REFUSED_SORTS = [case(("-nope",), forbidden()), case(("recipient.nope",), forbidden())]

FIELD_LISTS = [
    # fields asked for -> the fields of the full row that come back (a Query always asks for the id)
    case(("id", "subject"), {"id", "subject"}),
    case(("id", "status", "recipient"), {"id", "status", "recipient"}),
    case(("*",), set(COLUMNS)),
]
