"""The ids of a unified inbox: one integer per notification, unique across its servers.

The scheme: a unified inbox of ``size`` profiles gives the profile at position ``slot`` (0, 1, ...
in the order the set names them) the ids ``native * size + slot``, where ``native`` is the
notification's id on its own server. So ``work``'s 12 and ``staging``'s 12 in ``[work, staging]``
are 24 and 25; ``divmod(unified, size)`` gives back ``(native, slot)``.

Why this one: the ids stay plain positive integers (the UI keys rows, selections and caches by
``int``), each server's order of ids is kept (so ``sort=id`` and ``-id`` merge exactly), and a
comparison on unified ids is a comparison on native ids, per server (``translate_filter``). A set
of one profile has the server's own ids. The ids mean something only within one ``UnifiedBackend``:
another set (another order) numbers differently, so they are never shown to a user nor stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from app.errors import InvalidInputError
from app.models import Filter


def unified_id(native: int, slot: int, size: int) -> int:
    """The unified id of a server's notification *native*, for the profile at *slot* of *size*."""
    return int(native) * size + slot


def split_id(unified: int, size: int) -> tuple[int, int]:
    """``(native, slot)`` of a unified id; ``InvalidInputError`` for what is not one."""
    try:
        value = int(unified)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{unified!r} is not a notification id.") from None
    if value < size:
        raise InvalidInputError(f"{value} is not a notification id of this unified inbox.")
    native, slot = divmod(value, size)
    return native, slot


class _Nothing:
    """A filter no row matches (the profile's part of the answer is empty, without asking)."""

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Final = _Nothing()
EVERYTHING: Final[Filter] = {}
"""A filter every row matches (an empty filter object)."""

LOGICAL = ("_and", "_or")


def translate_filter(node: Filter | None, slot: int, size: int) -> Filter | _Nothing | None:
    """*node*, a filter on unified ids, as the filter the server of *slot* understands.

    Conditions on ``id`` become conditions on that server's ids (``_eq``, ``_neq``, ``_gt``,
    ``_gte``, ``_lt``, ``_lte``, ``_in``, ``_nin``, ``_between``, ``_nbetween``, ``_null``,
    ``_nnull``); everything else passes as it is (a user's ``id`` under ``recipient`` is not a
    notification id). ``NOTHING`` when no row of that server can match (``id _in`` ids of other
    servers only: Directus refuses an empty ``_in``); ``None`` for no filter.
    """
    if node is None:
        return None
    translated = _node(node, slot, size)
    if translated is NOTHING:
        return NOTHING
    return translated or None


def _node(node: Any, slot: int, size: int) -> Filter | _Nothing:
    if not isinstance(node, dict):
        raise InvalidInputError("A filter must be an object of fields and operators.")
    parts: list[Filter] = []
    for key, value in node.items():
        if key in LOGICAL:
            part = _logical(key, value, slot, size)
        elif key == "id":
            part = _id_condition(value, slot, size)
        else:
            part = {key: value}
        if part is NOTHING:
            return NOTHING
        if part:
            parts.append(part)  # type: ignore[arg-type]
    if not parts:
        return EVERYTHING
    return parts[0] if len(parts) == 1 else {"_and": parts}


def _logical(key: str, value: Any, slot: int, size: int) -> Filter | _Nothing:
    if not isinstance(value, list):
        raise InvalidInputError(f'"{key}" in a filter must be a list of filters.')
    parts = [_node(item, slot, size) for item in value]
    if key == "_and":
        if any(part is NOTHING for part in parts):
            return NOTHING
        kept = [part for part in parts if part]
        return {"_and": kept} if kept else EVERYTHING
    if any(part == EVERYTHING for part in parts):
        return EVERYTHING
    kept = [part for part in parts if part is not NOTHING]
    return {"_or": kept} if kept else NOTHING


def _integer(value: Any, operator: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"The filter id {operator} {value!r} is not an id.") from None


def _integers(value: Any, operator: str) -> list[int]:
    if not isinstance(value, list):
        value = str(value).split(",")
    return [_integer(item, operator) for item in value]


def _id_condition(condition: Any, slot: int, size: int) -> Filter | _Nothing:
    """One ``{"id": {...}}``: each operator on unified ids as operators on this server's ids.

    With ``id = native * size + slot``: ``id > v`` holds exactly when ``native > (v - slot) // size``,
    and ``id < v`` when ``native <= (v - slot - 1) // size`` (floor division, so negative too).
    """
    if not isinstance(condition, dict):
        raise InvalidInputError('A filter on id must be an object of operators, like {"_eq": 3}.')
    parts: list[Filter] = []
    for operator, value in condition.items():
        if operator in ("_null", "_nnull"):
            parts.append({"id": {operator: value}})
        elif operator in ("_eq", "_neq"):
            native, mine = _native(_integer(value, operator), slot, size)
            if mine:
                parts.append({"id": {operator: native}})
            elif operator == "_eq":
                return NOTHING
        elif operator in ("_in", "_nin"):
            natives = [n for n, mine in (_native(v, slot, size) for v in _integers(value, operator)) if mine]
            if natives:
                parts.append({"id": {operator: natives}})
            elif operator == "_in":
                return NOTHING
        elif operator in ("_gt", "_gte", "_lt", "_lte"):
            parts.append({"id": _bound(operator, _integer(value, operator), slot, size)})
        elif operator in ("_between", "_nbetween"):
            bounds = _integers(value, operator)
            if len(bounds) != 2:
                raise InvalidInputError(f"The filter id {operator} needs two ids.")
            low, high = bounds
            if operator == "_between":
                parts += [{"id": _bound("_gte", low, slot, size)}, {"id": _bound("_lte", high, slot, size)}]
            else:
                parts.append({"_or": [{"id": _bound("_lt", low, slot, size)}, {"id": _bound("_gt", high, slot, size)}]})
        else:
            raise InvalidInputError(f"The filter operator {operator} on id cannot be used in a unified inbox.")
    if not parts:
        return EVERYTHING
    return parts[0] if len(parts) == 1 else {"_and": parts}


def _native(value: int, slot: int, size: int) -> tuple[int, bool]:
    """The native id of unified *value*, and whether *value* belongs to *slot* at all."""
    native, its_slot = divmod(value, size)
    return native, its_slot == slot


def _bound(operator: str, value: int, slot: int, size: int) -> Filter:
    if operator == "_gt":
        return {"_gt": (value - slot) // size}
    if operator == "_gte":
        return {"_gt": (value - 1 - slot) // size}
    if operator == "_lt":
        return {"_lte": (value - slot - 1) // size}
    return {"_lte": (value - slot) // size}  # _lte


def group_by_slot(keys: Iterable[int], size: int) -> dict[int, list[int]]:
    """Unified *keys* as native ids per slot, each list in the order given, without repeats."""
    grouped: dict[int, list[int]] = {}
    for key in dict.fromkeys(int(key) for key in keys):
        native, slot = split_id(key, size)
        grouped.setdefault(slot, []).append(native)
    return grouped
