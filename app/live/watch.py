"""``directus-inbox watch``: print each new notification as it arrives, until interrupted.

One line per notification (id, time, sender, subject; sanitised), or with ``--json`` one
``Notification.to_json()`` object per line, flushed at once for the next tool in the pipe. The
connection's ups and downs go to stderr; the stream survives them (``LiveInbox`` reconnects and
reconciles, so nothing created while it was away is left out, and nothing is printed twice).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

from app.backend import InboxBackend
from app.errors import InboxError
from app.live.changes import ConnectionState
from app.live.inbox import LiveInbox
from app.models import Notification, short_id
from app.sanitize import clean_line

if TYPE_CHECKING:
    from app.unified import UnifiedLive


def describe_connection(state: ConnectionState) -> str:
    """One line for stderr: how the inbox follows the server now."""
    if state.mode == "live":
        return "live: new notifications are printed as they arrive"
    if state.mode == "polling":
        every = f"checking every {state.poll_interval:g} s" if state.poll_interval else "checking from time to time"
        return f"{every} ({state.reason})" if state.reason else every
    if state.mode == "offline":
        return f"offline: {state.reason or 'the server cannot be reached'}; retrying"
    return "connecting"


def notification_line(item: Notification, names: dict[str, str]) -> str:
    when = item.timestamp.astimezone().strftime("%Y-%m-%d %H:%M:%S") if item.timestamp else "-"
    sender = item.sender_id
    who = "system" if sender is None else names.get(sender) or short_id(sender)
    # A unified inbox's row is written as the CLI takes it back: PROFILE:ID.
    profile, native = getattr(item, "profile", None), getattr(item, "native_id", None)
    ref = clean_line(f"{profile}:{native}") if profile is not None else str(item.id)
    return f"{ref}  {when}  {clean_line(who)}  {clean_line(item.subject) or '(no subject)'}"


def notification_json(item: Notification) -> str:
    return json.dumps(item.to_json(), ensure_ascii=True, separators=(",", ":"))


async def _learn_names(backend: InboxBackend, senders: Iterable[str | None], names: dict[str, str]) -> None:
    wanted = sorted({sender for sender in senders if sender is not None and sender not in names})
    if not wanted:
        return
    try:
        for user in await backend.users(ids=wanted):
            names[user.id] = user.display_name
    except InboxError:
        pass  # names are a nicety: short ids will do
    for sender in wanted:
        names.setdefault(sender, short_id(sender))


def _following(backend: InboxBackend, poll_interval: float | None) -> LiveInbox | UnifiedLive:
    """A ``LiveInbox``, or for a unified inbox a ``UnifiedLive`` (one per server, merged)."""
    from app.unified import UnifiedBackend, UnifiedLive

    if isinstance(backend, UnifiedBackend):
        return UnifiedLive(backend, poll_interval=poll_interval)
    return LiveInbox(backend, poll_interval=poll_interval)


async def watch(
    backend: InboxBackend,
    out: TextIO,
    note: Callable[[str], None],
    *,
    as_json: bool = False,
    poll_interval: float | None = None,
) -> int:
    """Print new notifications to *out* until cancelled; *note* gets the connection's changes.

    Fails (``InboxError``) only if the server cannot be asked who the user is at the start; after
    that, an unreachable server is retried for as long as the command runs.
    """
    await backend.me()
    names: dict[str, str] = {}
    async with _following(backend, poll_interval) as live:
        async for batch in live.batches():
            if batch.connection is not None:
                note(describe_connection(batch.connection))
            if not batch.created:
                continue
            if as_json:
                lines = [notification_json(item) for item in batch.created]
            else:
                await _learn_names(backend, (item.sender_id for item in batch.created), names)
                lines = [notification_line(item, names) for item in batch.created]
            out.write("".join(line + "\n" for line in lines))
            out.flush()
    return 0
