"""The filter engine's expectation table, asked of a real Directus 12.4 (``tests/support/filter_table.py``).

The embedded inbox answers filters, searches, sorts and field lists with its own engine
(``app/embedded/filters.py``), checked against this table in ``tests/embedded/test_filters.py``.
Here the same table is put to a real server holding the same rows, asked over REST by the same
user, so that "the embedded inbox answers as Directus would" is proven, not claimed.

The table fixes row ids and user ids, so it gets a server of its own (the session's shared one
already holds other tests' notifications): the rows are written with their ids, the three users
with theirs. The one asking, ``ME``, has a policy that reads every notification and user and no
app access, so the server's three-seat licence is not touched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.api import RestBackend, StaticToken
from app.api.rest import query_params
from app.errors import InboxError
from app.models import Query
from tests.support import filter_table as table
from tests.support.directus_server import RunningServer, ensure_installed, start_server

pytestmark = pytest.mark.server

ME_TOKEN = "filter-table-me-token"


def _admin(server: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.admin.token}"}, timeout=30)


def _checked(response: httpx.Response) -> Any:
    assert response.is_success, f"{response.request.method} {response.request.url.path}: {response.text[:500]}"
    return response.json() if response.content else None


def _write_rows(admin: httpx.Client, rows: list[tuple[Any, ...]]) -> None:
    """Create *rows* with their ids, then give them their timestamps (a create stamps its own)."""
    created = [{key: value for key, value in table.as_dict(row).items() if key != "timestamp"} for row in rows]
    _checked(admin.post("/notifications", json=created))
    _checked(admin.patch("/notifications", json=[{"id": row[0], "timestamp": row[1]} for row in rows]))


def _provision(server: RunningServer) -> None:
    with _admin(server) as admin:
        policy = _checked(
            admin.post("/policies", json={"name": "Filter table", "app_access": False, "admin_access": False})
        )["data"]["id"]
        _checked(
            admin.post(
                "/permissions",
                json=[
                    {"policy": policy, "collection": collection, "action": "read", "fields": ["*"], "permissions": {}}
                    for collection in ("directus_notifications", "directus_users")
                ],
            )
        )
        role = _checked(admin.post("/roles", json={"name": "Filter table", "policies": [{"policy": policy}]}))
        for user in table.USERS:
            extra = {"role": role["data"]["id"], "token": ME_TOKEN} if user == table.ME else {}
            _checked(admin.post("/users", json={**user.row(), "email_notifications": False, **extra}))
        _write_rows(admin, table.ROWS)


@pytest.fixture(scope="module")
def filter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("directus-filter-table"), ensure_installed())
    try:
        _provision(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def me(filter_server: RunningServer) -> AsyncIterator[RestBackend]:
    async with RestBackend(filter_server.url, StaticToken(ME_TOKEN)) as backend:
        yield backend


@pytest.fixture
def now_rows(filter_server: RunningServer) -> Iterator[None]:
    """The ``$NOW`` rows, placed around this moment; removed after the test."""
    rows = table.now_rows(datetime.now(UTC))
    with _admin(filter_server) as admin:
        _write_rows(admin, rows)
        try:
            yield
        finally:
            _checked(admin.request("DELETE", "/notifications", json=[row[0] for row in rows]))


async def ids(backend: RestBackend, **query: Any) -> list[int]:
    page = await backend.list_notifications(Query(limit=-1, fields=("id",), **query))
    return [item.id for item in page.items]


@pytest.mark.parametrize(("filter_obj", "expected"), table.MATCHES)
async def test_filter(me: RestBackend, filter_obj: dict[str, Any], expected: list[int]) -> None:
    assert await ids(me, filter=filter_obj, sort=("id",)) == expected


@pytest.mark.parametrize(("filter_obj", "expected"), table.NOW_MATCHES)
async def test_filter_relative_to_now(
    me: RestBackend, now_rows: None, filter_obj: dict[str, Any], expected: list[int]
) -> None:
    assert await ids(me, filter=table.among_now_rows(filter_obj), sort=("id",)) == expected


@pytest.mark.parametrize(("filter_obj", "refusal"), table.REFUSALS)
async def test_refused_filter(me: RestBackend, filter_obj: dict[str, Any], refusal: table.Refusal) -> None:
    with pytest.raises(InboxError) as caught:
        await ids(me, filter=filter_obj)
    refusal.check(caught.value)


@pytest.mark.parametrize(("text", "expected"), table.SEARCHES)
async def test_search(me: RestBackend, text: str, expected: list[int]) -> None:
    assert await ids(me, search=text, sort=("id",)) == expected


@pytest.mark.parametrize(("sort", "expected"), table.SORTS)
async def test_sort(me: RestBackend, sort: tuple[str, ...], expected: list[int]) -> None:
    assert await ids(me, sort=sort) == expected


@pytest.mark.parametrize(("sort", "refusal"), table.REFUSED_SORTS)
async def test_refused_sort(me: RestBackend, sort: tuple[str, ...], refusal: table.Refusal) -> None:
    with pytest.raises(InboxError) as caught:
        await ids(me, sort=sort)
    refusal.check(caught.value)


async def returned_fields(backend: RestBackend, fields: tuple[str, ...]) -> set[str]:
    """The fields of the full row that come back with a value, read from the server's JSON (a
    model would fill in what is missing)."""
    query = Query(filter={"id": {"_eq": table.FULL_ROW}}, fields=fields)
    body = await backend.client.call("GET", "/notifications", params=query_params(query))
    (row,) = body["data"]
    return {name for name, value in row.items() if value is not None}


@pytest.mark.parametrize(("fields", "expected"), table.FIELD_LISTS)
async def test_field_list(me: RestBackend, fields: tuple[str, ...], expected: set[str]) -> None:
    assert await returned_fields(me, fields) == expected


def test_the_table_holds_its_rows(filter_server: RunningServer) -> None:
    """The rows on the server are the table's, byte for byte (so a disagreement is about the query)."""
    with _admin(filter_server) as admin:
        body = _checked(
            admin.get("/notifications", params={"sort": "id", "limit": -1, "fields": ",".join(table.COLUMNS)})
        )
    assert [tuple(row[column] for column in table.COLUMNS) for row in body["data"]] == table.ROWS
