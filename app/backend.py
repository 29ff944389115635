"""The one interface every inbox backend implements; the TUI and the CLI speak only to it.

Three implementations: ``app.api.rest.RestBackend`` and ``app.api.graphql.GraphQLBackend`` talk to a
Directus server, ``app.embedded.EmbeddedBackend`` keeps an inbox in a local SQLite file. The
contract tests in ``tests/test_contract.py`` hold all three to the same behaviour.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Self

from app.errors import BatchError, InboxError
from app.models import (
    BackendInfo,
    Capabilities,
    Notification,
    NotificationChanges,
    NotificationDraft,
    Page,
    Query,
    User,
)

BATCH_CHUNK = 500
"""Keys per batch request: small enough for any payload limit, large enough to be few requests."""

Progress = Callable[[int, int], None]
"""Called with (done, total) after each chunk of a batch operation."""


class InboxBackend(abc.ABC):
    """An inbox of notifications and the users they are between. All I/O methods are async."""

    info: BackendInfo

    # --- notifications -------------------------------------------------------------------
    @abc.abstractmethod
    async def list_notifications(self, query: Query) -> Page:
        """One page of notifications matching *query*, with the total and filter counts."""

    @abc.abstractmethod
    async def get(self, notification_id: int) -> Notification:
        """One notification; ``NotFoundError`` when it is missing or not the user's to read."""

    @abc.abstractmethod
    async def create(self, draft: NotificationDraft) -> Notification:
        """Create one notification; the backend fills id, timestamp and status."""

    @abc.abstractmethod
    async def create_many(self, drafts: Sequence[NotificationDraft]) -> list[Notification]:
        """Create several notifications in one request."""

    @abc.abstractmethod
    async def update(self, notification_id: int, changes: NotificationChanges) -> Notification:
        """Change fields of one notification."""

    @abc.abstractmethod
    async def _update_batch(self, keys: Sequence[int], changes: NotificationChanges) -> list[Notification]:
        """One batch request: the same change applied to every key."""

    @abc.abstractmethod
    async def delete(self, notification_id: int) -> None:
        """Delete one notification."""

    @abc.abstractmethod
    async def _delete_batch(self, keys: Sequence[int]) -> None:
        """One batch request deleting every key."""

    # --- users and permissions ------------------------------------------------------------
    @abc.abstractmethod
    async def me(self) -> User:
        """The current user."""

    @abc.abstractmethod
    async def users(
        self, *, search: str | None = None, ids: Iterable[str] | None = None, limit: int = 100
    ) -> list[User]:
        """Users the current user may read, by search text or by ids (unknown ids are left out)."""

    @abc.abstractmethod
    async def capabilities(self) -> Capabilities:
        """What the current user may do with notifications."""

    async def aclose(self) -> None:  # noqa: B027 - a backend with nothing to release need not override it
        """Release connections and files."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- batch operations, chunked ------------------------------------------------------------
    async def update_many(
        self, keys: Sequence[int], changes: NotificationChanges, progress: Progress | None = None
    ) -> list[Notification]:
        """Apply *changes* to every key, in chunks of ``BATCH_CHUNK`` keys.

        If the first chunk fails, its error is raised with ``failed_keys`` set to every key;
        a later failure raises ``BatchError`` with the keys that were and were not changed.
        """
        updated: list[Notification] = []

        async def run(chunk: Sequence[int]) -> None:
            updated.extend(await self._update_batch(chunk, changes))

        await self._chunked("update", keys, run, progress)
        return updated

    async def delete_many(self, keys: Sequence[int], progress: Progress | None = None) -> None:
        """Delete every key, in chunks; on failure ``BatchError`` names the keys left."""
        await self._chunked("delete", keys, self._delete_batch, progress)

    async def _chunked(
        self, verb: str, keys: Sequence[int], run: Callable[[Sequence[int]], Awaitable[None]], progress: Progress | None
    ) -> None:
        keys = list(dict.fromkeys(int(key) for key in keys))
        done: list[int] = []
        for start in range(0, len(keys), BATCH_CHUNK):
            chunk = keys[start : start + BATCH_CHUNK]
            try:
                await run(chunk)
            except InboxError as error:
                if not done:
                    # Nothing changed: keep the error's own type (forbidden, not found, ...).
                    error.failed_keys = keys
                    raise
                raise BatchError(
                    f"Could not {verb} {len(keys) - len(done)} of {len(keys)} notifications",
                    done_keys=done,
                    failed_keys=keys[start:],
                    cause=error,
                ) from error
            done.extend(chunk)
            if progress is not None:
                progress(len(done), len(keys))
