"""Archive, move back to the inbox, delete, and undo — for one row, a selection, or all matching.

The rows leave the list at once (optimistically); the change runs in a worker through
``app.bulk``, which asks the server what it holds whenever an outcome is unknown, and reports a
``BulkReport`` (``app.ui.messages``) that the main view hands back to ``BulkActions.handle``.
What the user is then told is what the server holds, key by key: rows it did not change come
back (the cursor on the one the action was about), rows gone elsewhere leave the list and the
selection, and ``u`` undoes exactly what changed — also after an undo the server did not finish.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content

from app import bulk
from app.backend import BATCH_CHUNK
from app.bulk import Deletion, StatusChange
from app.errors import as_inbox_error
from app.models import ARCHIVED, INBOX, Folder
from app.sanitize import clean_line
from app.ui.messages import BulkFailed, BulkProgress, BulkReport, Deleted, StatusChanged, Undone
from app.ui.page_cache import Removal
from app.ui.screens.confirm import ConfirmScreen
from app.ui.unified import keys_text, tally, with_tally
from app.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from app.ui.screens.main import MainScreen
    from app.ui.widgets.notification_list import NotificationList


def plural(count: int, noun: str = "notification", nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


@dataclass(frozen=True)
class Targets:
    """What an action applies to: ``keys`` (``None``: every notification matching the list), and
    the notification under the cursor when the action is about that one alone."""

    notification_list: NotificationList
    keys: list[int] | None
    count: int
    about: int | None


def other(tab: Folder) -> Folder:
    return ARCHIVED if tab == INBOX else INBOX


class BulkActions:
    """The main view's changes to notifications, and the undo of the last move."""

    def __init__(self, view: MainScreen) -> None:
        self.view = view
        self.last_move: StatusChange | None = None
        """What ``u`` undoes: the last change of status, as far as the server holds it."""
        self.busy: str | None = None
        """What an operation in flight is doing ("Archiving 1,000 notifications…")."""

    # --- starting ---------------------------------------------------------------------------------
    def _targets(self, verb: str) -> Targets | None:
        notification_list = self.view.current_list
        keys = notification_list.targets()
        count = notification_list.row_count if keys is None else len(keys)
        if not count:
            self.view.notify(f"Nothing to {verb}.", severity="warning")
            return None
        current = notification_list.current
        about = current.id if current is not None and keys == [current.id] and not notification_list.selected else None
        return Targets(notification_list, keys, count, about)

    def _take_out(self, chosen: Targets, moved_to: Folder | None) -> tuple[Removal, dict[Folder, int | None]]:
        """The rows leave at once, and the counts follow; what they were, to tell the truth later."""
        counts = dict(self.view.counts)
        removal = chosen.notification_list.take_out(chosen.keys)
        source = chosen.notification_list.tab
        shown = {source: max(0, (counts[source] or 0) - chosen.count)}
        if moved_to is not None:
            shown[moved_to] = (counts[moved_to] or 0) + chosen.count
        self.view.show_counts(shown)
        return removal, counts

    def move(self, new_status: Folder) -> None:
        """Archive (``new_status`` archived) or move back to the inbox what the user chose."""
        reason = self.view.unavailable_reason("archive" if new_status == ARCHIVED else "unarchive")
        if reason:
            self.view.notify(reason, severity="warning", markup=False)
            return
        chosen = self._targets("archive" if new_status == ARCHIVED else "move")
        if chosen is None:
            return
        notification_list = chosen.notification_list
        loaded_status = {item.id: item.status for item in notification_list.cache.loaded()}
        before = (
            None if chosen.keys is None else {key: loaded_status.get(key, notification_list.tab) for key in chosen.keys}
        )
        removal, counts = self._take_out(chosen, new_status)
        verb = "Archiving" if new_status == ARCHIVED else "Moving to the inbox"
        self._begin_busy(f"{verb} {plural(chosen.count)}…", chosen.count)
        work = self._move(notification_list.tab, before, removal, new_status, counts, chosen.about)
        self.view.run_worker(work, group="bulk")

    async def _move(
        self,
        tab: Folder,
        before: dict[int, str] | None,
        removal: Removal,
        new_status: Folder,
        counts: dict[Folder, int | None],
        about: int | None,
    ) -> None:
        try:
            if before is None:
                before = await bulk.matching(self.view.backend, self.view.query_for(tab), self._reporter("Finding"))
            verb = "Archiving" if new_status == ARCHIVED else "Moving"
            change = await bulk.change_status(
                self.view.backend, before, new_status, before=before, progress=self._reporter(verb)
            )
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.view.post_message(BulkFailed(tab, removal, as_inbox_error(failure), counts, about))
            return
        self.view.post_message(StatusChanged(tab, removal, change, counts, about))

    def delete(self) -> None:
        """Delete what the user chose, after a dialog that states exactly how many."""
        reason = self.view.unavailable_reason("delete")
        if reason:
            self.view.notify(reason, severity="warning", markup=False)
            return
        chosen = self._targets("delete")
        if chosen is None:
            return
        current = chosen.notification_list.current
        detail = None
        if chosen.count == 1 and current is not None and chosen.keys == [current.id]:
            detail = Content.assemble(
                (clean_line(current.subject) or "(no subject)", "bold"), " from ", self.view.names.label(current.sender)
            )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(chosen)

        per_server = tally(self.view.backend, chosen.keys)
        question = f"Delete {plural(chosen.count)}{f' ({per_server})' if per_server else ''}? This cannot be undone."
        self.view.app.push_screen(ConfirmScreen(question, detail=detail), confirmed)

    def _delete(self, chosen: Targets) -> None:
        removal, counts = self._take_out(chosen, None)
        self._begin_busy(f"Deleting {plural(chosen.count)}…", chosen.count)
        tab = chosen.notification_list.tab
        self.view.run_worker(self._delete_work(tab, chosen.keys, removal, counts, chosen.about), group="bulk")

    async def _delete_work(
        self,
        tab: Folder,
        keys: list[int] | None,
        removal: Removal,
        counts: dict[Folder, int | None],
        about: int | None,
    ) -> None:
        try:
            if keys is None:
                keys = list(await bulk.matching(self.view.backend, self.view.query_for(tab), self._reporter("Finding")))
            deletion = await bulk.delete(self.view.backend, keys, progress=self._reporter("Deleting"))
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.view.post_message(BulkFailed(tab, removal, as_inbox_error(failure), counts, about))
            return
        self.view.post_message(Deleted(tab, removal, deletion, counts, about))

    def undo(self) -> None:
        change = self.last_move
        if change is None:
            self.view.notify("Nothing to undo.", severity="warning")
            return
        count = len(change.undoable) + len(change.unknown)
        self._begin_busy(f"Undoing: {plural(count)}…", count)
        self.view.run_worker(self._undo(change), group="bulk")

    async def _undo(self, change: StatusChange) -> None:
        try:
            result = await bulk.undo(self.view.backend, change, progress=self._reporter("Undoing"))
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            result = StatusChange(wanted={}, before={}, error=as_inbox_error(failure))
        self.view.post_message(Undone(change, result))

    def _reporter(self, verb: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            self.view.post_message(BulkProgress(verb, done, total))

        return report

    # --- progress and outcome -----------------------------------------------------------------------
    def _begin_busy(self, text: str, count: int) -> None:
        self.busy = text
        if count > BATCH_CHUNK:
            self.view.query_one(StatusLine).show_progress(0, count)
        self.view.update_status()

    def _end_busy(self) -> None:
        self.busy = None
        self.view.query_one(StatusLine).hide_progress()
        self.view.update_status()

    def handle(self, report: BulkReport) -> None:
        """What a worker of this module reported (the main view passes it on)."""
        match report:
            case BulkProgress(done=done, total=total):
                if total > BATCH_CHUNK:
                    self.view.query_one(StatusLine).show_progress(done, total)
            case StatusChanged():
                self._status_changed(report)
            case Deleted():
                self._deleted(report)
            case BulkFailed(tab=tab, removal=removal, error=error, counts=counts, about=about):
                # Only reads failed (collecting the ids): the server was not asked to change anything.
                self.view.list_of(tab).put_back(removal, about=about)
                self.view.show_counts(counts)
                self.view.notify_error("Nothing was changed", error)
                self._change_over(tab)
            case Undone(change=change, result=result):
                self._undone(change, result)

    def _status_changed(self, report: StatusChanged) -> None:
        change, view = report.change, self.view
        not_changed = set(change.unchanged)
        view.list_of(report.tab).put_back(report.removal, not_changed, about=report.about)
        moved = len(change.changed)
        target = other(report.tab)
        view.show_counts(
            {
                report.tab: max(0, (report.counts[report.tab] or 0) - moved - len(change.vanished)),
                target: (report.counts[target] or 0) + moved,
            }
        )
        if change.undoable:
            self.last_move = change
        story = bulk.describe_status_change(change, keys_text=keys_text(view.backend))
        story = with_tally(view.backend, story, bulk.status_done(change.new_status), change.changed)
        text = clean_line(story)  # it quotes the server
        if change.undoable:
            text += f" Press {view.inbox_app.key_for('undo')} to undo."
        view.notify(text, severity="information" if change.complete else "warning", markup=False, timeout=10)
        self._change_over(report.tab)

    def _deleted(self, report: Deleted) -> None:
        deletion: Deletion = report.deletion
        view = self.view
        view.list_of(report.tab).put_back(report.removal, set(deletion.kept), about=report.about)
        gone = len(deletion.deleted) + len(deletion.vanished)
        view.show_counts({report.tab: max(0, (report.counts[report.tab] or 0) - gone)})
        if self.last_move is not None and set(self.last_move.undoable) & set(deletion.deleted):
            self.last_move = None  # the undo must not resurrect what is gone
        story = bulk.describe_deletion(deletion, keys_text=keys_text(view.backend))
        view.notify(
            clean_line(with_tally(view.backend, story, "deleted", deletion.deleted)),
            severity="information" if deletion.complete else "warning",
            markup=False,
            timeout=10,
        )
        self._change_over(report.tab)

    def _undone(self, change: StatusChange, result: StatusChange) -> None:
        view = self.view
        if result.wanted and result.complete:
            self.last_move = None
            view.notify(f"Undone: {plural(len(result.changed))} back where they were.", markup=False)
        elif not result.wanted and result.error is None:
            self.last_move = None
            view.notify("Nothing left to undo: those notifications are gone, or back already.", markup=False)
        else:
            # Not all of it: what is left to undo is still ``change`` (undoing again is safe).
            self.last_move = change
            what = clean_line(bulk.describe_status_change(result)) if result.wanted else "Nothing was undone."
            error = result.failure()
            if not result.wanted and error is not None:
                what = f"Nothing was undone: {clean_line(error.message)}"
            again = view.inbox_app.key_for("undo")
            view.notify(f"{what} Press {again} to try again.", severity="warning", markup=False, timeout=10)
        self._end_busy()
        view.refresh_everything()

    def _change_over(self, tab: Folder) -> None:
        """An operation on ``tab`` is over: reload both lists (the other one gained or lost rows)."""
        self._end_busy()
        if self.view.list_of(tab).finish_change():
            self.view.reload(tab)
        self.view.reload(other(tab))
        self.view.load_counts()
