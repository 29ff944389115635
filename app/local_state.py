"""What the inbox remembers on this machine, since the server has no place for it: snoozes, and
when the inbox was last looked at.

One JSON file per account (server or embedded inbox, and user) in ``<user data dir>/state/``,
private (the folder ``0700``, the file ``0600``). Every change is read-modify-write under a lock
(``fcntl.flock`` on a ``.lock`` file beside it: the TUI and a ``directus-inbox snooze`` in another
terminal cannot lose each other's change) and lands by writing a temporary file, ``fsync`` and a
rename over the old one, so a crash mid-write leaves the previous state whole; a reader needs no
lock. A file that cannot be read is moved aside (``*.corrupt-<time>.json``, named in
``StateFile.recovered``) and the state starts empty, rather than the inbox failing to open.

A snooze hides a notification from the Inbox until a moment (``LocalState.waiting``: leave those
ids out of the Inbox query with ``app.triage.without_ids``); once that moment has passed it is
due, and ``release_due`` hands back the due notifications still in the inbox — to be shown again,
at the top and marked — and drops their snoozes. A snoozed notification archived or deleted
elsewhere is simply dropped when its time comes (or by ``forget_gone``): it never comes back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from app.backend import InboxBackend
from app.models import ARCHIVED, MAX_PAGE, Filter, Notification, Query
from app.secrecy import data_dir, private_data_dir, private_dir
from app.when import aware_now, iso_utc

try:
    import fcntl
except ImportError:  # not POSIX: changes are still atomic, but two processes may race
    fcntl = None  # type: ignore[assignment]

STATE = "state"
STATE_VERSION = 1


def state_dir() -> Path:
    return data_dir() / STATE


@dataclass(frozen=True)
class LastSeen:
    """When the inbox was last looked at, and the newest notification it showed then."""

    at: datetime
    newest_id: int | None = None

    def is_new(self, notification: Notification) -> bool:
        """Whether *notification* arrived since: by id when known (the server's ids only grow, and
        a server clock behind this one cannot hide it), else by timestamp."""
        if self.newest_id is not None:
            return notification.id > self.newest_id
        return notification.timestamp is not None and notification.timestamp > self.at

    def new_filter(self) -> Filter:
        """The notifications that arrived since, as a Directus filter (to count them on the server)."""
        if self.newest_id is not None:
            return {"id": {"_gt": self.newest_id}}
        return {"timestamp": {"_gt": iso_utc(self.at)}}


@dataclass(frozen=True)
class LocalState:
    """The state as read at one moment; ``StateFile`` reads and changes it."""

    snoozes: Mapping[int, datetime] = field(default_factory=lambda: MappingProxyType({}))
    """Notification id -> the moment it comes back (aware)."""
    last_seen: LastSeen | None = None

    def waiting(self, now: datetime | None = None) -> dict[int, datetime]:
        """The snoozes still hiding their notification, soonest first."""
        now = aware_now(now)
        return dict(sorted(((key, until) for key, until in self.snoozes.items() if until > now), key=_by_time))

    def due(self, now: datetime | None = None) -> dict[int, datetime]:
        """The snoozes whose moment has come, earliest first."""
        now = aware_now(now)
        return dict(sorted(((key, until) for key, until in self.snoozes.items() if until <= now), key=_by_time))

    def next_due(self, now: datetime | None = None) -> datetime | None:
        """When the next waiting snooze comes back (to wake up for it); ``None`` if none waits."""
        return min(self.waiting(now).values(), default=None)


def _by_time(entry: tuple[int, datetime]) -> tuple[datetime, int]:
    return entry[1], entry[0]


class _Stored(BaseModel):
    """The file's JSON."""

    model_config = ConfigDict(extra="ignore")

    version: int = STATE_VERSION
    snoozes: dict[int, AwareDatetime] = Field(default_factory=dict)
    last_seen: AwareDatetime | None = None
    newest_seen_id: int | None = None

    def state(self) -> LocalState:
        seen = None if self.last_seen is None else LastSeen(self.last_seen, self.newest_seen_id)
        return LocalState(MappingProxyType(dict(self.snoozes)), seen)

    @classmethod
    def of(cls, state: LocalState) -> _Stored:
        seen = state.last_seen
        return cls(
            snoozes={key: until.astimezone(UTC) for key, until in state.snoozes.items()},
            last_seen=None if seen is None else seen.at.astimezone(UTC),
            newest_seen_id=None if seen is None else seen.newest_id,
        )


class StateFile:
    """The local state of one account, at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.recovered: Path | None = None
        """Where an unreadable state file was moved (the state then started empty)."""

    @classmethod
    def for_account(cls, location: str, user_id: str, directory: Path | None = None) -> StateFile:
        """The state of *user_id* on the inbox at *location* (a server URL or a SQLite file)."""
        account = hashlib.sha256(f"{location}\n{user_id}".encode()).hexdigest()[:16]
        return cls((directory or state_dir()) / f"{account}.json")

    # --- reading ---------------------------------------------------------------------------------
    def load(self) -> LocalState:
        """The state as the file holds it now (empty when there is none)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return LocalState()
        except OSError:
            return self._set_aside()
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return _Stored.model_validate(data).state()
        except (ValueError, ValidationError, UnicodeDecodeError):
            return self._set_aside()

    # --- changing --------------------------------------------------------------------------------
    def snooze(self, ids: Iterable[int], until: datetime) -> LocalState:
        """Hide *ids* until *until* (an aware moment); a snoozed id gets the new moment."""
        until = _utc(until, "until")
        keys = [int(key) for key in ids]

        def change(state: LocalState) -> LocalState:
            return LocalState(MappingProxyType({**state.snoozes, **dict.fromkeys(keys, until)}), state.last_seen)

        return self._change(change)

    def unsnooze(self, ids: Iterable[int]) -> LocalState:
        """Drop the snoozes of *ids* (those without one are left as they are)."""
        drop = {int(key) for key in ids}

        def change(state: LocalState) -> LocalState:
            kept = {key: until for key, until in state.snoozes.items() if key not in drop}
            return LocalState(MappingProxyType(kept), state.last_seen)

        return self._change(change)

    def mark_seen(self, at: datetime, newest_id: int | None = None) -> LocalState:
        """The inbox was looked at, at *at*, its newest notification *newest_id*. Never moves back:
        an older moment or id (another window, a clock set back) keeps the newer one."""
        at = _utc(at, "at")

        def change(state: LocalState) -> LocalState:
            seen = state.last_seen
            if seen is None:
                return LocalState(state.snoozes, LastSeen(at, newest_id))
            ids = [key for key in (seen.newest_id, newest_id) if key is not None]
            return LocalState(state.snoozes, LastSeen(max(at, seen.at), max(ids, default=None)))

        return self._change(change)

    def _drop(self, entries: Mapping[int, datetime]) -> LocalState:
        """Drop the snoozes *entries* name, each only if it still ends at the same moment (one
        snoozed again meanwhile, by another window, stays)."""

        def change(state: LocalState) -> LocalState:
            kept = {key: until for key, until in state.snoozes.items() if entries.get(key) != until}
            return LocalState(MappingProxyType(kept), state.last_seen)

        return self._change(change)

    # --- with the server -------------------------------------------------------------------------
    async def release_due(self, backend: InboxBackend, now: datetime | None = None) -> list[Notification]:
        """The due notifications that are still in the inbox, earliest due first, to show again; every
        due snooze is dropped (one archived or deleted elsewhere never comes back)."""
        due = self.load().due(now)
        if not due:
            return []
        present = await in_inbox(backend, due)
        self._drop(due)
        return [present[key] for key in due if key in present]

    async def forget_gone(self, backend: InboxBackend) -> list[int]:
        """Drop the snoozes of notifications no longer in the inbox (archived, deleted, not the
        user's); the ids dropped."""
        snoozes = self.load().snoozes
        present = await in_inbox(backend, snoozes)
        gone = {key: until for key, until in snoozes.items() if key not in present}
        if gone:
            self._drop(gone)
        return list(gone)

    def _change(self, change: Callable[[LocalState], LocalState]) -> LocalState:
        """Read, change and write the state, holding the lock throughout; the new state."""
        self._prepare_dir()
        with self._locked():
            state = change(self.load())
            self._write(state)
            return state

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        lock = self.path.with_name(self.path.name + ".lock")
        descriptor = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def _write(self, state: LocalState) -> None:
        data = _Stored.of(state).model_dump(mode="json")
        # mkstemp makes the file 0600, and the rename keeps that.
        handle, temp_name = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as temp:
                json.dump(data, temp, indent=1, sort_keys=True)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _sync_dir(self.path.parent)

    def _prepare_dir(self) -> None:
        if self.path.parent == state_dir():
            private_data_dir(STATE)
        else:
            private_dir(self.path.parent, tighten=False)

    def _set_aside(self) -> LocalState:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}.json")
        try:
            os.replace(self.path, target)
        except OSError:
            return LocalState()
        self.recovered = target
        return LocalState()


async def in_inbox(backend: InboxBackend, ids: Iterable[int]) -> dict[int, Notification]:
    """Which of *ids* are the current user's and not archived, as the server holds them now."""
    wanted = sorted({int(key) for key in ids})
    found: dict[int, Notification] = {}
    for start in range(0, len(wanted), MAX_PAGE):
        chunk = wanted[start : start + MAX_PAGE]
        query = Query(
            mine=True,
            filter={"_and": [{"id": {"_in": chunk}}, {"status": {"_neq": ARCHIVED}}]},
            sort=("id",),
            limit=len(chunk),
        )
        found.update((item.id, item) for item in (await backend.list_notifications(query)).items)
    return found


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


def _sync_dir(directory: Path) -> None:
    """Make a rename in *directory* durable (POSIX; elsewhere the rename is all there is)."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
