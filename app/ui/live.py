"""The main view, live: what others do shows up by itself (``app.live`` does the following).

``LiveUpdates`` runs a ``LiveInbox`` in a worker once the first page of the Inbox is on screen
(so nothing created in between is missed: anything newer than what was shown comes as created),
and applies each batch it reports: the tabs' counts, the lists fetched afresh where they changed
(``Loader.follow`` keeps the row being read under the cursor), new rows marked, a toast (and, if
the config asks, the terminal's bell and a desktop notification), and the connection's state in
the status line. When the server comes back after being unreachable, whatever failed to load is
loaded again without a key press.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content

from app.errors import as_inbox_error
from app.models import ARCHIVED, INBOX, Folder, Notification
from app.sanitize import clean_line
from app.ui.messages import LiveChanged, LiveStopped

if TYPE_CHECKING:
    from app.live import ConnectionState, LiveBatch, LiveInbox
    from app.ui.screens.main import MainScreen
    from app.unified import UnifiedLive

GROUP = "live"
"""The live inbox's worker runs as long as the view: waits for workers leave it out."""


def folder_of(notification: Notification) -> Folder:
    return ARCHIVED if notification.status == ARCHIVED else INBOX


class LiveUpdates:
    """Follows the server for the main view and applies what changed."""

    def __init__(self, view: MainScreen) -> None:
        self.view = view
        self.state: ConnectionState | None = None
        self.started = False
        self._lost = False
        """The server was unreachable since the inbox was last live (or polling)."""
        self.stopped: str | None = None
        """Why the live inbox stopped (a bug in it), if it did; the lists still load on demand."""
        self._live: LiveInbox | UnifiedLive | None = None

    def start(self) -> None:
        """Start following, once: after the first page, so its newest notification is the mark."""
        if self.started or not self.view.inbox_app.live:
            return
        self.started = True
        shown = [item.id for notification_list in self.view.lists() for item in notification_list.cache.loaded()]
        self.view.run_worker(self._follow(shown), group=GROUP, exclusive=True)

    def _live_inbox(self, poll: float | None, shown: list[int]) -> LiveInbox | UnifiedLive:
        """Each server of a unified inbox followed on its own (``UnifiedLive``), or the one server.
        Nothing shown (the server is down, the inbox empty): the first check only takes stock.
        Imported here: websockets and the adapters' HTTP stack are not needed for the first paint."""
        from app.live import LiveInbox
        from app.unified import UnifiedBackend, UnifiedLive

        backend = self.view.backend
        if isinstance(backend, UnifiedBackend):
            return UnifiedLive(backend, known_ids=shown, poll_interval=poll)
        return LiveInbox(backend, poll_interval=poll, newest_known_id=max(shown) if shown else None)

    async def _follow(self, shown: list[int]) -> None:
        settings = self.view.inbox_app.settings
        poll = None if self.view.backend.info.is_embedded else settings.poll_interval
        try:
            async with self._live_inbox(poll, shown) as live:
                self._live = live
                async for batch in live.batches():
                    self.view.post_message(LiveChanged(batch))
        except Exception as error:  # noqa: BLE001 - LiveInbox turns what the server does into states: a bug
            self.view.post_message(LiveStopped(clean_line(str(as_inbox_error(error)))))
        finally:
            self._live = None

    def check_now(self) -> None:
        """Ask the server what changed, now (after a refresh key, or the user's own change)."""
        if self._live is not None:
            self._live.reconcile_soon()

    async def stop(self) -> None:
        """Close the live inbox now, awaited: Textual cancels a worker without waiting for it, so
        when the view goes the engine could outlive it and ask a backend closed meanwhile."""
        live, self._live = self._live, None
        if live is not None:
            await live.aclose()

    # --- applying what changed ------------------------------------------------------------------
    def apply(self, batch: LiveBatch) -> None:
        from app.unified import UnifiedLiveBatch  # loaded already: the live inbox is running

        view = self.view
        if isinstance(batch, UnifiedLiveBatch) and view.unified is not None:
            if batch.connections:
                view.unified.connections_changed(batch.connections)
            if batch.profile_counts:
                view.unified.live_counts(batch.profile_counts)
            if view.unified.refresh():
                for notification_list in view.lists():
                    notification_list.redraw()
        if batch.connection is not None:
            self._connection_changed(batch.connection)
        if batch.counts is not None and view.bulk.busy is None:
            if view.triage.waiting:
                view.loader.load_counts()  # the server's count of the inbox holds what is snoozed
            else:
                view.show_counts({INBOX: batch.counts.inbox, ARCHIVED: batch.counts.archived})
        touched = self._touched(batch)
        for notification in batch.created:
            view.list_of(folder_of(notification)).mark_new({notification.id})
        for tab in touched:
            view.loader.follow(tab)
        if batch.created:
            self._announce(batch.created)
        view.update_status()

    def _touched(self, batch: LiveBatch) -> set[Folder]:
        """The tabs whose rows changed: where a notification now is, and where it was shown."""
        touched = {folder_of(notification) for notification in (*batch.created, *batch.updated)}
        changed = {notification.id for notification in batch.updated} | set(batch.deleted)
        for notification_list in self.view.lists():
            if any(item.id in changed for item in notification_list.cache.loaded()):
                touched.add(notification_list.tab)
        if batch.deleted:
            # A deleted row may be on a page not loaded: every list's paging moved.
            touched |= {INBOX, ARCHIVED}
        return touched

    def _connection_changed(self, state: ConnectionState) -> None:
        self.state = state
        if state.mode == "offline":
            self._lost = True
        elif state.mode in ("live", "polling"):
            self._recover(everything=self._lost)
            self._lost = False

    def _recover(self, *, everything: bool) -> None:
        """The server answers: load what could not be loaded, and who the user is; after it was
        unreachable, every list again (what was shown may have changed meanwhile)."""
        view = self.view
        if view.session_error is not None:
            view.loader.load_session()
        for notification_list in view.lists():
            if notification_list.problem is not None or not notification_list.cache.known:
                if not notification_list.pending and not notification_list.reloading:
                    notification_list.reset()
            elif everything:
                view.loader.reload(notification_list.tab)
        if everything:
            view.loader.load_counts()

    def _announce(self, created: Iterable[Notification]) -> None:
        arrived = list(created)
        view = self.view
        if len(arrived) == 1:
            notification = arrived[0]
            title = "New notification"
            body = (
                f"{clean_line(notification.subject) or '(no subject)'} — from {view.names.label(notification.sender)}"
            )
        else:
            title, body = "New notifications", f"{len(arrived):,} new notifications."
        elsewhere = view.inbox_app.profiles.background_name(view)
        if elsewhere is not None:  # a profile kept open behind the one in front
            title = f"{title} ({elsewhere})"
        view.notify(body, title=title, markup=False)
        alerts = view.inbox_app.settings.alerts
        if alerts.bell:
            view.app.bell()
        if alerts.desktop:
            view.inbox_app.desktop_notification(title, body)

    # --- what the status line says --------------------------------------------------------------
    def status(self, now: datetime) -> Content | None:
        """ "Live", "Polling every 30 s" or "Offline since 14:02: why"; nothing before it is known."""
        if self.stopped is not None:
            return Content.assemble(("Not following the server", "$text-warning"), f": {self.stopped}")
        state = self.state
        if self.view.unified is not None:  # a server that does not answer is named on its own
            state = self.view.unified.answering_state() or state
        if state is None or state.mode == "connecting":
            return None
        if state.mode == "live":
            return Content.assemble(("● Live", "$text-success"))
        if state.mode == "polling":
            every = f" every {state.poll_interval:g} s" if state.poll_interval else ""
            label = "Watching the file" if self.view.backend.info.is_embedded else f"Polling{every}"
            return Content.assemble((label, "$text-muted"))
        since = state.since.astimezone(self.view.inbox_app.tz).strftime("%H:%M")
        why = f": {state.reason}" if state.reason else ""
        return Content.assemble((f"Offline since {since}", "$text-error"), why)
