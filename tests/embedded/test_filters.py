"""The Directus filter engine, run on a small SQLite table so every test checks real rows.

The expectations are the table in ``tests/support/filter_table.py``, which
``tests/test_contract_filters.py`` puts to a real Directus 12.4 holding the same rows: what is
asserted here is what the server answers. The helpers at the end are the engine's own parts.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.embedded.filters import (
    INVALID_DATE,
    FilterContext,
    compile_filter,
    compile_search,
    compile_sort,
    js_number,
    parse_js_date,
    parse_numeric_string,
    select_fields,
    timestamp_value,
)
from app.embedded.schema import INSERT_USER, SCHEMA, USER_COLUMNS
from app.errors import InboxError
from app.models import Query
from tests.support import filter_table as table

NOW = table.T0 + timedelta(days=9, hours=3)
"""The clock of the engine's ``$NOW`` (a server's is its own)."""
CTX = FilterContext(current_user=table.ME.row(), now=NOW)


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    conn.executemany(INSERT_USER, [tuple(user.row()[column] for column in USER_COLUMNS) for user in table.USERS])
    insert = f"INSERT INTO notifications ({', '.join(table.COLUMNS)}) VALUES ({', '.join('?' * len(table.COLUMNS))})"
    conn.executemany(insert, table.ROWS + table.now_rows(NOW))
    return conn


def ids(db: sqlite3.Connection, filter_obj: dict[str, Any] | None, ctx: FilterContext = CTX) -> list[int]:
    compiled = compile_filter(filter_obj, ctx)
    rows = db.execute(f"SELECT n.id FROM notifications AS n WHERE {compiled.sql} ORDER BY n.id", compiled.params)
    return [row[0] for row in rows]


def table_ids(db: sqlite3.Connection, filter_obj: dict[str, Any]) -> list[int]:
    """Like ``ids``, but among the table's nine rows (the ``$NOW`` rows are here too)."""
    return ids(db, {"_and": [{"id": {"_lt": min(table.NOW_ROWS)}}, filter_obj]})


# --- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("filter_obj", "expected"), table.MATCHES)
def test_filter(db: sqlite3.Connection, filter_obj: dict[str, Any], expected: list[int]) -> None:
    assert table_ids(db, filter_obj) == expected


@pytest.mark.parametrize(("filter_obj", "expected"), table.NOW_MATCHES)
def test_filter_relative_to_now(db: sqlite3.Connection, filter_obj: dict[str, Any], expected: list[int]) -> None:
    assert ids(db, table.among_now_rows(filter_obj)) == expected


@pytest.mark.parametrize(("filter_obj", "refusal"), table.REFUSALS)
def test_refused_filter(filter_obj: dict[str, Any], refusal: table.Refusal) -> None:
    with pytest.raises(InboxError) as caught:
        compile_filter(filter_obj, CTX)
    refusal.check(caught.value)


@pytest.mark.parametrize(("text", "expected"), table.SEARCHES)
def test_search(db: sqlite3.Connection, text: str, expected: list[int]) -> None:
    compiled = compile_search(text)
    where = "1" if compiled is None else compiled.sql
    params = [] if compiled is None else compiled.params
    rows = db.execute(
        f"SELECT n.id FROM notifications AS n WHERE n.id < ? AND {where} ORDER BY n.id",
        [min(table.NOW_ROWS), *params],
    )
    assert [row[0] for row in rows] == expected


@pytest.mark.parametrize(("sort", "expected"), table.SORTS)
def test_sort(db: sqlite3.Connection, sort: tuple[str, ...], expected: list[int]) -> None:
    order = compile_sort(sort)
    rows = db.execute(f"SELECT n.id FROM notifications AS n WHERE n.id < ? ORDER BY {order}", [min(table.NOW_ROWS)])
    assert [row[0] for row in rows] == expected


@pytest.mark.parametrize(("sort", "refusal"), table.REFUSED_SORTS)
def test_refused_sort(sort: tuple[str, ...], refusal: table.Refusal) -> None:
    with pytest.raises(InboxError) as caught:
        compile_sort(sort)
    refusal.check(caught.value)


@pytest.mark.parametrize(("fields", "expected"), table.FIELD_LISTS)
def test_field_list(fields: tuple[str, ...], expected: set[str]) -> None:
    selection = select_fields(Query(fields=fields).fields)
    assert set(table.COLUMNS if selection is None else selection) == expected


# --- what only the engine can be asked ----------------------------------------------------------


def test_current_user_without_one_is_null(db: sqlite3.Connection) -> None:
    assert table_ids(db, {"recipient": {"_eq": "$CURRENT_USER"}}) == table.MINE
    assert ids(db, {"recipient": {"_eq": "$CURRENT_USER"}}, FilterContext(now=NOW)) == []


@pytest.mark.parametrize(
    ("now", "adjustment", "expected"),
    [
        # Answers of Directus 12.4's adjustDate (date-fns 4.1) under TZ=UTC, run with Node 22.
        ("2026-12-01T10:20:30.456Z", "-1.5 days", "2026-11-30T10:20:30.456Z"),
        ("2026-12-15T00:00:00.000Z", "-1.5 days", "2026-12-13T00:00:00.000Z"),
        ("2026-12-15T00:00:00.000Z", "-2.5 weeks", "2026-11-28T00:00:00.000Z"),
        ("2026-12-01T10:20:30.456Z", "1", "2026-12-02T10:20:30.456Z"),
        ("2026-12-01T10:20:30.456Z", "--1 day", "2026-12-02T10:20:30.456Z"),
        ("2026-01-31T23:59:59.999Z", "+1 month", "2026-02-28T23:59:59.999Z"),
        ("2026-03-31T05:00:00.000Z", "-1 month", "2026-02-28T05:00:00.000Z"),
        ("2026-03-31T05:00:00.000Z", "-1.5 months", "2026-01-31T05:00:00.000Z"),
        ("2026-01-01T00:00:00.000Z", "-1.5 months", "2025-12-01T00:00:00.000Z"),
        ("2024-02-29T12:00:00.000Z", "-1.5 years", "2022-08-29T12:00:00.000Z"),
        ("2026-01-01T00:00:00.000Z", "-0.0005 s", "2025-12-31T23:59:59.999Z"),
        ("2026-12-01T10:20:30.456Z", " -1 day", "2026-12-01T10:20:30.456Z"),  # unreadable: no adjustment
        ("2026-12-01T10:20:30.456Z", "-1 fortnight", "2026-12-01T10:20:30.456Z"),
    ],
)
def test_now_adjustments_follow_date_fns(now: str, adjustment: str, expected: str) -> None:
    moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
    compiled = compile_filter({"timestamp": {"_eq": f"$NOW({adjustment})"}}, FilterContext(now=moment))
    assert compiled.params == [expected]


def test_a_now_beyond_the_calendar_is_before_or_after_everything(db: sqlite3.Connection) -> None:
    assert table_ids(db, {"timestamp": {"_gt": "$NOW(-99999 years)"}}) == table.ALL
    assert table_ids(db, {"timestamp": {"_gt": "$NOW(+99999 years)"}}) == []


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
