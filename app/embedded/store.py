"""The embedded inbox: ``InboxBackend`` on a local SQLite file, behaving like a Directus 12 server.

One connection (``check_same_thread=False``) guarded by a lock; every call runs in a worker thread
through ``asyncio.to_thread``, so the event loop never waits on the disk. WAL mode lets another
process (the CLI while the TUI is open) read and write the same file.

The embedded user is an administrator of their own inbox. Where an admin and an ordinary Directus
user see different answers, this backend gives the ordinary user's (stricter, and what the app has
to handle anyway): updating an unknown id is "not found or not allowed", and a batch with an
unknown id changes nothing. See ``filters`` for how queries are answered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from app.backend import InboxBackend
from app.counts import GROUP_FIELDS, DayCount, GroupCount, GroupField, LocalDays, biggest_first
from app.embedded import seed as demo
from app.embedded.filters import (
    FilterContext,
    compile_filter,
    compile_search,
    compile_sort,
    format_timestamp,
    select_fields,
)
from app.embedded.schema import (
    INSERT_NOTIFICATION,
    INSERTED_COLUMNS,
    NOTIFICATION_COLUMNS,
    SCHEMA,
    USER_COLUMNS,
)
from app.errors import InboxError, InvalidInputError, PayloadTooLargeError, not_found_or_forbidden
from app.models import (
    INBOX,
    NOTIFICATION_FIELDS,
    USER_RELATIONS,
    BackendInfo,
    Capabilities,
    Notification,
    NotificationChanges,
    NotificationDraft,
    Page,
    Query,
    User,
)
from app.secrecy import data_dir, private_data_dir, private_dir, private_file, tighten_if_present

DEFAULT_DEMO_SIZE = 300
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
SCHEMA_VERSION = "1"

T = TypeVar("T")

_COLUMNS = ", ".join(f"n.{name}" for name in NOTIFICATION_COLUMNS)
_USER_COLUMNS = ", ".join(USER_COLUMNS)
_REQUIRED = tuple(name for name, field in NOTIFICATION_FIELDS.items() if field.required)


def default_path(demo_size: int | None = None) -> Path:
    """Where the embedded inbox lives by default; a demo of another size gets its own file."""
    name = "embedded-inbox.sqlite3" if demo_size is None else f"embedded-inbox-{demo_size}.sqlite3"
    return data_dir() / name


def now_timestamp() -> str:
    return format_timestamp(datetime.now(UTC))


def invalid_foreign_key(field: str, value: Any) -> InvalidInputError:
    return InvalidInputError(
        f'Invalid foreign key: there is no user "{value}" for "{field}".', code="INVALID_FOREIGN_KEY", status=400
    )


def required(field: str) -> InvalidInputError:
    return InvalidInputError(
        f'Validation failed for field "{field}". Value can\'t be null.', code="FAILED_VALIDATION", status=400
    )


MAX_PAYLOAD_BYTES = 1024 * 1024
"""Directus's default MAX_PAYLOAD_SIZE ("1mb"): the embedded inbox refuses what a server would."""


def check_payload_size(payload: Any) -> None:
    size = len(json.dumps(payload).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"The request is {size // 1024} KB, more than the 1 MB a Directus server accepts; shorten the message.",
            code="INVALID_PAYLOAD",
            status=400,
        )


class EmbeddedBackend(InboxBackend):
    """An inbox in a SQLite file. ``seed`` fills a brand-new file with that many demo notifications
    (``0``: the demo users only); ``None`` leaves it empty but for the current user."""

    def __init__(self, path: Path | str, *, seed: int | None = None) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        location = str(path)
        if self.path is not None:
            # The inbox is the user's alone: the file (and SQLite's -wal and -shm, which take its
            # mode) 0600, made before SQLite would make it with the umask's 0644.
            private_dir(self.path.parent, tighten=False)
            private_file(self.path)
            for companion in SQLITE_COMPANIONS:
                tighten_if_present(self.path.with_name(self.path.name + companion))
            location = str(self.path)
        self.info = BackendInfo(kind="embedded", location=location, public_url=None)
        self._seed = seed
        self._lock = threading.Lock()
        self._ready = False
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            location,
            check_same_thread=False,
            isolation_level=None,
            timeout=30.0,
        )
        self._conn.row_factory = sqlite3.Row
        self.seed_count = 0
        """How many notifications this instance seeded (0 when the file already had data)."""

    @classmethod
    def open_default(cls, demo_size: int | None = None) -> EmbeddedBackend:
        """The inbox at ``default_path``; seeded with 300 (or ``demo_size``) notifications on first run."""
        private_data_dir()
        return cls(default_path(demo_size), seed=DEFAULT_DEMO_SIZE if demo_size is None else demo_size)

    # --- plumbing --------------------------------------------------------------------------------
    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(self._locked, fn, *args)

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            conn = self._conn
            if conn is None:
                raise InboxError("The embedded inbox is closed.")
            if not self._ready:
                self._prepare(conn)
                self._ready = True
            return fn(conn, *args)

    async def prepare(self) -> None:
        """Create the schema and seed a new file now, rather than on the first call."""
        await self._call(lambda conn: None)

    def _prepare(self, conn: sqlite3.Connection) -> None:
        if self.path is not None:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-32000")
        conn.executescript(SCHEMA)
        with _transaction(conn, immediate=True):
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            demo.insert_users(conn, (demo.CURRENT_USER,))
            if self._seed is None:
                return
            seeded = conn.execute("SELECT value FROM meta WHERE key = 'seeded'").fetchone()
            ever = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'notifications'").fetchone()
            if seeded is None and ever is None:
                self.seed_count = demo.seed(conn, self._seed)
                conn.execute("INSERT INTO meta (key, value) VALUES ('seeded', ?)", (str(self._seed),))

    async def aclose(self) -> None:
        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)

    # --- reading ---------------------------------------------------------------------------------
    def _context(self, conn: sqlite3.Connection) -> FilterContext:
        row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (demo.CURRENT_USER.id,)).fetchone()
        return FilterContext(current_user=dict(row) if row else {"id": demo.CURRENT_USER.id})

    async def list_notifications(self, query: Query) -> Page:
        return await self._call(self._list, query)

    def _condition(self, conn: sqlite3.Connection, query: Query) -> tuple[str, list[Any]]:
        """*query*'s filter and search as a WHERE clause on ``notifications AS n``, and its parameters."""
        where = compile_filter(query.combined_filter(), self._context(conn))
        clauses, params = [where.sql], list(where.params)
        search = compile_search(query.search)
        if search is not None:
            clauses.append(search.sql)
            params.extend(search.params)
        return " AND ".join(clauses), params

    def _list(self, conn: sqlite3.Connection, query: Query) -> Page:
        selection = select_fields(query.fields)
        condition, params = self._condition(conn, query)
        order = compile_sort(query.sort)
        offset = query.effective_offset
        with _transaction(conn):
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM notifications AS n WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, query.limit, offset],
            ).fetchall()
            filter_count = conn.execute(
                f"SELECT COUNT(*) FROM notifications AS n WHERE {condition}", params
            ).fetchone()[0]
            total_count = conn.execute("SELECT COUNT(*) FROM notifications").fetchone()[0]
            items = self._to_notifications(rows, selection)
        return Page(items=items, total_count=total_count, filter_count=filter_count, offset=offset, limit=query.limit)

    # --- counting --------------------------------------------------------------------------------
    async def count_by(self, query: Query, field: GroupField, *, limit: int | None = None) -> list[GroupCount]:
        if field not in GROUP_FIELDS:
            raise InvalidInputError(f"Cannot count by {field!r}: choose one of {', '.join(GROUP_FIELDS)}.")
        return await self._call(self._count_by, query, field, -1 if limit is None else limit)

    def _count_by(self, conn: sqlite3.Connection, query: Query, field: GroupField, limit: int) -> list[GroupCount]:
        condition, params = self._condition(conn, query)
        rows = conn.execute(
            f"SELECT n.{field}, COUNT(*) FROM notifications AS n WHERE {condition} GROUP BY n.{field}"
            f" ORDER BY COUNT(*) DESC, n.{field} IS NULL, n.{field} LIMIT ?",
            [*params, limit],
        ).fetchall()
        return biggest_first(GroupCount(value, count) for value, count in rows)

    async def count_per_day(self, query: Query, days: LocalDays) -> list[DayCount]:
        return await self._call(self._count_per_day, query, days)

    def _count_per_day(self, conn: sqlite3.Connection, query: Query, days: LocalDays) -> list[DayCount]:
        # The local days' bounds are worked out here, so SQLite counts the user's days exactly (in any
        # zone) in one statement; stored timestamps compare as text (``format_timestamp``).
        condition, params = self._condition(conn, query)
        bounds = [format_timestamp(bound) for bound in days.bounds()]
        spans = json.dumps(list(itertools.pairwise(bounds)))
        rows = conn.execute(
            "SELECT day.key, COUNT(*) FROM json_each(?) AS day JOIN notifications AS n"
            " ON n.timestamp >= json_extract(day.value, '$[0]') AND n.timestamp < json_extract(day.value, '$[1]')"
            f" WHERE {condition} GROUP BY day.key",
            [spans, *params],
        ).fetchall()
        counts = dict(rows)
        return [DayCount(day, counts.get(index, 0)) for index, day in enumerate(days.dates)]

    @staticmethod
    def _to_notifications(rows: Iterable[sqlite3.Row], selection: frozenset[str] | None = None) -> list[Notification]:
        """Rows as notifications; with a *selection*, the fields it does not name are left empty."""
        result = []
        for row in rows:
            data = dict(row)
            if selection is not None:
                data = {name: (value if name in selection else None) for name, value in data.items()}
            result.append(Notification.model_validate(data))
        return result

    async def get(self, notification_id: int) -> Notification:
        return await self._call(self._get, notification_id)

    def _get(self, conn: sqlite3.Connection, notification_id: int) -> Notification:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM notifications AS n WHERE n.id = ?", (int(notification_id),)
        ).fetchone()
        if row is None:
            raise not_found_or_forbidden(notification_id)
        return self._to_notifications([row])[0]

    def _read_many(self, conn: sqlite3.Connection, ids: Sequence[int]) -> list[Notification]:
        rows = _select_in(conn, f"SELECT {_COLUMNS} FROM notifications AS n", "n.id", ids, order="n.id")
        return self._to_notifications(rows)

    # --- writing ---------------------------------------------------------------------------------
    def _check_users(self, conn: sqlite3.Connection, payloads: Sequence[dict[str, Any]]) -> None:
        wanted = {payload[key] for payload in payloads for key in USER_RELATIONS if payload.get(key) is not None}
        known = {row[0] for row in _select_in(conn, "SELECT id FROM users", "id", sorted(wanted))}
        for payload in payloads:
            for key in USER_RELATIONS:
                value = payload.get(key)
                if value is not None and value not in known:
                    raise invalid_foreign_key(key, value)

    async def create(self, draft: NotificationDraft) -> Notification:
        return (await self._call(self._create, [draft]))[0]

    async def create_many(self, drafts: Sequence[NotificationDraft]) -> list[Notification]:
        if not drafts:
            return []
        return await self._call(self._create, list(drafts))

    def _create(self, conn: sqlite3.Connection, drafts: Sequence[NotificationDraft]) -> list[Notification]:
        payloads = [draft.payload() for draft in drafts]
        check_payload_size(payloads)
        ids: list[int] = []
        with _transaction(conn, immediate=True):
            self._check_users(conn, payloads)
            for payload in payloads:
                row = {**payload, "timestamp": now_timestamp(), "status": payload.get("status", INBOX)}
                cursor = conn.execute(INSERT_NOTIFICATION, [row.get(column) for column in INSERTED_COLUMNS])
                assert cursor.lastrowid is not None  # an INSERT into a rowid table always sets it
                ids.append(cursor.lastrowid)
            created = {item.id: item for item in self._read_many(conn, ids)}
        return [created[key] for key in ids]

    async def update(self, notification_id: int, changes: NotificationChanges) -> Notification:
        return (await self._call(self._update, [int(notification_id)], changes))[0]

    async def _update_batch(self, keys: Sequence[int], changes: NotificationChanges) -> list[Notification]:
        # The embedded user is an admin, and Directus skips an admin's unknown keys in a batch.
        return await self._call(self._update, [int(key) for key in keys], changes, True)

    def _update(
        self, conn: sqlite3.Connection, keys: Sequence[int], changes: NotificationChanges, skip_unknown: bool = False
    ) -> list[Notification]:
        try:
            payload = changes.payload()
        except ValueError as error:
            raise InvalidInputError(str(error), code="INVALID_PAYLOAD", status=400) from None
        for field in _REQUIRED:
            if field in payload and payload[field] is None:
                raise required(field)
        check_payload_size(payload)
        keys = list(dict.fromkeys(keys))
        if not keys:
            return []
        with _transaction(conn, immediate=True):
            found = {row[0] for row in _select_in(conn, "SELECT id FROM notifications", "id", keys)}
            if skip_unknown:
                keys = [key for key in keys if key in found]
            for key in keys:
                if key not in found:
                    raise not_found_or_forbidden(key)
            self._check_users(conn, [payload])
            assignments = ", ".join(f"{name} = ?" for name in payload)
            _execute_in(conn, f"UPDATE notifications SET {assignments}", "id", keys, list(payload.values()))
            return self._read_many(conn, keys)

    async def delete(self, notification_id: int) -> None:
        await self._call(self._delete, [int(notification_id)])

    async def _delete_batch(self, keys: Sequence[int]) -> None:
        await self._call(self._delete, [int(key) for key in keys])

    def _delete(self, conn: sqlite3.Connection, keys: Sequence[int]) -> None:
        if not keys:
            return
        with _transaction(conn, immediate=True):
            _execute_in(conn, "DELETE FROM notifications", "id", list(dict.fromkeys(keys)))

    # --- users and permissions -------------------------------------------------------------------
    async def me(self) -> User:
        def read(conn: sqlite3.Connection) -> User:
            return User.model_validate(self._context(conn).current_user)

        return await self._call(read)

    async def users(
        self, *, search: str | None = None, ids: Iterable[str] | None = None, limit: int = 100
    ) -> list[User]:
        id_list = None if ids is None else [str(value) for value in ids]
        return await self._call(self._users, search, id_list, limit)

    def _users(self, conn: sqlite3.Connection, search: str | None, ids: list[str] | None, limit: int) -> list[User]:
        clauses: list[str] = []
        params: list[Any] = []
        if ids is not None:
            if not ids:
                return []
            clauses.append("id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(ids))
        if search:
            term = search.strip() or search
            pattern = f"%{term.lower()}%"
            clauses.append("(LOWER(first_name) LIKE ? OR LOWER(last_name) LIKE ? OR LOWER(email) LIKE ? OR id = ?)")
            params.extend([pattern, pattern, pattern, term.lower()])
        where = " AND ".join(clauses) or "1"
        rows = conn.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE {where} "
            "ORDER BY COALESCE(first_name, '') COLLATE NOCASE, COALESCE(last_name, '') COLLATE NOCASE, "
            "COALESCE(email, '') COLLATE NOCASE, id LIMIT ?",
            [*params, -1 if limit is None or limit < 0 else limit],
        ).fetchall()
        return [User.model_validate(dict(row)) for row in rows]

    async def capabilities(self) -> Capabilities:
        return Capabilities.everything(admin=True)


# --- helpers ---------------------------------------------------------------------------------------


class _transaction:
    """``BEGIN`` … ``COMMIT`` on an autocommit connection; rolls back on any error."""

    def __init__(self, conn: sqlite3.Connection, *, immediate: bool = False) -> None:
        self.conn = conn
        self.immediate = immediate

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE" if self.immediate else "BEGIN")
        return self.conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


def _select_in(
    conn: sqlite3.Connection, select: str, column: str, values: Sequence[Any], order: str | None = None
) -> list[sqlite3.Row]:
    """``select WHERE column IN values``, for any number of values (one JSON parameter)."""
    if not values:
        return []
    sql = f"{select} WHERE {column} IN (SELECT value FROM json_each(?))"
    if order:
        sql += f" ORDER BY {order}"
    return conn.execute(sql, (json.dumps(list(values)),)).fetchall()


def _execute_in(
    conn: sqlite3.Connection, statement: str, column: str, values: Sequence[Any], params: Sequence[Any] = ()
) -> int:
    cursor = conn.execute(
        f"{statement} WHERE {column} IN (SELECT value FROM json_each(?))", (*params, json.dumps(list(values)))
    )
    return cursor.rowcount
