"""What the app's workers report when network work finishes, each named for what happened.

Workers post these to the app; handlers decorated with ``@on(...)`` update the widgets. A failure
message carries the backend's ``InboxError`` so that the user sees the server's own words.
"""

from __future__ import annotations

from textual.message import Message

from app.errors import InboxError
from app.models import Capabilities, Notification, User
from app.ui.page_cache import Removal


class WorkReport(Message):
    """What a worker reports. Once the app is closing, reports are dropped (see InboxApp)."""


class SessionStarted(WorkReport):
    """The current user and what they may do are known."""

    def __init__(self, me: User, capabilities: Capabilities) -> None:
        super().__init__()
        self.me = me
        self.capabilities = capabilities


class SessionFailed(WorkReport):
    """Who the user is could not be found out (server down, token refused)."""

    def __init__(self, error: InboxError) -> None:
        super().__init__()
        self.error = error


class PageLoaded(WorkReport):
    """One page of a list arrived."""

    def __init__(
        self, tab: str, generation: int, page_number: int, items: list[Notification], filter_count: int
    ) -> None:
        super().__init__()
        self.tab = tab
        self.generation = generation
        self.page_number = page_number
        self.items = items
        self.filter_count = filter_count


class PageLoadFailed(WorkReport):
    def __init__(self, tab: str, generation: int, error: InboxError) -> None:
        super().__init__()
        self.tab = tab
        self.generation = generation
        self.error = error


class ListReloaded(WorkReport):
    """Every page a list shows was fetched afresh (refresh, or after a change)."""

    def __init__(self, tab: str, generation: int, pages: dict[int, list[Notification]], filter_count: int) -> None:
        super().__init__()
        self.tab = tab
        self.generation = generation
        self.pages = pages
        self.filter_count = filter_count


class ListReloadFailed(WorkReport):
    def __init__(self, tab: str, generation: int, error: InboxError) -> None:
        super().__init__()
        self.tab = tab
        self.generation = generation
        self.error = error


class CountsChanged(WorkReport):
    """The server's counts of the user's inbox and archive."""

    def __init__(self, inbox: int, archived: int) -> None:
        super().__init__()
        self.inbox = inbox
        self.archived = archived


class UsersResolved(WorkReport):
    """Names for user ids; ids asked for but not returned are users the current user may not read."""

    def __init__(self, asked: set[str], users: list[User]) -> None:
        super().__init__()
        self.asked = asked
        self.users = users


class BulkProgress(WorkReport):
    """A batch operation finished another chunk."""

    def __init__(self, verb: str, done: int, total: int) -> None:
        super().__init__()
        self.verb = verb
        self.done = done
        self.total = total


class ArchiveDone(WorkReport):
    """Notifications moved between Inbox and Archived; ``previous`` maps each id to its old status."""

    def __init__(self, tab: str, previous: dict[int, str], new_status: str) -> None:
        super().__init__()
        self.tab = tab
        self.previous = previous
        self.new_status = new_status


class ArchiveFailed(WorkReport):
    def __init__(self, tab: str, removal: Removal, error: InboxError, new_status: str) -> None:
        super().__init__()
        self.tab = tab
        self.removal = removal
        self.error = error
        self.new_status = new_status


class DeleteDone(WorkReport):
    def __init__(self, tab: str, count: int) -> None:
        super().__init__()
        self.tab = tab
        self.count = count


class DeleteFailed(WorkReport):
    def __init__(self, tab: str, removal: Removal, error: InboxError) -> None:
        super().__init__()
        self.tab = tab
        self.removal = removal
        self.error = error


class UndoDone(WorkReport):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


class UndoFailed(WorkReport):
    def __init__(self, error: InboxError) -> None:
        super().__init__()
        self.error = error
