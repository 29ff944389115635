"""The overview of a tab: where its notifications come from, and when, to look at rather than read.

Counts by collection and by sender as bars, and the notifications of each of the last 30 days as a
sparkline — all server-side aggregates (``count_by``, ``count_per_day``) of the list as it is now
(its search and filters). Each bar is a way in: choosing it dismisses the screen with that filter
added, and the list narrows to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from app.backend import InboxBackend
from app.counts import DayCount, GroupCount, LocalDays
from app.errors import as_inbox_error
from app.models import Query, User
from app.sanitize import clean_line
from app.triage import Filters
from app.ui import keys
from app.ui.keys import KeySection
from app.ui.user_names import UserNames

DAYS = 30
BARS = 10
"""The biggest this many values per field."""
BAR_WIDTH = 20
LABEL_WIDTH = 18
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(count: int, biggest: int, width: int = BAR_WIDTH) -> str:
    """*count* as a bar of *width* cells at most, in eighths of a cell; never empty for a count."""
    if biggest <= 0 or count <= 0:
        return ""
    eighths = max(1, round(count / biggest * width * 8))
    return "█" * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")


@dataclass
class OverviewCounted(Message):
    collections: list[GroupCount]
    senders: list[GroupCount]
    days: list[DayCount]
    users: list[User]
    asked: set[str]


@dataclass
class OverviewFailed(Message):
    error: str


class OverviewScreen(ModalScreen[Filters | None]):
    """Dismisses with the filters a chosen bar adds to the current ones, or ``None``."""

    BINDINGS = keys.OVERVIEW

    def __init__(
        self,
        backend: InboxBackend,
        query: Query,
        current: Filters,
        *,
        names: UserNames,
        where: str,
        clock: Callable[[], datetime],
        tz: tzinfo | None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.counted = query
        self.current = current
        self.names = names
        self.where = where
        self.clock = clock
        self.tz = tz
        self.choices: dict[str, list[Filters | None]] = {"collections": [], "senders": []}

    def compose(self) -> ComposeResult:
        with Vertical(id="overview-dialog"):
            yield Static(Content(f"Overview of {self.where}"), id="overview-title")
            yield Static(Content(f"Per day, the last {DAYS} days"), classes="overview-heading")
            yield Sparkline([], id="overview-days")
            yield Static(id="overview-days-axis")
            with Horizontal(id="overview-bars"):
                with Vertical():
                    yield Static(Content("By collection"), classes="overview-heading")
                    yield OptionList(Option(Content("Counting…"), disabled=True), id="collections")
                with Vertical():
                    yield Static(Content("By sender"), classes="overview-heading")
                    yield OptionList(Option(Content("Counting…"), disabled=True), id="senders")

    def key_sections(self) -> list[KeySection]:
        return [KeySection("Overview", self, keys.OVERVIEW)]

    def unavailable_reason(self, action: str) -> str | None:
        return None

    def on_mount(self) -> None:
        self.query_one("#collections", OptionList).focus()
        self.run_worker(self._count(), group="overview", exclusive=True)

    async def _count(self) -> None:
        try:
            collections = await self.backend.count_by(self.counted, "collection", limit=BARS)
            senders = await self.backend.count_by(self.counted, "sender", limit=BARS)
            days = await self.backend.count_per_day(
                self.counted, LocalDays.ending_today(DAYS, now=self.clock(), tz=self.tz)
            )
            unknown = self.names.claim_unknown(group.value for group in senders)
            users = await self.backend.users(ids=unknown) if unknown else []
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.post_message(OverviewFailed(clean_line(str(as_inbox_error(failure)))))
            return
        self.post_message(OverviewCounted(collections, senders, days, users, unknown))

    @on(OverviewCounted)
    def _counted(self, event: OverviewCounted) -> None:
        self.names.learn(event.asked, event.users)
        counts = [day.count for day in event.days]
        self.query_one(Sparkline).data = counts
        first, last = event.days[0].day, event.days[-1].day
        busiest = max(counts, default=0)
        axis = f"{first:%a %d %b}  …  most in a day: {busiest:,}  …  {last:%a %d %b}"
        self.query_one("#overview-days-axis", Static).update(Content(axis))
        self._bars(
            "collections",
            [
                (
                    "(no collection)" if group.value is None else clean_line(group.value),
                    group.count,
                    None if group.value is None else replace(self.current, collection=group.value),
                )
                for group in event.collections
            ],
        )
        self._bars(
            "senders",
            [
                (
                    self.names.label(group.value),
                    group.count,
                    # A notification from the system has no sender to filter on.
                    None if group.value is None else replace(self.current, sender=group.value),
                )
                for group in event.senders
            ],
        )

    def _bars(self, list_id: str, values: list[tuple[str, int, Filters | None]]) -> None:
        biggest = max((count for _, count, _ in values), default=0)
        options = [
            Option(
                Content.assemble(
                    f"{label[:LABEL_WIDTH]:<{LABEL_WIDTH}} ",
                    (f"{bar(count, biggest):<{BAR_WIDTH}}", "$accent"),
                    (f" {count:>7,}", "$text-muted"),
                ),
                disabled=chosen is None,
            )
            for label, count, chosen in values
        ] or [Option(Content("Nothing here."), disabled=True)]
        self.choices[list_id] = [chosen for _, _, chosen in values]
        option_list = self.query_one(f"#{list_id}", OptionList)
        option_list.set_options(options)
        option_list.highlighted = next((index for index, option in enumerate(options) if not option.disabled), None)

    @on(OverviewFailed)
    def _failed(self, event: OverviewFailed) -> None:
        for list_id in self.choices:
            self.query_one(f"#{list_id}", OptionList).set_options(
                [Option(Content(f"Could not count: {event.error}"), disabled=True)]
            )

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        chosen = self.choices.get(event.option_list.id or "", [])
        if event.option_index < len(chosen) and chosen[event.option_index] is not None:
            self.dismiss(chosen[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)
