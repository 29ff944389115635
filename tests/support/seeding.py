"""Rows put straight into a real test server's database: thousands in a moment.

The API creates a notification in about 13 ms (events, activity, the e-mail step), so volumes for
paging and purging are written into the server's SQLite file instead. Directus keeps a timestamp
as milliseconds since the epoch and reads rows so written like its own (the tests that use this
read them back through the API). Only for seeding: everything under test goes through the API.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from tests.support.directus_server import RunningServer

Row = tuple[datetime | None, str]
"""A notification to write: its timestamp (``None``: none) and status."""


def server_rows(server: RunningServer, recipient: str, rows: Sequence[Row], marker: str) -> None:
    """Write *rows* for *recipient*, with the subjects "<marker> 0", "<marker> 1", ..."""
    with sqlite3.connect(server.workdir / "directus.db", timeout=30) as conn:
        conn.executemany(
            "INSERT INTO directus_notifications (timestamp, status, recipient, subject) VALUES (?, ?, ?, ?)",
            [
                (None if when is None else int(when.timestamp() * 1000), status, recipient, f"{marker} {index}")
                for index, (when, status) in enumerate(rows)
            ],
        )


def remove_rows(server: RunningServer, marker: str) -> None:
    """Delete every row *marker* wrote (also those a test left behind)."""
    with sqlite3.connect(server.workdir / "directus.db", timeout=30) as conn:
        conn.execute("DELETE FROM directus_notifications WHERE subject LIKE ?", (f"{marker} %",))
