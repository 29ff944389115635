"""What the main view's workers report when network work finishes, each named for what happened.

Workers post these to the main view (``app.ui.screens.main``); its handlers (``@on``) update the
widgets. A failure carries the backend's ``InboxError`` so that the user sees the server's own words.
Loads (``LoadReport``) are handled by ``app.ui.loading``, bulk operations (``BulkReport``) by
``app.ui.bulk``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from app.bulk import Deletion, StatusChange
from app.errors import InboxError
from app.models import Capabilities, Folder, Notification, User
from app.triage import Filters, ResolvedFilters
from app.ui.page_cache import Removal

if TYPE_CHECKING:
    from app.live import LiveBatch


class WorkReport(Message):
    """What a worker reports. Once the app is closing, reports are dropped (see MainScreen)."""


class LoadReport(WorkReport):
    """What a load reports (handled by ``app.ui.loading.Loader``)."""


@dataclass
class SessionStarted(LoadReport):
    """The current user and what they may do are known."""

    me: User
    capabilities: Capabilities


@dataclass
class SessionFailed(LoadReport):
    """Who the user is could not be found out (server down, token refused)."""

    error: InboxError


@dataclass
class PageLoaded(LoadReport):
    """One page of a list arrived."""

    tab: Folder
    generation: int
    page_number: int
    items: list[Notification]
    filter_count: int


@dataclass
class PageLoadFailed(LoadReport):
    tab: Folder
    generation: int
    error: InboxError


@dataclass
class ListReloaded(LoadReport):
    """Every page a list shows was fetched afresh (refresh, or after a change)."""

    tab: Folder
    generation: int
    pages: dict[int, list[Notification]]
    filter_count: int


@dataclass
class ListReloadFailed(LoadReport):
    tab: Folder
    generation: int
    error: InboxError


@dataclass
class ListFollowed(LoadReport):
    """A list's rows fetched afresh after changes on the server, where they now are.

    ``shift``: how far the row the view was anchored on moved (rows came or went above it)."""

    tab: Folder
    generation: int
    pages: dict[int, list[Notification]]
    filter_count: int
    shift: int


@dataclass
class LiveChanged(WorkReport):
    """What the live inbox saw change on the server since its last report (``app.live``)."""

    batch: LiveBatch


@dataclass
class LiveStopped(WorkReport):
    """The live inbox stopped on a bug; the lists still load on demand."""

    error: str


@dataclass
class CountsChanged(LoadReport):
    """The server's counts of the user's inbox and archive (a unified inbox's: ``per_profile`` too)."""

    inbox: int
    archived: int
    per_profile: dict[Folder, dict[str, int]] = field(default_factory=dict)


@dataclass
class UsersResolved(LoadReport):
    """Names for user ids; ids asked for but not returned are users the current user may not read."""

    asked: set[str]
    users: list[User]


class BulkReport(WorkReport):
    """What an archive, delete or undo in flight reports (handled by ``app.ui.bulk.BulkActions``)."""


@dataclass
class BulkProgress(BulkReport):
    """A batch operation finished another chunk."""

    verb: str
    done: int
    total: int


@dataclass
class StatusChanged(BulkReport):
    """An archive, or a move back to the inbox, is over: ``change`` says what the server holds.

    ``removal``: the rows taken out at once; ``counts``: the tabs' counts before; ``about``: the
    notification under the cursor that the action was about (``None`` for a selection)."""

    tab: Folder
    removal: Removal
    change: StatusChange
    counts: dict[Folder, int | None]
    about: int | None


@dataclass
class Deleted(BulkReport):
    """A delete is over: ``deletion`` says what the server holds."""

    tab: Folder
    removal: Removal
    deletion: Deletion
    counts: dict[Folder, int | None]
    about: int | None


@dataclass
class BulkFailed(BulkReport):
    """The notifications to change could not even be collected: nothing was changed."""

    tab: Folder
    removal: Removal
    error: InboxError
    counts: dict[Folder, int | None]
    about: int | None


@dataclass
class Undone(BulkReport):
    """An undo is over: ``result`` says what the server holds; ``change`` is what it undid."""

    change: StatusChange
    result: StatusChange


class TriageReport(WorkReport):
    """What triage work reports (handled by ``app.ui.triage.Triage``)."""


@dataclass
class FiltersApplied(TriageReport):
    """The chosen filters are known to the server's terms: the lists are to be loaded with them
    (and with ``search``, when a saved view brings its own)."""

    resolved: ResolvedFilters
    search: str | None = None


@dataclass
class FiltersFailed(TriageReport):
    """The chosen filters cannot be used (a sender nobody, or the lookup failed); ``error`` says why."""

    filters: Filters
    error: str


@dataclass
class ViewsCounted(TriageReport):
    """The Inbox notifications each saved view shows, by name (``None``: could not be counted)."""

    counts: dict[str, int | None]


@dataclass
class SnoozesReleased(TriageReport):
    """Snoozes came due: ``notifications`` are those still in the inbox, back now."""

    notifications: list[Notification]


@dataclass
class NewRowFound(TriageReport):
    """Where a notification back from snooze is in the Inbox now (for ``n``, when its page is not loaded)."""

    notification: Notification
    row: int
