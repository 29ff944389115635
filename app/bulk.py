"""Changing many notifications, and saying exactly what happened — for the CLI and the TUI alike.

Archive (or any change of status), delete, undo, and collecting every notification a query
matches. Nothing here raises ``InboxError``: each operation returns what the server holds
afterwards, key by key. When a request's outcome is unknown (a timeout, a dropped connection, a
chunk failing mid-batch) the server is asked before anything is reported (``InboxBackend.
apply_update``); when it cannot be asked, the keys concerned are ``unknown``, never "back".

A UI can say from a result alone, without another request: "3 archived, 2 could not be: …",
offer ``undo`` for exactly ``undoable``, take ``vanished`` keys out of its list and selection, and
put ``unchanged`` ones back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.backend import BatchOutcome, InboxBackend, Progress, failure_of
from app.errors import InboxError, format_keys, still_at_work
from app.models import ARCHIVED, INBOX, NotificationChanges, Query


@dataclass(frozen=True)
class StatusChange:
    """What became of a change of status, key by key, as the server holds it afterwards.

    Every key of ``wanted`` is in exactly one of ``changed`` (it holds the status wanted),
    ``unchanged`` (it kept another), ``vanished`` (not found, or not the user's to see: deleted
    elsewhere) and ``unknown`` (the server could not be asked, or timed out and may still act).
    """

    wanted: Mapping[int, str]
    """Each key's status asked for (one status for an archive; each its own for an undo)."""
    before: Mapping[int, str]
    """Each key's status before, where the caller knew it (what an undo goes back to)."""
    changed: tuple[int, ...] = ()
    unchanged: tuple[int, ...] = ()
    vanished: tuple[int, ...] = ()
    unknown: tuple[int, ...] = ()
    error: InboxError | None = None
    """The first failure met — also when asking the server then showed that all was done."""

    @property
    def complete(self) -> bool:
        """Every key holds the status wanted."""
        return len(self.changed) == len(self.wanted)

    @property
    def verified(self) -> bool:
        """Every key's fate is known: from the server's answers, or from asking it after a failure."""
        return not self.unknown

    @property
    def answer_lost(self) -> bool:
        """A request failed, yet the server, asked, holds everything done."""
        return self.complete and self.error is not None

    @property
    def undoable(self) -> dict[int, str]:
        """What an undo puts back: each key that changed, with its status before.

        Keys whose status before is not known, or was already the one wanted, are left out; so are
        ``unknown`` ones until ``recheck`` (which ``undo`` does first) finds that they changed.
        """
        changed = set(self.changed)
        return {key: status for key, status in self.before.items() if key in changed and status != self.wanted.get(key)}

    @property
    def new_status(self) -> str | None:
        """The one status asked for, or ``None`` when keys were asked for different ones (an undo)."""
        statuses = set(self.wanted.values())
        return statuses.pop() if len(statuses) == 1 else None

    def failure(self) -> InboxError | None:
        """One error for what was not done (``None`` when everything was): the vanished keys'
        "not found", the failure itself, or "Could not update N of M notifications: …"."""
        return failure_of("update", tuple(self.wanted), self.changed, self.vanished, self.error)


@dataclass(frozen=True)
class Deletion:
    """What became of a delete, key by key: ``deleted`` (the server no longer holds it — also one
    that was gone already, which Directus does not tell apart), ``kept``, ``vanished`` (found gone
    when the server refused the batch for it) and ``unknown``."""

    keys: tuple[int, ...]
    deleted: tuple[int, ...] = ()
    kept: tuple[int, ...] = ()
    vanished: tuple[int, ...] = ()
    unknown: tuple[int, ...] = ()
    error: InboxError | None = None

    @property
    def complete(self) -> bool:
        return len(self.deleted) == len(self.keys)

    @property
    def verified(self) -> bool:
        return not self.unknown

    def failure(self) -> InboxError | None:
        """As ``StatusChange.failure``, "Could not delete N of M notifications: …"."""
        return failure_of("delete", self.keys, self.deleted, self.vanished, self.error)


@dataclass
class _Progress:
    """Progress over several batch operations (an undo to several statuses) as one bar."""

    report: Progress | None
    total: int
    base: int = 0

    def part(self) -> Progress:
        base = self.base

        def report(done: int, total: int) -> None:
            if self.report is not None:
                self.report(base + done, self.total)

        return report

    def advance(self, count: int) -> None:
        self.base += count


# --- the operations ----------------------------------------------------------------------------


async def change_status(
    backend: InboxBackend,
    keys: Iterable[int],
    new_status: str,
    *,
    before: Mapping[int, str] | None = None,
    progress: Progress | None = None,
) -> StatusChange:
    """Give every key *new_status* (archive: ``ARCHIVED``; back to the inbox: ``INBOX``).

    *before* is each key's status as the caller knows it (the rows on screen, or ``matching``'s
    answer); it is what ``undo`` puts back. *progress* is called with (done, total) per chunk.
    """
    wanted = dict.fromkeys((int(key) for key in keys), new_status)
    return await set_statuses(backend, wanted, before=before or {}, progress=progress)


async def undo(backend: InboxBackend, change: StatusChange, progress: Progress | None = None) -> StatusChange:
    """Put back what *change* changed: each key of ``change.undoable`` to its status before, after
    asking the server about the keys whose fate was unknown (``recheck``).

    The result is a ``StatusChange`` like any other: its own ``undoable`` redoes the change; when
    it is not ``complete`` (the server died meanwhile), undoing *change* again is safe — a status
    put back twice is put back once.
    """
    plan = (await recheck(backend, change)).undoable
    return await set_statuses(backend, plan, before={key: change.wanted[key] for key in plan}, progress=progress)


async def set_statuses(
    backend: InboxBackend,
    wanted: Mapping[int, str],
    *,
    before: Mapping[int, str],
    progress: Progress | None = None,
) -> StatusChange:
    """Give each key its own status (one batch operation per status), and say what each holds."""
    by_status: dict[str, list[int]] = {}
    for key, status in wanted.items():
        by_status.setdefault(status, []).append(key)
    bar = _Progress(progress, len(wanted))
    outcomes: list[BatchOutcome] = []
    for status, keys in by_status.items():
        outcome = await backend.apply_update(keys, NotificationChanges(status=status), bar.part())
        outcomes.append(outcome)
        bar.advance(len(keys))
        if outcome.unchanged or outcome.unknown:
            break  # as within one batch: after a failure, the rest is never sent
    asked = {key for outcome in outcomes for key in outcome.keys}
    return StatusChange(
        wanted=dict(wanted),
        before={key: status for key, status in before.items() if key in wanted},
        changed=tuple(key for outcome in outcomes for key in outcome.done),
        unchanged=tuple(key for outcome in outcomes for key in outcome.unchanged)
        + tuple(key for key in wanted if key not in asked),
        vanished=tuple(key for outcome in outcomes for key in outcome.vanished),
        unknown=tuple(key for outcome in outcomes for key in outcome.unknown),
        error=next((outcome.error for outcome in outcomes if outcome.error is not None), None),
    )


async def recheck(backend: InboxBackend, change: StatusChange) -> StatusChange:
    """Ask the server again about ``change.unknown`` (once it is reachable again), and file them.

    On a failure to ask, the same ``change`` comes back.
    """
    if not change.unknown:
        return change
    try:
        held = await backend.held(change.unknown)
    except InboxError:
        return change
    changed = [key for key in change.unknown if key in held and held[key].status == change.wanted[key]]
    vanished = [key for key in change.unknown if key not in held]
    unchanged = [key for key in change.unknown if key in held and key not in changed]
    return StatusChange(
        wanted=change.wanted,
        before=change.before,
        changed=change.changed + tuple(changed),
        unchanged=change.unchanged + tuple(unchanged),
        vanished=change.vanished + tuple(vanished),
        error=change.error,
    )


async def delete(backend: InboxBackend, keys: Iterable[int], progress: Progress | None = None) -> Deletion:
    """Delete every key, and say what the server then holds for each."""
    outcome = await backend.apply_delete(keys, progress)
    return Deletion(
        keys=outcome.keys,
        deleted=outcome.done,
        kept=outcome.unchanged,
        vanished=outcome.vanished,
        unknown=outcome.unknown,
        error=outcome.error,
    )


async def matching(backend: InboxBackend, query: Query, progress: Progress | None = None) -> dict[int, str]:
    """Every notification *query* matches on the server: id -> status, in one request.

    Only the filter and search of *query* count (its sort, fields and window are replaced). One
    request for all (ids and statuses only: 100,000 are about 3 MB): each request of a search
    scans the whole inbox on the server, so 20 pages of 500 cost 20 scans (6 s of an archive of
    10,000). *progress* is called once, with (found, found). Raises ``InboxError``.
    """
    everything = query.model_copy(
        update={"fields": ("id", "status"), "sort": ("id",), "limit": -1, "offset": 0, "page": None}
    )
    page = await backend.list_notifications(everything)
    found = {item.id: item.status for item in page.items}
    if progress is not None:
        progress(len(found), len(found))
    return found


# --- in words -----------------------------------------------------------------------------------


def plural(count: int, noun: str = "notification") -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def status_done(status: str | None) -> str:
    """ "archived", "moved to the inbox", "set to “read”", or "put back" (an undo)."""
    if status == ARCHIVED:
        return "archived"
    if status == INBOX:
        return "moved to the inbox"
    return "put back" if status is None else f"set to “{status}”"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


KeysText = Callable[[Sequence[int]], str]
"""How keys are written in a sentence: ``format_keys``, or a unified inbox's ``describe_keys`` ("work:12")."""


def describe_status_change(change: StatusChange, keys_text: KeysText = format_keys) -> str:
    """The whole story in a sentence or three, e.g. "3 of 5 notifications archived. 1 was not found,
    or you may not see it: 12. 1 could not be archived: 14 (The server failed: …)."."""
    done = status_done(change.new_status)
    total = len(change.wanted)
    if change.complete:
        text = f"{_sentence(plural(total))} {done}."
        if change.answer_lost:
            text += " (The answer was lost; the server, asked, holds the change.)"
        return text
    parts = [f"{len(change.changed):,} of {plural(total)} {done}."]
    parts += _problems(done, change.unchanged, change.vanished, change.unknown, change.error, keys_text)
    return " ".join(parts)


def describe_deletion(deletion: Deletion, keys_text: KeysText = format_keys) -> str:
    """As ``describe_status_change``, for a delete."""
    total = len(deletion.keys)
    if deletion.complete:
        return f"{_sentence(plural(total))} deleted."
    parts = [f"{len(deletion.deleted):,} of {plural(total)} deleted."]
    parts += _problems("deleted", deletion.kept, deletion.vanished, deletion.unknown, deletion.error, keys_text)
    return " ".join(parts)


def _problems(
    done: str,
    left: tuple[int, ...],
    vanished: tuple[int, ...],
    unknown: tuple[int, ...],
    error: InboxError | None,
    keys_text: KeysText = format_keys,
) -> list[str]:
    parts: list[str] = []
    if vanished:
        verb = "was" if len(vanished) == 1 else "were"
        parts.append(f"{len(vanished):,} {verb} not found, or you may not see them: {keys_text(vanished)}.")
    if left:
        reason = f" ({error.message})" if error is not None else ""
        parts.append(f"{len(left):,} could not be {done}: {keys_text(left)}{reason}.")
    if unknown:
        if error is not None and still_at_work(error):
            why = "the server did not answer in time and may still do it"
        else:
            why = "the server could not be asked"
        verb = "was" if len(unknown) == 1 else "were"
        parts.append(f"Whether {plural(len(unknown))} {verb} {done} is unknown ({why}): {keys_text(unknown)}.")
    return parts
