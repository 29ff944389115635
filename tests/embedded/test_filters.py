"""The Directus filter translator, run against a small SQLite table so every test checks real rows.

The expected answers are what a Directus 12.4 server on SQLite answered for the same data and
query (checked side by side while writing this module).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from app.embedded.filters import (
    INVALID_DATE,
    FilterContext,
    compile_filter,
    compile_search,
    compile_sort,
    format_timestamp,
    js_number,
    parse_js_date,
    parse_numeric_string,
    select_fields,
    timestamp_value,
)
from app.embedded.schema import SCHEMA
from app.errors import ForbiddenError, InvalidInputError

ME = "6c318a77-3ee6-4481-af99-20c8e291d9ef"
BOB = "0373ec2d-a100-4aae-8db0-a7eca01ce295"
UMA = "9a1b2c3d-0000-4000-8000-00000000abcd"
T0 = datetime(2026, 11, 22, 15, 56, 4, 269000, tzinfo=UTC)


def ts(offset_ms: int) -> str:
    return format_timestamp(T0 + timedelta(milliseconds=offset_ms))


ROWS = [
    # id, timestamp, status, recipient, sender, subject, message, collection, item
    (1, ts(0), "inbox", ME, None, "Hello World", "abc", "articles", "1"),
    (2, ts(47), "archived", ME, BOB, "x", None, None, None),
    (3, ts(148), None, ME, None, "y", None, None, None),
    (4, ts(200), "inbox", UMA, None, "u1", None, None, None),
    (5, ts(250), "inbox", UMA, None, "u2", None, None, None),
    (6, ts(300), "inbox", ME, BOB, "Review requested: Spring Launch", "Please check 100% of it", "articles", "12"),
    (7, ts(320), "inbox", BOB, None, "comment on spring launch", None, "pages", "7"),
    (8, ts(330), "archived", ME, None, "Scheduled publish failed", "Äpfel und Birnen", "", None),
    (9, ts(342), "inbox", ME, None, "a_b test", "under_score", "products", "42"),
]
ALL = [row[0] for row in ROWS]
CTX = FilterContext(
    current_user={"id": ME, "first_name": "Ada", "last_name": "Admin", "email": "admin@example.com"},
    now=T0 + timedelta(minutes=1),
)


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    conn.executemany(
        "INSERT INTO users (id, first_name, last_name, email) VALUES (?, ?, ?, ?)",
        [
            (ME, "Ada", "Admin", "admin@example.com"),
            (BOB, "Bob", "Builder", "bob@example.com"),
            (UMA, "Uma", "User", "uma@example.com"),
        ],
    )
    conn.executemany(
        "INSERT INTO notifications (id, timestamp, status, recipient, sender, subject, message, "
        "collection, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ROWS,
    )
    return conn


def ids(db: sqlite3.Connection, filter_obj, ctx: FilterContext = CTX) -> list[int]:
    compiled = compile_filter(filter_obj, ctx)
    rows = db.execute(f"SELECT n.id FROM notifications AS n WHERE {compiled.sql} ORDER BY n.id", compiled.params)
    return [row[0] for row in rows]


# --- operators ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_obj", "expected"),
    [
        ({"status": {"_eq": "inbox"}}, [1, 4, 5, 6, 7, 9]),
        ({"status": "inbox"}, [1, 4, 5, 6, 7, 9]),  # a bare value means _eq
        ({"subject": {"_neq": "x"}}, [1, 3, 4, 5, 6, 7, 8, 9]),
        ({"status": {"_neq": "inbox"}}, [2, 8]),  # NULL status matches neither _eq nor _neq
        ({"status": {"_eq": None}}, [3]),
        ({"status": {"_eq": "null"}}, [3]),  # the string "null" means null
        ({"status": {"_neq": None}}, [1, 2, 4, 5, 6, 7, 8, 9]),
        ({"id": {"_lt": 3}}, [1, 2]),
        ({"id": {"_lte": 3}}, [1, 2, 3]),
        ({"id": {"_gt": 7}}, [8, 9]),
        ({"id": {"_gte": 7}}, [7, 8, 9]),
        ({"id": {"_gt": "5"}}, [6, 7, 8, 9]),  # numeric strings are numbers for an integer field
        ({"id": {"_eq": "0x2"}}, [2]),  # ... as JavaScript's Number() reads them
        ({"id": {"_eq": 1.5}}, []),
        ({"id": {"_gt": None}}, ALL),  # Number(null) is 0
        ({"status": {"_in": ["archived", "read"]}}, [2, 8]),
        ({"status": {"_in": "archived,read"}}, [2, 8]),  # a comma-separated string is a list
        ({"status": {"_nin": ["archived"]}}, [1, 4, 5, 6, 7, 9]),  # NULL is not "not in"
        ({"id": {"_in": "1,2"}}, [1, 2]),
        ({"item": {"_in": [42, 1]}}, [1, 9]),  # numbers compare as text with a text column
        ({"item": {"_eq": 42}}, [9]),
        ({"collection": {"_null": True}}, [2, 3, 4, 5]),
        ({"collection": {"_null": "true"}}, [2, 3, 4, 5]),
        ({"collection": {"_null": False}}, [1, 6, 7, 8, 9]),
        ({"collection": {"_nnull": True}}, [1, 6, 7, 8, 9]),
        ({"sender": {"_nnull": False}}, [1, 3, 4, 5, 7, 8, 9]),
        ({"collection": {"_empty": True}}, [2, 3, 4, 5, 8]),  # NULL or ""
        ({"collection": {"_empty": False}}, [1, 6, 7, 9]),
        ({"collection": {"_nempty": True}}, [1, 6, 7, 9]),
        ({"id": {"_between": [2, 4]}}, [2, 3, 4]),
        ({"id": {"_between": "2,4"}}, [2, 3, 4]),
        ({"id": {"_nbetween": [2, 4]}}, [1, 5, 6, 7, 8, 9]),
        ({"id": {"_between": [1, 2, 3]}}, ALL),  # not a pair: ignored, as Directus does
    ],
)
def test_comparison_operators(db, filter_obj, expected):
    assert ids(db, filter_obj) == expected


@pytest.mark.parametrize(
    ("filter_obj", "expected"),
    [
        ({"subject": {"_contains": "spring"}}, [6, 7]),  # SQLite LIKE: ASCII case-insensitive
        ({"subject": {"_contains": "Spring"}}, [6, 7]),
        ({"message": {"_contains": "äpfel"}}, []),  # ... but not beyond ASCII
        ({"message": {"_contains": "Äpfel"}}, [8]),
        ({"message": {"_icontains": "ÄPFEL"}}, []),  # LOWER() folds ASCII only
        ({"subject": {"_icontains": "SPRING"}}, [6, 7]),
        ({"subject": {"_contains": "_"}}, ALL),  # _ and % are wildcards, like on the server
        ({"message": {"_contains": "%"}}, [1, 6, 8, 9]),
        ({"subject": {"_ncontains": "spring"}}, [1, 2, 3, 4, 5, 8, 9]),
        ({"message": {"_ncontains": "x"}}, [1, 6, 8, 9]),  # NULL messages never match a negation
        ({"subject": {"_starts_with": "review"}}, [6]),
        ({"subject": {"_nstarts_with": "review"}}, [1, 2, 3, 4, 5, 7, 8, 9]),
        ({"subject": {"_istarts_with": "REVIEW"}}, [6]),
        ({"subject": {"_nistarts_with": "REVIEW"}}, [1, 2, 3, 4, 5, 7, 8, 9]),
        ({"subject": {"_ends_with": "LAUNCH"}}, [6, 7]),
        ({"subject": {"_nends_with": "launch"}}, [1, 2, 3, 4, 5, 8, 9]),
        ({"subject": {"_iends_with": "LAUNCH"}}, [6, 7]),
        ({"subject": {"_niends_with": "LAUNCH"}}, [1, 2, 3, 4, 5, 8, 9]),
        ({"item": {"_contains": 4}}, [9]),
        ({"recipient": {"_contains": BOB[:8]}}, [7]),  # recipient is a string field on SQLite
    ],
)
def test_text_operators(db, filter_obj, expected):
    assert ids(db, filter_obj) == expected


@pytest.mark.parametrize(
    ("filter_obj", "expected"),
    [
        ({"timestamp": {"_gt": "2026-11-22"}}, ALL),  # a date alone is midnight UTC
        ({"timestamp": {"_lt": "2026-11-22"}}, []),
        ({"timestamp": {"_gte": ts(47)}}, [2, 3, 4, 5, 6, 7, 8, 9]),
        ({"timestamp": {"_eq": ts(47)}}, [2]),
        ({"timestamp": {"_eq": ts(47)[:-1]}}, [2]),  # no offset: UTC
        ({"timestamp": {"_eq": ts(47).replace("T", " ")}}, [2]),
        ({"timestamp": {"_eq": "2026-11-22T16:56:04.316+01:00"}}, [2]),  # an offset is honoured
        (
            {"timestamp": {"_gt": int((T0 - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000) + 47}},
            [3, 4, 5, 6, 7, 8, 9],
        ),  # a number is epoch milliseconds
        ({"timestamp": {"_between": [ts(47), ts(148)]}}, [2, 3]),
        ({"timestamp": {"_in": [ts(47), ts(148)]}}, [2, 3]),
        ({"timestamp": {"_gt": "garbage"}}, []),  # an unparsable date is greater than all (NaN)
        ({"timestamp": {"_lt": "garbage"}}, ALL),
        ({"timestamp": {"_neq": "garbage"}}, ALL),
        ({"timestamp": {"_gt": "12:00"}}, []),
        ({"timestamp": {"_gt": "2026"}}, ALL),
        ({"timestamp": {"_gt": "2027"}}, []),
        ({"timestamp": {"_gt": "2026-11"}}, ALL),
        ({"timestamp": {"_gt": "Nov 22 2026"}}, ALL),
        ({"timestamp": {"_contains": "2026"}}, []),  # LIKE sees epoch milliseconds, as on the server
        ({"timestamp": {"_null": True}}, []),
        ({"timestamp": {"_empty": True}}, []),
    ],
)
def test_timestamp_operators(db, filter_obj, expected):
    assert ids(db, filter_obj) == expected


def test_now_variable(db):
    # CTX.now is one minute after T0: every row is older than $NOW and newer than an hour ago.
    assert ids(db, {"timestamp": {"_gt": "$NOW(-1 hour)"}}) == ALL
    assert ids(db, {"timestamp": {"_gt": "$NOW"}}) == []
    assert ids(db, {"timestamp": {"_lt": "$NOW(+1 day)"}}) == ALL
    assert ids(db, {"timestamp": {"_lt": "$NOW(-59 seconds)"}}) == ALL
    assert ids(db, {"timestamp": {"_gt": "$NOW(-59.7 s)"}}) == [7, 8, 9]  # newer than T0 + 300 ms
    assert ids(db, {"timestamp": {"_gt": "$NOW(-1 month)"}}) == ALL
    assert ids(db, {"timestamp": {"_lt": "$NOW(-1 year)"}}) == []


# --- dynamic variables, logic and relations ----------------------------------------------------


def test_current_user_anywhere_a_value_appears(db):
    mine = [1, 2, 3, 6, 8, 9]
    assert ids(db, {"recipient": {"_eq": "$CURRENT_USER"}}) == mine
    assert ids(db, {"recipient": {"_in": ["$CURRENT_USER", UMA]}}) == sorted(mine + [4, 5])
    assert ids(db, {"recipient": {"_neq": "$CURRENT_USER"}}) == [4, 5, 7]
    assert ids(db, {"_or": [{"sender": "$CURRENT_USER"}, {"recipient": {"_eq": "$CURRENT_USER"}}]}) == mine
    assert ids(db, {"recipient": {"email": {"_eq": "$CURRENT_USER.email"}}}) == mine
    # Without a current user, $CURRENT_USER is null.
    assert ids(db, {"recipient": {"_eq": "$CURRENT_USER"}}, FilterContext()) == []


def test_and_or_nesting(db):
    assert ids(db, {"_or": [{"id": {"_eq": 1}}, {"status": {"_eq": "archived"}}]}) == [1, 2, 8]
    assert ids(db, {"_and": [{"_or": [{"id": {"_eq": 1}}, {"id": {"_eq": 2}}]}, {"status": {"_eq": "archived"}}]}) == [
        2
    ]
    assert ids(
        db,
        {
            "_or": [
                {"_and": [{"recipient": {"_eq": UMA}}, {"subject": {"_eq": "u2"}}]},
                {"_and": [{"recipient": {"_eq": BOB}}, {"collection": {"_eq": "pages"}}]},
            ]
        },
    ) == [5, 7]
    # Several keys in one object are AND-ed, also operators on one field.
    assert ids(db, {"status": {"_eq": "archived"}, "id": {"_gt": 2}}) == [8]
    assert ids(db, {"id": {"_gt": 2, "_lt": 6}}) == [3, 4, 5]
    # Logic inside a field applies to that field.
    assert ids(db, {"id": {"_or": [{"_eq": 1}, {"_eq": 2}]}}) == [1, 2]


def test_empty_logic_matches_everything(db):
    assert ids(db, None) == ALL
    assert ids(db, {}) == ALL
    assert ids(db, {"_or": []}) == ALL
    assert ids(db, {"_and": []}) == ALL
    assert ids(db, {"_or": [{}, {"id": {"_eq": 1}}]}) == ALL  # Directus drops such an _or
    assert ids(db, {"status": {}}) == ALL


def test_relational_user_fields(db):
    assert ids(db, {"recipient": {"id": {"_eq": BOB}}}) == [7]
    assert ids(db, {"recipient": {"email": {"_icontains": "BOB"}}}) == [7]
    assert ids(db, {"sender": {"first_name": {"_eq": "Bob"}}}) == [2, 6]
    assert ids(db, {"sender": {"id": {"_null": True}}}) == [1, 3, 4, 5, 7, 8, 9]


def test_true_false_strings_are_booleans(db):
    # "true" becomes true, which SQLite compares as 1: no status is "1".
    assert ids(db, {"status": {"_eq": "true"}}) == []
    assert ids(db, {"status": {"_eq": True}}) == []


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filter_obj",
    [
        {"nope": {"_eq": 1}},
        {"recipient": {"nope": {"_eq": "x"}}},
        {"status": {"foo": {"_eq": "x"}}},
        {"status": ["inbox", "x"]},
    ],
)
def test_unknown_fields_are_forbidden_like_directus(filter_obj):
    with pytest.raises(ForbiddenError) as caught:
        compile_filter(filter_obj, CTX)
    assert caught.value.status == 403
    assert caught.value.code == "FORBIDDEN"
    assert "does not exist" in caught.value.message


@pytest.mark.parametrize(
    ("filter_obj", "message"),
    [
        ({"subject": {"_foo": 1}}, '"string" field type does not contain the "_foo" filter operator'),
        ({"subject": {"_nicontains": "x"}}, '"_nicontains" filter operator'),
        ({"subject": {"_gt": "a"}}, '"string" field type does not contain the "_gt"'),
        ({"id": {"_contains": 1}}, '"integer" field type does not contain the "_contains"'),
        ({"id": {"_empty": True}}, '"integer" field type does not contain the "_empty"'),
        ({"timestamp": {"_icontains": "2026"}}, '"timestamp" field type does not contain the "_icontains"'),
        ({"recipient": {"id": {"_contains": "a"}}}, '"uuid" field type does not contain the "_contains"'),
        ({"id": {"_eq": "abc"}}, "Invalid numeric value"),
        ({"id": {"_in": ["1", "x"]}}, "Invalid numeric value"),
        ({"status": {"_eq": ""}}, "You can't filter for an empty string"),
        ({"status": {"_eq": {"a": 1}}}, "has to be a string, number, or boolean"),
        ({"status": {"_eq": ["a"]}}, "has to be a string, number, or boolean"),
        ({"status": {"_in": []}}, '"_in" has to be an array of values'),
        ({"collection": {"_null": "x"}}, '"_null" has to be a boolean'),
        ({"_and": {"id": {"_eq": 1}}}, "Invalid filter object"),
        ({"_eq": 1}, 'Invalid filter key "_eq"'),
        ({"id": {"_eq": 2**60}}, "is not a valid number"),
    ],
)
def test_bad_values_and_operators_are_invalid_queries(filter_obj, message):
    with pytest.raises(InvalidInputError) as caught:
        compile_filter(filter_obj, CTX)
    assert caught.value.status == 400
    assert caught.value.code == "INVALID_QUERY"
    assert message in caught.value.message


def test_values_are_checked_before_fields():
    # Directus validates every value (400) before it looks at the fields (403).
    with pytest.raises(InvalidInputError):
        compile_filter({"nope": {"_eq": ""}}, CTX)


# --- search, sort, fields -----------------------------------------------------------------------


def search_ids(db, text):
    compiled = compile_search(text)
    if compiled is None:
        return ALL
    return [
        row[0]
        for row in db.execute(
            f"SELECT n.id FROM notifications AS n WHERE {compiled.sql} ORDER BY n.id", compiled.params
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spring", [6, 7]),
        ("SPRING", [6, 7]),
        ("  spring  ", [6, 7]),  # trimmed
        ("12", [6]),  # item "12"; no id 12
        ("5", [2, 5, 6, 7]),  # id 5, and Bob's id (sender or recipient) contains a 5
        ("09", []),  # not an integer's own form: no id match
        ("inbox", [1, 4, 5, 6, 7, 9]),  # status is searched too
        (BOB[:8], [2, 6, 7]),  # so are the recipient and sender ids
        ("äpfel", []),
        ("", ALL),
        (None, ALL),
        ("   ", []),  # only spaces: searched as is
    ],
)
def test_search(db, text, expected):
    assert search_ids(db, text) == expected


def sorted_ids(db, sort):
    order = compile_sort(sort)
    return [row[0] for row in db.execute(f"SELECT n.id FROM notifications AS n ORDER BY {order}")]


def test_sort(db):
    assert sorted_ids(db, ()) == ALL
    assert sorted_ids(db, ("-id",)) == ALL[::-1]
    assert sorted_ids(db, ("-timestamp",)) == ALL[::-1]
    assert sorted_ids(db, ("status", "id")) == [3, 2, 8, 1, 4, 5, 6, 7, 9]  # NULL first
    assert sorted_ids(db, ("-status", "id")) == [1, 4, 5, 6, 7, 9, 2, 8, 3]
    assert sorted_ids(db, ("-collection",)) == [9, 7, 1, 6, 8, 2, 3, 4, 5]  # ties by id
    assert sorted_ids(db, ("recipient.email", "id")) == [1, 2, 3, 6, 8, 9, 7, 4, 5]
    with pytest.raises(ForbiddenError):
        compile_sort(("-nope",))
    with pytest.raises(ForbiddenError):
        compile_sort(("recipient.nope",))


def test_select_fields():
    assert select_fields(None) is None
    assert select_fields(("*",)) is None
    selection = select_fields(("id", "subject"))
    assert selection.wants("subject") and selection.wants("id") and not selection.wants("message")
    selection = select_fields(("id,status",))
    assert selection.wants("status") and not selection.wants("subject")
    selection = select_fields(("*", "recipient.email"))
    assert selection.wants("message") and selection.expand == {"recipient": frozenset({"email"})}
    assert select_fields(("sender.*",)).expand["sender"] == frozenset({"id", "first_name", "last_name", "email"})
    assert not select_fields(("id", "status.x")).wants("status")  # ignored, as by Directus
    with pytest.raises(ForbiddenError):
        select_fields(("id", "nope"))
    with pytest.raises(ForbiddenError):
        select_fields(("recipient.nope",))


# --- value helpers ------------------------------------------------------------------------------


def test_js_number():
    assert js_number("5") == 5 and js_number(" 5 ") == 5 and js_number("") == 0
    assert js_number("0x10") == 16 and js_number("1e3") == 1000 and js_number("2.5") == 2.5
    assert js_number(None) == 0 and js_number(True) == 1
    for bad in ("abc", "1_000", "nan", "inf", "0xZZ"):
        with pytest.raises(ValueError):
            js_number(bad)


def test_parse_numeric_string():
    assert parse_numeric_string("12") == 12
    assert parse_numeric_string("1.5") == 1.5
    for text in ("01", "1.0", "1e3", " 1", "", "abc", "-0"):
        assert parse_numeric_string(text) is None


def test_parse_js_date_and_timestamp_values():
    assert parse_js_date("2026-11-22") == datetime(2026, 11, 22, tzinfo=UTC)
    assert parse_js_date("2026") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_js_date("2026-11-22T10:00:00+02:00") == datetime(2026, 11, 22, 8, tzinfo=UTC)
    assert parse_js_date("Sun, 22 Nov 2026 10:00:00 GMT") == datetime(2026, 11, 22, 10, tzinfo=UTC)
    assert parse_js_date("not a date") is None
    assert timestamp_value("2026-11-22T15:04:05.1239Z") == "2026-11-22T15:04:05.123Z"
    assert timestamp_value(0) == "1970-01-01T00:00:00.000Z"
    assert timestamp_value("garbage") == INVALID_DATE
    assert timestamp_value(None) is None
