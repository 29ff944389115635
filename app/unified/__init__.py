"""A unified inbox: several profiles' servers as one list, every action on its own server.

``UnifiedBackend`` is an ``InboxBackend`` like any other (``app.unified.backend``); its ids are
explained in ``app.unified.ids``, its pages in ``app.unified.paging``, and ``UnifiedLive`` follows
every server at once (``app.unified.live``). No Textual here.
"""

from app.unified.backend import DEFAULT_PATIENCE, UnifiedBackend, UnifiedNotification
from app.unified.ids import split_id, unified_id
from app.unified.live import UnifiedLive, UnifiedLiveBatch
from app.unified.paging import ListingCost

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
