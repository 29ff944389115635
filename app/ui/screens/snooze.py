"""Snoozing: the dialog that asks until when, and the Snoozed view that lists what is waiting.

The dialog offers the presets of ``app.when`` (each with the moment it means now) and takes a
typed time (``parse_snooze``); a time that is not one, or has passed, says why in the dialog.
The Snoozed view lists the snoozed notifications still in the inbox, soonest back first, with
their return time, fetched in a worker (``app.local_state.in_inbox``); ``u`` there brings the
highlighted one back now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from app.backend import InboxBackend
from app.errors import as_inbox_error
from app.local_state import in_inbox
from app.models import Notification
from app.sanitize import clean_line
from app.timefmt import local_time
from app.ui import keys
from app.ui.keys import KeySection
from app.ui.user_names import UserNames
from app.when import SNOOZE_PRESETS, parse_snooze


def snooze_label(count: int) -> str:
    return "this notification" if count == 1 else f"{count:,} notifications"


class SnoozeScreen(ModalScreen[datetime | None]):
    """Dismisses with the moment to snooze until (always in the future), or ``None``."""

    BINDINGS = keys.SNOOZE

    def __init__(self, count: int, *, clock: Callable[[], datetime], tz: tzinfo | None) -> None:
        super().__init__()
        self.count = count
        self.clock = clock
        self.tz = tz
        self.moments: list[datetime] = []

    def compose(self) -> ComposeResult:
        now = self.clock()
        self.moments = [preset.at(now, self.tz) for preset in SNOOZE_PRESETS]
        options = [
            Option(Content.assemble(f"{preset.label.capitalize():<20}", (local_time(moment, self.tz), "$text-muted")))
            for preset, moment in zip(SNOOZE_PRESETS, self.moments, strict=True)
        ]
        with Vertical(id="snooze-dialog"):
            yield Static(Content(f"Snooze {snooze_label(self.count)} until…"), id="snooze-title")
            yield OptionList(*options, id="snooze-presets")
            yield Input(placeholder="Or type a time: 2h, tomorrow 14:00, 2026-12-01", id="snooze-typed")
            yield Static(id="snooze-error")

    def key_sections(self) -> list[KeySection]:
        return [KeySection("Snooze", self, keys.SNOOZE)]

    def unavailable_reason(self, action: str) -> str | None:
        return None

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#snooze-presets")
    def _preset(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.moments[event.option_index])

    @on(Input.Submitted, "#snooze-typed")
    def _typed(self, event: Input.Submitted) -> None:
        try:
            until = parse_snooze(event.value, self.clock(), self.tz)
        except ValueError as error:
            self.query_one("#snooze-error", Static).update(Content(f"{error}."))
            return
        self.dismiss(until)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_type_time(self) -> None:
        self.query_one("#snooze-typed", Input).focus()


@dataclass
class SnoozedLoaded(Message):
    notifications: list[Notification]


@dataclass
class SnoozedFailed(Message):
    error: str


class SnoozedScreen(ModalScreen[None]):
    """What is snoozed and still in the inbox, soonest back first, each with its return time."""

    BINDINGS = keys.SNOOZED

    def __init__(
        self,
        backend: InboxBackend,
        waiting: Mapping[int, datetime],
        *,
        names: UserNames,
        wake: Callable[[list[int]], None],
        tz: tzinfo | None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.waiting = dict(waiting)
        self.names = names
        self.wake = wake
        self.tz = tz
        self.shown: list[Notification] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="snoozed-dialog"):
            yield Static(Content("Snoozed"), id="snoozed-title")
            yield OptionList(Option(Content("Loading…"), disabled=True), id="snoozed-list")
            yield Static(id="snoozed-note")

    def key_sections(self) -> list[KeySection]:
        return [KeySection("Snoozed", self, keys.SNOOZED)]

    def unavailable_reason(self, action: str) -> str | None:
        if action == "wake" and not self.shown:
            return "Nothing is snoozed."
        return None

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.run_worker(self._load(), group="snoozed", exclusive=True)

    async def _load(self) -> None:
        try:
            present = await in_inbox(self.backend, self.waiting)
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.post_message(SnoozedFailed(clean_line(str(as_inbox_error(failure)))))
            return
        # Soonest back first (the state's order); one archived or deleted meanwhile is left out.
        self.post_message(SnoozedLoaded([present[key] for key in self.waiting if key in present]))

    @on(SnoozedLoaded)
    def _loaded(self, event: SnoozedLoaded) -> None:
        self.shown = event.notifications
        self._show()

    def _show(self) -> None:
        option_list = self.query_one(OptionList)
        if not self.shown:
            option_list.set_options([Option(Content("Nothing is snoozed."), disabled=True)])
            return
        option_list.set_options(
            [
                Option(
                    Content.assemble(
                        (f"{local_time(self.waiting[item.id], self.tz):<28}", "$accent"),
                        f"{self.names.label(item.sender)[:18]:<19}",
                        clean_line(item.subject) or "(no subject)",
                    )
                )
                for item in self.shown
            ]
        )
        option_list.highlighted = 0

    @on(SnoozedFailed)
    def _failed(self, event: SnoozedFailed) -> None:
        self.query_one(OptionList).set_options([Option(Content(f"Could not load: {event.error}"), disabled=True)])

    def action_wake(self) -> None:
        option_list = self.query_one(OptionList)
        if not self.shown or option_list.highlighted is None:
            self.notify("Nothing is snoozed.", severity="warning")
            return
        item = self.shown.pop(option_list.highlighted)
        self.wake([item.id])
        self.query_one("#snoozed-note", Static).update(Content(f"Back in the inbox: {clean_line(item.subject)}"))
        self._show()

    def action_close(self) -> None:
        self.dismiss(None)
