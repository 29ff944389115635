"""Pages of a unified inbox: several servers' lists merged into one, at the cost of a page.

Each server sorts its own part; the unified list is their merge in the same order (ties across
servers by unified id). Page *n* of the merge must not cost *n* pages from every server, so for the
time sorts (newest or oldest first) the merge finds where page *n* begins on each server:

1. a *boundary* is a row's sort key (timestamp, unified id): every server can count its rows that
   sort before it with one request (``before``: the ``sorted_before`` filter, in unified ids);
2. the search keeps a lower boundary (at most *offset* rows before it, counted on every server)
   and an upper one (more), and narrows them with candidate rows fetched where each server's
   share of the gap is expected to end (interpolation by rows, not by time, so bursts and quiet
   months cost the same; when that does not halve the gap, evenly spread candidates as well),
   until at most ``slack`` rows separate the lower boundary from *offset*;
3. each server sends its rows from that boundary on (``since``), at most ``slack + limit``, and the
   merge of those, less the first ``offset - before`` rows, is the page, exactly. They are asked
   for together with the counts of the likeliest candidate, so a good guess ends the search.

What each listing remembers (``ListMemory``) is checked before it is used: each server's size
(so a page deep in a list already shown needs no survey; the candidates' answers tell the sizes
now), and where the next page after one served begins (one round: its counts, checked, and the
rows from it). Near the end, the servers' last rows in reverse order are the page.

Measured on two real servers of 20,000 notifications each (``tests/benchmark_unified.py``): a
jump to any depth takes 1 to 5 rounds (2 to 3 typically) and at most about a dozen requests and
1,100 rows, where pages 1..n from each server take 2 x (offset + 100) rows; the next page after
one served takes one round. The first ``DIRECT_ROWS`` rows are merged from the servers' first rows,
and other sorts merge the first ``offset + limit`` rows of each (used with offset 0: ``bulk.matching``,
the live inbox). One server left is asked for its own offset.

A server that fails or is too slow in any round is dropped from the rest of the listing (``ask``
returns no page for it); the search starts over among the others, and the page says it is missing.
"""

from __future__ import annotations

import functools
import heapq
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.models import DEFAULT_SORT, OLDEST_FIRST, Filter, Notification, Page, Query, User

Ask = Callable[[Sequence[tuple[str, Query]]], Awaitable[list[Page | None]]]
"""One round: the requests ``(part, query)`` sent at once; a ``None`` page for each request of a
part that failed (that part takes no further part in the listing)."""

Key = tuple[int | None, int]
"""A row's place in a time-sorted list: its timestamp in milliseconds (``None``: no timestamp), its unified id."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)
DIRECT_ROWS = 1000
"""Up to this many rows (offset + limit) each server simply sends from its first row on: measured on
two real servers, one round sending that many costs about what the search's rounds do."""
REMEMBERED = 16
"""Boundaries (one per list and offset where the next page begins), and lists' sizes, remembered."""
SEARCHES = 3
"""Searches begun again (a part dropped out, rows came or went) before merging from the start."""
MIN_SLACK = 50
"""Rows the search may leave between its boundary and the page (at least a page's worth)."""


def moment(ms: int) -> str:
    """Milliseconds since the epoch as Directus writes a timestamp (``...T12:00:00.123Z``)."""
    return (EPOCH + ms * MILLISECOND).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def millis(when: datetime | None) -> int | None:
    if when is None:
        return None
    return (when.astimezone(UTC) - EPOCH) // MILLISECOND


def key_of(item: Notification) -> Key:
    return millis(item.timestamp), item.id


# --- the order of rows --------------------------------------------------------------------------


def sort_key(sort: Sequence[str]) -> Callable[[Notification], Any]:
    """A key that puts rows in *sort*'s order as a SQLite-backed Directus does (``None`` lowest:
    first ascending, last descending), ties by unified id in the last field's direction."""
    fields = [(name.lstrip("-"), name.startswith("-")) for name in sort]
    if not fields or fields[-1][0] != "id":
        fields.append(("id", fields[-1][1] if fields else False))

    def compare(a: Notification, b: Notification) -> int:
        for name, descending in fields:
            left, right = _value(a, name), _value(b, name)
            if left == right:
                continue
            if left is None or right is None:
                order = -1 if left is None else 1
            else:
                try:
                    order = -1 if left < right else 1
                except TypeError:  # values of different kinds: compare as text, never crash
                    order = -1 if str(left) < str(right) else 1
            return -order if descending else order
        return 0

    return functools.cmp_to_key(compare)


def _value(item: Notification, name: str) -> Any:
    value = getattr(item, name, None)
    if isinstance(value, datetime):
        return millis(value)
    if isinstance(value, User):  # an expanded recipient or sender
        return value.id
    return value


def is_time_sort(sort: Sequence[str]) -> bool:
    return tuple(sort) in (DEFAULT_SORT, OLDEST_FIRST)


def reversed_sort(sort: Sequence[str]) -> tuple[str, ...]:
    return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in sort)


# --- boundaries, as filters on unified ids ------------------------------------------------------


def before(key: Key, newest_first: bool) -> Filter:
    """The rows that sort before the row with *key* (nulls last newest first, first oldest first)."""
    ms, uid = key
    if newest_first:
        if ms is None:
            return {"_or": [{"timestamp": {"_nnull": True}}, _same_moment(None, {"id": {"_gt": uid}})]}
        return {"_or": [{"timestamp": {"_gt": moment(ms)}}, _same_moment(ms, {"id": {"_gt": uid}})]}
    if ms is None:
        return _same_moment(None, {"id": {"_lt": uid}})
    return {
        "_or": [
            {"timestamp": {"_null": True}},
            {"timestamp": {"_lt": moment(ms)}},
            _same_moment(ms, {"id": {"_lt": uid}}),
        ]
    }


def since(key: Key, newest_first: bool) -> Filter:
    """The rows from the row with *key* on (it included): everything ``before`` leaves out."""
    ms, uid = key
    if newest_first:
        if ms is None:
            return _same_moment(None, {"id": {"_lte": uid}})
        return {
            "_or": [
                {"timestamp": {"_lt": moment(ms)}},
                {"timestamp": {"_null": True}},
                _same_moment(ms, {"id": {"_lte": uid}}),
            ]
        }
    if ms is None:
        return {"_or": [{"timestamp": {"_nnull": True}}, _same_moment(None, {"id": {"_gte": uid}})]}
    return {"_or": [{"timestamp": {"_gt": moment(ms)}}, _same_moment(ms, {"id": {"_gte": uid}})]}


def _same_moment(ms: int | None, condition: Filter) -> Filter:
    at = {"timestamp": {"_null": True}} if ms is None else {"timestamp": {"_eq": moment(ms)}}
    return {"_and": [at, condition]}


def narrowed(query: Query, condition: Filter | None, **changes: Any) -> Query:
    """*query* with *condition* added to its filter, and *changes* (offset 0 and no page, unless given)."""
    where = query.filter
    if condition is not None:
        where = condition if where is None else {"_and": [where, condition]}
    update: dict[str, Any] = {"filter": where, "page": None, "offset": 0}
    update.update(changes)
    return query.model_copy(update=update)


def with_sort_fields(query: Query) -> Query:
    """*query* reading at least the fields its sort needs (the merge compares them)."""
    if query.fields is None or "*" in query.fields:
        return query
    wanted = [name.lstrip("-") for name in query.sort]
    missing = [name for name in wanted if name not in query.fields]
    return query.model_copy(update={"fields": (*query.fields, *missing)}) if missing else query


# --- a listing -------------------------------------------------------------------------------------


@dataclass
class ListingCost:
    """What one listing asked of the servers (for measurements and tests)."""

    rounds: int = 0
    requests: int = 0
    rows: int = 0
    """Rows the servers sent (counting requests send one each)."""
    path: str = ""
    """Which way the page was found: ``direct``, ``cursor``, ``tail``, ``search`` or ``merge``."""


@dataclass
class Merged:
    items: list[Notification]
    filter_counts: dict[str, int]
    total_counts: dict[str, int]


@dataclass
class _Cursor:
    key: Key
    before: dict[str, int]
    """Per part, its rows before ``key`` when the page that ended there was served."""


@dataclass
class ListMemory:
    """What listings remember between calls, per list (filter, search, sort and parts): where the
    next page after one served begins, and how many rows each part had (so that a page deep in a
    list already listed needs no survey). Either is checked against the servers before it counts."""

    cursors: dict[tuple[str, int], _Cursor] = field(default_factory=dict)
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)

    def cursor(self, signature: str, offset: int) -> _Cursor | None:
        return self.cursors.get((signature, offset))

    def remember_cursor(self, signature: str, offset: int, cursor: _Cursor) -> None:
        _remember(self.cursors, (signature, offset), cursor)

    def remember_sizes(self, signature: str, sizes: dict[str, int]) -> None:
        _remember(self.sizes, signature, dict(sizes))


def _remember(entries: dict[Any, Any], key: Any, value: Any) -> None:
    entries.pop(key, None)
    entries[key] = value
    while len(entries) > REMEMBERED:
        del entries[next(iter(entries))]


def signature(query: Query, parts: Sequence[str]) -> str:
    return json.dumps(
        [query.combined_filter(), query.search, list(query.sort), sorted(parts)], sort_keys=True, default=str
    )


class Listing:
    """One ``list_notifications`` of a unified inbox over its *parts* (each with its own query)."""

    def __init__(
        self, query: Query, parts: dict[str, Query], ask: Ask, memory: ListMemory, direct_rows: int = DIRECT_ROWS
    ) -> None:
        self.query = query
        self.parts = dict(parts)
        """The parts still in the listing, with their queries (filter in unified ids)."""
        self._ask = ask
        self.memory = memory
        self.direct_rows = direct_rows
        self.cost = ListingCost()
        self.totals: dict[str, int] = {}
        self.newest_first = query.sort == DEFAULT_SORT

    @property
    def signature(self) -> str:
        return signature(self.query, list(self.parts))

    async def ask(self, requests: Sequence[tuple[str, Query]]) -> list[Page | None]:
        if not requests:
            return []
        self.cost.rounds += 1
        self.cost.requests += len(requests)
        pages = await self._ask(requests)
        for (name, _), page in zip(requests, pages, strict=True):
            if page is None:
                self.parts.pop(name, None)
            else:
                self.cost.rows += max(1, len(page.items))
                self.totals[name] = page.total_count
        return pages

    def count(self, name: str, condition: Filter | None) -> tuple[str, Query]:
        """A request for how many of *name*'s rows meet *condition* (sorted by id: nothing to sort)."""
        return name, narrowed(self.parts[name], condition, limit=1, fields=("id",), sort=("id",))

    async def run(self) -> Merged:
        query = self.query
        offset, limit = query.effective_offset, query.limit
        found: Merged | None
        if limit == -1 or not is_time_sort(query.sort):
            found = await self._merge_from_start(offset, limit)
        elif len(self.parts) == 1:
            found = await self._one_part(offset, limit)
        else:
            found = await self._from_cursor(offset, limit)
            if found is None and offset + limit <= self.direct_rows:
                found = await self._merge_from_start(offset, limit)
            for _ in range(SEARCHES):
                if found is not None or not self.parts:
                    break
                found = await self._search(offset, limit)
            if found is None and self.parts:
                # The lists kept changing under the search: the merge of every row up to the page is exact.
                found = await self._merge_from_start(offset, limit)
        if found is None:
            return Merged([], {}, self.totals)
        if set(found.filter_counts) == set(self.parts):
            self.memory.remember_sizes(self.signature, found.filter_counts)
        return found

    # --- from the first row on -----------------------------------------------------------------------
    async def _merge_from_start(self, offset: int, limit: int) -> Merged:
        self.cost.path = "direct" if is_time_sort(self.query.sort) else "merge"
        take = -1 if limit == -1 else offset + limit
        names = list(self.parts)
        pages = await self.ask([(name, narrowed(self.parts[name], None, limit=take)) for name in names])
        answered = {name: page for name, page in zip(names, pages, strict=True) if page is not None}
        merged = list(heapq.merge(*(page.items for page in answered.values()), key=sort_key(self.query.sort)))
        window = merged[offset:] if limit == -1 else merged[offset : offset + limit]
        return Merged(window, {name: page.filter_count for name, page in answered.items()}, self.totals)

    async def _one_part(self, offset: int, limit: int) -> Merged | None:
        """One server left: its own offset is exact."""
        self.cost.path = "direct"
        (name,) = self.parts
        (page,) = await self.ask([(name, narrowed(self.parts[name], None, offset=offset, limit=limit))])
        return None if page is None else Merged(page.items, {name: page.filter_count}, self.totals)

    # --- the next page after one served ----------------------------------------------------------------
    async def _from_cursor(self, offset: int, limit: int) -> Merged | None:
        cursor = self.memory.cursor(self.signature, offset)
        if cursor is None or set(cursor.before) != set(self.parts):
            return None
        names = list(self.parts)
        requests: list[tuple[str, Query]] = []
        for name in names:
            requests.append(self.count(name, before(cursor.key, self.newest_first)))
            requests.append((name, narrowed(self.parts[name], since(cursor.key, self.newest_first), limit=limit + 1)))
        pages = await self.ask(requests)
        if set(self.parts) != set(names):
            return None
        counts = {name: page.filter_count for name, page in zip(names, pages[0::2], strict=True) if page is not None}
        if sum(counts.values()) != offset:
            return None  # rows came or went above the boundary: find it again
        self.cost.path = "cursor"
        rest = {name: page for name, page in zip(names, pages[1::2], strict=True) if page is not None}
        return self._page_from(offset, limit, 0, counts, rest)

    def _page_from(self, offset: int, limit: int, skip: int, counts: dict[str, int], rest: dict[str, Page]) -> Merged:
        """The page: the merge of each part's rows from a boundary on (*rest*), less *skip* rows; and
        the boundary where the next page begins, remembered. *counts*: each part's rows before it."""
        order = sort_key(self.query.sort)
        merged = list(heapq.merge(*(page.items for page in rest.values()), key=order))
        items = merged[skip : skip + limit]
        filter_counts = {name: counts[name] + (rest[name].filter_count if name in rest else 0) for name in counts}
        following = skip + limit
        if following < len(merged):
            taken = dict(counts)
            part_of = {id(item): name for name, page in rest.items() for item in page.items}
            for item in merged[:following]:
                taken[part_of[id(item)]] += 1
            self.memory.remember_cursor(self.signature, offset + limit, _Cursor(key_of(merged[following]), taken))
        return Merged(items, filter_counts, self.totals)

    # --- anywhere: the search ----------------------------------------------------------------------
    async def _survey(self) -> dict[str, int] | None:
        names = list(self.parts)
        pages = await self.ask([self.count(name, None) for name in names])
        if set(self.parts) != set(names):
            return None
        return {name: page.filter_count for name, page in zip(names, pages, strict=True) if page is not None}

    async def _search(self, offset: int, limit: int) -> Merged | None:
        """The page at *offset*, found as the module says; ``None`` to begin again (a part dropped
        out, or the lists changed under the search)."""
        remembered = self.memory.sizes.get(self.signature)
        sizes = dict(remembered) if remembered is not None and set(remembered) == set(self.parts) else None
        if sizes is not None and sum(sizes.values()) - offset <= 2 * limit:
            found = await self._tail(offset, limit, sizes) if offset < sum(sizes.values()) else None
            if found is not None:
                return found
            sizes = None  # the end moved: count afresh
        estimated = sizes is not None
        if sizes is None:
            sizes = await self._survey()
            if sizes is None:
                return None
        total = sum(sizes.values())
        if offset >= total:
            self.cost.path = "search"
            return Merged([], sizes, self.totals)
        if total - offset <= 2 * limit:
            return await self._tail(offset, limit, sizes)

        slack = max(limit, MIN_SLACK)
        low_key: Key | None = None  # None: the start, nothing before it
        low = dict.fromkeys(sizes, 0)
        high = dict(sizes)
        spread = False
        while offset - sum(low.values()) > slack:
            gap = sum(high.values()) - sum(low.values())
            aim = (offset - slack // 2 - sum(low.values())) / gap
            candidates = self._candidates(low, high, aim, spread, every_part=estimated)
            # The page itself is fetched with the counts, from the likeliest candidate on.
            likeliest = None if spread else max(candidates, key=lambda c: high[c[0]] - low[c[0]], default=None)
            placed = await self._place(candidates, low_key, low, high, likeliest, slack + limit + 1, sizes)
            if placed is None or set(self.parts) != set(sizes):
                return None
            rows, guessed = placed
            if estimated:
                high, estimated = dict(sizes), False  # the candidates' answers counted every part
            moved = False
            for key, counts in rows:
                position = sum(counts.values())
                if sum(low.values()) < position <= offset:
                    low_key, low, moved = key, counts, True
                elif offset < position < sum(high.values()):
                    high, moved = counts, True
            if not moved:
                return None  # the lists changed under the search: start again
            if guessed is not None and low_key == guessed[0] and offset - sum(low.values()) <= slack:
                self.cost.path = "search"
                return self._page_from(offset, limit, offset - sum(low.values()), low, guessed[1])
            # Interpolation that did not halve the gap (one server's rows all older than another's):
            # from now on add evenly spread candidates, so that each round at least quarters it.
            spread = spread or (sum(high.values()) - sum(low.values())) * 2 > gap
        self.cost.path = "search"
        start = None if low_key is None else since(low_key, self.newest_first)
        skip = offset - sum(low.values())
        names = [name for name in sizes if low[name] < sizes[name]]
        pages = await self.ask([(name, narrowed(self.parts[name], start, limit=skip + limit + 1)) for name in names])
        if set(self.parts) != set(sizes):
            return None
        rest = {name: page for name, page in zip(names, pages, strict=True) if page is not None}
        return self._page_from(offset, limit, skip, low, rest)

    @staticmethod
    def _candidates(
        low: dict[str, int], high: dict[str, int], aim: float, spread: bool, *, every_part: bool = False
    ) -> list[tuple[str, int]]:
        """Rows to place (part, position in the part's list): where each part's share of the gap is
        expected to reach the aim, and with *spread* also its quarters and its last row (where one
        part's rows end, another's may begin). With *every_part* a part with no rows is asked too
        (the sizes are remembered ones: the answers tell the sizes now)."""
        chosen: list[tuple[str, int]] = []
        for name in low:
            span = high[name] - low[name]
            if span <= 0:
                if every_part:
                    chosen.append((name, low[name]))
                continue
            steps = [int(aim * span)] + ([span // 4, span // 2, span * 3 // 4, span - 1] if spread else [])
            # Past the lower boundary's own row (position 0), which would place nothing new.
            first = 1 if span > 1 else 0
            for step in dict.fromkeys(min(span - 1, max(first, step)) for step in steps):
                chosen.append((name, low[name] + step))
        return chosen

    async def _place(
        self,
        candidates: list[tuple[str, int]],
        low_key: Key | None,
        low: dict[str, int],
        high: dict[str, int],
        likeliest: tuple[str, int] | None,
        ahead: int,
        sizes: dict[str, int],
    ) -> tuple[list[tuple[Key, dict[str, int]]], tuple[Key, dict[str, Page]] | None] | None:
        """Each candidate row's key and how many rows of every part sort before it (two rounds: the
        rows, then the counts); with the counts, *ahead* rows of every part from the *likeliest*
        candidate on (the page, should it prove to be the boundary). From the start (no *low_key*)
        the first round also tells each part's size, which *sizes* and *high* then hold.
        ``None`` when a part dropped out or the rows went meanwhile."""
        start = None if low_key is None else since(low_key, self.newest_first)
        fields = ("id", "timestamp")
        pages = await self.ask(
            [
                (name, narrowed(self.parts[name], start, offset=position - low[name], limit=1, fields=fields))
                for name, position in candidates
            ]
        )
        if any(page is None for page in pages):
            return None
        if low_key is None:
            for (name, _), page in zip(candidates, pages, strict=True):
                if page is not None:
                    sizes[name] = high[name] = page.filter_count
        rows = [
            (name, position, page.items[0])
            for (name, position), page in zip(candidates, pages, strict=True)
            if page and page.items
        ]
        if not rows:
            return None
        guessed_row = next((row for name, position, row in rows if (name, position) == likeliest), None)
        requests: list[tuple[str, Query]] = []
        asked: list[tuple[int, str]] = []
        for index, (owner, _, row) in enumerate(rows):
            for name in low:
                if name != owner and high[name] > low[name]:
                    requests.append(self.count(name, before(key_of(row), self.newest_first)))
                    asked.append((index, name))
        ahead_names = list(low) if guessed_row is not None else []
        for name in ahead_names:
            assert guessed_row is not None
            requests.append(
                (name, narrowed(self.parts[name], since(key_of(guessed_row), self.newest_first), limit=ahead))
            )
        answers = await self.ask(requests)
        if any(page is None for page in answers):
            return None
        counts, following = answers[: len(asked)], answers[len(asked) :]
        # A part with no rows between the boundaries has as many before the row as before them.
        placed = [{name: (position if name == owner else low[name]) for name in low} for owner, position, _ in rows]
        for (index, name), page in zip(asked, counts, strict=True):
            if page is not None:
                placed[index][name] = page.filter_count
        guessed = None
        if guessed_row is not None:
            guessed = (
                key_of(guessed_row),
                {name: page for name, page in zip(ahead_names, following, strict=True) if page},
            )
        return [(key_of(row), row_counts) for (_, _, row), row_counts in zip(rows, placed, strict=True)], guessed

    async def _tail(self, offset: int, limit: int, sizes: dict[str, int]) -> Merged | None:
        """The last rows from *offset* on: each part's last rows, in reverse order, merged; ``None``
        when the parts' sizes are not *sizes* (remembered ones, and the lists changed since)."""
        wanted = sum(sizes.values()) - offset
        backwards = reversed_sort(self.query.sort)
        names = list(sizes)
        pages = await self.ask(
            [(name, narrowed(self.parts[name], None, limit=wanted, sort=backwards)) for name in names]
        )
        answered = {name: page for name, page in zip(names, pages, strict=True) if page is not None}
        if len(answered) != len(names) or any(answered[name].filter_count != sizes[name] for name in names):
            return None
        self.cost.path = "tail"
        merged = list(heapq.merge(*(page.items for page in answered.values()), key=sort_key(backwards)))[:wanted]
        merged.reverse()
        return Merged(merged[:limit], {name: page.filter_count for name, page in answered.items()}, self.totals)
