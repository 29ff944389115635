"""The filter picker: who sent it, what it is about, when — each value with its count from the server.

The counts are of what the list in front shows now (its search and the filters already chosen),
grouped on the server (``InboxBackend.count_by``), so "articles 1,204 · products 88" is what
choosing would leave. Choosing a value dismisses the dialog with the filters to apply; a typed
time range (``2026-03-01..2026-03-10``, ``2d``, ``..yesterday``) is checked here, and a bad one
says why in the dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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
from app.compose import is_user_id
from app.counts import GroupCount, narrowed
from app.errors import as_inbox_error
from app.models import Query, User
from app.sanitize import clean_line
from app.triage import FilterError, Filters, ResolvedFilters
from app.ui import keys
from app.ui.keys import KeySection
from app.ui.user_names import UserNames
from app.when import TimeBound

FACET_LIMIT = 12
"""The most values offered per field: the biggest, as the server counts them."""

TIMES = ("today", "this week")
"""The named periods offered (``app.when.NAMED_DAYS``)."""

RANGE_SEPARATOR = ".."


@dataclass
class FacetCounts(Message):
    """The server's counts for the picker arrived."""

    senders: list[GroupCount]
    collections: list[GroupCount]
    times: dict[str, int]
    users: list[User]
    asked: set[str]


@dataclass
class FacetCountsFailed(Message):
    error: str


def parse_range(text: str) -> Filters:
    """``SINCE..UNTIL`` (either side may be empty) or one WHEN (since then): the time filters.
    ``FilterError`` saying what a WHEN may be."""
    since, separator, until = text.partition(RANGE_SEPARATOR)
    if not separator:
        until = ""
    if not since.strip() and not until.strip():
        raise FilterError("Type a time such as 2d, or a range such as 2026-03-01..2026-03-10.")
    return Filters.parse(since=since, until=until)


def describe(filters: Filters, names: UserNames) -> str:
    """The filters in words, for the status line and the dialog's title."""
    parts: list[str] = []
    if filters.sender is not None:
        # A user id picked from the counts is named as the list names it; a name or an e-mail
        # address (typed in a saved view) as written.
        sender = filters.sender
        parts.append(f"from {names.label(sender) if is_user_id(sender) else clean_line(sender)}")
    if filters.collection is not None:
        parts.append(f"in {clean_line(filters.collection)}")
    since, until = filters.since, filters.until
    if since is not None and until is not None and since.text == until.text:
        parts.append(since.text)
    else:
        if since is not None:
            parts.append(f"since {since.text}")
        if until is not None:
            parts.append(f"until {until.text}")
    return ", ".join(parts)


def period(name: str) -> Filters:
    """A named period as both bounds: its first instant up to the first instant after it."""
    bound = TimeBound.parse(name)
    return Filters(since=bound, until=bound)


class FilterScreen(ModalScreen[Filters | None]):
    """Dismisses with the filters to apply (the current ones with one field changed), or ``None``."""

    BINDINGS = keys.FILTER_PICKER

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
        self.choices: list[Filters] = []
        """The filters each option of the list applies, by option index (``None`` options are headings)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-dialog"):
            chosen = describe(self.current, self.names)
            title = f"Filter {self.where}" + (f" (now: {chosen})" if chosen else "")
            yield Static(Content(title), id="filter-title")
            yield OptionList(Option(Content("Counting on the server…"), disabled=True), id="filter-options")
            yield Input(placeholder="A time range: 2d, 2026-03-01..2026-03-10, ..yesterday", id="filter-range")
            yield Static(id="filter-error")

    def key_sections(self) -> list[KeySection]:
        return [KeySection("Filter picker", self, keys.FILTER_PICKER)]

    def unavailable_reason(self, action: str) -> str | None:
        return None

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.run_worker(self._count(), group="filter-counts", exclusive=True)

    async def _count(self) -> None:
        try:
            senders = await self.backend.count_by(self.counted, "sender", limit=FACET_LIMIT)
            collections = await self.backend.count_by(self.counted, "collection", limit=FACET_LIMIT)
            times: dict[str, int] = {}
            now = self.clock()
            for name in TIMES:
                time_filter = ResolvedFilters(period(name), None).filter(now, self.tz)
                assert time_filter is not None
                counting = narrowed(self.counted, time_filter).model_copy(update={"limit": 1, "fields": ("id",)})
                times[name] = (await self.backend.list_notifications(counting)).filter_count
            unknown = self.names.claim_unknown(group.value for group in senders)
            users = await self.backend.users(ids=unknown) if unknown else []
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.post_message(FacetCountsFailed(clean_line(str(as_inbox_error(failure)))))
            return
        self.post_message(FacetCounts(senders, collections, times, users, unknown))

    @on(FacetCounts)
    def _counted(self, event: FacetCounts) -> None:
        self.names.learn(event.asked, event.users)
        options: list[Option] = []
        self.choices = []

        def heading(text: str) -> None:
            options.append(Option(Content.styled(text, "bold $accent"), disabled=True))
            self.choices.append(self.current)

        def value(label: str, count: int | None, filters: Filters | None) -> None:
            shown = "" if count is None else f"{count:>8,}"
            line = Content.assemble(f"  {label:<40.40} ", (shown, "$text-muted"))
            options.append(Option(line, disabled=filters is None))
            self.choices.append(filters or self.current)

        heading("Sender")
        for group in event.senders:
            sender = group.value
            # A notification from the system has no sender to filter on (Directus has no _null
            # filter on a relation that a plain user may use): shown, not offered.
            value(
                self.names.label(sender), group.count, None if sender is None else replace(self.current, sender=sender)
            )
        if not event.senders:
            value("nobody", None, None)
        heading("Collection")
        for group in event.collections:
            name = group.value
            label = "(no collection)" if name is None else clean_line(name)
            value(label, group.count, None if name is None else replace(self.current, collection=name))
        heading("Time")
        for name, count in event.times.items():
            chosen = period(name)
            value(name.capitalize(), count, replace(self.current, since=chosen.since, until=chosen.until))
        if self.current != Filters():
            heading("")
            value("Clear every filter", None, Filters())
        option_list = self.query_one(OptionList)
        option_list.set_options(options)
        option_list.highlighted = next((index for index, option in enumerate(options) if not option.disabled), None)

    @on(FacetCountsFailed)
    def _count_failed(self, event: FacetCountsFailed) -> None:
        self.query_one(OptionList).set_options([Option(Content(f"Could not count: {event.error}"), disabled=True)])

    @on(OptionList.OptionSelected, "#filter-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index])

    @on(Input.Submitted, "#filter-range")
    def _range_typed(self, event: Input.Submitted) -> None:
        try:
            typed = parse_range(event.value)
        except FilterError as error:
            self.query_one("#filter-error", Static).update(Content(str(error)))
            return
        self.dismiss(replace(self.current, since=typed.since, until=typed.until))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_type_range(self) -> None:
        self.query_one("#filter-range", Input).focus()
