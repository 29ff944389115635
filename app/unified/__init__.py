"""A unified inbox: several profiles' servers as one list, every action on its own server.

``UnifiedBackend`` is an ``InboxBackend`` like any other (``app.unified.backend``); its ids are
explained in ``app.unified.ids``, its pages in ``app.unified.paging``, and ``UnifiedLive`` follows
every server at once (``app.unified.live``). No Textual here.
"""

from typing import TYPE_CHECKING, Any

from app.unified.backend import DEFAULT_PATIENCE, UnifiedBackend, UnifiedNotification
from app.unified.ids import split_id, unified_id
from app.unified.paging import ListingCost

if TYPE_CHECKING:
    from app.unified.live import UnifiedLive, UnifiedLiveBatch


def __getattr__(name: str) -> Any:
    """``UnifiedLive`` and its batch on first use: following brings websockets and the live inbox,
    which the TUI's first paint does without (as ``app.ui.live`` imports them late)."""
    if name in ("UnifiedLive", "UnifiedLiveBatch"):
        from app.unified import live

        return getattr(live, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_PATIENCE",
    "ListingCost",
    "UnifiedBackend",
    "UnifiedLive",
    "UnifiedLiveBatch",
    "UnifiedNotification",
    "split_id",
    "unified_id",
]
