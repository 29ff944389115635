"""The rows of one list as the server pages them: a sparse cache, and rows taken out optimistically.

Only the pages the user has looked at are held, keyed by page number, so jumping to the bottom of
100,000 notifications loads the last page and nothing in between. Rows removed before the server
has confirmed (an archive, a delete) are taken out of their page and counted, so the rows after
them move up at once; ``restore`` puts them back if the server refuses.

Page numbers are the server's numbering at the time the cache was filled. After a change on the
server that numbering is stale, so the owner replaces the whole cache (``replace``) with pages
fetched afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from app.models import MAX_PAGE, Notification


@dataclass
class Removal:
    """Rows taken out of the cache, in the order they were taken (to put back if need be)."""

    rows: list[tuple[int, int, Notification]] = field(default_factory=list)
    """(page number, index in that page, notification)."""
    positions: list[int] = field(default_factory=list)
    """The row each one was shown on, before any was taken out."""
    everything: bool = False
    """The whole list was hidden (an operation on all matching notifications)."""
    selection: set[int] = field(default_factory=set)
    """What was selected, to select again if the rows come back."""

    def rows_above(self, row: int) -> int:
        """How many of the removed rows were shown above ``row``."""
        return sum(1 for position in self.positions if position < row)

    def row_before_removal(self, row: int, only: set[int] | None = None) -> int:
        """Where the row now shown at ``row`` is shown once the removed rows are back (all of them,
        or those of the ids in ``only``)."""
        positions = self.positions
        if only is not None:
            positions = [
                position for position, (_, _, item) in zip(positions, self.rows, strict=True) if item.id in only
            ]
        for position in sorted(positions):
            if position > row:
                break
            row += 1
        return row


class PageCache:
    def __init__(self, page_size: int = MAX_PAGE) -> None:
        self.page_size = page_size
        self.server_count: int | None = None
        """How many rows the server had when the cache was filled; ``None`` before the first page."""
        self._pages: dict[int, list[Notification]] = {}
        self._removed: dict[int, int] = {}
        self._hidden = False

    # --- size and lookup ------------------------------------------------------------------------
    @property
    def known(self) -> bool:
        return self.server_count is not None

    def __len__(self) -> int:
        if self._hidden or self.server_count is None:
            return 0
        return max(0, self.server_count - sum(self._removed.values()))

    def _nominal_length(self, page: int) -> int:
        return max(0, min(self.page_size, (self.server_count or 0) - page * self.page_size))

    def _page_start(self, page: int) -> int:
        return page * self.page_size - sum(count for number, count in self._removed.items() if number < page)

    def _page_length(self, page: int) -> int:
        loaded = self._pages.get(page)
        return len(loaded) if loaded is not None else self._nominal_length(page)

    def locate(self, row: int) -> tuple[int, int]:
        """(page number, index in the page) of a row as shown (after optimistic removals)."""
        # A removal only moves rows up, so a row is on its nominal page or a later one.
        page = row // self.page_size
        if self._removed:
            while row >= self._page_start(page) + self._page_length(page) and page * self.page_size < (
                self.server_count or 0
            ):
                page += 1
        return page, row - self._page_start(page)

    def get(self, row: int) -> Notification | None:
        """The notification on a row, or ``None`` while its page is not loaded."""
        if not 0 <= row < len(self):
            return None
        page, index = self.locate(row)
        items = self._pages.get(page)
        if items is None or not 0 <= index < len(items):
            return None
        return items[index]

    def row_of(self, notification_id: int) -> int | None:
        """The row showing a notification, if it is loaded."""
        for page in sorted(self._pages):
            for index, notification in enumerate(self._pages[page]):
                if notification.id == notification_id:
                    return self._page_start(page) + index
        return None

    def loaded(self) -> Iterator[Notification]:
        """Every loaded notification still shown, in list order."""
        if self._hidden:
            return
        for page in sorted(self._pages):
            yield from self._pages[page]

    def loaded_pages(self) -> list[int]:
        return sorted(self._pages)

    def page_items(self, page: int) -> list[Notification]:
        """The rows of a loaded page still shown, in order (a copy)."""
        return list(self._pages.get(page, []))

    def arrange(self, page: int, items: list[Notification]) -> None:
        """Show a loaded page's rows in another order (threads put side by side); the same rows."""
        if sorted(item.id for item in items) != sorted(item.id for item in self._pages.get(page, [])):
            raise ValueError("arrange keeps the rows of the page")
        self._pages[page] = list(items)

    def pages_for(self, first_row: int, last_row: int) -> set[int]:
        """The page numbers holding rows ``first_row`` to ``last_row`` (clipped to the list)."""
        if not self.known:
            return {0}
        if len(self) == 0:
            return set()
        first_row = max(0, min(first_row, len(self) - 1))
        last_row = max(first_row, min(last_row, len(self) - 1))
        return set(range(self.locate(first_row)[0], self.locate(last_row)[0] + 1))

    def missing(self, pages: Iterable[int]) -> set[int]:
        return {page for page in pages if page not in self._pages}

    # --- filling ----------------------------------------------------------------------------------
    def store(self, page: int, items: list[Notification], server_count: int) -> None:
        """Keep one page. When the server's count has changed since the other pages were loaded,
        their numbering is stale: they are dropped and will be loaded again when looked at."""
        if server_count != self.server_count:
            self._pages.clear()
            self._removed.clear()
            self.server_count = server_count
        self._pages[page] = list(items)

    def replace(self, pages: dict[int, list[Notification]], server_count: int) -> None:
        """Start over with freshly fetched pages (after a refresh, or a change on the server)."""
        self._pages = {page: list(items) for page, items in pages.items()}
        self._removed.clear()
        self._hidden = False
        self.server_count = server_count

    def clear(self) -> None:
        """Forget everything (a new search or sort): the next lookup loads the first page."""
        self._pages.clear()
        self._removed.clear()
        self._hidden = False
        self.server_count = None

    # --- optimistic removal -----------------------------------------------------------------------
    def remove(self, ids: Iterable[int]) -> Removal:
        """Take the loaded rows of these notifications out; the rows after them move up."""
        wanted = set(ids)
        removal = Removal()
        for page in sorted(self._pages):
            start = self._page_start(page)
            removal.positions.extend(
                start + index for index, notification in enumerate(self._pages[page]) if notification.id in wanted
            )
        for page in sorted(self._pages):
            items = self._pages[page]
            kept = []
            for index, notification in enumerate(items):
                if notification.id in wanted:
                    removal.rows.append((page, index, notification))
                else:
                    kept.append(notification)
            if len(kept) != len(items):
                self._pages[page] = kept
                self._removed[page] = self._removed.get(page, 0) + len(items) - len(kept)
        return removal

    def hide_all(self) -> Removal:
        """Show an empty list (every matching notification is being removed)."""
        self._hidden = True
        return Removal(everything=True)

    def restore(self, removal: Removal, only: set[int] | None = None) -> None:
        """Put back what ``remove`` or ``hide_all`` took out, where it was: everything, or the
        rows of the ids in ``only`` (the others stay out: they are gone)."""
        if removal.everything:
            self._hidden = False
        # Rows went out in ascending order per page; putting them back in that order puts each
        # at its old index less the rows before it that stay out.
        staying_out: dict[int, int] = {}
        for page, index, notification in removal.rows:
            if only is not None and notification.id not in only:
                staying_out[page] = staying_out.get(page, 0) + 1
                continue
            items = self._pages.get(page)
            if items is None:
                continue  # the page was reloaded meanwhile; the next refresh tells the truth
            items.insert(min(index - staying_out.get(page, 0), len(items)), notification)
            remaining = self._removed.get(page, 0) - 1
            if remaining > 0:
                self._removed[page] = remaining
            else:
                self._removed.pop(page, None)
