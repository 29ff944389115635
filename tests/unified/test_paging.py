"""Pages of a unified inbox are exactly the merge of its servers' lists, and cost about a page.

The servers here are embedded inboxes (they apply Directus's filters and sorts, nulls and ties
included), so every page can be checked against the whole merge in a moment; the same listing
against two real servers is in ``tests/unified/test_servers.py``.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from app.embedded.seed import CURRENT_USER
from app.models import DEFAULT_SORT, MAX_PAGE, OLDEST_FIRST, Notification, Query
from app.unified import UnifiedBackend
from tests.unified.conftest import START, MakeInbox, Row, stamp


def messy_rows(rng: random.Random, count: int) -> list[Row]:
    """Rows as real inboxes have them, and worse: spread over months, bursts within one
    millisecond (a Flow writing many at once), a few without a timestamp, several statuses."""
    rows: list[Row] = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.02:
            when = None
        elif draw < 0.25:
            when = START + timedelta(milliseconds=rng.randrange(4))
        else:
            when = START + timedelta(seconds=rng.randrange(10**7))
        rows.append((when, rng.choice(["inbox", "inbox", "archived", "read"])))
    return rows


def expected_order(items: list[Notification], newest_first: bool) -> list[int]:
    """The merge, written out independently of the code under test: SQLite's order, ties by unified id."""

    def key(item: Notification) -> tuple[bool, float, int]:
        moment = item.timestamp.timestamp() if item.timestamp else 0.0
        if newest_first:
            return (item.timestamp is None, -moment, -item.id)
        return (item.timestamp is not None, moment, item.id)

    return [item.id for item in sorted(items, key=key)]


async def everything(unified: UnifiedBackend, folder: str) -> list[Notification]:
    """Every row of every server, tagged, asked of each server on its own."""
    items: list[Notification] = []
    for name in unified.profiles:
        page = await unified.member(name).list_notifications(Query.of_folder(folder, limit=-1))  # type: ignore[arg-type]
        items += [unified.tag(name, item) for item in page.items]
    return items


@pytest.mark.parametrize("sizes", [(1200, 900), (2000, 15, 700), (1500,)], ids=["two", "three-uneven", "one"])
async def test_every_page_is_exactly_the_merge_of_the_servers_lists(make_inbox: MakeInbox, sizes: tuple[int, ...]):
    rng = random.Random(sum(sizes))
    backends = {f"p{index}": await make_inbox(f"p{index}", messy_rows(rng, size)) for index, size in enumerate(sizes)}
    unified = UnifiedBackend(backends, direct_rows=300)  # small lists, searched as deep ones are
    for folder in ("inbox", "archived"):
        rows = await everything(unified, folder)
        for sort in (DEFAULT_SORT, OLDEST_FIRST):
            merged = expected_order(rows, newest_first=sort == DEFAULT_SORT)
            total = len(merged)
            offsets = {0, 100, 200, 300, total // 3, total // 2, total - 250, total - 120, total - 1, total}
            offsets |= {rng.randrange(total) for _ in range(6)}
            paths = set()
            for offset in sorted(o for o in offsets if o >= 0):
                page = await unified.list_notifications(Query.of_folder(folder, sort=sort, offset=offset))
                paths.add(unified.last_listing.path)
                assert [item.id for item in page.items] == merged[offset : offset + MAX_PAGE], (
                    offset,
                    unified.last_listing,
                )
                assert page.filter_count == total
                # The page after it, as a user scrolling on gets it.
                following = await unified.list_notifications(
                    Query.of_folder(folder, sort=sort, offset=offset + MAX_PAGE)
                )
                assert [item.id for item in following.items] == merged[offset + MAX_PAGE : offset + 2 * MAX_PAGE]
            # One server's own offset is exact; several are searched, or read from the end.
            assert paths == {"direct"} if len(sizes) == 1 else {"direct", "search", "tail"} <= paths


async def test_rows_name_their_profile_and_their_own_id(make_inbox: MakeInbox):
    work = await make_inbox("work", [(START, "inbox")])
    staging = await make_inbox("staging", [(START + timedelta(minutes=1), "inbox")])
    unified = UnifiedBackend({"work": work, "staging": staging})
    page = await unified.list_notifications(Query.of_folder("inbox"))
    assert [(item.profile, item.native_id, item.id) for item in page.items] == [("staging", 1, 3), ("work", 1, 2)]  # type: ignore[attr-defined]
    assert page.profile_counts == {"work": 1, "staging": 1}
    assert page.unreachable == {}
    assert page.items[0].to_json()["id"] == 1 and page.items[0].to_json()["profile"] == "staging"


async def test_a_deep_page_costs_about_what_the_first_does(make_inbox: MakeInbox):
    rng = random.Random(7)
    size = 20_000
    rows = [(START + timedelta(seconds=rng.randrange(10**7)), "inbox") for _ in range(size)]
    unified = UnifiedBackend({"a": await make_inbox("a", rows), "b": await make_inbox("b", rows[::-1])})
    for offset in (15_000, 30_000, 39_000):
        await unified.list_notifications(Query.of_folder("inbox", offset=offset))
        cost = unified.last_listing
        # Fetching pages 1..n from each server would send 2 * (offset + 100) rows.
        assert cost.rows <= 12 * MAX_PAGE, cost
        assert cost.rounds <= 8, cost
        await unified.list_notifications(Query.of_folder("inbox", offset=offset + MAX_PAGE))
        assert unified.last_listing.path == "cursor" and unified.last_listing.rounds == 1
    await unified.list_notifications(Query.of_folder("inbox", offset=2 * size - 40))
    # The sizes are known from the listings before: the servers' last rows at once.
    assert unified.last_listing.path == "tail" and unified.last_listing.rounds == 1


async def test_one_servers_rows_all_older_than_the_others(make_inbox: MakeInbox):
    # The hardest case for interpolation: the merge is one server's list, then the other's.
    newer = [(START + timedelta(days=400, seconds=s), "inbox") for s in range(5000)]
    older = [(START + timedelta(seconds=s), "inbox") for s in range(5000)]
    unified = UnifiedBackend({"new": await make_inbox("new", newer), "old": await make_inbox("old", older)})
    merged = expected_order(await everything(unified, "inbox"), newest_first=True)
    for offset in (4_950, 5_000, 5_020, 7_500):
        page = await unified.list_notifications(Query.of_folder("inbox", offset=offset))
        assert [item.id for item in page.items] == merged[offset : offset + MAX_PAGE]
        assert unified.last_listing.rounds <= 12, unified.last_listing


async def test_search_filters_on_ids_and_other_sorts_merge_too(make_inbox: MakeInbox):
    rng = random.Random(3)
    unified = UnifiedBackend(
        {"a": await make_inbox("a", messy_rows(rng, 400)), "b": await make_inbox("b", messy_rows(rng, 300))}
    )
    rows = await everything(unified, "inbox")
    # A search, deep in the list (the subjects are "row N").
    wanted = [item for item in rows if "row 1" in (item.subject or "")]
    page = await unified.list_notifications(Query.of_folder("inbox", search="row 1", offset=20, limit=30))
    assert [item.id for item in page.items] == expected_order(wanted, newest_first=True)[20:50]
    assert page.filter_count == len(wanted)
    # Ids after a unified id, by id: how app.bulk.matching and the live inbox page.
    every_id = sorted(item.id for item in rows + await everything(unified, "archived"))
    after = every_id[len(every_id) // 2]
    page = await unified.list_notifications(Query(mine=True, filter={"id": {"_gt": after}}, sort=("id",), limit=30))
    assert [item.id for item in page.items] == [key for key in every_id if key > after][:30]
    # Ids of one server only: the other is not asked.
    some = [item.id for item in rows if item.profile == "b"][:5]  # type: ignore[attr-defined]
    held = await unified.held(some)
    assert sorted(held) == sorted(some)
    page = await unified.list_notifications(Query(filter={"id": {"_in": some}}, sort=("-id",)))
    assert [item.id for item in page.items] == sorted(some, reverse=True)
    assert page.profile_counts == {"b": 5} and unified.last_listing.requests == 1


async def test_pages_stay_exact_when_the_lists_change_between_listings(make_inbox: MakeInbox, tmp_path: Path):
    # What a listing remembers (where the next page begins, each server's size) is checked, not trusted.
    rng = random.Random(11)
    a, b = await make_inbox("a", messy_rows(rng, 1500)), await make_inbox("b", messy_rows(rng, 1500))
    unified = UnifiedBackend({"a": a, "b": b})
    for offset in (0, 1200, 1300, 2000):
        await unified.list_notifications(Query.of_folder("inbox", offset=offset))
    newer = [(START + timedelta(seconds=10**7 + second), "inbox") for second in range(37)]
    with sqlite3.connect(tmp_path / "b.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO notifications (timestamp, status, recipient, subject) VALUES (?, ?, ?, ?)",
            [(stamp(when), status, CURRENT_USER.id, "newer") for when, status in newer],
        )
    merged = expected_order(await everything(unified, "inbox"), newest_first=True)
    for offset in (1300, 2000, len(merged) - 150, len(merged) - 30):
        page = await unified.list_notifications(Query.of_folder("inbox", offset=offset))
        assert [item.id for item in page.items] == merged[offset : offset + MAX_PAGE], (offset, unified.last_listing)
        assert page.filter_count == len(merged)
