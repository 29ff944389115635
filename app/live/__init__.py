"""The live inbox: notifications followed as they change, over WebSockets with reconciliation behind.

No Textual here: the TUI runs ``LiveInbox`` in a worker, the CLI's ``watch`` prints from it.
"""

from typing import TYPE_CHECKING, Any

from app.live.changes import ConnectionState, FolderCounts, LiveBatch, Mode

if TYPE_CHECKING:
    from app.live.inbox import DEFAULT_POLL_INTERVAL, EMBEDDED_POLL_INTERVAL, LiveInbox, LiveStats

_IN_INBOX = ("DEFAULT_POLL_INTERVAL", "EMBEDDED_POLL_INTERVAL", "LiveInbox", "LiveStats")


def __getattr__(name: str) -> Any:
    """The engine on first use: it brings websockets and the adapters' HTTP stack, which the
    TUI's first paint does without, though it reads ``changes`` (what a batch holds)."""
    if name in _IN_INBOX:
        from app.live import inbox

        return getattr(inbox, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "EMBEDDED_POLL_INTERVAL",
    "ConnectionState",
    "FolderCounts",
    "LiveBatch",
    "LiveInbox",
    "LiveStats",
    "Mode",
]
