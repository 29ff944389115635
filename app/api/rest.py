"""The REST transport: every endpoint of the Notifications reference page, over httpx.

Endpoints (relative to the server URL):
  GET|SEARCH /notifications, GET|PATCH|DELETE /notifications/{id}, POST|PATCH|DELETE /notifications,
  GET /users/me, GET /users, GET /permissions/me; GET /roles (writing to a role).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from app.api.answers import Answer, GroupedCount, Listing, group_counts, hour_counts, read, total_of
from app.api.auth import Auth
from app.api.client import DEFAULT_TIMEOUT, DirectusClient
from app.api.permissions import ANSWER as PERMISSIONS
from app.api.permissions import capabilities_from_permissions
from app.backend import InboxBackend
from app.counts import BY_COUNT, HOUR_GROUPS, DayCount, GroupCount, GroupField, HourlyPlan, LocalDays, narrowed
from app.errors import ForbiddenError, InvalidInputError, NotFoundError, not_found_or_forbidden, unexpected_answer
from app.models import (
    USER_FIELDS,
    BackendInfo,
    Capabilities,
    Notification,
    NotificationChanges,
    NotificationDraft,
    Page,
    Query,
    Role,
    RoleMembers,
    User,
)

MAX_URL = 2000
"""Past this many characters of query string, list with SEARCH and the query in the body."""

USER_FIELDS_PARAM = ",".join(USER_FIELDS)

# What each answer is to, for "The server answered something unexpected to ...".
LISTING = "the list of notifications"
CURRENT_USER = "the question who you are"
USERS = "the list of users"
ROLES = "the list of roles"
COUNTS = "the counts of notifications"


def changed_what(keys: Sequence[int]) -> str:
    return f"the change of notification {keys[0]}" if len(keys) == 1 else f"the change of {len(keys)} notifications"


USERS_SORT = ("first_name", "last_name", "email")
"""How user lists are ordered, over either transport."""


def query_params(query: Query) -> dict[str, Any]:
    """A ``Query`` as Directus global query parameters (JSON-valued where Directus wants JSON)."""
    params: dict[str, Any] = {
        "limit": query.limit,
        "offset": query.effective_offset,
        "sort": ",".join(query.sort),
        "fields": ",".join(query.fields) if query.fields else "*",
        "meta": "total_count,filter_count",
    }
    combined = query.combined_filter()
    if combined is not None:
        params["filter"] = json.dumps(combined, separators=(",", ":"))
    if query.search:
        params["search"] = query.search
    return params


def search_body(query: Query) -> dict[str, Any]:
    """The same query as the body of a SEARCH request."""
    body: dict[str, Any] = {
        "limit": query.limit,
        "offset": query.effective_offset,
        "sort": list(query.sort),
        "fields": list(query.fields) if query.fields else ["*"],
        "meta": ["total_count", "filter_count"],
    }
    combined = query.combined_filter()
    if combined is not None:
        body["filter"] = combined
    if query.search:
        body["search"] = query.search
    return {"query": body}


def aggregate_params(query: Query, group_by: Sequence[str], *, limit: int, sort: Sequence[str] = ()) -> dict[str, Any]:
    """The count of *query*'s notifications grouped by *group_by*, as query parameters."""
    params: dict[str, Any] = {"aggregate[count]": "id", "limit": limit}
    if group_by:
        params["groupBy[]"] = list(group_by)
    if sort:
        params["sort"] = ",".join(sort)
    combined = query.combined_filter()
    if combined is not None:
        params["filter"] = json.dumps(combined, separators=(",", ":"))
    if query.search:
        params["search"] = query.search
    return params


def aggregate_body(query: Query, group_by: Sequence[str], *, limit: int, sort: Sequence[str] = ()) -> dict[str, Any]:
    """The same count as the body of a SEARCH request."""
    body: dict[str, Any] = {"aggregate": {"count": ["id"]}, "limit": limit}
    if group_by:
        body["groupBy"] = list(group_by)
    if sort:
        body["sort"] = list(sort)
    combined = query.combined_filter()
    if combined is not None:
        body["filter"] = combined
    if query.search:
        body["search"] = query.search
    return {"query": body}


async def create_one(client: DirectusClient, draft: NotificationDraft) -> Notification:
    """``POST /notifications`` with one notification."""
    body = await client.call("POST", "/notifications", json=draft.payload())
    return read(Answer[Notification], body, "the new notification").data


async def create_many(client: DirectusClient, drafts: Sequence[NotificationDraft]) -> list[Notification]:
    """``POST /notifications`` with a list: every notification in one request, in order."""
    if not drafts:
        return []
    body = await client.call("POST", "/notifications", json=[draft.payload() for draft in drafts])
    created = read(Answer[list[Notification]], body, "the new notifications").data
    if len(created) != len(drafts):
        raise unexpected_answer("the new notifications")
    return created


async def read_capabilities(client: DirectusClient) -> Capabilities:
    """``GET /permissions/me``, read into what the current user may do with notifications."""
    body = await client.call("GET", "/permissions/me")
    return capabilities_from_permissions(read(Answer[dict[str, Any]], body, PERMISSIONS).data)


class _Member(User):
    status: str | None = None


async def role_members(client: DirectusClient, role: str) -> RoleMembers:
    """``GET /roles`` for the role named *role* (exactly, else ignoring case, else by id), then
    ``GET /users`` for its members the user may read; only active users are kept.

    A role's child roles (Directus 11's nested roles) are not expanded: their users are not members.
    """
    wanted = role.strip()
    try:
        body = await client.call("GET", "/roles", params={"fields": "id,name", "limit": -1, "sort": "name"})
    except ForbiddenError:
        raise ForbiddenError("Your role may not read roles, so it cannot write to one.", code="FORBIDDEN") from None
    roles = read(Answer[list[Role]], body, ROLES).data
    exact = [r for r in roles if r.name == wanted]
    folded = [r for r in roles if (r.name or "").casefold() == wanted.casefold()]
    by_id = [r for r in roles if r.id.lower() == wanted.lower()]
    found = exact or folded or by_id
    if len(found) != 1:
        names = ", ".join(sorted(r.name or r.id for r in roles)) or "none"
        if found:
            raise InvalidInputError(f"Several roles are named '{wanted}' (ignoring case). Give the role's id instead.")
        raise NotFoundError(f"There is no role '{wanted}' that you may read (roles: {names}).", code="FORBIDDEN")
    chosen = found[0]
    params = {
        "fields": f"{USER_FIELDS_PARAM},status",
        "filter": json.dumps({"role": {"_eq": chosen.id}}),
        "limit": -1,
        "sort": ",".join(USERS_SORT),
    }
    try:
        body = await client.call("GET", "/users", params=params)
    except ForbiddenError:
        return RoleMembers(role=chosen, users=[])
    members = read(Answer[list[_Member]], body, USERS).data
    active = [User.model_validate(member.model_dump()) for member in members if member.status in (None, "active")]
    return RoleMembers(role=chosen, users=active, inactive=len(members) - len(active))


class RestBackend(InboxBackend):
    """Directus over REST: every operation is one of the endpoints above."""

    def __init__(
        self,
        url: str,
        auth: Auth,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.client = DirectusClient(url, auth, timeout=timeout, transport=transport, tls=tls)
        self.info = BackendInfo(kind="rest", location=self.client.url, public_url=self.client.url)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def list_notifications(self, query: Query) -> Page:
        params = query_params(query)
        if len(str(httpx.QueryParams(params))) > MAX_URL:
            body = await self.client.call("SEARCH", "/notifications", json=search_body(query))
        else:
            body = await self.client.call("GET", "/notifications", params=params)
        listing = read(Listing, body, LISTING)
        return Page(
            items=listing.data,
            total_count=listing.meta.total_count,
            filter_count=listing.meta.filter_count,
            offset=query.effective_offset,
            limit=query.limit,
        )

    async def _aggregate(
        self, query: Query, group_by: Sequence[str], *, limit: int, sort: Sequence[str] = ()
    ) -> list[GroupedCount]:
        """One grouped count; SEARCH when the query string would be too long (a long ``_nin``)."""
        params = aggregate_params(query, group_by, limit=limit, sort=sort)
        if len(str(httpx.QueryParams(params))) > MAX_URL:
            body = await self.client.call(
                "SEARCH", "/notifications", json=aggregate_body(query, group_by, limit=limit, sort=sort)
            )
        else:
            body = await self.client.call("GET", "/notifications", params=params)
        return read(Answer[list[GroupedCount]], body, COUNTS).data

    async def count_by(self, query: Query, field: GroupField, *, limit: int | None = None) -> list[GroupCount]:
        rows = await self._aggregate(query, (field,), limit=limit or -1, sort=BY_COUNT)
        return group_counts(rows, field, COUNTS)

    async def count_per_day(self, query: Query, days: LocalDays) -> list[DayCount]:
        plan = HourlyPlan(days)
        queries = [plan.hourly_query(query)]
        split_query = plan.split_query(query)
        if split_query is not None:
            queries.append(split_query)
        # Both at once: REST cannot ask two questions in one request, but it need not wait in between.
        answers = await asyncio.gather(
            *(self._aggregate(each, HOUR_GROUPS, limit=plan.limit) for each in queries), return_exceptions=True
        )
        errors = [answer for answer in answers if isinstance(answer, BaseException)]
        if any(isinstance(error, InvalidInputError) for error in errors):
            # A server with QUERY_LIMIT_MAX below the hours asked for refuses the grouping: a count a day.
            counts = []
            for day, day_filter in zip(days.dates, days.day_filters(), strict=True):
                rows = await self._aggregate(narrowed(query, day_filter), (), limit=1)
                counts.append(DayCount(day, total_of(rows, COUNTS)))
            return counts
        if errors:
            raise errors[0]
        hourly, *split = [hour_counts(answer, COUNTS) for answer in answers if not isinstance(answer, BaseException)]
        return plan.days_from(hourly, split[0] if split else {})

    async def get(self, notification_id: int) -> Notification:
        body = await self._on_item(notification_id, "GET", params={"fields": "*"})
        return read(Answer[Notification], body, f"the request for notification {int(notification_id)}").data

    async def create(self, draft: NotificationDraft) -> Notification:
        return await create_one(self.client, draft)

    async def create_many(self, drafts: Sequence[NotificationDraft]) -> list[Notification]:
        return await create_many(self.client, drafts)

    async def update(self, notification_id: int, changes: NotificationChanges) -> Notification:
        body = await self._on_item(notification_id, "PATCH", json=changes.payload())
        # An admin's PATCH of a missing id answers 204 with nothing.
        what = changed_what([notification_id])
        changed = None if body is None else read(Answer[Notification | None], body, what).data
        if changed is None:
            raise not_found_or_forbidden(int(notification_id))
        return changed

    async def _update_batch(self, keys: Sequence[int], changes: NotificationChanges) -> list[Notification]:
        body = await self.client.call("PATCH", "/notifications", json={"keys": list(keys), "data": changes.payload()})
        return read(Answer[list[Notification]], body, changed_what(keys)).data

    async def delete(self, notification_id: int) -> None:
        await self.client.call("DELETE", f"/notifications/{int(notification_id)}")

    async def _delete_batch(self, keys: Sequence[int]) -> None:
        await self.client.call("DELETE", "/notifications", json=list(keys))

    async def me(self) -> User:
        body = await self.client.call("GET", "/users/me", params={"fields": USER_FIELDS_PARAM})
        return read(Answer[User], body, CURRENT_USER).data

    async def users(
        self, *, search: str | None = None, ids: Iterable[str] | None = None, limit: int = 100
    ) -> list[User]:
        params: dict[str, Any] = {"fields": USER_FIELDS_PARAM, "limit": limit, "sort": ",".join(USERS_SORT)}
        if ids is not None:
            wanted = sorted(set(ids))
            if not wanted:
                return []
            params["filter"] = json.dumps({"id": {"_in": wanted}})
            params["limit"] = len(wanted)
        if search:
            params["search"] = search
        try:
            body = await self.client.call("GET", "/users", params=params)
        except ForbiddenError:
            return []
        return read(Answer[list[User]], body, USERS).data

    async def capabilities(self) -> Capabilities:
        return await read_capabilities(self.client)

    async def role_members(self, role: str) -> RoleMembers:
        return await role_members(self.client, role)

    async def _on_item(self, notification_id: int, method: str, **kwargs: Any) -> Any:
        """A request on one notification, where 403 means "not found or not allowed"."""
        try:
            notification_id = int(notification_id)
        except (TypeError, ValueError):
            raise InvalidInputError(f"{notification_id!r} is not a notification id.") from None
        try:
            return await self.client.call(method, f"/notifications/{notification_id}", **kwargs)
        except ForbiddenError as error:
            raise not_found_or_forbidden(notification_id) from error
