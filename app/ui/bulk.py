"""Archive, move back to the inbox, delete, and undo — for one row, a selection, or all matching.

The rows leave the list at once (optimistically); the change runs in a worker, chunked with a
progress bar when it is large, and reports a ``BulkReport`` (``app.ui.messages``) that the main
view hands back to ``BulkActions.handle``. A refused change puts the rows back where they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content

from app.backend import BATCH_CHUNK
from app.errors import as_inbox_error
from app.models import ARCHIVED, INBOX, Folder, NotificationChanges
from app.sanitize import clean_line
from app.ui.messages import (
    ArchiveDone,
    ArchiveFailed,
    BulkProgress,
    BulkReport,
    DeleteDone,
    DeleteFailed,
    UndoDone,
    UndoFailed,
)
from app.ui.page_cache import Removal
from app.ui.screens.confirm import ConfirmScreen
from app.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from app.ui.screens.main import MainScreen
    from app.ui.widgets.notification_list import NotificationList


def plural(count: int, noun: str = "notification", nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


@dataclass(frozen=True)
class StatusMove:
    """An archive or a move back to the inbox, remembered so that ``u`` can undo it."""

    previous: dict[int, str]
    """Each notification's status before the move."""
    new_status: Folder


@dataclass(frozen=True)
class Targets:
    """What an action applies to: ``keys`` (``None``: every notification matching the list)."""

    notification_list: NotificationList
    keys: list[int] | None
    count: int


class BulkActions:
    """The main view's changes to notifications, and the undo of the last move."""

    def __init__(self, view: MainScreen) -> None:
        self.view = view
        self.last_move: StatusMove | None = None
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
        return Targets(notification_list, keys, count)

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
        previous = (
            None if chosen.keys is None else {key: loaded_status.get(key, notification_list.tab) for key in chosen.keys}
        )
        removal = notification_list.take_out(chosen.keys)
        source = notification_list.tab
        counts = self.view.counts
        self.view.show_counts(
            {
                source: max(0, (counts[source] or 0) - chosen.count),
                new_status: (counts[new_status] or 0) + chosen.count,
            }
        )
        verb = "Archiving" if new_status == ARCHIVED else "Moving to the inbox"
        self._begin_busy(f"{verb} {plural(chosen.count)}…", chosen.count)
        self.view.run_worker(self._move(source, previous, removal, new_status), group="bulk")

    async def _move(self, tab: Folder, previous: dict[int, str] | None, removal: Removal, new_status: Folder) -> None:
        verb = "Archiving" if new_status == ARCHIVED else "Moving"
        try:
            if previous is None:
                previous = await self._matching(tab)
            await self.view.backend.update_many(
                list(previous), NotificationChanges(status=new_status), progress=self._reporter(verb)
            )
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            error = as_inbox_error(failure)
            self.view.post_message(ArchiveFailed(tab, removal, error, new_status))
            return
        self.view.post_message(ArchiveDone(tab, previous, new_status))

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

        question = f"Delete {plural(chosen.count)}? This cannot be undone."
        self.view.app.push_screen(ConfirmScreen(question, detail=detail), confirmed)

    def _delete(self, chosen: Targets) -> None:
        removal = chosen.notification_list.take_out(chosen.keys)
        tab = chosen.notification_list.tab
        self.view.show_counts({tab: max(0, (self.view.counts[tab] or 0) - chosen.count)})
        self._begin_busy(f"Deleting {plural(chosen.count)}…", chosen.count)
        self.view.run_worker(self._delete_work(tab, chosen.keys, removal), group="bulk")

    async def _delete_work(self, tab: Folder, keys: list[int] | None, removal: Removal) -> None:
        try:
            if keys is None:
                keys = list(await self._matching(tab))
            await self.view.backend.delete_many(keys, progress=self._reporter("Deleting"))
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            error = as_inbox_error(failure)
            self.view.post_message(DeleteFailed(tab, removal, error))
            return
        self.view.post_message(DeleteDone(tab, len(keys)))

    def undo(self) -> None:
        move = self.last_move
        if move is None:
            self.view.notify("Nothing to undo.", severity="warning")
            return
        self.last_move = None
        self._begin_busy(f"Undoing: {plural(len(move.previous))}…", len(move.previous))
        self.view.run_worker(self._undo(move), group="bulk")

    async def _undo(self, move: StatusMove) -> None:
        by_status: dict[str, list[int]] = {}
        for key, status in move.previous.items():
            by_status.setdefault(status, []).append(key)
        try:
            for status, keys in by_status.items():
                await self.view.backend.update_many(
                    keys, NotificationChanges(status=status), progress=self._reporter("Undoing")
                )
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            error = as_inbox_error(failure)
            self.view.post_message(UndoFailed(error))
            return
        self.view.post_message(UndoDone(len(move.previous)))

    async def _matching(self, tab: Folder) -> dict[int, str]:
        """Every notification the tab's query matches on the server: id -> status, page by page.

        Collecting 70,000 ids takes a while too, so it moves the progress bar like the operation.
        """
        found: dict[int, str] = {}
        report = self._reporter("Finding")
        page = 1
        while True:
            query = self.view.query_for(tab, fields=("id", "status"), sort=("id",), limit=BATCH_CHUNK, page=page)
            result = await self.view.backend.list_notifications(query)
            found.update((item.id, item.status) for item in result.items)
            report(len(found), max(result.filter_count, len(found)))
            if len(result.items) < BATCH_CHUNK:
                return found
            page += 1

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
        view = self.view
        match report:
            case BulkProgress(done=done, total=total):
                if total > BATCH_CHUNK:
                    view.query_one(StatusLine).show_progress(done, total)
            case ArchiveDone(tab=tab, previous=previous, new_status=new_status):
                self.last_move = StatusMove(previous, new_status)
                done_text = "Archived" if new_status == ARCHIVED else "Moved to the inbox:"
                undo_key = view.inbox_app.key_for("undo")
                view.notify(f"{done_text} {plural(len(previous))}. Press {undo_key} to undo.", markup=False)
                self._change_over(tab)
            case ArchiveFailed(tab=tab, removal=removal, error=error, new_status=new_status):
                view.list_of(tab).put_back(removal)
                what = "archive" if new_status == ARCHIVED else "move to the inbox"
                view.notify_error(f"Could not {what}; nothing was lost, the rows are back", error)
                self._change_over(tab)
            case DeleteDone(tab=tab, count=count):
                view.notify(f"Deleted {plural(count)}.")
                # The undo must not resurrect what is gone; the rest of the move can still be undone.
                self.last_move = None
                self._change_over(tab)
            case DeleteFailed(tab=tab, removal=removal, error=error):
                view.list_of(tab).put_back(removal)
                view.notify_error("Could not delete", error)
                self._change_over(tab)
            case UndoDone(count=count):
                view.notify(f"Undone: {plural(count)} back where they were.")
                self._end_busy()
                view.refresh_everything()
            case UndoFailed(error=error):
                view.notify_error("Could not undo", error)
                self._end_busy()
                view.refresh_everything()

    def _change_over(self, tab: Folder) -> None:
        """An operation on ``tab`` is over: reload both lists (the other one gained or lost rows)."""
        self._end_busy()
        if self.view.list_of(tab).finish_change():
            self.view.reload(tab)
        self.view.reload(ARCHIVED if tab == INBOX else INBOX)
        self.view.load_counts()
