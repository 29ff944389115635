"""The list of one tab's notifications: a line-API widget over a sparse cache of server pages.

Only visible rows are drawn (``render_line``), each from a small LRU cache of strips, the way
toolong's ``LogLines`` does it; the widget never holds more than the pages the user has looked at.
When the view or the cursor comes near rows whose page is not loaded, it posts ``PagesNeeded``;
the app fetches them in a worker and hands them back with ``page_loaded``. The widget itself never
touches the network.

(Past 500 lines because the paging, the cursor, the selection and the row rendering are one
widget's state, as toolong's ``LogLines`` is one widget.)
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, cast

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from app.models import ARCHIVED, INBOX, Folder, Notification
from app.sanitize import clean_line
from app.timefmt import relative_time
from app.ui import keys
from app.ui.page_cache import PageCache, Removal
from app.ui.threads import Threads
from app.ui.user_names import UserNames
from app.ui.widgets.profile_tags import PROFILE_COMPONENTS, UNREACHABLE_COMPONENT, ProfileTags
from app.ui.widgets.tabs import TAB_TITLES

if TYPE_CHECKING:
    from app.ui.app import InboxApp

PREFETCH_ROWS = 25
"""Load the next page when the cursor or the view comes this close to rows not loaded yet."""

MARK_SELECTED = "● "
MARK_NEW = "• "
"""Arrived while the app was open, and not yet under the cursor."""
MARK_NONE = "  "
TIME_WIDTH = 8
GAP = " "


class NotificationList(ScrollView, can_focus=True, inherit_bindings=False):
    """One tab's notifications, newest first (or oldest), with a cursor and a selection.

    It inherits no scrolling keys: its own (``keys.LIST``) move the cursor, and the view follows."""

    BINDINGS = keys.LIST

    COMPONENT_CLASSES = {
        "notification-list--cursor",
        "notification-list--selected",
        "notification-list--sender",
        "notification-list--meta",
        "notification-list--status",
        "notification-list--placeholder",
        "notification-list--message",
        "notification-list--new",
        *PROFILE_COMPONENTS,
        UNREACHABLE_COMPONENT,
        "notification-list--thread",
    }

    @dataclass
    class PagesNeeded(Message):
        """Rows near the view or the cursor are on pages that are not loaded."""

        notification_list: NotificationList
        pages: set[int]
        generation: int

    @dataclass
    class CursorMoved(Message):
        """The notification under the cursor changed (``None``: no row, or not loaded yet)."""

        notification_list: NotificationList
        notification: Notification | None

    @dataclass
    class SelectionChanged(Message):
        notification_list: NotificationList

    def __init__(
        self,
        tab: Folder,
        *,
        names: UserNames,
        clock: Callable[[], datetime],
        tz: tzinfo | None,
        empty_text: str,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.tab = tab
        self.names = names
        self.clock = clock
        self.tz = tz
        self.cache = PageCache()
        self.threads = Threads(self.cache)
        """Threads by item (off until toggled): folded rows stand for the whole thread."""
        self.cursor = 0
        self.selected: set[int] = set()
        self.all_matching = False
        """Every notification matching the list's query is selected, loaded or not."""
        self.generation = 0
        """Bumped whenever answers to earlier page requests would no longer fit the cache."""
        self.pending: set[int] = set()
        self.mutations = 0
        """Operations in flight: while any is, the server's paging is in flux and no page is asked for."""
        self.reloading = False
        self.problem: str | None = None
        """Why the list could not be loaded, shown in place of the rows."""
        self.empty_text = empty_text
        self.search = ""
        """The search the rows match ("" for none), for what the list says about itself."""
        self.new: set[int] = set()
        """Notifications that arrived while the app was open and have not been under the cursor."""
        self.unseen_above = 0
        """Rows that arrived above the view while the user was scrolled away from the top."""
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._geometry: tuple[tuple[object, ...], int, Style] | None = None
        self._reported: Notification | None = None
        self.tags: ProfileTags | None = None
        """In a unified inbox: each row's profile label (``app.ui.unified``)."""

    # --- what the rest of the app reads --------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.cache)

    @property
    def current(self) -> Notification | None:
        return self.cache.get(self.cursor)

    def targets(self) -> list[int] | None:
        """The ids an action applies to: the selection, else the cursor's row; ``None`` means
        every notification matching the list (the ids are then fetched from the server)."""
        if self.all_matching:
            return None
        if self.selected:
            return self.threads.members(sorted(self.selected))
        current = self.current
        return self.threads.members([current.id]) if current is not None else []

    # --- rendering --------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._geometry = None

    def on_focus(self, event: events.Focus) -> None:
        self.redraw()

    def on_blur(self, event: events.Blur) -> None:
        self.redraw()

    def _line_geometry(self) -> tuple[int, Style]:
        """The rows' width and base style, worked out once per size and style, not per line:
        they were a third of the time a held j spent drawing."""
        key = (self.size, self.show_vertical_scrollbar, self.has_focus)
        if self._geometry is None or self._geometry[0] != key:
            self._geometry = (key, self.scrollable_content_region.width, self.rich_style)
        return self._geometry[1], self._geometry[2]

    def render_line(self, y: int) -> Strip:
        width, base = self._line_geometry()
        if len(self.cache) == 0:
            lines = self._message_lines(width)
            if y < len(lines):
                style = base + self.get_component_rich_style("notification-list--message")
                return Strip([Segment(set_cell_size(lines[y], width), style)], width)
            return Strip.blank(width, base)
        row = int(self.scroll_y) + y
        if row >= len(self.cache):
            return Strip.blank(width, base)
        notification = self.cache.get(row)
        if notification is None:
            style = base + self.get_component_rich_style("notification-list--placeholder")
            return Strip([Segment(set_cell_size(f"{MARK_NONE}loading…", width), style)], width)
        return self._row_strip(notification, row, width, base)

    def _message_lines(self, width: int) -> list[str]:
        if self.problem is not None:
            text = f"Could not load the notifications.\n\n{self.problem}\n\nPress ctrl+r to try again."
        elif not self.cache.known:
            text = "Loading…"
        else:
            text = self.empty_text
        lines: list[str] = []
        for paragraph in text.split("\n"):
            lines.extend(textwrap.wrap(paragraph, max(10, width - 2)) or [""])
        return [f" {line}" for line in lines]

    def _row_strip(self, notification: Notification, row: int, width: int, base: Style) -> Strip:
        is_cursor = row == self.cursor
        selected = self.all_matching or notification.id in self.selected
        is_new = notification.id in self.new
        when = relative_time(notification.timestamp, self.clock(), self.tz)
        thread = self._thread_mark(notification)
        key = (
            notification.id,
            thread,
            is_new,
            notification.status,
            notification.subject,
            notification.collection,
            when,
            width,
            is_cursor,
            selected,
            self.has_focus,
            self.names.version,
            self.tags.version if self.tags is not None else None,
        )
        strip = self._strips.get(key)
        if strip is None:
            strip = self._build_row(
                notification, when, width, base, is_cursor=is_cursor, selected=selected, is_new=is_new, thread=thread
            )
            self._strips[key] = strip
        return strip

    def _build_row(
        self,
        notification: Notification,
        when: str,
        width: int,
        base: Style,
        *,
        is_cursor: bool,
        selected: bool,
        is_new: bool,
        thread: str,
    ) -> Strip:
        # Column styles are partial (only what the TCSS sets), so the row's background shows
        # through them; selection, then the cursor, go on top.
        def cell(component: str | None = None) -> Style:
            style = base
            if component is not None:
                style += self.get_component_rich_style(component, partial=True)
            if is_new:
                style += self.get_component_rich_style("notification-list--new", partial=True)
            if selected:
                style += self.get_component_rich_style("notification-list--selected", partial=True)
            if is_cursor:
                style += self.get_component_rich_style("notification-list--cursor")
            return style

        row_style = cell()
        meta = cell("notification-list--meta")
        sender_width, collection_width = column_widths(width)
        fixed = len(MARK_NONE) + sender_width + len(GAP) + len(GAP) + TIME_WIDTH
        if collection_width:
            fixed += collection_width + len(GAP)
        tag = self.tags.tag(notification) if self.tags is not None else None
        if tag is not None:
            fixed += cell_len(tag[0]) + len(GAP)
        subject_width = max(1, width - fixed)
        segments = [Segment(MARK_SELECTED if selected else MARK_NEW if is_new else MARK_NONE, row_style)]
        if tag is not None:
            segments += [Segment(tag[0], cell(tag[1])), Segment(GAP, row_style)]
        segments += [
            Segment(fit(self.names.label(notification.sender), sender_width), cell("notification-list--sender")),
            Segment(GAP, row_style),
        ]
        subject = clean_line(notification.subject) or "(no subject)"
        if thread:
            mark = fit(thread, min(cell_len(thread), subject_width))
            segments.append(Segment(mark, cell("notification-list--thread")))
            subject_width -= cell_len(mark)
        if notification.status not in (INBOX, ARCHIVED):
            status = f"[{clean_line(notification.status) or 'no status'}] "
            status = fit(status, min(cell_len(status), subject_width))
            segments.append(Segment(status, cell("notification-list--status")))
            subject_width -= cell_len(status)
        segments.append(Segment(fit(subject, subject_width), row_style))
        if collection_width:
            segments.append(Segment(GAP, row_style))
            segments.append(Segment(fit(clean_line(notification.collection), collection_width), meta))
        segments.append(Segment(GAP, row_style))
        segments.append(Segment(when.rjust(TIME_WIDTH)[:TIME_WIDTH], meta))
        return Strip(segments).adjust_cell_length(width, row_style)

    def _thread_mark(self, notification: Notification) -> str:
        """Before the subject: a folded thread's size, an expanded one's, or that a row is in one."""
        if not self.threads.on:
            return ""
        thread = self.threads.by_head.get(notification.id)
        if thread is not None:
            return f"{'▸' if thread.removal is not None else '▾'}{thread.size} "
        return "  ↳ " if self.threads.member_of(notification.id) is not None else ""

    # --- paging -----------------------------------------------------------------------------------
    def _sync_size(self) -> None:
        self.virtual_size = Size(0, len(self.cache))
        self.cursor = max(0, min(self.cursor, len(self.cache) - 1))
        self._strips.clear()
        self.refresh()

    def _view_rows(self) -> tuple[int, int]:
        top = int(self.scroll_y)
        return top, top + max(1, self.scrollable_content_region.height)

    def request_missing_pages(self) -> None:
        """Ask for the pages the view and the cursor's neighbourhood need, if any are missing."""
        if self.mutations or self.reloading:
            return
        top, bottom = self._view_rows()
        wanted = self.cache.pages_for(top - PREFETCH_ROWS, bottom + PREFETCH_ROWS) | self.cache.pages_for(
            self.cursor - PREFETCH_ROWS, self.cursor + PREFETCH_ROWS
        )
        missing = self.cache.missing(wanted)
        if not missing or missing <= self.pending:
            return
        self.pending = missing
        self.post_message(self.PagesNeeded(self, missing, self.generation))

    def page_loaded(self, generation: int, page: int, items: list[Notification], filter_count: int) -> None:
        if generation != self.generation:
            return
        self.problem = None
        self.pending.discard(page)
        counted = self.cache.server_count
        current = self.current
        self.cache.store(page, items, filter_count)
        if counted != filter_count:
            self.threads.forget()  # the other pages were dropped, and what was folded in them
        if self.threads.on:
            self.threads.fold_loaded()
            row = self.cache.row_of(current.id) if current is not None else None
            self.cursor = self.cursor if row is None else row
        self._sync_size()
        self._report_cursor()
        self.request_missing_pages()

    def page_failed(self, generation: int, error: str) -> None:
        if generation != self.generation:
            return
        self.pending.clear()
        if not self.cache.known:
            self.problem = error
            self.refresh()

    def reset(self, *, load: bool = True) -> None:
        """Start again from the first row (a new search or sort order); with ``load=False`` the
        first page is asked for only when the list is next looked at (``load_if_needed``)."""
        self.generation += 1
        self.cache.clear()
        self.threads.forget()
        self.pending.clear()
        self.reloading = False
        self.problem = None
        self.cursor = 0
        self.unseen_above = 0
        self.selected.clear()
        self.all_matching = False
        self.scroll_to(y=0, animate=False)
        self._sync_size()
        self._report_cursor()
        if load:
            self.request_missing_pages()

    def load_if_needed(self) -> None:
        """Ask for the first page if the list was reset without loading (and is not loading)."""
        if not self.cache.known and not self.pending and not self.reloading and self.problem is None:
            self.request_missing_pages()

    def begin_reload(self) -> tuple[int, set[int]]:
        """Start a refresh that keeps the view: the generation of the answer, and the pages it needs.

        The rows on screen stay until the fresh pages arrive. Rows as shown are the server's rows
        as it holds them now (optimistic removals included), so plain page arithmetic applies."""
        self.generation += 1
        self.pending.clear()
        self.reloading = True
        return self.generation, self.pages_after_shift(0, len(self.cache))

    def begin_follow(self) -> tuple[int, Notification | None, int]:
        """Start a refresh after changes on the server: the generation of the answer, and the
        notification the view is anchored on with its row (the first row shown when scrolled away
        from the top, else the cursor's), so the answer can say how far it moved."""
        self.generation += 1
        self.pending.clear()
        self.reloading = True
        top, _ = self._view_rows()
        row = top if top > 0 and self.cache.get(top) is not None else self.cursor
        return self.generation, self.cache.get(row), row

    def pages_after_shift(self, shift: int, row_count: int) -> set[int]:
        """The pages the view and the cursor's neighbourhood need once rows moved ``shift`` down
        (and the view's own, for a view that stays at the top), in a list of ``row_count`` rows."""
        size = self.cache.page_size
        top, bottom = self._view_rows()
        last = max(0, row_count - 1)
        pages: set[int] = set()
        for first, end in ((top, bottom), (top + shift, bottom + shift), (self.cursor + shift, self.cursor + shift)):
            first = max(0, min(first - PREFETCH_ROWS // 5, last))
            end = max(0, min(end + PREFETCH_ROWS, last))
            pages.update(range(first // size, end // size + 1))
        return pages

    def reloaded(self, generation: int, pages: dict[int, list[Notification]], filter_count: int) -> None:
        if generation != self.generation:
            return
        self.reloading = False
        self.problem = None
        current = self.current
        self.cache.replace(pages, filter_count)
        self.threads.forget()
        self.threads.fold_loaded()
        # Stay on the same notification when rows came or went above it.
        row = self.cache.row_of(current.id) if current is not None else None
        if row is not None:
            self.cursor = row
        self._sync_size()
        self._scroll_to_cursor()
        self._report_cursor()
        self.request_missing_pages()

    def followed(self, generation: int, pages: dict[int, list[Notification]], filter_count: int, shift: int) -> None:
        """The fresh rows after changes on the server, ``shift`` rows lower than before.

        The message being read stays under the cursor. At the top of the list, new rows show
        above it as long as the cursor stays in view; scrolled away (or pushed out of view), the
        view moves with its rows, and ``unseen_above`` counts what came in above."""
        if generation != self.generation:
            return
        self.reloading = False
        self.problem = None
        current = self.current
        top, bottom = self._view_rows()
        self.cache.replace(pages, filter_count)
        self.threads.forget()
        self.threads.fold_loaded()
        row = self.cache.row_of(current.id) if current is not None else None
        self.cursor = row if row is not None else self.cursor + shift
        self._sync_size()
        if top == 0 and self.cursor < bottom - top:
            self.unseen_above = 0
        else:
            self.scroll_to(y=max(0, top + shift), animate=False, immediate=True)
            if shift > 0:
                self.unseen_above += shift
        self._scroll_to_cursor()
        self._report_cursor()
        self.request_missing_pages()

    def mark_new(self, ids: set[int]) -> None:
        self.new |= ids
        self.refresh()

    def reload_failed(self, generation: int, error: str) -> None:
        if generation != self.generation:
            return
        self.reloading = False
        if not self.cache.known:
            self.problem = error
            self.refresh()

    # --- optimistic changes -----------------------------------------------------------------------
    def take_out(self, ids: list[int] | None) -> Removal:
        """Remove rows at once, before the server confirms; the cursor stays on the row after them."""
        self.generation += 1
        self.pending.clear()
        self.mutations += 1
        removal = self.cache.hide_all() if ids is None else self.cache.remove(ids)
        removal.selection = set(self.selected)
        self.cursor -= removal.rows_above(self.cursor)
        self.selected.clear()
        self.all_matching = False
        self._sync_size()
        self._report_cursor()
        self.post_message(self.SelectionChanged(self))
        return removal

    def put_back(self, removal: Removal, only: set[int] | None = None, *, about: int | None = None) -> None:
        """The server did not change them: show the rows again (all, or those in ``only``), where
        they were, with what of the selection is still there. The cursor goes back to ``about``,
        the notification the action was about, when it is among them."""
        self.cache.restore(removal, only)
        row = self.cache.row_of(about) if about is not None else None
        self.cursor = row if row is not None else removal.row_before_removal(self.cursor, only)
        back = {notification.id for _, _, notification in removal.rows} if only is None else only
        self.selected = {key for key in removal.selection if key in back}
        self.all_matching = removal.everything and only is None
        self._sync_size()
        self._scroll_to_cursor()
        self._report_cursor()
        self.post_message(self.SelectionChanged(self))

    def finish_change(self) -> bool:
        """One operation is over; ``True`` when none is left in flight (time to reload)."""
        self.mutations = max(0, self.mutations - 1)
        return self.mutations == 0

    # --- cursor -----------------------------------------------------------------------------------
    def move_cursor(self, row: int) -> None:
        if len(self.cache) == 0:
            return
        before, top = self.cursor, self.scroll_offset.y
        self.cursor = max(0, min(row, len(self.cache) - 1))
        self._scroll_to_cursor()
        if self.scroll_offset.y == top and self.scroll_target_y == top:
            # Only the two rows the cursor left and reached are drawn again (a held j).
            self.refresh_line(before)
            self.refresh_line(self.cursor)
        else:
            self.refresh()
        self._report_cursor()
        self.request_missing_pages()

    def move_cursor_by(self, rows: int) -> None:
        self.move_cursor(self.cursor + rows)

    def page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top, bottom = self._view_rows()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= bottom:
            self.scroll_to(y=self.cursor - (bottom - top) + 1, animate=False)

    def _report_cursor(self) -> None:
        current = self.current
        if current is not None and current.id in self.new and self.has_focus:
            self.new.discard(current.id)  # seen: it was under the cursor
        if self.cursor == 0 or self.scroll_y == 0:
            self.unseen_above = 0
        if current is not self._reported:
            self._reported = current
            self.post_message(self.CursorMoved(self, current))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.request_missing_pages()

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self.request_missing_pages()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or len(self.cache) == 0:
            return
        row = int(self.scroll_y) + offset.y
        if row >= len(self.cache):
            return
        self.move_cursor(row)
        if offset.x < len(MARK_NONE):
            self.toggle(row)

    # --- the keys (keys.LIST) ----------------------------------------------------------------------
    def action_cursor_down(self) -> None:
        self.move_cursor_by(1)

    def action_cursor_up(self) -> None:
        self.move_cursor_by(-1)

    def action_cursor_first(self) -> None:
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.move_cursor(self.row_count - 1)

    def action_page_down(self) -> None:
        self.move_cursor_by(self.page_height())

    def action_page_up(self) -> None:
        self.move_cursor_by(-self.page_height())

    def action_toggle_selection(self) -> None:
        if self.toggle():
            self.move_cursor_by(1)

    def action_select_all(self) -> None:
        total = self.row_count
        matching = " matching the search" if self.search else ""
        if self.everything_loaded_is_selected and total > len(self.selected):
            self.select_all_matching()
            self.notify(f"Selected all {total:,} in {TAB_TITLES[self.tab]}{matching}.", markup=False)
            return
        selected = self.select_loaded()
        if total > selected:
            again = cast("InboxApp", self.app).key_for("select-all")
            self.notify(
                f"Selected the {selected:,} loaded. Press {again} again to select all {total:,}{matching}.",
                markup=False,
            )

    def action_toggle_threads(self) -> None:
        current = self.current
        self.threads.on = not self.threads.on
        if self.threads.on:
            self.threads.fold_loaded()
        else:
            self.threads.unfold_all()
        self._stay_on(current)
        key = cast("InboxApp", self.app).key_for("toggle-threads")
        state = "on: rows about the same item are one" if self.threads.on else "off"
        self.notify(f"Threads by item {state} ({key} toggles).", markup=False)

    def action_toggle_thread(self) -> None:
        current = self.current
        thread = self.threads.member_of(current.id) if current is not None else None
        head = thread.head if thread is not None else current
        if not self.threads.on or head is None or not self.threads.toggle(head.id):
            key = cast("InboxApp", self.app).key_for("toggle-threads")
            why = "This row is not a thread." if self.threads.on else f"Threads are off ({key} turns them on)."
            self.notify(why, severity="warning", markup=False)
            return
        self._stay_on(head)

    def _stay_on(self, notification: Notification | None) -> None:
        """After rows were folded or unfolded: the cursor on the same notification, or near."""
        row = self.cache.row_of(notification.id) if notification is not None else None
        if row is not None:
            self.cursor = row
        self._sync_size()
        self._scroll_to_cursor()
        self._report_cursor()
        self.request_missing_pages()
        self.post_message(self.SelectionChanged(self))

    # --- selection --------------------------------------------------------------------------------
    def toggle(self, row: int | None = None) -> bool:
        """Select or unselect a row (the cursor's by default); ``False`` if it is not loaded yet."""
        notification = self.cache.get(self.cursor if row is None else row)
        if notification is None:
            return False
        if self.all_matching:
            # Leaving "all matching" for a hand-made selection: start from what is loaded.
            self.all_matching = False
            self.selected = {loaded.id for loaded in self.cache.loaded()}
        self.selected ^= {notification.id}
        self._selection_changed()
        return True

    def select_loaded(self) -> int:
        self.all_matching = False
        self.selected = {notification.id for notification in self.cache.loaded()}
        self._selection_changed()
        return len(self.selected)

    @property
    def everything_loaded_is_selected(self) -> bool:
        loaded = {notification.id for notification in self.cache.loaded()}
        return bool(loaded) and loaded <= self.selected

    def select_all_matching(self) -> None:
        self.all_matching = True
        self.selected.clear()
        self._selection_changed()

    def clear_selection(self) -> bool:
        """Unselect everything; ``False`` if nothing was selected."""
        if not self.selected and not self.all_matching:
            return False
        self.selected.clear()
        self.all_matching = False
        self._selection_changed()
        return True

    def _selection_changed(self) -> None:
        self.refresh()
        self.post_message(self.SelectionChanged(self))

    def redraw(self) -> None:
        """Draw again (names learnt, a minute passed)."""
        self._strips.clear()
        self.refresh()


def column_widths(width: int) -> tuple[int, int]:
    """(sender, collection) widths for a list this wide; the collection goes when space is short."""
    if width >= 100:
        return 20, 14
    if width >= 60:
        return 16, 10
    return 12, 0


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"
