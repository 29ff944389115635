"""The main view on a unified inbox (``app.unified.UnifiedBackend``): whose each row is, and how each server does.

- every row carries its profile's short label (``ProfileTags``) in that profile's colour; the
  colours are the list's component classes ``notification-list--profile-N`` in ``styles/list.tcss``
  (the status line borrows them from the list, so they are defined once);
- the status line gives the count of the tab in front per server, and names a server that is
  unreachable with the reason (``UnifiedStatus.parts``);
- a list fetched afresh while a server is unreachable keeps that server's rows it showed, marked
  (``UnifiedStatus.keep_rows``): the server left them out of the merge, it did not delete them.
  When the server answers again (the live inbox reports it), the lists are fetched afresh.

Which server a row belongs to, and where each action goes, is the backend's business; here is only
what the screen shows of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual.content import Content
from textual.widget import Widget

from app.backend import InboxBackend
from app.bulk import KeysText
from app.errors import format_keys
from app.live.changes import ConnectionState, FolderCounts
from app.models import ARCHIVED, INBOX, MAX_PAGE, Folder, Notification, Query
from app.ui.widgets.profile_tags import ProfileTags, profile_of
from app.unified import UnifiedBackend
from app.unified.paging import sort_key


@dataclass
class UnifiedStatus:
    """What the main view knows of each server of its unified inbox."""

    backend: UnifiedBackend
    tags: ProfileTags = field(init=False)
    counts: dict[Folder, dict[str, int]] = field(default_factory=lambda: {INBOX: {}, ARCHIVED: {}})
    """Per tab, each server's count (those that answered the last count)."""
    connections: dict[str, ConnectionState] = field(default_factory=dict)
    """Each profile's live connection, as last reported."""
    offline: dict[str, str] = field(default_factory=dict)
    """Profiles whose live inbox says they cannot be reached, with why."""

    def __post_init__(self) -> None:
        self.tags = ProfileTags(self.backend.labels)

    def location_label(self) -> str:
        """For the header: the unified inbox's profiles (each one's address is in the profile picker)."""
        return f"unified: {', '.join(self.backend.profiles)}"

    # --- what the servers said ------------------------------------------------------------------
    def unreachable(self) -> dict[str, str]:
        """Profiles that did not answer the latest listing or whose live inbox lost them, with why."""
        found = dict(self.backend.unreachable)
        for profile, reason in self.offline.items():
            found.setdefault(profile, reason)
        return {profile: found[profile] for profile in self.backend.profiles if profile in found}

    def refresh(self) -> bool:
        """Take in which servers answer now; ``True`` when the rows' marks changed."""
        return self.tags.set_unreachable(frozenset(self.unreachable()))

    def counted(self, counts: Mapping[Folder, Mapping[str, int]]) -> None:
        for tab, per_profile in counts.items():
            if per_profile:
                self.counts[tab] = dict(per_profile)

    def connections_changed(self, connections: Mapping[str, ConnectionState]) -> None:
        self.connections = dict(connections)
        self.offline = {
            profile: f"{profile}: {state.reason}" if state.reason else profile
            for profile, state in connections.items()
            if state.mode == "offline"
        }

    def answering_state(self) -> ConnectionState | None:
        """How the servers that answer are followed, while some do not (those are named apart, by
        ``alerts``); ``None`` when all answer, or none does: then the combined state says it all."""
        answering = {profile: state for profile, state in self.connections.items() if state.mode != "offline"}
        if not answering or len(answering) == len(self.connections):
            return None
        from app.unified.live import combined_state  # loaded already: the servers are followed

        return combined_state(answering)

    def live_counts(self, counts: Mapping[str, FolderCounts]) -> None:
        self.counts[INBOX].update({profile: folder.inbox for profile, folder in counts.items()})
        self.counts[ARCHIVED].update({profile: folder.archived for profile, folder in counts.items()})

    # --- what the status line says ----------------------------------------------------------------
    def alerts(self) -> list[Content]:
        """Each unreachable server and why: first on the status line (a narrow line cuts the end)."""
        return [
            Content.assemble((f"{profile} unreachable", "bold $text-error"), f": {reason.removeprefix(profile + ': ')}")
            for profile, reason in self.unreachable().items()
        ]

    def counts_of(self, tab: Folder, styled_by: Widget) -> list[Content]:
        """Each server's count of *tab* ("work 12 stag 3"), each label in its colour (*styled_by*'s)."""
        known = self.counts.get(tab, {})
        pieces: list[Content] = []
        for profile in self.backend.profiles:
            if profile in known:
                label = self.tags.labels.get(profile, profile)
                style = styled_by.get_component_rich_style(self.tags.component(profile), partial=True)
                pieces.append(Content.from_rich_text(Text(label, style=style)) + Content(f" {known[profile]:,}"))
        return [Content(" ").join(pieces)] if pieces else []

    # --- rows of a server that did not answer -------------------------------------------------------
    def keep_rows(
        self,
        shown: list[Notification],
        pages: dict[int, list[Notification]],
        filter_count: int,
        query: Query,
        page_size: int = MAX_PAGE,
    ) -> tuple[dict[int, list[Notification]], int]:
        """*pages* fetched afresh with the rows *shown* before of the servers that did not answer put
        back in their places, and the count with them.

        Only when the fresh pages hold the whole list: deeper in a longer list, a row put back would
        push the server's own paging out of step (the next page would repeat or skip a row)."""
        missing = frozenset(self.backend.unreachable)
        kept = [item for item in shown if profile_of(item) in missing]
        fetched = [item for number in sorted(pages) for item in pages[number]]
        whole = sorted(pages) == list(range(len(pages))) and len(fetched) == filter_count
        if not kept or not whole:
            return pages, filter_count
        ids = {item.id for item in fetched}
        merged = sorted([*fetched, *(item for item in kept if item.id not in ids)], key=sort_key(query.sort))
        numbers = range(max(1, -(-len(merged) // page_size)))
        return {number: merged[number * page_size : (number + 1) * page_size] for number in numbers}, len(merged)


def unified_status(backend: InboxBackend) -> UnifiedStatus | None:
    """The main view's ``UnifiedStatus`` for *backend*, if it is a unified inbox."""
    return UnifiedStatus(backend) if isinstance(backend, UnifiedBackend) else None


def own_backend(backend: InboxBackend, notification: Notification) -> InboxBackend:
    """The backend a row belongs to: its server's, in a unified inbox (its links are that server's)."""
    return backend.backend_for(notification.id) if isinstance(backend, UnifiedBackend) else backend


def tally(backend: InboxBackend, keys: Sequence[int] | None) -> str:
    """ "3 on work, 2 on staging" for a unified inbox's *keys*; "" for one server (or no keys known)."""
    if not isinstance(backend, UnifiedBackend) or not keys:
        return ""
    return backend.describe_tally(keys)


def with_tally(backend: InboxBackend, text: str, done: str, keys: Sequence[int]) -> str:
    """*text* ("5 notifications archived. …") with how many on each server after its first sentence's
    *done* ("5 notifications archived (3 on work, 2 on staging). …"); as it was for one server."""
    per_server = tally(backend, keys)
    if not per_server:
        return text
    head, found, rest = text.partition(f"{done}.")
    if not found:
        return f"{text} ({per_server})"
    return f"{head}{done} ({per_server}).{rest}"


def keys_text(backend: InboxBackend) -> KeysText:
    """How ids are written in a sentence: "work:12" in a unified inbox."""
    return backend.describe_keys if isinstance(backend, UnifiedBackend) else format_keys
