"""Unified ids: unique across servers, back to each server's own, and filters on them translated exactly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import InvalidInputError
from app.models import DEFAULT_SORT, Notification, sorted_before
from app.unified.ids import NOTHING, group_by_slot, split_id, translate_filter, unified_id


def test_the_scheme_in_the_docstring():
    # [work, staging]: work's 12 and staging's 12 are 24 and 25.
    assert unified_id(12, 0, 2) == 24
    assert unified_id(12, 1, 2) == 25
    assert split_id(25, 2) == (12, 1)
    # A set of one profile keeps the server's own ids.
    assert unified_id(12, 0, 1) == 12


@given(st.integers(1, 10**12), st.integers(1, 16), st.data())
def test_ids_round_trip_and_never_collide(native: int, size: int, data: st.DataObject):
    slot = data.draw(st.integers(0, size - 1))
    other = data.draw(st.integers(0, size - 1).filter(lambda s: s != slot)) if size > 1 else None
    key = unified_id(native, slot, size)
    assert split_id(key, size) == (native, slot)
    if other is not None:
        assert all(unified_id(n, other, size) != key for n in range(max(1, native - 3), native + 4))


@pytest.mark.parametrize("bad", ["x", None, 0, 1, -5])
def test_what_is_not_an_id_is_invalid_input(bad: Any):
    with pytest.raises(InvalidInputError):
        split_id(bad, 2)


def test_keys_grouped_per_server_in_order_without_repeats():
    assert group_by_slot([25, 24, 7, 25, 26], 2) == {1: [12, 3], 0: [12, 13]}


# --- filters: what holds for a unified id holds for the native id on its server ------------------


def holds(node: Any, value: int) -> bool:
    """Evaluate a filter that only tests ``id`` (as Directus would) on a row with id *value*."""
    if node is NOTHING:
        return False
    if not node:
        return True
    results = []
    for key, condition in node.items():
        if key == "_and":
            results.append(all(holds(part, value) for part in condition))
        elif key == "_or":
            results.append(any(holds(part, value) for part in condition))
        else:
            assert key == "id"
            for operator, operand in condition.items():
                results.append(
                    {
                        "_eq": lambda o: value == int(o),
                        "_neq": lambda o: value != int(o),
                        "_gt": lambda o: value > int(o),
                        "_gte": lambda o: value >= int(o),
                        "_lt": lambda o: value < int(o),
                        "_lte": lambda o: value <= int(o),
                        "_in": lambda o: value in [int(x) for x in o],
                        "_nin": lambda o: value not in [int(x) for x in o],
                        "_between": lambda o: int(o[0]) <= value <= int(o[1]),
                        "_nbetween": lambda o: not int(o[0]) <= value <= int(o[1]),
                        "_null": lambda o: not o,
                        "_nnull": lambda o: bool(o),
                    }[operator](operand)
                )
    return all(results)


ids = st.integers(-3, 60)
comparisons = st.one_of(
    st.builds(lambda op, v: {"id": {op: v}}, st.sampled_from(["_eq", "_neq", "_gt", "_gte", "_lt", "_lte"]), ids),
    st.builds(lambda op, v: {"id": {op: v}}, st.sampled_from(["_in", "_nin"]), st.lists(ids, min_size=1, max_size=5)),
    st.builds(lambda op, a, b: {"id": {op: [a, b]}}, st.sampled_from(["_between", "_nbetween"]), ids, ids),
    st.builds(lambda v: {"id": {"_gt": str(v)}}, ids),  # Directus takes ids as text too
    st.just({"id": {"_nnull": True}}),
)
filters = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.builds(lambda parts: {"_and": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"_or": parts}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=6,
)


@given(filters, st.integers(1, 4), st.data())
def test_a_translated_filter_matches_exactly_the_rows_the_unified_one_does(node: Any, size: int, data: st.DataObject):
    slot = data.draw(st.integers(0, size - 1))
    translated = translate_filter(node, slot, size)
    for native in range(1, 20):
        assert holds(translated or {}, native) == holds(node, unified_id(native, slot, size)), (translated, native)


def test_in_with_no_id_of_that_server_matches_nothing_without_asking():
    # Directus refuses an empty _in (400 INVALID_QUERY): the server is not asked at all.
    assert translate_filter({"id": {"_in": [24, 26]}}, 1, 2) is NOTHING
    assert translate_filter({"id": {"_in": [24, 25]}}, 1, 2) == {"id": {"_in": [12]}}


def test_other_fields_and_a_users_id_pass_as_they_are():
    node = {"_and": [{"status": {"_neq": "archived"}}, {"recipient": {"id": {"_eq": "u-1"}}}]}
    assert translate_filter(node, 1, 2) == node


def test_sorted_before_a_unified_row_is_sorted_before_it_on_each_server():
    # The UI keeps the row under the cursor with this filter; it must hold per server as it is.
    row = Notification.model_validate({"id": unified_id(40, 1, 3), "timestamp": "2026-01-01T00:00:00.000Z"})
    node = sorted_before(row, DEFAULT_SORT)
    assert node is not None
    for slot in range(3):
        translated = translate_filter(node, slot, 3)
        same_moment = translated["_or"][1]["_and"][1]  # type: ignore[index]
        for native in range(30, 50):
            assert holds(same_moment, native) == (unified_id(native, slot, 3) > row.id)


def test_an_operator_that_cannot_be_translated_is_refused_not_passed_on():
    with pytest.raises(InvalidInputError, match="_contains"):
        translate_filter({"id": {"_contains": "1"}}, 0, 2)
