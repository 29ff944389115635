"""The GraphQL transport, over ``POST /graphql/system``.

Reads, updates and deletes go through GraphQL. Three operations go over REST, on the same
``DirectusClient`` (one connection, one sign-in), each delegated explicitly below:

* ``create`` and ``create_many``: on Directus 12.4.0 ``create_notifications_item`` either fails
  validation (``recipient`` is typed as a user input object) or saves the row and then answers
  INTERNAL_SERVER_ERROR, so the caller cannot tell what happened. ``POST /notifications`` is
  reliable (``tests/test_contract.py::test_graphql_routes_create_over_rest``).
* ``capabilities``: ``/permissions/me`` has no GraphQL counterpart.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from app.api import rest
from app.api.answers import (
    GraphQLListing,
    GraphQLRefs,
    Group,
    GroupedCount,
    count_of,
    graphql_row,
    graphql_rows,
    group_counts,
    hour_counts,
    read,
    total_of,
)
from app.api.auth import Auth
from app.api.client import DEFAULT_TIMEOUT, DirectusClient
from app.backend import InboxBackend
from app.counts import BY_COUNT, HOUR_GROUPS, DayCount, GroupCount, GroupField, HourlyPlan, LocalDays, narrowed
from app.errors import ForbiddenError, InvalidInputError, not_found_or_forbidden, unexpected_answer
from app.models import (
    NOTIFICATION_FIELDS,
    USER_FIELDS,
    USER_RELATIONS,
    BackendInfo,
    Capabilities,
    Notification,
    NotificationChanges,
    NotificationDraft,
    Page,
    Query,
    RoleMembers,
    User,
)

ENDPOINT = "/graphql/system"


def _selected(field: str) -> str:
    """A field as GraphQL selects it: a user relation is an object, of which the id is enough."""
    return f"{field} {{ id }}" if NOTIFICATION_FIELDS[field].user_relation else field


NOTIFICATION_SELECTION = " ".join(_selected(field) for field in NOTIFICATION_FIELDS)
USER_SELECTION = " ".join(USER_FIELDS)


def _selection(fields: Sequence[str] | None) -> str:
    """The selection of a ``Query``'s fields (which names notification fields only, and the id)."""
    if not fields or "*" in fields:
        return NOTIFICATION_SELECTION
    return " ".join(_selected(field) for field in fields)


def graphql_filter(node: Any) -> Any:
    """A REST filter in GraphQL form: there, a user relation is filtered through its ``id``.

    REST takes ``{"recipient": {"_eq": X}}``; GraphQL types ``recipient`` as
    ``directus_users_filter`` and wants ``{"recipient": {"id": {"_eq": X}}}``.
    """
    if isinstance(node, list):
        return [graphql_filter(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key in USER_RELATIONS and isinstance(value, dict) and value and all(k.startswith("_") for k in value):
            result[key] = {"id": value}
        else:
            result[key] = graphql_filter(value)
    return result


NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")

LONG_LIST = 50
"""A list of ids longer than this goes as a variable (see ``Variables``)."""


@dataclass(frozen=True)
class Variable:
    """Where a ``Variables`` value goes in the document: ``$name``."""

    name: str


class Variables:
    """Long lists of ids, sent as variables of the document rather than inline.

    Directus refuses a document of more than 5,000 tokens ("Document contains more that 5000
    tokens", ``GRAPHQL_QUERY_TOKEN_LIMIT``), and every id of an ``_in``/``_nin`` list is a token:
    leaving 3,000 snoozed notifications out of the inbox failed inline (measured on 12.4) and works
    as a variable (30,000 did too). Only lists of integers are hoisted: their type,
    ``[GraphQLStringOrFloat]``, cannot fail (a variable that fails its type gets an opaque
    INTERNAL_SERVER_ERROR, see ``literal``).
    """

    def __init__(self) -> None:
        self.values: dict[str, list[int]] = {}

    def hoist(self, node: Any) -> Any:
        """*node* (a filter) with each long list of integers replaced by a ``Variable``."""
        if isinstance(node, list):
            if len(node) > LONG_LIST and all(isinstance(item, int) and not isinstance(item, bool) for item in node):
                # The same list in several places of a document (a filter in each alias) is sent once.
                name = next((name for name, known in self.values.items() if known == node), f"ids{len(self.values)}")
                self.values[name] = node
                return Variable(name)
            return [self.hoist(item) for item in node]
        if isinstance(node, dict):
            return {key: self.hoist(value) for key, value in node.items()}
        return node

    def declared(self) -> str:
        """The document's variable definitions: ``($ids0: [GraphQLStringOrFloat])``, or nothing."""
        if not self.values:
            return ""
        return "(" + ", ".join(f"${name}: [GraphQLStringOrFloat]" for name in self.values) + ")"


def literal(value: Any) -> str:
    """A JSON-like value as a GraphQL literal.

    Arguments are written inline rather than as variables because Directus 12.4 answers a
    variable that fails its type (a field the role may not set, an unknown filter field) with an
    opaque INTERNAL_SERVER_ERROR, and an inline literal with a validation message that says what
    is wrong. JSON string escapes are valid GraphQL string escapes; object keys must be names.
    """
    if value is None:
        return "null"
    if isinstance(value, Variable):
        return f"${value.name}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if not isinstance(key, str) or not NAME.match(key):
                raise InvalidInputError(f"{key!r} is not a valid field or operator name.")
            parts.append(f"{key}: {literal(item)}")
        return "{" + ", ".join(parts) + "}"
    raise InvalidInputError(f"Cannot send {type(value).__name__} values to the server.")


def arguments(**values: Any) -> str:
    """``(name: literal, ...)`` for the values that are not None."""
    present = [f"{name}: {literal(value)}" for name, value in values.items() if value is not None]
    return f"({', '.join(present)})" if present else ""


def _refs_of(keys: Sequence[Any]) -> str:
    return arguments(groupBy=["id", *USER_RELATIONS], filter={"id": {"_in": [int(k) for k in keys]}}, limit=len(keys))


def _restore_user_ids(rows: list[dict[str, Any]], refs: list[Group] | None) -> None:
    """Fill in sender/recipient ids that GraphQL hid.

    GraphQL answers ``sender { id }`` with null when the user may not read that user (an
    ordinary user may read only themselves), where REST gives the id. An aggregate grouped by the
    raw columns still tells the ids, so both transports return the same data.
    """
    by_id = {str(ref.group.get("id")): ref.group for ref in refs or []}
    for row in rows:
        group = by_id.get(str(row.get("id")))
        if group is None:
            continue
        for field in USER_RELATIONS:
            if field in row and row[field] is None:
                row[field] = group.get(field)


class GraphQLBackend(InboxBackend):
    """Directus over GraphQL; create, create_many and capabilities over REST (see the module's docstring)."""

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
        self.info = BackendInfo(kind="graphql", location=self.client.url, public_url=self.client.url)

    async def aclose(self) -> None:
        await self.client.aclose()

    # --- over REST -----------------------------------------------------------------------------
    async def create(self, draft: NotificationDraft) -> Notification:
        return await rest.create_one(self.client, draft)  # GraphQL's create is broken on 12.4.0

    async def create_many(self, drafts: Sequence[NotificationDraft]) -> list[Notification]:
        return await rest.create_many(self.client, drafts)  # GraphQL's create is broken on 12.4.0

    async def capabilities(self) -> Capabilities:
        return await rest.read_capabilities(self.client)  # /permissions/me has no GraphQL counterpart

    async def role_members(self, role: str) -> RoleMembers:
        return await rest.role_members(self.client, role)  # two plain reads: one implementation, over REST

    # --- over GraphQL --------------------------------------------------------------------------
    async def _graphql(self, document: str, what: str, variables: Variables | None = None) -> dict[str, Any]:
        """The ``data`` of the answer to *document*; *what* names it if the answer is not of that shape."""
        request: dict[str, Any] = {"query": document}
        if variables is not None and variables.values:
            request["variables"] = variables.values
        body = await self.client.call("POST", ENDPOINT, json=request)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise unexpected_answer(what)
        return data

    async def list_notifications(self, query: Query) -> Page:
        variables = Variables()
        filter_ = variables.hoist(graphql_filter(query.combined_filter()))
        search = query.search or None
        window = {
            "filter": filter_,
            "search": search,
            "sort": list(query.sort),
            "limit": query.limit,
            "offset": query.effective_offset,
        }
        what = rest.LISTING
        data = await self._graphql(
            f"query{variables.declared()} {{ items: notifications{arguments(**window)} {{ {_selection(query.fields)} }}"
            f" matching: notifications_aggregated{arguments(filter=filter_, search=search)} {{ count {{ id }} }}"
            " all: notifications_aggregated { count { id } } }",
            what,
            variables,
        )
        listing = read(GraphQLListing, data, what)
        await self._restore_hidden_ids(listing.items, what)
        return Page(
            items=_notifications(listing.items, what),
            total_count=count_of(listing.all, what),
            filter_count=count_of(listing.matching, what),
            offset=query.effective_offset,
            limit=query.limit,
        )

    async def _restore_hidden_ids(self, rows: list[dict[str, Any]], what: str) -> None:
        """Ask for the user ids GraphQL hid (null ``sender``/``recipient``), if any, by the rows' ids.

        A second, small request, and only when a row lacks one. Asking in the listing's own request
        (an aggregate over the same window) made the server filter and sort the whole inbox twice:
        on 100,000 notifications that cost as much as the listing itself (GraphQL at 1.7× REST).
        A mutation cannot carry a query along, so it asks the same way.
        """
        hidden = [
            row.get("id")
            for row in rows
            if row.get("id") is not None and any(field in row and row[field] is None for field in USER_RELATIONS)
        ]
        if hidden:
            try:
                keys = [int(key) for key in hidden]  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise unexpected_answer(what) from None
            data = await self._graphql(f"query {{ refs: notifications_aggregated{_refs_of(keys)} {{ group }} }}", what)
            _restore_user_ids(rows, read(GraphQLRefs, data, what).refs)

    async def get(self, notification_id: int) -> Notification:
        notification_id = _as_id(notification_id)
        what = f"the request for notification {notification_id}"
        try:
            data = await self._graphql(
                f"query {{ notifications_by_id{arguments(id=notification_id)} {{ {NOTIFICATION_SELECTION} }}"
                f" refs: notifications_aggregated{_refs_of([notification_id])} {{ group }} }}",
                what,
            )
        except ForbiddenError as error:
            raise not_found_or_forbidden(notification_id) from error
        row = graphql_row(data, "notifications_by_id", what)
        if row is None:
            raise not_found_or_forbidden(notification_id)
        _restore_user_ids([row], read(GraphQLRefs, data, what).refs)
        return read(Notification, row, what)

    async def update(self, notification_id: int, changes: NotificationChanges) -> Notification:
        notification_id = _as_id(notification_id)
        what = rest.changed_what([notification_id])
        try:
            data = await self._graphql(
                f"mutation {{ update_notifications_item{arguments(id=notification_id, data=changes.payload())}"
                f" {{ {NOTIFICATION_SELECTION} }} }}",
                what,
            )
        except ForbiddenError as error:
            raise not_found_or_forbidden(notification_id) from error
        row = graphql_row(data, "update_notifications_item", what)
        if row is None:
            raise not_found_or_forbidden(notification_id)
        await self._restore_hidden_ids([row], what)
        return read(Notification, row, what)

    async def _update_batch(self, keys: Sequence[int], changes: NotificationChanges) -> list[Notification]:
        what = rest.changed_what(keys)
        data = await self._graphql(
            f"mutation {{ update_notifications_items{arguments(ids=[int(k) for k in keys], data=changes.payload())}"
            f" {{ {NOTIFICATION_SELECTION} }} }}",
            what,
        )
        rows = graphql_rows(data, "update_notifications_items", what)
        await self._restore_hidden_ids(rows, what)
        return _notifications(rows, what)

    async def delete(self, notification_id: int) -> None:
        notification_id = _as_id(notification_id)
        await self._graphql(
            f"mutation {{ delete_notifications_item{arguments(id=notification_id)} {{ id }} }}",
            f"the deletion of notification {notification_id}",
        )

    async def _delete_batch(self, keys: Sequence[int]) -> None:
        await self._graphql(
            f"mutation {{ delete_notifications_items{arguments(ids=[int(k) for k in keys])} {{ ids }} }}",
            f"the deletion of {len(keys)} notifications",
        )

    async def count_by(self, query: Query, field: GroupField, *, limit: int | None = None) -> list[GroupCount]:
        # The group holds the raw column, so a sender the user may not read is still its id (as over REST).
        variables = Variables()
        counts = _aggregated("counts", query, variables, group_by=(field,), limit=limit or -1, sort=BY_COUNT)
        data = await self._graphql(f"query{variables.declared()} {{ {counts} }}", rest.COUNTS, variables)
        return group_counts(_counted(data, "counts", rest.COUNTS), field, rest.COUNTS)

    async def count_per_day(self, query: Query, days: LocalDays) -> list[DayCount]:
        plan = HourlyPlan(days)
        split_query = plan.split_query(query)
        variables = Variables()
        document = _aggregated("hourly", plan.hourly_query(query), variables, group_by=HOUR_GROUPS, limit=plan.limit)
        if split_query is not None:
            document += " " + _aggregated("split", split_query, variables, group_by=HOUR_GROUPS, limit=plan.limit)
        try:
            data = await self._graphql(f"query{variables.declared()} {{ {document} }}", rest.COUNTS, variables)
        except InvalidInputError:
            # A server with QUERY_LIMIT_MAX below the hours asked for refuses the grouping: a count
            # a day, all in one document.
            variables = Variables()
            document = " ".join(
                _aggregated(f"day{index}", narrowed(query, day_filter), variables)
                for index, day_filter in enumerate(days.day_filters())
            )
            data = await self._graphql(f"query{variables.declared()} {{ {document} }}", rest.COUNTS, variables)
            return [
                DayCount(day, total_of(_counted(data, f"day{index}", rest.COUNTS), rest.COUNTS))
                for index, day in enumerate(days.dates)
            ]
        hourly = hour_counts(_counted(data, "hourly", rest.COUNTS), rest.COUNTS)
        split = {} if split_query is None else hour_counts(_counted(data, "split", rest.COUNTS), rest.COUNTS)
        return plan.days_from(hourly, split)

    async def me(self) -> User:
        data = await self._graphql(f"query {{ users_me {{ {USER_SELECTION} }} }}", rest.CURRENT_USER)
        return read(User, data.get("users_me"), rest.CURRENT_USER)

    async def users(
        self, *, search: str | None = None, ids: Iterable[str] | None = None, limit: int = 100
    ) -> list[User]:
        filter_ = None
        if ids is not None:
            wanted = sorted(set(ids))
            if not wanted:
                return []
            filter_ = {"id": {"_in": wanted}}
            limit = len(wanted)
        try:
            listing = arguments(filter=filter_, search=search or None, limit=limit, sort=list(rest.USERS_SORT))
            data = await self._graphql(f"query {{ users{listing} {{ {USER_SELECTION} }} }}", rest.USERS)
        except ForbiddenError:
            return []
        return [read(User, row, rest.USERS) for row in graphql_rows(data, "users", rest.USERS)]


def _aggregated(
    alias: str,
    query: Query,
    variables: Variables,
    *,
    group_by: Sequence[str] = (),
    limit: int | None = None,
    sort: Sequence[str] = (),
) -> str:
    """``alias: notifications_aggregated(...)``: the count of *query*'s notifications, grouped by *group_by*."""
    listing = arguments(
        groupBy=list(group_by) or None,
        filter=variables.hoist(graphql_filter(query.combined_filter())),
        search=query.search or None,
        limit=limit,
        sort=list(sort) or None,
    )
    return f"{alias}: notifications_aggregated{listing} {{ {'group ' if group_by else ''}count {{ id }} }}"


def _counted(data: dict[str, Any], alias: str, what: str) -> list[GroupedCount]:
    """The rows of the aggregate *alias* (an ungrouped one may come as one object)."""
    found = data.get(alias)
    rows = [found] if isinstance(found, dict) else graphql_rows(data, alias, what)
    return [read(GroupedCount, row, what) for row in rows]


def _notifications(rows: list[dict[str, Any]], what: str) -> list[Notification]:
    return [read(Notification, row, what) for row in rows]


def _as_id(notification_id: Any) -> int:
    try:
        return int(notification_id)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{notification_id!r} is not a notification id.") from None
