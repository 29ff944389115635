"""The Textual app: the inbox and the archive of one Directus user, driven from the keyboard.

Every key is in ``KEYS`` just below: its binding id (rebind it in the config file's ``[keymap]``),
the action it runs, the footer label, and the help line the help screen (``?``) and the command
palette (ctrl+p) show.

All network work runs in workers that post the messages of ``app.ui.messages``; the handlers
(``@on``) update the widgets. Changes are applied at once and rolled back if the server refuses.
"""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import ContentSwitcher, Footer, Input, Markdown, Tabs

from app.backend import BATCH_CHUNK, InboxBackend
from app.config import Settings
from app.errors import InboxError
from app.models import (
    ARCHIVED,
    DEFAULT_SORT,
    INBOX,
    Capabilities,
    Notification,
    NotificationChanges,
    Query,
    User,
)
from app.sanitize import clean_line, safe_url
from app.ui.commands import InboxCommands
from app.ui.messages import (
    ArchiveDone,
    ArchiveFailed,
    BulkProgress,
    CountsChanged,
    DeleteDone,
    DeleteFailed,
    ListReloaded,
    ListReloadFailed,
    PageLoaded,
    PageLoadFailed,
    SessionFailed,
    SessionStarted,
    UndoDone,
    UndoFailed,
    UsersResolved,
    WorkReport,
)
from app.ui.page_cache import Removal
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.help import HelpLine, HelpScreen
from app.ui.styles import style_file
from app.ui.user_names import UserNames
from app.ui.widgets.header import InboxHeader
from app.ui.widgets.notification_list import NotificationList
from app.ui.widgets.preview import Preview
from app.ui.widgets.status_line import StatusLine
from app.ui.widgets.tabs import TAB_TITLES, FolderTabs

# --- every key of the app ------------------------------------------------------------------------
# Binding(keys, action, footer label, show in footer, id for [keymap], tooltip = the help line).
KEYS = [
    Binding("j,down", "cursor_down", "Down", show=False, id="cursor-down", tooltip="Move down the list"),
    Binding("k,up", "cursor_up", "Up", show=False, id="cursor-up", tooltip="Move up the list"),
    Binding("g,home", "cursor_first", "Top", show=False, id="cursor-first", tooltip="Go to the first notification"),
    Binding(
        "G,end",
        "cursor_last",
        "Bottom",
        show=False,
        id="cursor-last",
        tooltip="Go to the last notification (loads only the last page)",
    ),
    Binding("pageup", "page_up", "Page up", show=False, id="page-up", tooltip="Move up one screen"),
    Binding("pagedown", "page_down", "Page down", show=False, id="page-down", tooltip="Move down one screen"),
    Binding(
        "tab",
        "next_tab",
        "Inbox/Archived",
        show=False,
        priority=True,
        id="next-tab",
        tooltip="Switch between Inbox and Archived",
    ),
    Binding("1", "show_tab('inbox')", "Inbox", show=False, id="show-inbox", tooltip="Show the Inbox tab"),
    Binding("2", "show_tab('archived')", "Archived", show=False, id="show-archived", tooltip="Show the Archived tab"),
    Binding("enter", "read", "Read", id="read", tooltip="Focus the preview to scroll the message (esc goes back)"),
    Binding(
        "escape",
        "back",
        "Back",
        show=False,
        id="back",
        tooltip="Leave the preview, clear the selection, or clear the search",
    ),
    Binding(
        "space",
        "toggle_selection",
        "Select",
        id="toggle-selection",
        tooltip="Select or unselect the notification under the cursor",
    ),
    Binding(
        "asterisk",
        "select_all",
        "Select all",
        show=False,
        id="select-all",
        tooltip="Select every loaded notification; press again for all matching on the server",
    ),
    Binding(
        "a", "archive", "Archive", id="archive", tooltip="Archive the selection (or the notification under the cursor)"
    ),
    Binding(
        "a",
        "unarchive",
        "To inbox",
        id="unarchive",
        tooltip="In Archived: move the selection (or the cursor's) back to the Inbox",
    ),
    Binding(
        "d,delete",
        "delete",
        "Delete",
        id="delete",
        tooltip="Delete the selection (or the notification under the cursor), after you confirm",
    ),
    Binding("u", "undo", "Undo", show=False, id="undo", tooltip="Undo the last archive or move to the inbox"),
    Binding("slash", "search", "Search", id="search", tooltip="Search subjects and messages on the server"),
    Binding("s", "toggle_sort", "Sort", show=False, id="toggle-sort", tooltip="Sort newest or oldest first"),
    Binding("ctrl+r,f5", "refresh", "Refresh", id="refresh", tooltip="Load the lists and counts again"),
    Binding(
        "o",
        "open_item",
        "Open",
        show=False,
        id="open-item",
        tooltip="Open the referenced item in the browser (over SSH: show its link)",
    ),
    Binding(
        "y",
        "copy_link",
        "Copy link",
        show=False,
        id="copy-link",
        tooltip="Copy the referenced item's link to the clipboard",
    ),
    Binding("c", "compose", "Compose", id="compose", tooltip="Write a new notification"),
    Binding("r", "reply", "Reply", show=False, id="reply", tooltip="Reply to the sender of this notification"),
    Binding("question_mark,f1", "help", "Help", id="help", tooltip="Show every key"),
    Binding("q", "quit", "Quit", id="quit", tooltip="Quit"),
    Binding(
        "ctrl+p",
        "command_palette",
        "Commands",
        show=False,
        priority=True,
        id="command-palette",
        tooltip="Find any action (and the themes) by name",
    ),
]

EMPTY_TEXT = {INBOX: "Your inbox is empty.", ARCHIVED: "Nothing is archived."}

INBOX_FILTER = {"status": {"_neq": ARCHIVED}}
"""The Inbox tab: every status but "archived", so a status the server allows but no tab is named
for (an ordinary user may set "read") is still shown, marked, rather than hidden."""

OLDEST_FIRST = ("timestamp", "id")
NARROW = 100
"""Below this many columns the panes are stacked."""
COUNT_CHECK_SECONDS = 30.0
"""How often the tabs' counts are asked of the server again."""

PERMISSION_OF_ACTION = {
    "archive": "archive",
    "unarchive": "archive",
    "delete": "delete",
    "compose": "create",
    "reply": "create",
}
NEEDS_ITEM = ("open_item", "copy_link")


STYLESHEETS = ("app.tcss", "list.tcss", "preview.tcss", "dialogs.tcss")
"""The main view's styles; screens that load on demand (compose) bring their own."""


def plural(count: int, noun: str = "notification", nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


@dataclass(frozen=True)
class PaletteEntry:
    title: str
    help: str
    action: str


@dataclass(frozen=True)
class StatusMove:
    """An archive or a move back to the inbox, remembered so that ``u`` can undo it."""

    previous: dict[int, str]
    """Each notification's status before the move."""
    new_status: str


class InboxApp(App[None]):
    """The inbox of the user the backend signs in as."""

    TITLE = "directus-inbox"
    CSS_PATH = [style_file(name) for name in STYLESHEETS]
    BINDINGS = KEYS
    COMMANDS = App.COMMANDS | {InboxCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]

    def __init__(
        self,
        backend: InboxBackend,
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        """``clock`` and ``tz`` fix "now" and the zone times are shown in (snapshot tests)."""
        super().__init__()
        self.backend = backend
        self.settings = settings or Settings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.count_check_seconds = COUNT_CHECK_SECONDS
        self.tz = tz
        self.names = UserNames()
        self.me: User | None = None
        self.capabilities: Capabilities | None = None
        self.session_error: InboxError | None = None
        self.counts: dict[str, int | None] = {INBOX: None, ARCHIVED: None}
        self.tab = INBOX
        self.search_text = ""
        self.oldest_first = False
        self.last_move: StatusMove | None = None
        self.busy: str | None = None
        """What a bulk operation in flight is doing ("Archiving 1,000 notifications")."""
        self._cursor_availability: tuple[str | None, ...] = ()

    # --- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield InboxHeader(id="header")
        with Horizontal(id="panes"):
            with Vertical(id="list-pane"):
                yield FolderTabs(id="tabs")
                yield Input(placeholder="Search subjects and messages · enter searches · esc clears", id="search")
                with ContentSwitcher(initial=f"{INBOX}-list", id="lists"):
                    for tab in (INBOX, ARCHIVED):
                        yield NotificationList(
                            tab,
                            names=self.names,
                            clock=self.clock,
                            tz=self.tz,
                            empty_text=EMPTY_TEXT[tab],
                            id=f"{tab}-list",
                        )
                yield StatusLine(id="status")
            yield Preview(names=self.names, tz=self.tz, id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.set_keymap(self.settings.keymap)
        if self.settings.theme:
            if self.settings.theme in self.available_themes:
                self.theme = self.settings.theme
            else:
                self.notify(
                    f"There is no theme called {clean_line(self.settings.theme)!r}; using the default. "
                    "Pick one with ctrl+p → Theme.",
                    severity="warning",
                    markup=False,
                )
        self.query_one(InboxHeader).show("Signing in…", self.location_label())
        self.query_one(StatusLine).hide_progress()
        self.load_session()
        self.load_counts()
        for notification_list in self.lists():
            notification_list.reset()
        self.current_list.focus()
        self.set_interval(60, self._minute_passed)
        self.set_interval(self.count_check_seconds, self._check_counts)
        self._update_status()

    def _check_counts(self) -> None:
        # Notifications arrive from other people: the tabs' counts follow the server without a
        # refresh (the lists themselves are reloaded by ctrl+r, not under the user's cursor).
        # A slow server must not have each check cancel the one before it (the worker is exclusive).
        counting = any(worker.group == "counts" and not worker.is_finished for worker in self.workers)
        if self.busy is None and not counting:
            self.load_counts()

    async def _on_message(self, message: Message) -> None:
        # A worker may finish while the app shuts down: Textual stops the app, removes the screens,
        # then still delivers what is queued. A page arriving then has no list to go into.
        if isinstance(message, WorkReport) and (self._exit or not self.is_running):
            return
        await super()._on_message(message)

    # --- helpers the actions share --------------------------------------------------------------
    def lists(self) -> list[NotificationList]:
        return [self.list_of(INBOX), self.list_of(ARCHIVED)]

    def list_of(self, tab: str) -> NotificationList:
        return self.query_one(f"#{tab}-list", NotificationList)

    @property
    def current_list(self) -> NotificationList:
        return self.list_of(self.tab)

    def location_label(self) -> str:
        info = self.backend.info
        if info.is_embedded:
            return f"embedded inbox ({self.settings.embedded_reason})"
        host = urlsplit(info.location).netloc or info.location
        return f"{host} (GraphQL)" if info.kind == "graphql" else host

    def query_for(self, tab: str, **overrides: Any) -> Query:
        """The server query behind a tab, with the current search and sort order."""
        fields: dict[str, Any] = {
            "mine": True,
            "status": ARCHIVED if tab == ARCHIVED else None,
            "filter": INBOX_FILTER if tab == INBOX else None,
            "search": self.search_text or None,
            "sort": OLDEST_FIRST if self.oldest_first else DEFAULT_SORT,
        }
        fields.update(overrides)
        return Query(**fields)

    def item_url(self, notification: Notification | None) -> str | None:
        if notification is None:
            return None
        return safe_url(self.backend.info.item_url(notification.collection, notification.item))

    def key_for(self, binding_id: str) -> str:
        """The keys of a binding as the user has them (after their keymap), for messages."""
        binding = next(binding for binding in KEYS if binding.id == binding_id)
        keys = self.settings.keymap.get(binding_id, binding.key)
        return "/".join(self.get_key_display(Binding(key.strip(), binding.action)) for key in keys.split(","))

    def unavailable_reason(self, action: str) -> str | None:
        """Why an action cannot be taken now, in a sentence for the user; ``None`` when it can."""
        permission = PERMISSION_OF_ACTION.get(action)
        if permission is not None:
            if self.capabilities is None:
                if self.session_error is not None:
                    return f"Not connected: {clean_line(str(self.session_error))}"
                return "Still signing in; try again in a moment."
            reason = self.capabilities.why_not(permission)  # type: ignore[arg-type]
            if reason:
                return reason
        current = self.current_list.current
        if action == "reply":
            if current is None:
                return "There is no notification here to reply to."
            if current.sender_id is None:
                return "This notification came from the system; there is no sender to reply to."
        if action in NEEDS_ITEM:
            if current is None:
                return "There is no notification here."
            if not current.collection or not current.item:
                return "This notification does not refer to an item."
            if self.item_url(current) is None:
                return "The embedded inbox has no Data Studio to link to."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_tab":
            # A priority binding (so it wins over focus-next); in a dialog, tab moves the focus.
            return not self.screen.is_modal
        if action in ("archive", "unarchive") and action != self.move_action:
            return False
        if action in PERMISSION_OF_ACTION or action in NEEDS_ITEM:
            # None: shown dimmed in the footer; pressing the key explains why (see on_key).
            return None if self.unavailable_reason(action) else True
        return True

    def _refresh_bindings_if_changed(self) -> None:
        """Redraw the footer only when what the cursor's row allows has changed (a redraw per
        cursor move would make a held j stutter)."""
        availability = tuple(self.unavailable_reason(action) for action in ("reply", *NEEDS_ITEM))
        if availability != self._cursor_availability:
            self._cursor_availability = availability
            self.refresh_bindings()

    def on_key(self, event: events.Key) -> None:
        """A key bound to an unavailable action says why, instead of doing nothing."""
        active = self.screen.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        reason = self.unavailable_reason(active.binding.action)
        if reason:
            event.stop()
            self.notify(reason, title=active.binding.description, severity="warning", markup=False)

    def _notify_error(self, what: str, error: InboxError) -> None:
        self.notify(f"{what}: {clean_line(str(error))}", severity="error", markup=False, timeout=10)

    # --- help and palette -----------------------------------------------------------------------
    @property
    def move_action(self) -> str:
        """Of the two actions bound to a: archive in the Inbox, back to the inbox in Archived."""
        return "archive" if self.tab == INBOX else "unarchive"

    def _offered(self) -> list[Binding]:
        """The bindings that apply in this tab."""
        return [
            binding
            for binding in KEYS
            if binding.action not in ("archive", "unarchive") or binding.action == self.move_action
        ]

    def help_lines(self) -> list[HelpLine]:
        return [
            HelpLine(self.key_for(binding.id or ""), binding.tooltip, self.unavailable_reason(binding.action))
            for binding in self._offered()
        ]

    def palette_entries(self) -> list[PaletteEntry]:
        return [
            PaletteEntry(binding.description, f"{self.key_for(binding.id or '')} · {binding.tooltip}", binding.action)
            for binding in self._offered()
            if binding.action != "command_palette"
        ]

    async def run_palette_entry(self, entry: PaletteEntry) -> None:
        reason = self.unavailable_reason(entry.action)
        if reason:
            self.notify(reason, title=entry.title, severity="warning", markup=False)
            return
        await self.run_action(entry.action)

    # --- session, pages, counts, names: the workers and what they report -------------------------
    @work(exclusive=True, group="session")
    async def load_session(self) -> None:
        try:
            me = await self.backend.me()
            capabilities = await self.backend.capabilities()
        except InboxError as error:
            self.post_message(SessionFailed(error))
            return
        self.post_message(SessionStarted(me, capabilities))

    @on(SessionStarted)
    def _session_started(self, event: SessionStarted) -> None:
        self.me, self.capabilities, self.session_error = event.me, event.capabilities, None
        self.names.learn([event.me.id], [event.me])
        self.query_one(InboxHeader).show(event.me.display_name, self.location_label())
        self.refresh_bindings()

    @on(SessionFailed)
    def _session_failed(self, event: SessionFailed) -> None:
        self.session_error = event.error
        self.query_one(InboxHeader).show("Not connected", self.location_label())
        self._notify_error("Could not sign in", event.error)
        self.refresh_bindings()

    @work(exclusive=True, group="counts")
    async def load_counts(self) -> None:
        try:
            counts = [
                (
                    await self.backend.list_notifications(
                        Query(mine=True, status=status, filter=where, limit=1, fields=("id",))
                    )
                ).filter_count
                for status, where in ((None, INBOX_FILTER), (ARCHIVED, None))
            ]
        except InboxError:
            # The lists' own loads fail too and say so; the tabs keep the counts they show.
            return
        self.post_message(CountsChanged(*counts))

    @on(CountsChanged)
    def _counts_changed(self, event: CountsChanged) -> None:
        self._show_counts({INBOX: event.inbox, ARCHIVED: event.archived})

    def _show_counts(self, counts: dict[str, int | None]) -> None:
        self.counts.update(counts)
        tabs = self.query_one(FolderTabs)
        for tab, count in self.counts.items():
            tabs.set_count(tab, count)

    @on(NotificationList.PagesNeeded)
    def _pages_needed(self, event: NotificationList.PagesNeeded) -> None:
        tab = event.notification_list.tab
        # Exclusive per tab: a jump (G) cancels the load of pages the user has moved away from.
        self.run_worker(
            self._load_pages(tab, event.generation, sorted(event.pages)), group=f"pages-{tab}", exclusive=True
        )

    async def _load_pages(self, tab: str, generation: int, pages: list[int]) -> None:
        for page in pages:
            try:
                result = await self.backend.list_notifications(self.query_for(tab, page=page + 1))
            except InboxError as error:
                self.post_message(PageLoadFailed(tab, generation, error))
                return
            self.post_message(PageLoaded(tab, generation, page, result.items, result.filter_count))

    @on(PageLoaded)
    def _page_loaded(self, event: PageLoaded) -> None:
        self.list_of(event.tab).page_loaded(event.generation, event.page_number, event.items, event.filter_count)
        self._learn_names(event.items)
        self._after_load(event.tab)

    def _after_load(self, tab: str) -> None:
        if tab == self.tab and self.current_list.row_count == 0:
            self._show_preview()  # no cursor moved, but "loading" became "empty"
        self._update_status()

    @on(PageLoadFailed)
    def _page_load_failed(self, event: PageLoadFailed) -> None:
        notification_list = self.list_of(event.tab)
        had_rows = notification_list.cache.known
        notification_list.page_failed(event.generation, clean_line(str(event.error)))
        self._after_load(event.tab)
        if had_rows:
            # With nothing loaded the list shows the reason in place; otherwise say it here.
            self._notify_error("Could not load more notifications", event.error)

    def reload(self, tab: str) -> None:
        """Fetch again what a list shows, keeping it on screen until the new pages are in."""
        notification_list = self.list_of(tab)
        if notification_list.mutations:
            return  # it reloads when its own change is over
        generation, pages = notification_list.begin_reload()
        self.run_worker(self._reload_pages(tab, generation, sorted(pages)), group=f"reload-{tab}", exclusive=True)

    async def _reload_pages(self, tab: str, generation: int, pages: list[int]) -> None:
        fetched: dict[int, list[Notification]] = {}
        filter_count = 0
        try:
            for page in pages:
                result = await self.backend.list_notifications(self.query_for(tab, page=page + 1))
                fetched[page] = result.items
                filter_count = result.filter_count
        except InboxError as error:
            self.post_message(ListReloadFailed(tab, generation, error))
            return
        self.post_message(ListReloaded(tab, generation, fetched, filter_count))

    @on(ListReloaded)
    def _list_reloaded(self, event: ListReloaded) -> None:
        self.list_of(event.tab).reloaded(event.generation, event.pages, event.filter_count)
        for items in event.pages.values():
            self._learn_names(items)
        self._after_load(event.tab)

    @on(ListReloadFailed)
    def _list_reload_failed(self, event: ListReloadFailed) -> None:
        self.list_of(event.tab).reload_failed(event.generation, clean_line(str(event.error)))
        self._after_load(event.tab)
        if event.tab == self.tab:
            self._notify_error("Could not refresh; showing what was loaded before", event.error)

    def _learn_names(self, items: Iterable[Notification]) -> None:
        unknown = self.names.claim_unknown(ref for item in items for ref in (item.sender, item.recipient))
        if unknown:
            self.resolve_users(unknown)

    @work(group="users")
    async def resolve_users(self, ids: set[str]) -> None:
        try:
            users = await self.backend.users(ids=ids)
        except InboxError:
            # Names are a nicety: without them rows show short ids, as for users one may not read.
            users = []
        self.post_message(UsersResolved(ids, users))

    @on(UsersResolved)
    def _users_resolved(self, event: UsersResolved) -> None:
        self.names.learn(event.asked, event.users)
        for notification_list in self.lists():
            notification_list.redraw()
        self.query_one(Preview).refresh_names()

    # --- what the lists report -------------------------------------------------------------------
    @on(NotificationList.CursorMoved)
    def _cursor_moved(self, event: NotificationList.CursorMoved) -> None:
        if event.notification_list.tab == self.tab:
            self._show_preview()
            self._refresh_bindings_if_changed()
        self._update_status()

    @on(NotificationList.SelectionChanged)
    def _selection_changed(self, event: NotificationList.SelectionChanged) -> None:
        self._update_status()

    def _show_preview(self) -> None:
        notification_list = self.current_list
        current = notification_list.current
        if notification_list.problem is not None:
            empty = "Not loaded."
        elif notification_list.cache.known and notification_list.row_count == 0:
            empty = notification_list.empty_text
        else:
            empty = "Loading…"
        no_link = (
            "no Data Studio link in the embedded inbox" if self.backend.info.is_embedded else "no link for this item"
        )
        self.query_one(Preview).show(current, item_url=self.item_url(current), no_link_reason=no_link, empty_text=empty)

    def _update_status(self) -> None:
        notification_list = self.current_list
        parts: list[Content | str | tuple[str, str]] = []
        if self.busy:
            parts.append((self.busy, "bold"))
        if notification_list.all_matching:
            parts.append((f"All {notification_list.row_count:,} selected", "bold $accent"))
        elif notification_list.selected:
            parts.append((f"{len(notification_list.selected):,} selected", "bold $accent"))
        if self.search_text:
            parts.append(
                Content.assemble(
                    "Search ",
                    (f"“{self.search_text}”", "bold"),
                    f": {plural(notification_list.row_count, 'match', 'matches')}"
                    if notification_list.cache.known
                    else "",
                )
            )
        if self.oldest_first:
            parts.append("Oldest first")
        if notification_list.row_count:
            parts.append((f"{notification_list.cursor + 1:,}/{notification_list.row_count:,}", "$text-muted"))
        pieces: list[Content | str | tuple[str, str]] = []
        for part in parts:
            if pieces:
                pieces.append(("  ·  ", "$text-muted"))
            pieces.append(part)
        self.query_one(StatusLine).show(Content.assemble(*pieces))

    def _minute_passed(self) -> None:
        for notification_list in self.lists():
            notification_list.redraw()

    # --- moving around -----------------------------------------------------------------------------
    def action_cursor_down(self) -> None:
        self.current_list.move_cursor_by(1)

    def action_cursor_up(self) -> None:
        self.current_list.move_cursor_by(-1)

    def action_cursor_first(self) -> None:
        self.current_list.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.current_list.move_cursor(self.current_list.row_count - 1)

    def action_page_down(self) -> None:
        self.current_list.move_cursor_by(self.current_list.page_height())

    def action_page_up(self) -> None:
        self.current_list.move_cursor_by(-self.current_list.page_height())

    def action_next_tab(self) -> None:
        self.action_show_tab(ARCHIVED if self.tab == INBOX else INBOX)

    def action_show_tab(self, tab: str) -> None:
        # Switch at once, not when the tabs report it: a key typed right after must act on this tab.
        self.tab = tab
        self.query_one(FolderTabs).active = tab
        self.query_one(ContentSwitcher).current = f"{tab}-list"
        self.current_list.focus()
        self._show_preview()
        self._update_status()
        self.refresh_bindings()

    @on(Tabs.TabActivated, "#tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        tab = event.tab.id or INBOX
        if tab != self.tab:
            self.action_show_tab(tab)

    def action_read(self) -> None:
        if self.current_list.current is not None:
            self.query_one(Preview).focus()

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if self.focused is search:
            search.display = False
            self._apply_search("")
            self.current_list.focus()
        elif self.focused is self.query_one(Preview):
            self.current_list.focus()
        elif self.current_list.clear_selection():
            pass
        elif self.search_text:
            self._apply_search("")

    # --- selection ---------------------------------------------------------------------------------
    def action_toggle_selection(self) -> None:
        if self.current_list.toggle():
            self.current_list.move_cursor_by(1)

    def action_select_all(self) -> None:
        notification_list = self.current_list
        total = notification_list.row_count
        if notification_list.everything_loaded_is_selected and total > len(notification_list.selected):
            notification_list.select_all_matching()
            self.notify(
                f"Selected all {total:,} in {TAB_TITLES[self.tab]}"
                f"{' matching the search' if self.search_text else ''}.",
                markup=False,
            )
            return
        selected = notification_list.select_loaded()
        if total > selected:
            self.notify(
                f"Selected the {selected:,} loaded. Press {self.key_for('select-all')} again to select "
                f"all {total:,}{' matching the search' if self.search_text else ''}.",
                markup=False,
            )

    # --- archive, delete, undo ----------------------------------------------------------------------
    def action_archive(self) -> None:
        self._move(ARCHIVED)

    def action_unarchive(self) -> None:
        self._move(INBOX)

    def _targets(self, verb: str) -> tuple[NotificationList, list[int] | None, int] | None:
        notification_list = self.current_list
        targets = notification_list.targets()
        count = notification_list.row_count if targets is None else len(targets)
        if not count:
            self.notify(f"Nothing to {verb}.", severity="warning")
            return None
        return notification_list, targets, count

    def _move(self, new_status: str) -> None:
        action = "archive" if new_status == ARCHIVED else "unarchive"
        reason = self.unavailable_reason(action)
        if reason:
            self.notify(reason, severity="warning", markup=False)
            return
        chosen = self._targets("archive" if new_status == ARCHIVED else "move")
        if chosen is None:
            return
        notification_list, targets, count = chosen
        loaded_status = {item.id: item.status for item in notification_list.cache.loaded()}
        previous = None if targets is None else {key: loaded_status.get(key, notification_list.tab) for key in targets}
        removal = notification_list.take_out(targets)
        source = notification_list.tab
        self._show_counts(
            {source: max(0, (self.counts[source] or 0) - count), new_status: (self.counts[new_status] or 0) + count}
        )
        verb = "Archiving" if new_status == ARCHIVED else "Moving to the inbox"
        self._begin_busy(f"{verb} {plural(count)}…", count)
        self.move_notifications(source, previous, removal, new_status)

    @work(group="bulk")
    async def move_notifications(
        self, tab: str, previous: dict[int, str] | None, removal: Removal, new_status: str
    ) -> None:
        verb = "Archiving" if new_status == ARCHIVED else "Moving"
        try:
            if previous is None:
                previous = await self._matching(tab)
            await self.backend.update_many(
                list(previous), NotificationChanges(status=new_status), progress=self._reporter(verb)
            )
        except InboxError as error:
            self.post_message(ArchiveFailed(tab, removal, error, new_status))
            return
        self.post_message(ArchiveDone(tab, previous, new_status))

    async def _matching(self, tab: str) -> dict[int, str]:
        """Every notification the tab's query matches on the server: id -> status, page by page.

        Collecting 70,000 ids takes a while too, so it moves the progress bar like the operation.
        """
        found: dict[int, str] = {}
        report = self._reporter("Finding")
        page = 1
        while True:
            result = await self.backend.list_notifications(
                self.query_for(tab, fields=("id", "status"), sort=("id",), limit=BATCH_CHUNK, page=page)
            )
            found.update((item.id, item.status) for item in result.items)
            report(len(found), max(result.filter_count, len(found)))
            if len(result.items) < BATCH_CHUNK:
                return found
            page += 1

    def _reporter(self, verb: str) -> Callable[[int, int], None]:
        return lambda done, total: self.post_message(BulkProgress(verb, done, total))

    def _begin_busy(self, text: str, count: int) -> None:
        self.busy = text
        status = self.query_one(StatusLine)
        if count > BATCH_CHUNK:
            status.show_progress(0, count)
        self._update_status()

    def _end_busy(self) -> None:
        self.busy = None
        self.query_one(StatusLine).hide_progress()
        self._update_status()

    @on(BulkProgress)
    def _bulk_progress(self, event: BulkProgress) -> None:
        if event.total > BATCH_CHUNK:
            self.query_one(StatusLine).show_progress(event.done, event.total)

    @on(ArchiveDone)
    def _archive_done(self, event: ArchiveDone) -> None:
        self.last_move = StatusMove(event.previous, event.new_status)
        count = len(event.previous)
        done = "Archived" if event.new_status == ARCHIVED else "Moved to the inbox:"
        self.notify(f"{done} {plural(count)}. Press {self.key_for('undo')} to undo.", markup=False)
        self._change_over(event.tab)

    @on(ArchiveFailed)
    def _archive_failed(self, event: ArchiveFailed) -> None:
        self.list_of(event.tab).put_back(event.removal)
        what = "archive" if event.new_status == ARCHIVED else "move to the inbox"
        self._notify_error(f"Could not {what}; nothing was lost, the rows are back", event.error)
        self._change_over(event.tab)

    def _change_over(self, tab: str) -> None:
        """An operation on ``tab`` is over: reload both lists (the other one gained or lost rows)."""
        self._end_busy()
        if self.list_of(tab).finish_change():
            self.reload(tab)
        other = ARCHIVED if tab == INBOX else INBOX
        self.reload(other)
        self.load_counts()

    def action_delete(self) -> None:
        reason = self.unavailable_reason("delete")
        if reason:
            self.notify(reason, severity="warning", markup=False)
            return
        chosen = self._targets("delete")
        if chosen is None:
            return
        notification_list, targets, count = chosen
        detail = None
        if count == 1 and notification_list.current is not None and targets == [notification_list.current.id]:
            current = notification_list.current
            detail = Content.assemble(
                (clean_line(current.subject) or "(no subject)", "bold"), " from ", self.names.label(current.sender)
            )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(notification_list, targets, count)

        self.push_screen(ConfirmScreen(f"Delete {plural(count)}? This cannot be undone.", detail=detail), confirmed)

    def _delete(self, notification_list: NotificationList, targets: list[int] | None, count: int) -> None:
        removal = notification_list.take_out(targets)
        tab = notification_list.tab
        self._show_counts({tab: max(0, (self.counts[tab] or 0) - count)})
        self._begin_busy(f"Deleting {plural(count)}…", count)
        self.delete_notifications(tab, targets, removal)

    @work(group="bulk")
    async def delete_notifications(self, tab: str, keys: list[int] | None, removal: Removal) -> None:
        try:
            if keys is None:
                keys = list(await self._matching(tab))
            await self.backend.delete_many(keys, progress=self._reporter("Deleting"))
        except InboxError as error:
            self.post_message(DeleteFailed(tab, removal, error))
            return
        self.post_message(DeleteDone(tab, len(keys)))

    @on(DeleteDone)
    def _delete_done(self, event: DeleteDone) -> None:
        self.notify(f"Deleted {plural(event.count)}.")
        if self.last_move is not None:
            # The undo must not resurrect what is gone; the rest of the move can still be undone.
            self.last_move = None
        self._change_over(event.tab)

    @on(DeleteFailed)
    def _delete_failed(self, event: DeleteFailed) -> None:
        self.list_of(event.tab).put_back(event.removal)
        self._notify_error("Could not delete", event.error)
        self._change_over(event.tab)

    def action_undo(self) -> None:
        move = self.last_move
        if move is None:
            self.notify("Nothing to undo.", severity="warning")
            return
        self.last_move = None
        self._begin_busy(f"Undoing: {plural(len(move.previous))}…", len(move.previous))
        self.undo_move(move)

    @work(group="bulk")
    async def undo_move(self, move: StatusMove) -> None:
        by_status: dict[str, list[int]] = {}
        for key, status in move.previous.items():
            by_status.setdefault(status, []).append(key)
        try:
            for status, keys in by_status.items():
                await self.backend.update_many(
                    keys, NotificationChanges(status=status), progress=self._reporter("Undoing")
                )
        except InboxError as error:
            self.post_message(UndoFailed(error))
            return
        self.post_message(UndoDone(len(move.previous)))

    @on(UndoDone)
    def _undo_done(self, event: UndoDone) -> None:
        self.notify(f"Undone: {plural(event.count)} back where they were.")
        self._end_busy()
        self._refresh_everything()

    @on(UndoFailed)
    def _undo_failed(self, event: UndoFailed) -> None:
        self._notify_error("Could not undo", event.error)
        self._end_busy()
        self._refresh_everything()

    # --- search, sort, refresh ----------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = self.search_text
        search.display = True
        search.focus()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self._apply_search(event.value.strip())
        self.current_list.focus()

    def _apply_search(self, text: str) -> None:
        self.search_text = clean_line(text)
        for notification_list in self.lists():
            notification_list.empty_text = (
                f"No notifications match “{self.search_text}”."
                if self.search_text
                else EMPTY_TEXT[notification_list.tab]
            )
            notification_list.reset()
        self._update_status()

    def action_toggle_sort(self) -> None:
        self.oldest_first = not self.oldest_first
        for notification_list in self.lists():
            notification_list.reset()
        self.notify("Oldest first." if self.oldest_first else "Newest first.")
        self._update_status()

    def action_refresh(self) -> None:
        self._refresh_everything()
        if self.session_error is not None:
            self.load_session()

    def _refresh_everything(self) -> None:
        for tab in (INBOX, ARCHIVED):
            self.reload(tab)
        self.load_counts()

    # --- the referenced item -----------------------------------------------------------------------
    def action_open_item(self) -> None:
        reason = self.unavailable_reason("open_item")
        url = self.item_url(self.current_list.current)
        if reason or url is None:
            self.notify(reason or "There is no link.", severity="warning", markup=False)
            return
        self.open_link(url)

    def open_link(self, url: str) -> None:
        """Open in a browser; where there is none here (over SSH, say), show the link instead."""
        if os.environ.get("SSH_CONNECTION") or not has_browser():
            self.notify(url, title="Open this link on your own computer", markup=False, timeout=20)
            return
        self.open_url(url)
        self.notify(url, title="Opening in the browser", markup=False)

    def action_copy_link(self) -> None:
        reason = self.unavailable_reason("copy_link")
        url = self.item_url(self.current_list.current)
        if reason or url is None:
            self.notify(reason or "There is no link.", severity="warning", markup=False)
            return
        self.copy_to_clipboard(url)
        self.notify(url, title="Copied the link", markup=False)

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        url = safe_url(event.href)
        if url is None:
            self.notify("Only http(s) and mailto links are opened.", severity="warning")
            return
        self.open_link(url)

    # --- compose and reply ---------------------------------------------------------------------------
    def action_compose(self) -> None:
        self._open_composer(None)

    def action_reply(self) -> None:
        self._open_composer(self.current_list.current)

    def _open_composer(self, reply_to: Notification | None) -> None:
        action = "compose" if reply_to is None else "reply"
        reason = self.unavailable_reason(action)
        if reason or self.me is None or self.capabilities is None:
            self.notify(reason or "Still signing in; try again in a moment.", severity="warning", markup=False)
            return
        from app.ui.screens.compose import ComposeScreen  # the composer loads only when it is used

        reply_name = self.names.label(reply_to.sender) if reply_to is not None else None
        self.push_screen(
            ComposeScreen(
                self.backend, me=self.me, capabilities=self.capabilities, reply_to=reply_to, reply_to_name=reply_name
            ),
            self._announce_sent,
        )

    def _announce_sent(self, created: list[Notification] | None) -> None:
        if created:
            self.notify(f"Sent {plural(len(created))}.")
            self._refresh_everything()

    # --- help ---------------------------------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_lines()))


def has_browser() -> bool:
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True
