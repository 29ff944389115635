"""The live inbox: notifications followed as they change, over WebSockets with reconciliation behind.

No Textual here: the TUI runs ``LiveInbox`` in a worker, the CLI's ``watch`` prints from it.
"""

from app.live.changes import ConnectionState, FolderCounts, LiveBatch, Mode
from app.live.inbox import DEFAULT_POLL_INTERVAL, EMBEDDED_POLL_INTERVAL, LiveInbox, LiveStats

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
