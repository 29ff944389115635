"""The benchmark's inbox on a real Directus: N notifications for one ordinary user, written fast.

Creating 100,000 notifications through ``POST /notifications`` takes minutes; the rows go straight
into the server's SQLite database instead, in one transaction, while the server runs. That is
equivalent for everything the benchmark does: Directus keeps ``directus_notifications`` as plain
rows (``timestamp`` as epoch milliseconds, no index but the primary key) and caches no data
(``CACHE_ENABLED=false``). ``check_equivalent`` proves it on each run: a notification created
through the API and one written here read back the same, field by field, over REST.

The rows, newest first as the inbox shows them:

- ``bulk`` notifications whose subject holds ``SEARCH_TERM`` (searched, archived and deleted by
  the app), and ``bulk`` more holding ``FLOOR_TERM`` (deleted by the raw requests), spread
  evenly through the rest of the inbox;
- then ``archived`` notifications with status ``archived``, older than all the rest; the second
  of them (row 2 of Archived) is ``MEGABYTE_SUBJECT``, a 1 MB Markdown message. It is kept off the
  inbox so that a held j there measures the list, not this one message.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.directus_server import RunningServer

SEARCH_TERM = "quarterly-digest"
FLOOR_TERM = "weekly-roundup"
MEGABYTE_SUBJECT = "Megabyte report"
MEGABYTE_FIRST_LINE = "The megabyte report begins here."
ARCHIVED_PREFIX = "Archived note"

COLLECTIONS = ("articles", "pages", "products", "events", None)


def megabyte_message(size: int = 1_000_000) -> str:
    """About *size* characters of what a long report looks like: headings, lists, links, HTML."""
    block = (
        "## Section {n}\n\n"
        "Numbers for **region {n}** are in. Revenue grew by *{n}%* against the plan; see "
        "[the dashboard](https://example.com/dash/{n}) and <em>the notes</em> below.\n\n"
        "- orders: {n}00\n- returns: {n}\n- open tickets: <strong>{n}</strong>\n\n"
        "> Reviewed by the finance team. `ref-{n}`\n\n"
    )
    parts = [f"# {MEGABYTE_SUBJECT}\n\n{MEGABYTE_FIRST_LINE}\n\n"]
    length = len(parts[0])
    n = 0
    while length < size:
        n += 1
        text = block.format(n=n)
        parts.append(text)
        length += len(text)
    return "".join(parts)[:size]


@dataclass
class SeededInbox:
    size: int
    bulk: int
    archived: int
    floor_ids: list[int] = field(default_factory=list)
    newest_subject: str = ""
    last_subject: str = ""
    """The oldest notification in the inbox (the last row)."""

    @property
    def inbox_count(self) -> int:
        return self.size


def _subject(index: int) -> str:
    return f"Bench notification {index}: review the {('draft', 'layout', 'copy', 'images')[index % 4]}"


def _message(index: int) -> str:
    return (
        f"Hello, please have a look at item {index}. It was changed by the *content team* and needs a "
        f"review before Friday. [Open it](https://example.com/items/{index}) or reply here.\n\n"
        "> Thanks!"
    )


def seed(server: RunningServer, size: int, bulk: int, archived: int) -> SeededInbox:
    """Write the inbox described in the module's docstring for ``server.user``."""
    db = Path(server.workdir) / "directus.db"
    now_ms = int(time.time() * 1000)
    inbox = SeededInbox(size, bulk, archived)
    senders = (server.admin.id, server.colleague.id, None)
    rows: list[tuple[object, ...]] = []
    # Oldest first, so that ids grow with time, as they do when created one by one.
    for index in range(archived):
        megabyte = index == archived - 2
        rows.append(
            (
                now_ms - (size + archived - index) * 60_000,
                "archived",
                server.user.id,
                senders[index % 3],
                MEGABYTE_SUBJECT if megabyte else f"{ARCHIVED_PREFIX} {index}",
                megabyte_message() if megabyte else _message(index),
                "articles",
                str(index),
            )
        )
    special: dict[int, str] = {}
    step = max(1, size // max(1, 2 * bulk))
    marked = 0
    position = 0
    while marked < 2 * bulk and position < size:
        special[position] = SEARCH_TERM if marked % 2 == 0 else FLOOR_TERM
        marked += 1
        position += step
    terms: list[str] = []
    for index in range(size):
        kind = special.get(index)
        subject, message = _subject(index), _message(index)
        if kind is not None:
            subject = f"{kind} {index}: your numbers"
        collection = COLLECTIONS[index % len(COLLECTIONS)]
        rows.append(
            (
                now_ms - (size - index) * 60_000,
                "inbox",
                server.user.id,
                senders[index % 3],
                subject,
                message,
                collection,
                str(index) if collection else None,
            )
        )
        terms.append(kind or "")
    connection = sqlite3.connect(db, timeout=60)
    try:
        with connection:
            first = connection.execute("SELECT COALESCE(MAX(id), 0) FROM directus_notifications").fetchone()[0] + 1
            connection.executemany(
                "INSERT INTO directus_notifications (timestamp, status, recipient, sender, subject, message,"
                " collection, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    finally:
        connection.close()
    inbox_first_id = first + archived
    inbox.floor_ids = [inbox_first_id + i for i, term in enumerate(terms) if term == FLOOR_TERM]
    inbox.newest_subject = str(rows[-1][4])
    inbox.last_subject = str(rows[archived][4])
    return inbox


def _get(server: RunningServer, path: str) -> dict:
    request = urllib.request.Request(server.url + path, headers={"Authorization": f"Bearer {server.user.token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def check_equivalent(server: RunningServer, inbox: SeededInbox) -> None:
    """A row written here reads back over REST like one the API created; the counts are right."""
    created = _post_as_admin(
        server,
        {
            "recipient": server.user.id,
            "sender": server.colleague.id,
            "subject": "API-made",
            "message": "m",
            "collection": "articles",
            "item": "7",
        },
    )
    connection = sqlite3.connect(Path(server.workdir) / "directus.db", timeout=60)
    try:
        raw = connection.execute("SELECT * FROM directus_notifications WHERE id = ?", (created["id"],)).fetchone()
        with connection:
            cursor = connection.execute(
                "INSERT INTO directus_notifications (timestamp, status, recipient, sender, subject, message,"
                " collection, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                raw[1:],
            )
        written_id = cursor.lastrowid
        assert written_id is not None  # an INSERT into a rowid table sets it
    finally:
        connection.close()
    through_api = _get(server, f"/notifications/{created['id']}")["data"]
    written = _get(server, f"/notifications/{written_id}")["data"]
    if {**through_api, "id": None} != {**written, "id": None}:
        raise AssertionError(f"a row written to SQLite reads differently: {through_api} vs {written}")
    _delete_as_admin(server, [created["id"], written_id])
    meta = _get(server, "/notifications?limit=1&meta=filter_count&filter[status][_neq]=archived")["meta"]
    if meta["filter_count"] != inbox.inbox_count:
        raise AssertionError(f"the server holds {meta['filter_count']} in the inbox, not {inbox.inbox_count}")


def _admin_request(server: RunningServer, method: str, path: str, body: object) -> object:
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {server.admin.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def _post_as_admin(server: RunningServer, body: dict) -> dict:
    answer = _admin_request(server, "POST", "/notifications", body)
    assert isinstance(answer, dict)
    return answer["data"]


def _delete_as_admin(server: RunningServer, keys: list[int]) -> None:
    _admin_request(server, "DELETE", "/notifications", keys)
