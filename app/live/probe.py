"""One cheap request that tells whether the current user's notifications changed, per backend.

``Probe.summary()`` answers, per status, how many notifications the user has, the sum of their
ids and the newest id: one grouped aggregate (REST ``GET /notifications?aggregate…&groupBy[]=status``,
GraphQL ``notifications_aggregated(groupBy: ["status"])``, SQL ``GROUP BY status``). Compared with
what the live inbox holds, it says whether anything happened that no event told: a new
notification (newest id), an archive or a delete elsewhere (a count, or the id sum when one
notification was archived while another came back). Only then does the inbox ask for more:
``Probe.statuses()`` lists ids and statuses, never whole rows.

The embedded inbox is probed through a connection of its own to the SQLite file, so it sees what
other processes write (the CLI sending while the TUI is open); ``PRAGMA data_version`` tells
without reading a row whether anyone wrote since the last look.
"""

from __future__ import annotations

import abc
import asyncio
import json
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.api.client import DirectusClient
from app.api.graphql import ENDPOINT as GRAPHQL_ENDPOINT
from app.api.graphql import GraphQLBackend
from app.api.rest import RestBackend
from app.backend import InboxBackend
from app.embedded import EmbeddedBackend
from app.errors import ForbiddenError, InvalidInputError, ServerError
from app.models import INBOX, MAX_PAGE, Query

MINE = {"recipient": {"_eq": "$CURRENT_USER"}}


@dataclass(frozen=True)
class StatusTotals:
    count: int
    id_sum: int
    newest_id: int


@dataclass(frozen=True)
class Summary:
    """The current user's notifications, per status (a missing status is ``inbox``, as in the model)."""

    by_status: Mapping[str, StatusTotals]

    @property
    def newest_id(self) -> int:
        return max((totals.newest_id for totals in self.by_status.values()), default=0)

    def fingerprint(self) -> dict[str, tuple[int, int]]:
        return {status: (t.count, t.id_sum) for status, t in self.by_status.items() if t.count}

    @classmethod
    def of_statuses(cls, statuses: Mapping[int, str]) -> Summary:
        totals: dict[str, list[int]] = {}
        for key, status in statuses.items():
            entry = totals.setdefault(status, [0, 0, 0])
            entry[0] += 1
            entry[1] += key
            entry[2] = max(entry[2], key)
        return cls({status: StatusTotals(*entry) for status, entry in totals.items()})


class MalformedAnswer(ServerError):
    """The server answered the probe with something that is not the aggregate asked for."""


def _number(value: Any) -> int:
    """An aggregate value: Postgres and MySQL answer sums of integers as strings."""
    if isinstance(value, bool) or value is None:
        raise MalformedAnswer("an aggregate value was missing")
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise MalformedAnswer("an aggregate value was not a number") from None


def _aggregate(value: Any, name: str) -> int:
    if isinstance(value, list):  # GraphQL answers a list when grouped in some versions
        value = value[0] if value else {}
    inner = value.get(name) if isinstance(value, dict) else None
    return _number(inner.get("id") if isinstance(inner, dict) else inner)


def summary_of_groups(rows: Any, *, grouped_under: str | None = None) -> Summary:
    """A ``Summary`` from Directus aggregate rows (``{"status", "count": {"id"}, "sum", "max"}``)."""
    if not isinstance(rows, list):
        raise MalformedAnswer("the aggregate was not a list")
    totals: dict[str, StatusTotals] = {}
    for row in rows:
        if not isinstance(row, dict):
            raise MalformedAnswer("an aggregate row was not an object")
        group = row.get(grouped_under) if grouped_under else row
        status = group.get("status") if isinstance(group, dict) else None
        status = INBOX if status is None else str(status)
        count = _aggregate(row, "count")
        if not count:
            continue
        found = StatusTotals(count, _aggregate(row, "sum"), _aggregate(row, "max"))
        if status in totals:  # null and "inbox" are one status to the app
            seen = totals[status]
            found = StatusTotals(
                seen.count + found.count, seen.id_sum + found.id_sum, max(seen.newest_id, found.newest_id)
            )
        totals[status] = found
    return Summary(totals)


class Probe(abc.ABC):
    """Cheap questions about the current user's notifications."""

    def __init__(self, backend: InboxBackend) -> None:
        self.backend = backend

    @abc.abstractmethod
    async def summary(self) -> Summary:
        """Counts, id sums and newest ids per status: one request."""

    async def statuses(self) -> dict[int, str]:
        """Every id of the user's notifications, with its status (ids and statuses only)."""
        fields = ("id", "status")
        try:
            page = await self.backend.list_notifications(Query(mine=True, fields=fields, sort=("id",), limit=-1))
            return {item.id: item.status for item in page.items}
        except InvalidInputError:
            pass  # the server caps the limit (QUERY_LIMIT_MAX): page through by id instead
        statuses: dict[int, str] = {}
        after = 0
        while True:
            query = Query(mine=True, filter={"id": {"_gt": after}}, fields=fields, sort=("id",), limit=MAX_PAGE)
            items = (await self.backend.list_notifications(query)).items
            statuses.update((item.id, item.status) for item in items)
            if len(items) < MAX_PAGE:
                return statuses
            after = items[-1].id

    async def aclose(self) -> None:  # noqa: B027 - most probes hold nothing of their own
        """Release what the probe holds."""


class ListingProbe(Probe):
    """Any backend: the summary is computed from the listing (correct, not cheap)."""

    async def summary(self) -> Summary:
        return Summary.of_statuses(await self.statuses())


class _AggregateProbe(Probe):
    """A Directus server; falls back to the listing if the server will not aggregate."""

    def __init__(self, backend: InboxBackend, client: DirectusClient) -> None:
        super().__init__(backend)
        self.client = client
        self.aggregates = True

    async def summary(self) -> Summary:
        if self.aggregates:
            try:
                return await self._aggregate()
            except (InvalidInputError, ForbiddenError, MalformedAnswer):
                self.aggregates = False
        return Summary.of_statuses(await self.statuses())

    @abc.abstractmethod
    async def _aggregate(self) -> Summary: ...

    async def statuses(self) -> dict[int, str]:
        """As ``Probe.statuses``, read straight from the answer: the whole inbox's ids would
        otherwise become as many validated models at once (for 100,000, seconds of CPU and tens of
        MB the process keeps). Over REST for either transport: it is one plain listing."""
        try:
            body = await self.client.call(
                "GET",
                "/notifications",
                params={
                    "fields": "id,status",
                    "filter": json.dumps(MINE, separators=(",", ":")),
                    "sort": "id",
                    "limit": -1,
                },
            )
        except InvalidInputError:
            return await super().statuses()  # the server caps the limit: page through the models
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise MalformedAnswer("The server answered something unexpected to the list of statuses.")
        statuses: dict[int, str] = {}
        for row in rows:
            key = row.get("id") if isinstance(row, dict) else None
            if isinstance(key, str) and key.isdigit():
                key = int(key)  # as the model reads an id
            if type(key) is not int or isinstance(row.get("status"), (dict, list)):
                raise MalformedAnswer("The server answered something unexpected to the list of statuses.")
            status = row.get("status")
            statuses[key] = INBOX if status is None else str(status)  # as the model reads a status
        return statuses


class RestProbe(_AggregateProbe):
    async def _aggregate(self) -> Summary:
        body = await self.client.call(
            "GET",
            "/notifications",
            params={
                "aggregate[count]": "id",
                "aggregate[sum]": "id",
                "aggregate[max]": "id",
                "groupBy[]": "status",
                "filter": json.dumps(MINE, separators=(",", ":")),
                "limit": -1,
            },
        )
        return summary_of_groups(body.get("data") if isinstance(body, dict) else None)


class GraphQLProbe(_AggregateProbe):
    DOCUMENT = (
        'query { summary: notifications_aggregated(groupBy: ["status"], limit: -1,'
        ' filter: {recipient: {id: {_eq: "$CURRENT_USER"}}}) { group count { id } sum { id } max { id } } }'
    )

    async def _aggregate(self) -> Summary:
        body = await self.client.call("POST", GRAPHQL_ENDPOINT, json={"query": self.DOCUMENT})
        data = body.get("data") if isinstance(body, dict) else None
        return summary_of_groups(data.get("summary") if isinstance(data, dict) else None, grouped_under="group")


class EmbeddedProbe(Probe):
    """The SQLite file, through a connection of its own (it reads; it never writes)."""

    def __init__(self, backend: InboxBackend, path: Path, user_id: str) -> None:
        super().__init__(backend)
        self.user_id = user_id
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._seen_version: int | None = None
        self._summary: Summary | None = None

    def _run_summary(self) -> Summary:
        with self._lock:
            conn = self._connection()
            # data_version changes when another connection commits: when it has not, nothing did.
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if self._summary is not None and version == self._seen_version:
                return self._summary
            rows = conn.execute(
                "SELECT COALESCE(status, ?), COUNT(*), SUM(id), MAX(id) FROM notifications"
                " WHERE recipient = ? GROUP BY 1",
                (INBOX, self.user_id),
            ).fetchall()
            self._summary = Summary({str(status): StatusTotals(*totals) for status, *totals in rows})
            self._seen_version = version
            return self._summary

    def _run_statuses(self) -> dict[int, str]:
        with self._lock:
            rows = self._connection().execute(
                "SELECT id, COALESCE(status, ?) FROM notifications WHERE recipient = ?", (INBOX, self.user_id)
            )
            return {key: str(status) for key, status in rows}

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ServerError("The embedded inbox's probe is closed.")
        return self._conn

    async def summary(self) -> Summary:
        return await asyncio.to_thread(self._run_summary)

    async def statuses(self) -> dict[int, str]:
        return await asyncio.to_thread(self._run_statuses)

    async def aclose(self) -> None:
        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)


def probe_for(backend: InboxBackend, user_id: str) -> Probe:
    """The cheapest probe for *backend* (any other backend gets the listing)."""
    if isinstance(backend, GraphQLBackend):
        return GraphQLProbe(backend, backend.client)
    if isinstance(backend, RestBackend):
        return RestProbe(backend, backend.client)
    if isinstance(backend, EmbeddedBackend) and backend.path is not None:
        return EmbeddedProbe(backend, backend.path, user_id)
    return ListingProbe(backend)
