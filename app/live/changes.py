"""What the live inbox reports: small typed changes, gathered into one ``LiveBatch`` at a time.

A burst of events (a Flow creating 1,000 notifications in a second) becomes a few batches, not
1,000 messages: ``BatchBuilder`` folds changes to the same notification together, and
``LiveInbox.batches`` hands out whatever has gathered once the stream settles.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from app.models import Notification

Mode = Literal["connecting", "live", "polling", "offline"]
"""How the inbox follows the server.

``connecting``: not yet known. ``live``: subscribed over WebSockets (changes arrive within a second).
``polling``: no socket (the server has WebSockets off, refused them, or the inbox is the embedded
file): changes arrive within ``ConnectionState.poll_interval``. ``offline``: the server cannot be
reached or refused the credentials; retried with backoff, and reconciled when it answers again.
"""


@dataclass(frozen=True)
class ConnectionState:
    mode: Mode
    since: datetime
    """When this mode began (aware, UTC)."""
    reason: str | None = None
    """Why the inbox is not live, in the app's own words (never the server's text)."""
    poll_interval: float | None = None
    """Seconds between checks while ``polling`` (and between reconciliations while ``live``)."""


@dataclass(frozen=True)
class FolderCounts:
    """The current user's notifications per tab: the inbox is every status but ``archived``."""

    inbox: int
    archived: int


@dataclass(frozen=True)
class LiveBatch:
    """Everything that changed since the previous batch. Apply the parts in this order.

    ``created``: notifications this stream had not reported or seen before, oldest first (a
    consumer that loaded pages itself should treat them as "insert unless present").
    ``updated``: new versions of notifications it had seen (another status, or an admin's edit);
    the whole notification, as the server has it now. ``deleted``: ids that are gone, or no
    longer the current user's; only ids this stream held (delete events name other users' ids too).
    ``counts``: set when the per-tab counts changed. ``connection``: set when the mode changed.
    Your own changes come back too (the server announces them like anyone's): apply idempotently.
    """

    created: tuple[Notification, ...] = ()
    updated: tuple[Notification, ...] = ()
    deleted: frozenset[int] = frozenset()
    counts: FolderCounts | None = None
    connection: ConnectionState | None = None

    def __bool__(self) -> bool:
        return bool(self.created or self.updated or self.deleted or self.counts or self.connection)


@dataclass
class BatchBuilder:
    """Collects changes until they are taken as one ``LiveBatch``; the last word on an id wins."""

    created: dict[int, Notification] = field(default_factory=dict)
    updated: dict[int, Notification] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    counts: FolderCounts | None = None
    connection: ConnectionState | None = None
    first_change: float | None = None
    """``time.monotonic()`` of the oldest change not yet taken."""
    last_change: float | None = None

    def __bool__(self) -> bool:
        return self.first_change is not None

    def _touch(self) -> None:
        now = time.monotonic()
        if self.first_change is None:
            self.first_change = now
        self.last_change = now

    def create(self, notification: Notification) -> None:
        self.deleted.discard(notification.id)
        self.updated.pop(notification.id, None)
        self.created[notification.id] = notification
        self._touch()

    def update(self, notification: Notification) -> None:
        if notification.id in self.created:
            self.created[notification.id] = notification  # still new to the consumer
        else:
            self.updated[notification.id] = notification
        self._touch()

    def delete(self, notification_id: int) -> None:
        self.created.pop(notification_id, None)
        self.updated.pop(notification_id, None)
        self.deleted.add(notification_id)
        self._touch()

    def set_counts(self, counts: FolderCounts) -> None:
        self.counts = counts
        self._touch()

    def set_connection(self, state: ConnectionState) -> None:
        self.connection = state
        self._touch()

    def take(self) -> LiveBatch:
        batch = LiveBatch(
            created=tuple(self.created[key] for key in sorted(self.created)),
            updated=tuple(self.updated[key] for key in sorted(self.updated)),
            deleted=frozenset(self.deleted),
            counts=self.counts,
            connection=self.connection,
        )
        self.created, self.updated, self.deleted = {}, {}, set()
        self.counts = self.connection = None
        self.first_change = self.last_change = None
        return batch
