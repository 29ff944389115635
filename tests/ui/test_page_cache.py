"""The list's sparse page cache: lookups across pages, and optimistic removal that can be undone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.models import Notification
from app.ui.page_cache import PageCache

PAGE = 10


def notifications(first: int, count: int) -> list[Notification]:
    return [Notification(id=key, subject=f"n{key}") for key in range(first, first + count)]


def cache_with(total: int, pages: list[int]) -> PageCache:
    cache = PageCache(page_size=PAGE)
    for page in pages:
        cache.store(page, notifications(page * PAGE, min(PAGE, total - page * PAGE)), total)
    return cache


def loaded(cache: PageCache, row: int) -> Notification:
    notification = cache.get(row)
    assert notification is not None, f"row {row} is not loaded"
    return notification


def test_unloaded_rows_are_counted_but_not_known():
    cache = cache_with(95, [0, 9])
    assert len(cache) == 95
    assert loaded(cache, 3).id == 3 and loaded(cache, 94).id == 94
    assert cache.get(50) is None
    assert cache.pages_for(0, 94) == set(range(10))
    assert cache.missing(cache.pages_for(40, 60)) == {4, 5, 6}


def test_before_the_first_page_only_the_first_page_is_wanted():
    assert PageCache().pages_for(500, 600) == {0}


def test_removal_moves_later_rows_up_and_restore_puts_them_back():
    cache = cache_with(30, [0, 1, 2])
    removal = cache.remove([2, 3, 15])
    assert len(cache) == 27
    assert [loaded(cache, row).id for row in range(5)] == [0, 1, 4, 5, 6]
    assert loaded(cache, 12).id == 14 and loaded(cache, 13).id == 16
    assert removal.rows_above(4) == 2 and removal.row_before_removal(2) == 4
    cache.restore(removal)
    assert [loaded(cache, row).id for row in range(30)] == list(range(30))


def test_a_changed_count_drops_the_pages_numbered_the_old_way():
    cache = cache_with(30, [0, 1])
    cache.store(2, notifications(100, 5), 31)
    assert cache.server_count == 31
    assert cache.get(0) is None and loaded(cache, 20).id == 100


def test_hiding_everything_and_restoring():
    cache = cache_with(30, [0])
    removal = cache.hide_all()
    assert len(cache) == 0 and list(cache.loaded()) == []
    cache.restore(removal)
    assert len(cache) == 30


@given(st.integers(1, 60), st.data())
def test_any_removal_keeps_the_order_and_restores_exactly(total, data):
    pages = data.draw(st.sets(st.integers(0, (total - 1) // PAGE), min_size=1))
    cache = cache_with(total, sorted(pages))
    loaded = [n.id for n in cache.loaded()]
    removed = data.draw(st.sets(st.sampled_from(loaded)))
    before = [cache.get(row) for row in range(len(cache))]
    removal = cache.remove(removed)
    assert len(cache) == total - len(removed)
    shown = [n.id for n in (cache.get(row) for row in range(len(cache))) if n is not None]
    assert shown == [key for key in loaded if key not in removed]
    cache.restore(removal)
    assert [cache.get(row) for row in range(total)] == before
