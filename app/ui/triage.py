"""Triage in the inbox view: filters with counts, and saved views as tabs.

``Triage`` holds what narrows the lists beyond the search — the filters chosen in the picker
(``app.ui.screens.filters``) — and adds it to every query the view sends (``narrow``), so the
filters run on the server like the search. A sender typed or saved by name is looked up once, in a
worker (``Filters.resolve``), before the lists are loaded again.

A saved view (``[views.NAME]`` of the config file) is a tab after Inbox and Archived, with its
count: showing it shows the Inbox with the view's search and filters; leaving it for Inbox or
Archived clears them. ``save`` writes the current search and filters as a view
(``app.views.save_view``, which keeps the file's comments) and adds its tab.

Snoozes live in the account's local state file (``app.local_state.StateFile``, shared with the
CLI's ``snooze``): the Inbox's queries leave the waiting ones out (``narrow``), and a timer reads
the file every few seconds, so a snooze that comes due (or one made in another terminal) shows at
once: a due one comes back marked new, and ``n`` goes to it.

What arrived since the inbox was last looked at (``LastSeen`` of the same file) is marked new as
it loads, like what arrives while the app is open; ``n`` goes to the next one. When the app closes,
the newest notification the unfiltered Inbox showed is recorded as seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from app.config import ConfigError, ViewSettings, default_config_path
from app.errors import as_inbox_error
from app.local_state import LastSeen, StateFile
from app.models import ARCHIVED, INBOX, Folder, Notification, Query, User, sorted_before
from app.sanitize import clean_line
from app.timefmt import local_time
from app.triage import FilterError, Filters, ResolvedFilters, View, all_of, without_ids
from app.ui.bulk import plural
from app.ui.messages import (
    FiltersApplied,
    FiltersFailed,
    NewRowFound,
    SnoozesReleased,
    TriageReport,
    ViewsCounted,
)
from app.ui.screens.filters import FilterScreen, describe
from app.ui.screens.overview import OverviewScreen
from app.ui.screens.save_view import SaveViewScreen
from app.ui.screens.snooze import SnoozedScreen, SnoozeScreen, snooze_label
from app.ui.widgets.filter_bar import FilterBar
from app.ui.widgets.tabs import TAB_TITLES, FolderTabs
from app.views import save_view

VIEW_TAB = "view-"
"""A saved view's tab id is this and the view's place in the config file (names may hold spaces)."""

SNOOZE_CHECK: Final = 5.0
"""Seconds between two looks at the state file for snoozes come due (or made elsewhere)."""


@dataclass(frozen=True)
class Snoozed:
    """A snooze the user may undo: the ids, and the move of ``BulkActions`` that was the last then."""

    ids: list[int]
    after_move: object


if TYPE_CHECKING:
    from app.ui.screens.main import MainScreen


class Triage:
    """The main view's triage: the filters of its lists, the saved views' tabs, snoozes, and what is new."""

    def __init__(self, view: MainScreen) -> None:
        self.view = view
        self.filters = Filters()
        self.resolved: ResolvedFilters | None = None
        """The filters as the server takes them; ``None`` while there are none (or are being looked up)."""
        self.shown_view: str | None = None
        """The saved view whose tab is in front (its search and filters are the Inbox's now)."""
        self.view_counts: dict[str, int | None] = {}
        self.state: StateFile | None = None
        """The account's local state; known once the user is."""
        self.waiting: dict[int, datetime] = {}
        """The snoozes hiding their notification from the Inbox now."""
        self.last_snooze: Snoozed | None = None
        self.last_seen: LastSeen | None = None
        """When the Inbox was looked at before this session (``None``: never, or not known yet)."""
        self.judged: set[int] = set()
        """Inbox rows already checked against ``last_seen`` (a row read since is not marked again)."""
        self.returned: dict[int, Notification] = {}
        """Back from snooze and not gone to yet with ``n`` (perhaps on a page not loaded)."""
        self.returning: set[int] = set()
        """Snoozes come due, to be marked new once the Inbox's fresh rows hold them."""
        self.newest_shown: int | None = None
        """The newest notification the unfiltered Inbox showed in this session."""

    def start(self) -> None:
        """Add the saved views' tabs (their counts come with the folders'), and watch the snoozes."""
        for name in self.saved():
            self._show_view_tab(name)
        self.show_filters()
        self.view.set_interval(SNOOZE_CHECK, self.check_snoozes)

    def session_started(self, me: User) -> None:
        """The user is known: their snoozes are. The Inbox loads again without the waiting ones
        (its first page may have come before), and the due ones come back."""
        self.state = StateFile.for_account(self.view.backend.info.location, me.id)
        self.last_seen = self.state.load().last_seen
        self.check_snoozes()
        self.rows_arrived(INBOX)

    # --- what the queries get ---------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.filters != Filters()

    def narrows(self, tab: Folder) -> bool:
        """Whether *tab*'s query is more than its folder, search and sort."""
        return self.resolved is not None or (tab == INBOX and bool(self.waiting))

    def narrow(self, query: Query, tab: Folder, *, filtered: bool = True) -> Query:
        """*query* with the filters (unless not *filtered*), evaluated now (a relative time moves
        with the clock), and for the Inbox without what is snoozed."""
        app = self.view.inbox_app
        chosen = self.resolved.filter(app.clock(), app.tz) if filtered and self.resolved is not None else None
        hidden = without_ids(self.waiting) if tab == INBOX else None
        if chosen is None and hidden is None:
            return query
        return query.model_copy(update={"filter": all_of([query.filter, chosen, hidden])})

    def show_filters(self) -> None:
        """The filter bar says which filters are on (hidden when none is)."""
        clear = self.view.inbox_app.key_for("clear-filters").split("/")[0]
        self.view.query_one(FilterBar).show(describe(self.filters, self.view.names), clear)

    # --- choosing ---------------------------------------------------------------------------------
    def pick(self) -> None:
        self._open(FilterScreen)

    def overview(self) -> None:
        self._open(OverviewScreen)

    def _open(self, screen: type[FilterScreen | OverviewScreen]) -> None:
        """The filter picker or the overview, over what the tab in front holds; either answers
        with the filters to apply."""
        view = self.view
        app = view.inbox_app
        opened = screen(
            view.backend,
            view.query_for(view.tab, limit=1),
            self.filters,
            names=view.names,
            where=self.where(),
            clock=app.clock,
            tz=app.tz,
        )
        app.push_screen(opened, self._picked)

    def where(self) -> str:
        """The list in front, in words."""
        if self.shown_view is not None:
            return f"the view “{self.shown_view}”"
        return f"the {TAB_TITLES[self.view.tab]}"

    def _picked(self, chosen: Filters | None) -> None:
        if chosen is not None and chosen != self.filters:
            self.apply(chosen)

    def clear(self) -> None:
        if not self.active:
            self.view.explain("clear-filters", "No filter is on.")
            return
        self.apply(Filters())

    def apply(self, filters: Filters, *, search: str | None = None) -> None:
        """Look the filters up (a sender by name or e-mail needs the server) and load the lists
        anew (with *search* too, unless ``None``)."""
        self.view.run_worker(self._resolve(filters, search), group="filters", exclusive=True)

    async def _resolve(self, filters: Filters, search: str | None) -> None:
        try:
            resolved = await filters.resolve(self.view.backend)
        except FilterError as error:
            self.view.post_message(FiltersFailed(filters, str(error)))
            return
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.view.post_message(FiltersFailed(filters, clean_line(str(as_inbox_error(failure)))))
            return
        self.view.post_message(FiltersApplied(resolved, search))

    # --- saved views --------------------------------------------------------------------------------
    def saved(self) -> dict[str, View]:
        settings = self.view.inbox_app.settings
        return {name: table.view(name) for name, table in settings.views.items()}

    def tab_of(self, name: str) -> str:
        return f"{VIEW_TAB}{list(self.view.inbox_app.settings.views).index(name)}"

    def view_of_tab(self, tab_id: str | None) -> str | None:
        """The saved view a tab id is of; ``None`` for Inbox and Archived."""
        names = list(self.view.inbox_app.settings.views)
        if tab_id is None or not tab_id.startswith(VIEW_TAB):
            return None
        index = int(tab_id.removeprefix(VIEW_TAB))
        return names[index] if index < len(names) else None

    def _show_view_tab(self, name: str) -> None:
        count = self.view_counts.get(name, -1)
        shown = "…" if count == -1 else "?" if count is None else f"{count:,}"
        self.view.query_one(FolderTabs).set_view(self.tab_of(name), name, shown)

    def load_view_counts(self) -> None:
        views = list(self.saved().values())
        if views:
            self.view.run_worker(self._count_views(views), group="view-counts", exclusive=True)

    async def _count_views(self, views: list[View]) -> None:
        view = self.view
        app = view.inbox_app
        counts: dict[str, int | None] = {}
        for saved in views:
            try:
                resolved = await saved.resolve(view.backend)
                query = resolved.query(INBOX, exclude=self.waiting, now=app.clock(), tz=app.tz, limit=1, fields=("id",))
                counts[saved.name] = (await view.backend.list_notifications(query)).filter_count
            except Exception:  # noqa: BLE001 - a count that cannot be had is shown as "?"
                counts[saved.name] = None
        view.post_message(ViewsCounted(counts))

    def show_view(self, name: str) -> None:
        """The Inbox, with the saved view's search and filters, under the view's tab."""
        saved = self.saved().get(name)
        if saved is None or name == self.shown_view:
            return
        self.view.action_show_tab(INBOX)
        self.shown_view = name
        self.view.query_one(FolderTabs).active = self.tab_of(name)
        self.apply(saved.filters, search=saved.search or "")

    def leave_view(self) -> None:
        """Inbox or Archived is shown: without the saved view's search and filters."""
        if self.shown_view is None:
            return
        self.shown_view = None
        self.apply(Filters(), search="")

    def next_tab(self) -> None:
        view = self.view
        order: list[str] = [INBOX, ARCHIVED, *(self.tab_of(name) for name in self.saved())]
        current = self.tab_of(self.shown_view) if self.shown_view is not None else view.tab
        following = order[(order.index(current) + 1) % len(order)]
        name = self.view_of_tab(following)
        if name is not None:
            self.show_view(name)
        else:
            view.action_show_tab(ARCHIVED if following == ARCHIVED else INBOX)

    def save(self) -> None:
        view = self.view
        if not view.search_text and not self.active:
            search, pick = view.inbox_app.key_for("search"), view.inbox_app.key_for("filter")
            view.explain("save-view", f"Nothing to save yet: search ({search}) or filter ({pick}) first.")
            return
        what = describe(self.filters, view.names)
        if view.search_text:
            what = f"“{view.search_text}”" + (f", {what}" if what else "")
        existing = frozenset(view.inbox_app.settings.views)
        view.app.push_screen(SaveViewScreen(what, name=self.shown_view or "", existing=existing), self._save_as)

    def _save_as(self, name: str | None) -> None:
        if name is None:
            return
        view = self.view
        settings = view.inbox_app.settings
        saved = View(name, view.search_text or None, self.filters)
        path = settings.config_path or default_config_path()
        try:
            save_view(path, saved)
        except ConfigError as error:
            view.notify(clean_line(str(error)), title="Could not save the view", severity="error", markup=False)
            return
        settings.views[name] = ViewSettings.of(saved)
        self.shown_view = name
        self._show_view_tab(name)
        view.query_one(FolderTabs).active = self.tab_of(name)
        self.load_view_counts()
        view.notify(f"Saved the view “{name}” in {path}.", markup=False)

    # --- snooze ---------------------------------------------------------------------------------------
    def snooze(self) -> None:
        view = self.view
        reason = self.why_not_snooze()
        ids = view.current_list.targets()
        if reason is None and ids is None:
            reason = "Snooze takes the selected notifications, or the one under the cursor: not all matching."
        if reason is not None or not ids:
            view.explain("snooze", reason or "There is no notification here to snooze.")
            return
        app = view.inbox_app
        chosen = ids
        view.app.push_screen(
            SnoozeScreen(len(chosen), clock=app.clock, tz=app.tz), lambda until: self._snooze(chosen, until)
        )

    def why_not_snooze(self) -> str | None:
        if self.view.tab != INBOX:
            return "Only what is in the Inbox can be snoozed."
        if self.state is None:
            return "Still signing in; try again in a moment."
        return None

    def _snooze(self, ids: list[int], until: datetime | None) -> None:
        if until is None or self.state is None:
            return
        view = self.view
        try:
            self.state.snooze(ids, until)
        except OSError as error:
            self._state_failed("Nothing was snoozed", error)
            return
        self.last_snooze = Snoozed(ids, view.bulk.last_move)
        inbox = view.list_of(INBOX)
        inbox.take_out(ids)
        inbox.finish_change()
        self._snoozes_changed(self.state.load().waiting(view.inbox_app.clock()))
        undo = view.inbox_app.key_for("undo")
        when = local_time(until, view.inbox_app.tz)
        view.notify(f"Snoozed {snooze_label(len(ids))} until {when} ({undo} undoes).", markup=False)

    def undo(self) -> bool:
        """Undo the last snooze if it is the last thing done; ``False`` when it is not."""
        snoozed = self.last_snooze
        if snoozed is None or self.state is None or snoozed.after_move is not self.view.bulk.last_move:
            return False
        self.last_snooze = None
        self.wake(snoozed.ids)
        return True

    def wake(self, ids: list[int]) -> None:
        """Back to the Inbox now."""
        if self.state is None:
            return
        try:
            self.state.unsnooze(ids)
        except OSError as error:
            self._state_failed("They are still snoozed", error)
            return
        self._snoozes_changed(self.state.load().waiting(self.view.inbox_app.clock()))
        self.view.notify(f"Back in the Inbox: {plural(len(ids))}.", markup=False)

    def _state_failed(self, outcome: str, error: OSError) -> None:
        """The state file could not be written (a full disk, a read-only data dir)."""
        assert self.state is not None
        reason = clean_line(error.strerror or str(error))
        self.view.notify(
            f"{outcome}: {self.state.path} could not be written ({reason}).",
            title="Snooze",
            severity="error",
            markup=False,
            timeout=10,
        )

    def show_snoozed(self) -> None:
        view = self.view
        if self.state is None:
            view.explain("show-snoozed", "Still signing in; try again in a moment.")
            return
        view.app.push_screen(
            SnoozedScreen(view.backend, self.waiting, names=view.names, wake=self.wake, tz=view.inbox_app.tz)
        )

    def check_snoozes(self) -> None:
        """Read the state file: snoozes made or dropped elsewhere change the Inbox, and due ones
        come back (in a worker: whether they are still in the inbox is the server's to say)."""
        if self.state is None:
            return
        now = self.view.inbox_app.clock()
        state = self.state.load()
        waiting = state.waiting(now)
        if state.due(now):
            # The Inbox loads again once the server said which are still there (SnoozesReleased).
            self.waiting = waiting
            self.view.run_worker(self._release(self.state, now), group="snooze-release", exclusive=True)
        elif waiting != self.waiting:
            self._snoozes_changed(waiting)

    async def _release(self, state: StateFile, now: datetime) -> None:
        try:
            back = await state.release_due(self.view.backend, now)
        except Exception:  # noqa: BLE001 - the file keeps them due: the next look tries again
            return
        self.view.post_message(SnoozesReleased(back))

    def _snoozes_changed(self, waiting: Mapping[int, datetime]) -> None:
        self.waiting = dict(waiting)
        self.view.reload(INBOX)
        self.view.loader.load_counts()

    # --- what is new since the Inbox was last looked at ----------------------------------------------
    def rows_arrived(self, tab: Folder) -> None:
        """Rows of *tab* loaded: mark the Inbox's that arrived since it was last looked at."""
        if tab != INBOX:
            return
        view = self.view
        inbox = view.list_of(INBOX)
        loaded = list(inbox.cache.loaded())
        if loaded and not self.active and not view.search_text:
            self.newest_shown = max(self.newest_shown or 0, max(item.id for item in loaded))
        seen = self.last_seen
        fresh = {item.id for item in loaded if item.id in self.returning}
        self.returning -= fresh
        if seen is not None:
            fresh |= {item.id for item in loaded if item.id not in self.judged and seen.is_new(item)}
            self.judged.update(item.id for item in loaded)
        if fresh:
            inbox.mark_new(fresh)
            view.update_status()

    def next_new(self) -> None:
        """The cursor to the next row marked new (from the top after the last); then to a
        notification back from snooze on a page not loaded (the server says on which row)."""
        view = self.view
        notification_list = view.current_list
        marked = (notification_list.cache.row_of(key) for key in notification_list.new)
        rows = sorted(row for row in marked if row is not None)
        if rows:
            row = next((row for row in rows if row > notification_list.cursor), rows[0])
            item = notification_list.cache.get(row)
            if item is not None:
                self.returned.pop(item.id, None)
            notification_list.move_cursor(row)
            return
        if view.tab == INBOX and self.returned:
            _, back = self.returned.popitem()
            view.run_worker(self._find_row(back), group="find-new", exclusive=True)
            return
        view.explain("next-new", "Nothing new among the loaded rows.")

    async def _find_row(self, notification: Notification) -> None:
        """Where *notification* is in the Inbox now: the rows sorted before it, counted."""
        query = self.view.query_for(INBOX)
        before = sorted_before(notification, query.sort)
        if before is None:
            return
        counting = query.model_copy(update={"filter": all_of([query.filter, before]), "limit": 1, "fields": ("id",)})
        try:
            row = (await self.view.backend.list_notifications(counting)).filter_count
        except Exception:  # noqa: BLE001 - the key does nothing then; the row is still marked when seen
            return
        self.view.post_message(NewRowFound(notification, row))

    def status(self) -> list[str]:
        """For the status line: threads on, and how many rows are marked new."""
        app = self.view.inbox_app
        notification_list = self.view.current_list
        parts: list[str] = []
        if notification_list.threads.on:
            parts.append(f"Threads ({app.key_for('toggle-threads').split('/')[0]} unthreads)")
        if notification_list.new:
            parts.append(f"{len(notification_list.new):,} new ({app.key_for('next-new').split('/')[0]})")
        return parts

    def record_seen(self) -> None:
        """The user has looked at the Inbox up to its newest row: the next start marks what comes after."""
        if self.state is None or self.newest_shown is None:
            return
        try:
            self.state.mark_seen(self.view.inbox_app.clock(), self.newest_shown)
        except OSError:
            pass  # a read-only data dir: the marks are a nicety, the app closes all the same

    # --- what the workers report -------------------------------------------------------------------
    def handle(self, report: TriageReport) -> None:
        view = self.view
        match report:
            case FiltersApplied(resolved=resolved, search=search):
                self.filters = resolved.filters
                self.resolved = None if resolved.filters == Filters() else resolved
                if search is not None:
                    view.search_text = clean_line(search)
                self.show_filters()
                view.reload_for_new_query()
            case SnoozesReleased(notifications=back):
                if back:
                    self.returning.update(item.id for item in back)
                    self.returned.update((item.id, item) for item in back)
                    jump = view.inbox_app.key_for("next-new").split("/")[0]
                    subject = clean_line(back[0].subject) or "(no subject)"
                    what = f"“{subject}”" if len(back) == 1 else plural(len(back))
                    view.notify(f"Back from snooze: {what} ({jump} goes to it).", markup=False)
                    view.reload(INBOX)
                    view.loader.load_counts()
            case NewRowFound(notification=found, row=row):
                if view.tab == INBOX:
                    view.list_of(INBOX).move_cursor(row)
                    self.returning.add(found.id)  # marked once its page is in
            case ViewsCounted(counts=counts):
                self.view_counts.update(counts)
                for name in self.saved():
                    self._show_view_tab(name)
            case FiltersFailed(error=error):
                view.notify(error, title="Filter", severity="error", markup=False, timeout=10)
