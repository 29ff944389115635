"""Purging old notifications from the app, as an admin: the CLI's ``purge`` in a dialog.

The criteria (archived, older than an age, yours or everyone's) are counted first
(``app.purge.plan_purge``: the exact count, the oldest and the newest); the dialog shows that and
asks, in the same words as the CLI, before anything is deleted. Deleting runs ``run_purge`` in a
worker, chunk by chunk, with a progress bar; esc stops it, and then the server is asked how many
are gone (the chunk in flight may or may not have been deleted), as ``cmd_purge`` does. Running the
same purge again counts afresh what is left. A role that may not delete is refused before anything
(the main view says why in place of opening this).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static
from textual.worker import Worker

from app.backend import InboxBackend
from app.errors import as_inbox_error
from app.purge import PurgeCriteria, PurgePlan, PurgeResult, parse_age, plan_purge, remaining, run_purge
from app.sanitize import clean_line
from app.ui import keys
from app.ui.keys import KeySection
from app.ui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from app.ui.screens.main import MainScreen

Phase = Literal["idle", "counting", "deleting", "stopping"]

RECOUNT_PATIENCE = 5.0
"""Seconds to wait for the server's count after a stop before saying what is known without it."""


@dataclass
class PlanReady(Message):
    plan: PurgePlan


@dataclass
class PurgeProgressed(Message):
    done: int
    total: int


@dataclass
class PurgeFinished(Message):
    result: PurgeResult


@dataclass
class PurgeStopped(Message):
    """The purge was stopped (esc) or failed; ``text`` says what the server now holds."""

    text: str
    warning: bool = True


@dataclass
class PurgeProblem(Message):
    """Counting failed, or the criteria are not valid: nothing was deleted."""

    text: str


class PurgeScreen(ModalScreen[bool]):
    """Dismisses with ``True`` when anything was deleted (the lists must be fetched again)."""

    BINDINGS = keys.PURGE

    def __init__(self, backend: InboxBackend) -> None:
        super().__init__()
        self.backend = backend
        self.plan: PurgePlan | None = None
        self.deleted = 0
        """Deleted so far, as the last chunk reported."""
        self.anything_deleted = False
        self.phase: Phase = "idle"
        self._worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="purge-dialog") as dialog:
            dialog.border_title = "Purge old notifications"
            yield Static("Delete the notifications that are:", id="purge-intro")
            yield Checkbox("archived", value=True, id="purge-archived")
            with Horizontal(id="purge-age-row"):
                yield Label("older than ")
                yield Input(value="90d", placeholder="e.g. 90d; empty: any age", id="purge-age", compact=True)
                yield Label("  (min, h, d, w, y)", classes="purge-hint")
            yield Checkbox("of every user you may read (not only yours)", id="purge-all-users")
            yield Static(id="purge-status", markup=False)
            yield ProgressBar(id="purge-progress", show_eta=False)
            with Horizontal(id="purge-buttons"):
                yield Button(Content("Count (ctrl+s)"), variant="primary", id="purge-count")
                yield Button(Content("Close (esc)"), id="purge-close")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#purge-age", Input).focus()

    def key_sections(self) -> list[KeySection]:
        return [KeySection("Purge", self, keys.PURGE)]

    def unavailable_reason(self, action: str) -> str | None:
        if action == "count" and self.phase != "idle":
            return "Busy: esc stops a purge that is running."
        return None

    def _say(self, text: str, *, style: str = "") -> None:
        self.query_one("#purge-status", Static).update(Content.styled(text, style) if style else Content(text))

    # --- counting ------------------------------------------------------------------------------------
    def criteria(self) -> PurgeCriteria:
        """What the form asks for; ``ValueError`` saying what to fix."""
        age_text = self.query_one("#purge-age", Input).value.strip()
        older_than = parse_age(age_text) if age_text else None
        try:
            return PurgeCriteria(
                archived=self.query_one("#purge-archived", Checkbox).value,
                older_than=older_than,
                all_users=self.query_one("#purge-all-users", Checkbox).value,
            )
        except ValueError:
            raise ValueError("Tick archived, give an age, or both: a purge never deletes everything.") from None

    def action_count(self) -> None:
        if self.phase != "idle":
            return
        try:
            criteria = self.criteria()
        except ValueError as error:
            self._say(str(error), style="$text-error")
            return
        self.plan = None
        self.phase = "counting"
        self._say("Counting…")
        self._worker = self.run_worker(self._count(criteria), group="purge", exclusive=True)

    @on(Button.Pressed, "#purge-count")
    def _count_pressed(self) -> None:
        self.action_count()

    @on(Input.Submitted, "#purge-age")
    def _age_submitted(self) -> None:
        self.action_count()

    async def _count(self, criteria: PurgeCriteria) -> None:
        try:
            plan = await plan_purge(self.backend, criteria)
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.post_message(PurgeProblem(f"Nothing was deleted: {clean_line(str(as_inbox_error(failure)))}"))
            return
        self.post_message(PlanReady(plan))

    @on(PlanReady)
    def _plan_ready(self, event: PlanReady) -> None:
        self.plan = event.plan
        self.phase = "idle"
        if not event.plan.count:
            self._say(event.plan.describe())
            return
        self._say(f"Would delete {event.plan.describe()}.")
        question = f"Delete {event.plan.describe()}? This cannot be undone."
        self.app.push_screen(ConfirmScreen(question), self._confirmed)

    @on(PurgeProblem)
    def _problem(self, event: PurgeProblem) -> None:
        self.phase = "idle"
        self._say(event.text, style="$text-error")

    # --- deleting ------------------------------------------------------------------------------------
    def _confirmed(self, yes: bool | None) -> None:
        if not yes or self.plan is None:
            self._say("Nothing was deleted.")
            return
        self.deleted = 0
        self.phase = "deleting"
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=self.plan.count, progress=0)
        self._say(f"Deleting {self.plan.describe()}… (esc stops)")
        self._worker = self.run_worker(self._purge(self.plan), group="purge", exclusive=True)

    async def _purge(self, plan: PurgePlan) -> None:
        def report(done: int, total: int) -> None:
            self.post_message(PurgeProgressed(done, total))

        try:
            result = await run_purge(self.backend, plan, progress=report)
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            why = clean_line(str(as_inbox_error(failure)))
            self.post_message(PurgeStopped(f"Stopped ({why}): {await self._so_far(plan)}"))
            return
        self.post_message(PurgeFinished(result))

    async def _so_far(self, plan: PurgePlan) -> str:
        """What an interrupted purge deleted, as the server tells it (as the CLI says it)."""
        try:
            left = await asyncio.wait_for(remaining(self.backend, plan), RECOUNT_PATIENCE)
        except Exception:  # noqa: BLE001 - without an answer, what the chunks reported is said
            return (
                f"{self.deleted:,} of {plan.count:,} deleted, and perhaps a chunk more (the server could not be asked)."
            )
        held = f"the server holds {left:,} of them"
        return f"{plan.count - left:,} of {plan.count:,} deleted ({held}). Count again to delete the rest."

    async def _stopped(self, plan: PurgePlan) -> None:
        self.post_message(PurgeStopped(f"Stopped: {await self._so_far(plan)}"))

    @on(PurgeProgressed)
    def _progressed(self, event: PurgeProgressed) -> None:
        self.deleted = event.done
        self.anything_deleted = self.anything_deleted or event.done > 0
        self.query_one(ProgressBar).update(total=event.total, progress=event.done)

    @on(PurgeFinished)
    def _finished(self, event: PurgeFinished) -> None:
        self.phase = "idle"
        self.anything_deleted = self.anything_deleted or event.result.deleted > 0
        failure = event.result.stopped.failure() if event.result.stopped is not None else None
        text = clean_line(event.result.describe())
        self._say(text, style="$text-success" if failure is None else "$text-warning")

    @on(PurgeStopped)
    def _stopped_shown(self, event: PurgeStopped) -> None:
        self.phase = "idle"
        self.anything_deleted = True  # perhaps: the lists are fetched again either way
        self._say(event.text, style="$text-warning" if event.warning else "")

    def action_cancel(self) -> None:
        """Close; while deleting, stop and ask the server what is gone (the dialog stays to say it)."""
        if self.phase == "stopping":
            return  # the server is being asked; its answer is shown in a moment
        if self.phase == "deleting" and self.plan is not None and self._worker is not None:
            self._worker.cancel()
            self.phase = "stopping"
            self._say("Stopping… asking the server what was deleted.")
            self._worker = self.run_worker(self._stopped(self.plan), group="purge-recount", exclusive=True)
            return
        if self._worker is not None:
            self._worker.cancel()  # a count in flight: nothing was deleted
        self.dismiss(self.anything_deleted)

    @on(Button.Pressed, "#purge-close")
    def _close_pressed(self) -> None:
        self.action_cancel()


def open_purge(view: MainScreen) -> None:
    """The purge dialog over *view*, for a role that may delete; for others, why not."""
    from app.unified import UnifiedBackend

    if isinstance(view.backend, UnifiedBackend):
        view.explain("purge", "Purge works on one server: switch to its profile first (P), then purge there.")
        return
    reason = view.unavailable_reason("purge")
    if reason:
        view.explain("purge", reason)
        return

    def done(deleted: bool | None) -> None:
        if deleted:
            view.refresh_everything()

    view.app.push_screen(PurgeScreen(view.backend), done)
