"""Inboxes with chosen rows, and a second real Directus for the unified inbox's tests.

The embedded inbox applies Directus's filters and sorts (``tests/test_contract_filters.py`` holds it
to the real server), so the merge can be checked against it on thousands of rows in milliseconds;
what only a server does (refusing, dying, being slow) is tested against two real servers in
``tests/unified/test_servers.py``: the session's and ``second_directus``, a second process from
the same cached install on another port, started once per session when a test asks for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.embedded import EmbeddedBackend
from app.embedded.seed import CURRENT_USER
from tests.conftest import require_server_mark
from tests.support.directus_server import RunningServer, ensure_installed, start_server

Row = tuple[datetime | None, str]
"""A notification to put in an inbox: its timestamp (``None``: none) and status."""

START = datetime(2026, 1, 1, tzinfo=UTC)


def stamp(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def inbox_with(path: Path, rows: Sequence[Row]) -> EmbeddedBackend:
    """An embedded inbox at *path* holding exactly *rows* (ids 1, 2, ... in the order given)."""
    backend = EmbeddedBackend(path)
    await backend.prepare()
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO notifications (timestamp, status, recipient, subject) VALUES (?, ?, ?, ?)",
            [(stamp(when), status, CURRENT_USER.id, f"row {index}") for index, (when, status) in enumerate(rows)],
        )
    return backend


MakeInbox = Callable[[str, Sequence[Row]], Awaitable[EmbeddedBackend]]


@pytest.fixture
async def make_inbox(tmp_path: Path) -> AsyncIterator[MakeInbox]:
    made: list[EmbeddedBackend] = []

    async def make(name: str, rows: Sequence[Row]) -> EmbeddedBackend:
        backend = await inbox_with(tmp_path / f"{name}.sqlite3", rows)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.aclose()


def minutes(*offsets: float, status: str = "inbox") -> list[Row]:
    return [(START + timedelta(minutes=offset), status) for offset in offsets]


@pytest.fixture(scope="session")
def shared_second_directus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("second-directus"), ensure_installed())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def second_directus(request: pytest.FixtureRequest) -> RunningServer:
    """A second real Directus (its own admin, user and colleague), for two servers at once.

    A test that stops it must start it again (``start()``) before it ends.
    """
    require_server_mark(request)
    server: RunningServer = request.getfixturevalue("shared_second_directus")
    if not server.running:
        server.start()  # a test that failed halfway left it stopped
    return server
