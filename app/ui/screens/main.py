"""The inbox view: the Inbox and Archived lists of one Directus user, the preview, and their keys.

It owns what is shown for one backend: who the user is and what they may do, the tabs' counts,
the two lists (``NotificationList``, which own their cursor and selection keys), the search and
the sort order. Network work runs in workers that post the messages of ``app.ui.messages``; the
handlers here update the widgets. Archive, delete and undo live in ``app.ui.bulk``.
"""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Markdown, Tabs

from app.backend import InboxBackend
from app.errors import InboxError
from app.models import ARCHIVED, DEFAULT_SORT, INBOX, OLDEST_FIRST, Capabilities, Folder, Notification, Query, User
from app.sanitize import clean_line, safe_url
from app.startup import Prefetch
from app.ui import keys
from app.ui.bulk import BulkActions, plural
from app.ui.keys import KeySection
from app.ui.live import LiveUpdates
from app.ui.loading import Loader
from app.ui.messages import BulkReport, LiveChanged, LiveStopped, LoadReport, TriageReport, WorkReport
from app.ui.triage import Triage
from app.ui.unified import own_backend, unified_status
from app.ui.user_names import UserNames
from app.ui.widgets.filter_bar import FilterBar
from app.ui.widgets.header import InboxHeader
from app.ui.widgets.notification_list import NotificationList
from app.ui.widgets.preview import Preview
from app.ui.widgets.status_line import StatusLine
from app.ui.widgets.tabs import FolderTabs

if TYPE_CHECKING:
    from app.ui.app import InboxApp

EMPTY_TEXT = {INBOX: "Your inbox is empty.", ARCHIVED: "Nothing is archived."}


PERMISSION_OF_ACTION = {
    "archive": "archive",
    "unarchive": "archive",
    "delete": "delete",
    "compose": "create",
    "reply": "create",
    "purge": "delete",
}
NEEDS_ITEM = ("open_item", "copy_link")


class MainScreen(Screen[None]):
    """The inbox and the archive of the user the backend signs in as."""

    BINDINGS = keys.MAIN_VIEW

    def __init__(
        self,
        backend: InboxBackend,
        *,
        embedded_reason: str = "",
        prefetch: Prefetch | None = None,
        id: str = "main",  # one per profile opened (``app.ui.profiles``): each its own
    ) -> None:
        super().__init__(id=id)
        self.backend = backend
        self.embedded_reason = embedded_reason
        self.names = UserNames()
        self.me: User | None = None
        self.capabilities: Capabilities | None = None
        self.session_error: InboxError | None = None
        self.counts: dict[Folder, int | None] = {INBOX: None, ARCHIVED: None}
        self.tab: Folder = INBOX
        self.search_text = ""
        self.oldest_first = False
        self.loader = Loader(self, prefetch)
        self.bulk = BulkActions(self)
        self.live = LiveUpdates(self)
        self.unified = unified_status(backend)
        """What is shown of each server of a unified inbox (``None`` for one server)."""
        self.triage = Triage(self)

    @property
    def inbox_app(self) -> InboxApp:
        return cast("InboxApp", self.app)

    # --- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        clock, tz = self.inbox_app.clock, self.inbox_app.tz
        yield InboxHeader(id="header")
        with Horizontal(id="panes"):
            with Vertical(id="list-pane"):
                yield FolderTabs(id="tabs")
                yield Input(placeholder="Search subjects and messages · enter searches · esc clears", id="search")
                yield FilterBar(id="filter-bar")
                with ContentSwitcher(initial=f"{INBOX}-list", id="lists"):
                    for tab in (INBOX, ARCHIVED):
                        yield NotificationList(
                            tab, names=self.names, clock=clock, tz=tz, empty_text=EMPTY_TEXT[tab], id=f"{tab}-list"
                        )
                yield StatusLine(id="status")
            yield Preview(names=self.names, tz=tz, id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(InboxHeader).show("Signing in…", self.location_label())
        self.query_one(StatusLine).hide_progress()
        self.loader.load_session()
        # The Inbox first (its first page also gives its count); Archived, and both counts, once
        # that page is in: at the start every request waits on the others at the server.
        self.list_of(INBOX).reset()
        self.list_of(ARCHIVED).reset(load=False)
        self.current_list.focus()
        if self.unified is not None:
            for notification_list in self.lists():
                notification_list.tags = self.unified.tags
        self.set_interval(60, self._minute_passed)
        self.triage.start()
        self.update_status()

    async def _on_message(self, message: Message) -> None:
        # A worker may finish while the app shuts down: Textual stops the app, removes the screens,
        # then still delivers what is queued. A page arriving then has no list to go into.
        if isinstance(message, WorkReport) and (self.app._exit or not self.app.is_running or not self.is_attached):
            return
        await super()._on_message(message)

    # --- what the actions share -------------------------------------------------------------------
    def lists(self) -> list[NotificationList]:
        return [self.list_of(INBOX), self.list_of(ARCHIVED)]

    def list_of(self, tab: Folder) -> NotificationList:
        return self.query_one(f"#{tab}-list", NotificationList)

    @property
    def current_list(self) -> NotificationList:
        return self.list_of(self.tab)

    def location_label(self) -> str:
        if self.unified is not None:
            return self.unified.location_label()
        info = self.backend.info
        if info.is_embedded:
            return f"embedded inbox ({self.embedded_reason})"
        host = urlsplit(info.location).netloc or info.location
        return f"{host} (GraphQL)" if info.kind == "graphql" else host

    def query_for(self, tab: Folder, *, filtered: bool = True, **overrides: Any) -> Query:
        """The server query behind a tab, with the current search and sort order, and the triage
        (``filtered=False``: the tab's own, without the filters, for its count)."""
        options: dict[str, Any] = {
            "search": self.search_text or None,
            "sort": OLDEST_FIRST if self.oldest_first else DEFAULT_SORT,
        }
        options.update(overrides)
        return self.triage.narrow(Query.of_folder(tab, **options), tab, filtered=filtered)

    def item_url(self, notification: Notification | None) -> str | None:
        if notification is None:
            return None
        info = own_backend(self.backend, notification).info
        return safe_url(info.item_url(notification.collection, notification.item))

    def explain(self, binding_id: str, reason: str) -> None:
        """Why a key did nothing, titled with what the key is for."""
        self.notify(reason, title=keys.binding(binding_id).description, severity="warning", markup=False)

    def notify_error(self, what: str, error: InboxError) -> None:
        self.notify(f"{what}: {clean_line(str(error))}", severity="error", markup=False, timeout=10)

    # --- which keys apply, and why one does not ---------------------------------------------------
    @property
    def move_action(self) -> str:
        """Of the two actions bound to a: archive in the Inbox, back to the inbox in Archived."""
        return "archive" if self.tab == INBOX else "unarchive"

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
        if action == "snooze":
            return self.triage.why_not_snooze()
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("archive", "unarchive") and action != self.move_action:
            return False
        if action in PERMISSION_OF_ACTION and action != "reply":
            # None: shown dimmed in the footer; pressing the key explains why (see on_key). What
            # depends on the row under the cursor (reply, open, copy) is not in the footer and
            # explains itself when pressed: redrawing the footer as the cursor moved made a held
            # j lag (the footer is rebuilt widget by widget, and the screen laid out again).
            return None if self.unavailable_reason(action) else True
        return True

    def on_key(self, event: events.Key) -> None:
        """A key bound to an unavailable action says why, instead of doing nothing."""
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        reason = self.unavailable_reason(active.binding.action)
        if reason:
            event.stop()
            self.notify(reason, title=active.binding.description, severity="warning", markup=False)

    def key_sections(self) -> list[KeySection]:
        """The keys of this view for the help screen and the palette, the tab's a only."""
        offered: list[BindingType] = [
            binding
            for binding in keys.bindings(keys.MAIN_VIEW)
            if binding.action not in ("archive", "unarchive") or binding.action == self.move_action
        ]
        return [
            KeySection("Inbox", self, offered),
            KeySection("In the list", self.current_list, keys.LIST),
            KeySection("In the preview (after enter)", self.query_one(Preview), keys.PREVIEW),
        ]

    # --- loading: see app.ui.loading --------------------------------------------------------------
    def load_counts(self) -> None:
        self.loader.load_counts()

    def reload(self, tab: Folder) -> None:
        self.loader.reload(tab)

    def refresh_everything(self) -> None:
        self.loader.reload_everything()

    def show_counts(self, counts: Mapping[Folder, int | None]) -> None:
        self.counts.update(counts)
        tabs = self.query_one(FolderTabs)
        for tab, count in self.counts.items():
            tabs.set_count(tab, count)

    @on(NotificationList.PagesNeeded)
    def _pages_needed(self, event: NotificationList.PagesNeeded) -> None:
        self.loader.load_pages(event.notification_list.tab, event.generation, event.pages)

    @on(LoadReport)
    def _load_report(self, event: LoadReport) -> None:
        event.stop()  # the main view is where it belongs; the app has nothing to add
        self.loader.handle(event)

    @on(LiveChanged)
    def _live_changed(self, event: LiveChanged) -> None:
        event.stop()
        self.live.apply(event.batch)

    @on(LiveStopped)
    def _live_stopped(self, event: LiveStopped) -> None:
        event.stop()
        self.live.stopped = event.error
        self.update_status()

    @on(TriageReport)
    def _triage_report(self, event: TriageReport) -> None:
        event.stop()
        self.triage.handle(event)

    @on(BulkReport)
    def _bulk_report(self, event: BulkReport) -> None:
        event.stop()
        self.bulk.handle(event)

    # --- what the lists report -------------------------------------------------------------------
    @on(NotificationList.CursorMoved)
    def _cursor_moved(self, event: NotificationList.CursorMoved) -> None:
        if event.notification_list.tab == self.tab:
            self.show_preview()
        self.update_status()

    @on(NotificationList.SelectionChanged)
    def _selection_changed(self, event: NotificationList.SelectionChanged) -> None:
        self.update_status()

    def show_preview(self) -> None:
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

    def update_status(self) -> None:
        notification_list = self.current_list
        parts: list[Content | str | tuple[str, str]] = []
        if self.bulk.busy:
            parts.append((self.bulk.busy, "bold"))
        if notification_list.all_matching:
            parts.append((f"All {notification_list.row_count:,} selected", "bold $accent"))
        elif notification_list.selected:
            parts.append((f"{len(notification_list.selected):,} selected", "bold $accent"))
        if self.search_text:
            matches = plural(notification_list.row_count, "match", "matches")
            shown = f": {matches}" if notification_list.cache.known else ""
            parts.append(Content.assemble("Search ", (f"“{self.search_text}”", "bold"), shown))
        parts.extend(self.triage.status())
        if self.oldest_first:
            parts.append("Oldest first")
        if notification_list.unseen_above:
            key = self.inbox_app.key_for("cursor-first").split("/")[0]
            parts.append((f"{notification_list.unseen_above:,} new above ({key})", "bold $accent"))
        if self.unified is not None:
            parts[:0] = self.unified.alerts()
            parts.extend(self.unified.counts_of(self.tab, notification_list))
        following = self.live.status(self.inbox_app.clock())
        if following is not None:
            parts.append(following)
        if notification_list.row_count:
            parts.append((f"{notification_list.cursor + 1:,}/{notification_list.row_count:,}", "$text-muted"))
        self.query_one(StatusLine).show(parts)

    def _minute_passed(self) -> None:
        for notification_list in self.lists():
            notification_list.redraw()

    # --- tabs, reading, going back ----------------------------------------------------------------
    def action_next_tab(self) -> None:
        self.triage.next_tab()

    def action_show_tab(self, tab: Folder) -> None:
        self.triage.leave_view()
        # Switch at once, not when the tabs report it: a key typed right after must act on this tab.
        self.tab = tab
        self.query_one(FolderTabs).active = tab
        self.query_one(ContentSwitcher).current = f"{tab}-list"
        self.current_list.load_if_needed()
        self.current_list.focus()
        self.show_preview()
        self.update_status()
        self.refresh_bindings()

    @on(Tabs.TabActivated, "#tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        # A click. The event of a key's switch arrives later, perhaps after another switch: acting
        # on the event's tab then switched back, whose event switched again, without end. The
        # tabs' current state is the truth; it differs from ours only after a click.
        active = self.query_one(FolderTabs).active
        saved_view = self.triage.view_of_tab(active)
        if saved_view is not None:
            self.triage.show_view(saved_view)
            return
        tab: Folder = ARCHIVED if active == ARCHIVED else INBOX
        if tab != self.tab or self.triage.shown_view is not None:
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

    # --- archive, delete, undo: see app.ui.bulk ---------------------------------------------------
    def action_archive(self) -> None:
        self.bulk.move(ARCHIVED)

    def action_unarchive(self) -> None:
        self.bulk.move(INBOX)

    def action_delete(self) -> None:
        self.bulk.delete()

    def action_undo(self) -> None:
        if not self.triage.undo():
            self.bulk.undo()

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
        self.reload_for_new_query()

    def reload_for_new_query(self) -> None:
        """Load the lists from the top for a new search or new filters."""
        for notification_list in self.lists():
            notification_list.search = self.search_text
            if self.search_text:
                notification_list.empty_text = f"No notifications match “{self.search_text}”."
            elif self.triage.active:
                notification_list.empty_text = "No notifications match the filters."
            else:
                notification_list.empty_text = EMPTY_TEXT[notification_list.tab]
            # The tab in front first: the server runs one search at a time, and the other tab's
            # is asked for when that tab is shown.
            notification_list.reset(load=notification_list.tab == self.tab)
        self.update_status()

    def action_toggle_sort(self) -> None:
        self.oldest_first = not self.oldest_first
        for notification_list in self.lists():
            notification_list.reset(load=notification_list.tab == self.tab)
        self.notify("Oldest first." if self.oldest_first else "Newest first.")
        self.update_status()

    def action_refresh(self) -> None:
        self.refresh_everything()
        self.live.check_now()
        if self.session_error is not None:
            self.loader.load_session()

    # --- the referenced item -----------------------------------------------------------------------
    def action_open_item(self) -> None:
        reason = self.unavailable_reason("open_item")
        url = self.item_url(self.current_list.current)
        if reason or url is None:
            self.explain("open-item", reason or "There is no link.")
            return
        self.open_link(url)

    def open_link(self, url: str) -> None:
        """Open in a browser; where there is none here (over SSH, say), show the link instead."""
        if os.environ.get("SSH_CONNECTION") or not has_browser():
            self.notify(url, title="Open this link on your own computer", markup=False, timeout=20)
            return
        self.app.open_url(url)
        self.notify(url, title="Opening in the browser", markup=False)

    def action_copy_link(self) -> None:
        reason = self.unavailable_reason("copy_link")
        url = self.item_url(self.current_list.current)
        if reason or url is None:
            self.explain("copy-link", reason or "There is no link.")
            return
        self.app.copy_to_clipboard(url)
        self.notify(url, title="Copied the link", markup=False)

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        url = safe_url(event.href)
        if url is None:
            self.notify("Only http(s) and mailto links are opened.", severity="warning")
            return
        self.open_link(url)

    # --- triage: see app.ui.triage ---------------------------------------------------------------------
    def action_filter(self) -> None:
        self.triage.pick()

    def action_clear_filters(self) -> None:
        self.triage.clear()

    def action_save_view(self) -> None:
        self.triage.save()

    def action_snooze(self) -> None:
        self.triage.snooze()

    def action_show_snoozed(self) -> None:
        self.triage.show_snoozed()

    def action_next_new(self) -> None:
        self.triage.next_new()

    def action_overview(self) -> None:
        self.triage.overview()

    async def on_unmount(self) -> None:
        self.triage.record_seen()
        await self.live.stop()

    # --- compose and reply ---------------------------------------------------------------------------
    def action_compose(self) -> None:
        self._open_composer(None)

    def action_reply(self) -> None:
        self._open_composer(self.current_list.current)

    def _open_composer(self, reply_to: Notification | None) -> None:
        action = "compose" if reply_to is None else "reply"
        reason = self.unavailable_reason(action)
        if reason or self.me is None or self.capabilities is None:
            self.explain(action, reason or "Still signing in; try again in a moment.")
            return
        from app.ui.screens.compose import ComposeScreen  # the composer loads only when it is used

        reply_name = self.names.label(reply_to.sender) if reply_to is not None else None
        composer = ComposeScreen(
            self.backend, me=self.me, capabilities=self.capabilities, reply_to=reply_to, reply_to_name=reply_name
        )
        self.app.push_screen(composer, self._announce_sent)

    # --- purging, as an admin: see app.ui.screens.purge ---------------------------------------------
    def action_purge(self) -> None:
        from app.ui.screens.purge import open_purge  # the dialog loads only when it is used

        open_purge(self)

    def _announce_sent(self, created: list[Notification] | None) -> None:
        if created:
            self.notify(f"Sent {plural(len(created))}.")
            self.refresh_everything()


def has_browser() -> bool:
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True
