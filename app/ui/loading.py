"""Keeping the main view in step with the server: who the user is, pages, counts and names.

Each load runs in a worker of the main view and reports a ``LoadReport`` (``app.ui.messages``),
which the view hands back to ``Loader.handle``. The lists ask for pages themselves
(``NotificationList.PagesNeeded``) when the view or the cursor comes near rows not loaded yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.errors import as_inbox_error
from app.models import ARCHIVED, INBOX, Folder, Notification, Page, sorted_before
from app.sanitize import clean_line
from app.startup import Prefetch
from app.ui.messages import (
    CountsChanged,
    ListFollowed,
    ListReloaded,
    ListReloadFailed,
    LoadReport,
    PageLoaded,
    PageLoadFailed,
    SessionFailed,
    SessionStarted,
    UsersResolved,
)
from app.ui.widgets.header import InboxHeader
from app.ui.widgets.preview import Preview

if TYPE_CHECKING:
    from app.ui.screens.main import MainScreen


class Loader:
    """Starts the main view's loads and applies what they report."""

    def __init__(self, view: MainScreen, prefetch: Prefetch | None = None) -> None:
        self.view = view
        self._prefetched_page = prefetch
        """The Inbox's first page, asked for while the app started (taken once)."""
        self._prefetched_session = prefetch
        """The user and their permissions, asked for while the app started (taken once)."""
        self._counted = False

    # --- starting ---------------------------------------------------------------------------------
    def load_session(self) -> None:
        self.view.run_worker(self._session(), group="session", exclusive=True)

    async def _session(self) -> None:
        prefetch, self._prefetched_session = self._prefetched_session, None
        if prefetch is not None:
            got = await prefetch.session()
            if got is not None:
                self.view.post_message(SessionStarted(*got))
                return
        try:
            me = await self.view.backend.me()
            capabilities = await self.view.backend.capabilities()
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            error = as_inbox_error(failure)
            self.view.post_message(SessionFailed(error))
            return
        self.view.post_message(SessionStarted(me, capabilities))

    def load_counts(self) -> None:
        self.view.run_worker(self._counts(), group="counts", exclusive=True)
        self.view.triage.load_view_counts()

    def counting(self) -> bool:
        return any(worker.group == "counts" and not worker.is_finished for worker in self.view.workers)

    async def _counts(self) -> None:
        counts: list[int] = []
        per_profile: dict[Folder, dict[str, int]] = {}
        try:
            for tab in (INBOX, ARCHIVED):
                query = self.view.query_for(tab, filtered=False, search=None, limit=1, fields=("id",))
                page = await self.view.backend.list_notifications(query)
                counts.append(page.filter_count)
                per_profile[tab] = page.profile_counts
        except Exception:  # noqa: BLE001 - a worker reports (or shrugs off) every failure
            # The lists' own loads fail too and say so; the tabs keep the counts they show.
            return
        self.view.post_message(CountsChanged(counts[0], counts[1], per_profile))

    def load_pages(self, tab: Folder, generation: int, pages: set[int]) -> None:
        # Exclusive per tab: a jump (G) cancels the load of pages the user has moved away from.
        self.view.run_worker(self._pages(tab, generation, sorted(pages)), group=f"pages-{tab}", exclusive=True)

    async def _pages(self, tab: Folder, generation: int, pages: list[int]) -> None:
        for page in pages:
            try:
                result = await self._prefetched(tab, page)
                if result is None:
                    result = await self.view.backend.list_notifications(self.view.query_for(tab, page=page + 1))
            except Exception as failure:  # noqa: BLE001 - a worker reports every failure
                error = as_inbox_error(failure)
                self.view.post_message(PageLoadFailed(tab, generation, error))
                return
            self.view.post_message(PageLoaded(tab, generation, page, result.items, result.filter_count))

    async def _prefetched(self, tab: Folder, page: int) -> Page | None:
        """The Inbox's first page as asked for while the app started, if this is that page."""
        prefetch = self._prefetched_page
        if prefetch is None or tab != INBOX or page != 0:
            return None
        self._prefetched_page = None
        if self.view.search_text or self.view.oldest_first or self.view.triage.narrows(tab):
            return None  # already another query than ``Prefetch.QUERY``
        return await prefetch.page()

    def reload(self, tab: Folder) -> None:
        """Fetch again what a list shows, keeping it on screen until the new pages are in."""
        notification_list = self.view.list_of(tab)
        if notification_list.mutations:
            return  # it reloads when its own change is over
        generation, pages = notification_list.begin_reload()
        self.view.run_worker(self._reload(tab, generation, sorted(pages)), group=f"reload-{tab}", exclusive=True)

    async def _reload(self, tab: Folder, generation: int, pages: list[int]) -> None:
        fetched: dict[int, list[Notification]] = {}
        filter_count = 0
        try:
            for page in pages:
                result = await self.view.backend.list_notifications(self.view.query_for(tab, page=page + 1))
                fetched[page] = result.items
                filter_count = result.filter_count
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            error = as_inbox_error(failure)
            self.view.post_message(ListReloadFailed(tab, generation, error))
            return
        self.view.post_message(ListReloaded(tab, generation, fetched, filter_count))

    def follow(self, tab: Folder) -> None:
        """Fetch a list afresh after changes on the server, keeping what the user looks at in place
        (see ``NotificationList.followed``). A list with a change of its own in flight is left
        alone: it reloads when that is over."""
        notification_list = self.view.list_of(tab)
        if notification_list.mutations:
            return
        if not notification_list.cache.known:
            if not notification_list.pending:
                notification_list.reset()  # never loaded (or failed): start from the top
            return
        generation, anchor, row = notification_list.begin_follow()
        # Exclusive per tab: a newer change supersedes the answer to an older one.
        self.view.run_worker(self._follow(tab, generation, anchor, row), group=f"follow-{tab}", exclusive=True)

    async def _follow(self, tab: Folder, generation: int, anchor: Notification | None, row: int) -> None:
        notification_list = self.view.list_of(tab)
        query = self.view.query_for(tab)
        try:
            shift = 0
            before = sorted_before(anchor, query.sort) if anchor is not None else None
            if before is not None:
                where = before if query.filter is None else {"_and": [query.filter, before]}
                counting = query.model_copy(update={"filter": where, "limit": 1, "fields": ("id",)})
                shift = (await self.view.backend.list_notifications(counting)).filter_count - row
            # The list's length is known once a page answers; until then, as it was, moved by shift.
            pages = notification_list.pages_after_shift(shift, len(notification_list.cache) + max(0, shift))
            fetched: dict[int, list[Notification]] = {}
            filter_count = 0
            for page in sorted(pages):
                result = await self.view.backend.list_notifications(self.view.query_for(tab, page=page + 1))
                fetched[page] = result.items
                filter_count = result.filter_count
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            error = as_inbox_error(failure)
            self.view.post_message(ListReloadFailed(tab, generation, error))
            return
        self.view.post_message(ListFollowed(tab, generation, fetched, filter_count, shift))

    def reload_everything(self) -> None:
        for tab in (INBOX, ARCHIVED):
            self.reload(tab)
        self.load_counts()

    def _learn_names(self, items: Iterable[Notification]) -> None:
        unknown = self.view.names.claim_unknown(ref for item in items for ref in (item.sender, item.recipient))
        if unknown:
            self.view.run_worker(self._users(unknown), group="users")

    async def _users(self, ids: set[str]) -> None:
        try:
            users = await self.view.backend.users(ids=ids)
        except Exception:  # noqa: BLE001 - a worker reports (or shrugs off) every failure
            # Names are a nicety: without them rows show short ids, as for users one may not read.
            users = []
        self.view.post_message(UsersResolved(ids, users))

    # --- what the loads report --------------------------------------------------------------------
    def handle(self, report: LoadReport) -> None:
        """What a worker of this module reported (the main view passes it on)."""
        view = self.view
        match report:
            case SessionStarted(me=me, capabilities=capabilities):
                view.me, view.capabilities, view.session_error = me, capabilities, None
                view.names.learn([me.id], [me])
                view.triage.session_started(me)
                view.query_one(InboxHeader).show(me.display_name, view.location_label())
                view.refresh_bindings()
            case SessionFailed(error=error):
                view.session_error = error
                view.query_one(InboxHeader).show("Not connected", view.location_label())
                view.notify_error("Could not sign in", error)
                view.refresh_bindings()
            case CountsChanged(inbox=inbox, archived=archived, per_profile=per_profile):
                if view.unified is not None:
                    view.unified.counted(per_profile)
                view.show_counts({INBOX: inbox, ARCHIVED: archived})
                view.update_status()
            case PageLoaded(tab=tab, generation=generation, page_number=page, items=items, filter_count=count):
                view.list_of(tab).page_loaded(generation, page, items, count)
                self._learn_names(items)
                if tab == INBOX and not self._counted:
                    # The first page's count is the tab's: shown now, both counts asked for after.
                    self._counted = True
                    if not view.search_text and not view.triage.active:
                        view.show_counts({INBOX: count})
                    self.load_counts()
                self._after_load(tab)
            case PageLoadFailed(tab=tab, generation=generation, error=error):
                notification_list = view.list_of(tab)
                had_rows = notification_list.cache.known
                notification_list.page_failed(generation, clean_line(str(error)))
                self._after_load(tab)
                if had_rows:
                    # With nothing loaded the list shows the reason in place; otherwise say it here.
                    view.notify_error("Could not load more notifications", error)
            case ListReloaded(tab=tab, generation=generation, pages=pages, filter_count=count):
                pages, count = self._keeping_unreachable(tab, pages, count)
                view.list_of(tab).reloaded(generation, pages, count)
                for items in pages.values():
                    self._learn_names(items)
                self._after_load(tab)
            case ListFollowed(tab=tab, generation=generation, pages=pages, filter_count=count, shift=shift):
                pages, count = self._keeping_unreachable(tab, pages, count)
                view.list_of(tab).followed(generation, pages, count, shift)
                for items in pages.values():
                    self._learn_names(items)
                self._after_load(tab)
            case ListReloadFailed(tab=tab, generation=generation, error=error):
                view.list_of(tab).reload_failed(generation, clean_line(str(error)))
                self._after_load(tab)
                if tab == view.tab:
                    view.notify_error("Could not refresh; showing what was loaded before", error)
            case UsersResolved(asked=asked, users=users):
                view.names.learn(asked, users)
                for notification_list in view.lists():
                    notification_list.redraw()
                view.query_one(Preview).refresh_names()

    def _keeping_unreachable(
        self, tab: Folder, pages: dict[int, list[Notification]], count: int
    ) -> tuple[dict[int, list[Notification]], int]:
        """In a unified inbox, fresh pages with the rows shown before of a server that did not answer."""
        unified = self.view.unified
        if unified is None:
            return pages, count
        cache = self.view.list_of(tab).cache
        return unified.keep_rows(list(cache.loaded()), pages, count, self.view.query_for(tab), cache.page_size)

    def _after_load(self, tab: Folder) -> None:
        unified = self.view.unified
        if unified is not None and unified.refresh():
            for notification_list in self.view.lists():
                notification_list.redraw()
        self.view.triage.rows_arrived(tab)
        if tab == INBOX:
            self.view.live.start()
        if tab == self.view.tab and self.view.current_list.row_count == 0:
            self.view.show_preview()  # no cursor moved, but "loading" became "empty"
        self.view.update_status()
