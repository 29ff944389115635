"""The triage filters — by sender, by collection, by time — and named views of them, as server queries.

``Filters`` is what a user chose, as they typed it (``--from maya@example.com --since 2d``) or
picked it (a sender's id from ``count_by``). ``await filters.resolve(backend)`` looks the sender
up once; ``resolved.filter(now, tz)`` is then the Directus filter, evaluated afresh each time (a
relative ``since`` moves with the clock), so it runs on the server like any other.

A ``View`` is a name, a search and filters (a saved view is a ``[views.NAME]`` table of the
config file: ``app.config``, ``app.views``); ``await view.resolve(backend)`` gives a
``ResolvedView`` whose ``query(folder, ...)`` is the ``Query`` of its list, and of its counts.

The sender is a user as ``send`` takes one: an id, an e-mail address or a name (an exact e-mail,
full name or id wins, else the one search result). An ordinary Directus user may read no other
user, so a name finds nobody; an e-mail address then still works: the filter goes through the
relation (``sender.email``), which Directus 12.4 allows them (measured).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from app.backend import InboxBackend
from app.compose import MAX_CANDIDATES, is_user_id, matching_users
from app.models import DEFAULT_SORT, INBOX, MAX_PAGE, Filter, Folder, Query
from app.sanitize import clean_line
from app.when import TimeBound, iso_utc


class FilterError(ValueError):
    """A filter cannot be used as typed; ``str(error)`` says what is wrong and what to do."""


def sender_is(user_id: str) -> Filter:
    return {"sender": {"_eq": user_id}}


def sender_email_is(email: str) -> Filter:
    # Case-insensitively: Directus keeps an address as it was typed, and 12.4 has no _ieq.
    return {"_and": [{"sender": {"email": {"_istarts_with": email}}}, {"sender": {"email": {"_iends_with": email}}}]}


async def resolve_sender(backend: InboxBackend, text: str) -> Filter:
    """The filter for notifications from the user *text* stands for; ``FilterError`` when it is
    nobody the current user may see (and no e-mail address), or several people."""
    wanted = text.strip()
    if not wanted:
        raise FilterError("The sender is empty. Give a user id, an e-mail address or a name.")
    if is_user_id(wanted):
        return sender_is(wanted)
    users = await matching_users(backend, wanted)
    if len(users) == 1:
        return sender_is(users[0].id)
    if len(users) > 1:
        listed = ", ".join(clean_line(user.label) for user in users[:MAX_CANDIDATES])
        more = f" and {len(users) - MAX_CANDIDATES} more" if len(users) > MAX_CANDIDATES else ""
        raise FilterError(
            f"'{clean_line(wanted)}' matches {len(users)} users ({listed}{more}). "
            "Give the sender's e-mail address or user id."
        )
    if "@" in wanted:
        return sender_email_is(wanted)
    raise FilterError(
        f"No user you may see matches '{clean_line(wanted)}'. Give the sender's e-mail address or user id."
    )


def without_ids(ids: Iterable[int]) -> Filter | None:
    """Leaves out *ids* (the snoozed): ``id _nin`` (a long list goes in a SEARCH body over REST)."""
    keys = sorted({int(key) for key in ids})
    return {"id": {"_nin": keys}} if keys else None


def all_of(parts: Iterable[Filter | None]) -> Filter | None:
    present = [part for part in parts if part]
    if not present:
        return None
    return present[0] if len(present) == 1 else {"_and": present}


@dataclass(frozen=True)
class Filters:
    """The triage filters as chosen; empty fields filter nothing."""

    sender: str | None = None
    """A user id, an e-mail address or a name."""
    collection: str | None = None
    since: TimeBound | None = None
    until: TimeBound | None = None

    @classmethod
    def parse(
        cls,
        *,
        sender: str | None = None,
        collection: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Filters:
        """From text as typed; ``FilterError`` for a time that is not a WHEN (``app.when``)."""
        try:
            return cls(
                sender=(sender or "").strip() or None,
                collection=(collection or "").strip() or None,
                since=TimeBound.parse(since) if since and since.strip() else None,
                until=TimeBound.parse(until) if until and until.strip() else None,
            )
        except ValueError as error:
            raise FilterError(f"{error}.") from None

    async def resolve(self, backend: InboxBackend) -> ResolvedFilters:
        """Look the sender up (at most one request; none for an id)."""
        sender = None if self.sender is None else await resolve_sender(backend, self.sender)
        return ResolvedFilters(self, sender)


@dataclass(frozen=True)
class ResolvedFilters:
    """``Filters`` whose sender is known: the Directus filter, for any moment."""

    filters: Filters
    sender: Filter | None

    def filter(self, now: datetime | None = None, tz: tzinfo | None = None) -> Filter | None:
        """The Directus filter at *now* (``None``: the clock) in the zone *tz* (``None``: the system's)."""
        chosen = self.filters
        parts: list[Filter | None] = [self.sender]
        if chosen.collection is not None:
            parts.append({"collection": {"_eq": chosen.collection}})
        if chosen.since is not None:
            parts.append({"timestamp": {"_gte": iso_utc(chosen.since.start(now, tz))}})
        if chosen.until is not None:
            parts.append({"timestamp": {"_lt": iso_utc(chosen.until.end(now, tz))}})
        return all_of(parts)


@dataclass(frozen=True)
class View:
    """A named search and filters: a saved view, or what the inbox shows now."""

    name: str
    search: str | None = None
    filters: Filters = field(default_factory=Filters)

    async def resolve(self, backend: InboxBackend) -> ResolvedView:
        return ResolvedView(self, await self.filters.resolve(backend))


@dataclass(frozen=True)
class ResolvedView:
    view: View
    filters: ResolvedFilters

    def query(
        self,
        folder: Folder | None = INBOX,
        *,
        exclude: Iterable[int] = (),
        now: datetime | None = None,
        tz: tzinfo | None = None,
        sort: tuple[str, ...] = DEFAULT_SORT,
        limit: int = MAX_PAGE,
        offset: int = 0,
        page: int | None = None,
        fields: tuple[str, ...] | None = None,
    ) -> Query:
        """The current user's notifications in *folder* (``None``: every status) that the view
        shows, less *exclude* (the snoozed ids, for the Inbox)."""
        extra = all_of([self.filters.filter(now, tz), without_ids(exclude)])
        search = self.view.search or None
        if folder is None:
            return Query(
                mine=True, filter=extra, search=search, sort=sort, limit=limit, offset=offset, page=page, fields=fields
            )
        base = Query.of_folder(folder, search=search, sort=sort, limit=limit, offset=offset, page=page, fields=fields)
        return base.model_copy(update={"filter": all_of([base.filter, extra])})
