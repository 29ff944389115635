"""Threads by item: notifications about the same collection and item, on one loaded page, as one row.

Computed from what the server returned for each page, never by loading more: within a page, the
notifications of one item are put together, the newest first (the head), and the others are taken
out of the list the way an optimistic archive takes rows out (``PageCache.remove``), so the
rows after them move up and the paging of the later pages stays right. The head's row shows how
many the thread holds; expanding puts the others back right under it. An action on a folded head
acts on the whole thread (``members``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.models import Notification
from app.ui.page_cache import PageCache, Removal


@dataclass
class Thread:
    head: Notification
    """The newest notification of the thread: the row that stays."""
    members: list[Notification]
    """The others, newest first."""
    removal: Removal | None
    """How the others were taken out of the cache (``None`` while the thread is expanded)."""

    @property
    def size(self) -> int:
        return 1 + len(self.members)


def thread_key(notification: Notification) -> tuple[str, str] | None:
    """What a thread is about; ``None`` for a notification about no item."""
    if not notification.collection or not notification.item:
        return None
    return notification.collection, notification.item


def newest_first(items: Iterable[Notification]) -> list[Notification]:
    return sorted(items, key=lambda item: (item.timestamp is not None, item.timestamp, item.id), reverse=True)


class Threads:
    """The threads of one list's cache, while threading is on."""

    def __init__(self, cache: PageCache) -> None:
        self.cache = cache
        self.on = False
        self.by_head: dict[int, Thread] = {}
        self.expanded: set[int] = set()
        """Heads the user expanded: they stay expanded when the pages are fetched afresh."""
        self._folded_pages: set[int] = set()

    def forget(self) -> None:
        """The cache was filled afresh: what was folded is gone with the old pages."""
        self.by_head.clear()
        self._folded_pages.clear()

    def fold_loaded(self) -> None:
        """Fold every loaded page not folded yet."""
        if not self.on:
            return
        for page in self.cache.loaded_pages():
            if page not in self._folded_pages:
                self._fold_page(page)

    def _fold_page(self, page: int) -> None:
        self._folded_pages.add(page)
        items = self.cache.page_items(page)
        groups: dict[tuple[str, str], list[Notification]] = {}
        for item in items:
            key = thread_key(item)
            if key is not None:
                groups.setdefault(key, []).append(item)
        threads = [newest_first(group) for group in groups.values() if len(group) > 1]
        if not threads:
            return
        # The thread's rows side by side where its head is, so that expanding shows them under it.
        followers = {thread[0].id: thread[1:] for thread in threads}
        in_threads = {member.id for thread in threads for member in thread[1:]}
        arranged: list[Notification] = []
        for item in items:
            if item.id in in_threads:
                continue
            arranged.append(item)
            arranged.extend(followers.get(item.id, []))
        self.cache.arrange(page, arranged)
        for thread in threads:
            head, members = thread[0], thread[1:]
            removal = None if head.id in self.expanded else self.cache.remove(member.id for member in members)
            self.by_head[head.id] = Thread(head, members, removal)

    def unfold_all(self) -> None:
        for thread in self.by_head.values():
            if thread.removal is not None:
                self.cache.restore(thread.removal)
        self.forget()
        self.expanded.clear()

    def toggle(self, head_id: int) -> bool:
        """Expand or fold the thread of *head_id*; ``False`` if it heads none."""
        thread = self.by_head.get(head_id)
        if thread is None:
            return False
        if thread.removal is None:
            thread.removal = self.cache.remove(member.id for member in thread.members)
            self.expanded.discard(head_id)
        else:
            self.cache.restore(thread.removal)
            thread.removal = None
            self.expanded.add(head_id)
        return True

    def folded(self, head_id: int) -> Thread | None:
        """The folded thread this row heads, if any."""
        thread = self.by_head.get(head_id)
        return thread if thread is not None and thread.removal is not None else None

    def members(self, ids: Iterable[int]) -> list[int]:
        """*ids* with the notifications of the folded threads they head."""
        result: list[int] = []
        for key in ids:
            result.append(key)
            thread = self.folded(key)
            if thread is not None:
                result.extend(member.id for member in thread.members)
        return result

    def member_of(self, notification_id: int) -> Thread | None:
        """The expanded thread a notification belongs to (not as its head)."""
        for thread in self.by_head.values():
            if thread.removal is None and any(member.id == notification_id for member in thread.members):
                return thread
        return None
