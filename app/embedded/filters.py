"""Directus query parts -> SQLite: filter JSON to a WHERE clause, search, sort and field lists.

The rules follow what Directus 12.4 does with ``directus_notifications`` on SQLite, so that the
embedded inbox answers a query exactly as a server would. That is proven, not claimed: the
expectation table in ``tests/support/filter_table.py`` is run against this engine
(``tests/embedded/test_filters.py``) and against a real server holding the same rows
(``tests/test_contract_filters.py``).

* Field types are those a SQLite-backed Directus reports (``app.models.NOTIFICATION_FIELDS``):
  ``id`` integer, ``timestamp`` timestamp, ``message`` text, every other column (``recipient`` and
  ``sender`` included) string. Each type allows only Directus's operators for it: ``_gt`` on a
  string field, or ``_contains`` on ``id``, is an error (400 INVALID_QUERY), as is an unknown
  operator. A filter or a sort may reach a user's fields through ``recipient.`` and ``sender.``.
* An unknown field, in a filter or a sort, is 403 FORBIDDEN ("You don't have permission to access
  field ... or it does not exist"), not 400. (Where a filter names several, Directus lists them all;
  this engine names the first.)
* ``_contains``/``_starts_with``/``_ends_with`` use ``LIKE``: on SQLite that is case-insensitive for
  ASCII letters and case-sensitive for others (``ä`` ≠ ``Ä``), and ``%``/``_`` in the value are
  wildcards. The ``_i…`` operators compare ``LOWER(column)`` with the lower-cased value, and SQLite's
  ``LOWER`` only folds ASCII. Running the same SQL on SQLite reproduces all of this exactly.
* ``_neq``, ``_ncontains``, ``_nin`` … never match NULL (SQL three-valued logic), as on the server.
* Values: the strings ``"true"``, ``"false"``, ``"null"`` (and ``"NULL"``) mean the literals;
  ``$CURRENT_USER`` (and ``$CURRENT_USER.<field>``) and ``$NOW`` / ``$NOW(-7 days)`` are resolved,
  the adjustment with date-fns's arithmetic (see ``_add_days``); ``_in``/``_nin``/``_between`` take
  a list or a comma-separated string; an empty string or a non-scalar value is an error;
  ``_between`` with other than two values is ignored.
* Several keys in one object are AND-ed; an ``_or`` with an empty ``{}`` member, ``_or: []``,
  ``_and: []`` and a field given an empty list match everything; ``{"field": {}}`` is no condition.
* Timestamps compare as instants: a filter value is parsed like JavaScript's ``new Date(value)``
  (a date alone is UTC midnight, a time without offset is taken as UTC, a number is epoch
  milliseconds); a value that does not parse compares as greater than every timestamp, like
  Directus's ``NaN``.
* Search is case-insensitive ``LIKE`` over every string and text field (so also the recipient and
  sender ids), OR-ed, plus ``id = N`` when the text is exactly an integer's decimal form.
* Field lists name notification fields only (``app.models.Query`` refuses the rest): Directus
  would answer a user's fields without the user's id.

(Long because Directus's filter language is: every operator, value rule and variable above is
here because the table has a case for it that the server answers the same way.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from app.errors import ForbiddenError, InvalidInputError
from app.models import NOTIFICATION_FIELDS, USER_FIELDS, USER_RELATIONS, DirectusType

USERS_TABLE = "users"
ALIAS = "n"

FIELD_TYPES: dict[str, DirectusType] = {name: field.type for name, field in NOTIFICATION_FIELDS.items()}
"""The notification fields and their Directus types (as a SQLite-backed server reports them)."""

USER_FIELD_TYPES: dict[str, DirectusType] = {name: field.type for name, field in USER_FIELDS.items()}
"""The user fields the embedded inbox keeps, reachable through ``recipient.`` and ``sender.``."""

SEARCH_FIELDS: tuple[str, ...] = tuple(name for name, kind in FIELD_TYPES.items() if kind in ("string", "text"))

_STRING_OPS = frozenset(
    {
        "_contains",
        "_ncontains",
        "_icontains",
        "_starts_with",
        "_nstarts_with",
        "_istarts_with",
        "_nistarts_with",
        "_ends_with",
        "_nends_with",
        "_iends_with",
        "_niends_with",
        "_eq",
        "_neq",
        "_empty",
        "_nempty",
        "_null",
        "_nnull",
        "_in",
        "_nin",
    }
)
OPERATORS_FOR_TYPE: dict[DirectusType, frozenset[str]] = {
    "string": _STRING_OPS,
    "text": _STRING_OPS,
    "uuid": frozenset({"_eq", "_neq", "_null", "_nnull", "_in", "_nin"}),
    "integer": frozenset(
        {"_eq", "_neq", "_lt", "_lte", "_gt", "_gte", "_between", "_nbetween", "_null", "_nnull", "_in", "_nin"}
    ),
    # Directus has no explicit list for "timestamp" and falls back to its default one.
    "timestamp": frozenset(
        {
            "_contains",
            "_ncontains",
            "_eq",
            "_neq",
            "_lt",
            "_lte",
            "_gt",
            "_gte",
            "_between",
            "_nbetween",
            "_empty",
            "_nempty",
            "_null",
            "_nnull",
            "_in",
            "_nin",
        }
    ),
}

_LIST_OPS = frozenset({"_in", "_nin", "_between", "_nbetween"})
_BOOL_OPS = frozenset({"_null", "_nnull", "_empty", "_nempty"})
_LIKE_OPS: dict[str, tuple[bool, bool, str]] = {
    # operator: (negated, case-insensitive, pattern with {} for the value)
    "_contains": (False, False, "%{}%"),
    "_ncontains": (True, False, "%{}%"),
    "_icontains": (False, True, "%{}%"),
    "_starts_with": (False, False, "{}%"),
    "_nstarts_with": (True, False, "{}%"),
    "_istarts_with": (False, True, "{}%"),
    "_nistarts_with": (True, True, "{}%"),
    "_ends_with": (False, False, "%{}"),
    "_nends_with": (True, False, "%{}"),
    "_iends_with": (False, True, "%{}"),
    "_niends_with": (True, True, "%{}"),
}
_COMPARISONS = {"_eq": "=", "_lt": "<", "_lte": "<=", "_gt": ">", "_gte": ">="}

MAX_SAFE_INTEGER = 2**53 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INVALID_DATE = "NaN"
"""What an unparsable timestamp value becomes: as text it sorts after every ISO timestamp, so it
compares the way Directus's ``NaN`` does against its integer column (greater than everything)."""


# --- errors ------------------------------------------------------------------------------------


def invalid_query(reason: str) -> InvalidInputError:
    """Directus's 400 INVALID_QUERY."""
    return InvalidInputError(f"Invalid query. {reason}", code="INVALID_QUERY", status=400)


def unknown_field(name: str, collection: str = "directus_notifications", where: str = "root") -> ForbiddenError:
    """Directus's 403 for a field that does not exist (it does not tell missing from forbidden)."""
    place = "root" if where == "root" else f'"{where}"'
    return ForbiddenError(
        f'You don\'t have permission to access field "{name}" in collection "{collection}" '
        f"or it does not exist. Queried in {place}.",
        code="FORBIDDEN",
        status=403,
    )


# --- context -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterContext:
    """What dynamic variables resolve to: the current user's row, and the current time."""

    current_user: Mapping[str, Any] | None = None
    now: datetime | None = None

    @property
    def current_user_id(self) -> str | None:
        return None if self.current_user is None else self.current_user.get("id")

    def resolved_now(self) -> datetime:
        return self.now or datetime.now(UTC)


# --- the filter tree ---------------------------------------------------------------------------


@dataclass
class _Cond:
    path: tuple[str, ...]
    operator: str
    value: Any


@dataclass
class _Group:
    kind: str  # "AND" or "OR"
    parts: list[_Cond | _Group] = field(default_factory=list)


_Node = _Cond | _Group | None


def _combine(kind: str, parts: Iterable[_Node]) -> _Node:
    kept = [part for part in parts if part is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return _Group(kind, kept)


def _parse_filter(filter_obj: Any, ctx: FilterContext) -> _Node:
    if not isinstance(filter_obj, Mapping):
        raise invalid_query("Invalid filter object.")
    return _combine("AND", (_parse_entry(key, value, ctx) for key, value in filter_obj.items()))


def _parse_entry(key: str, value: Any, ctx: FilterContext) -> _Node:
    if key in ("_and", "_or"):
        if not isinstance(value, list) or not all(isinstance(sub, Mapping) for sub in value):
            raise invalid_query("Invalid filter object.")
        subs = [_parse_filter(sub, ctx) for sub in value]
        if key == "_or" and any(len(sub) == 0 for sub in value):
            # Directus drops an "_or" that has an empty member: it would match everything anyway.
            return None
        return _combine("AND" if key == "_and" else "OR", subs)
    if key.startswith("_"):
        raise invalid_query(f'Invalid filter key "{key}" on "directus_notifications".')
    return _parse_field((key,), value, ctx)


def _parse_field(path: tuple[str, ...], value: Any, ctx: FilterContext) -> _Node:
    if isinstance(value, list):
        # Directus reads a list's indexes as field names ("0", "1", ... do not exist); an empty
        # list is no condition.
        if value:
            raise unknown_field("0")
        return None
    if not isinstance(value, Mapping):
        return _make_cond(path, "_eq", value, ctx)
    parts: list[_Node] = []
    for key, inner in value.items():
        if key in ("_and", "_or"):
            if not isinstance(inner, list) or not all(isinstance(sub, Mapping) for sub in inner):
                raise invalid_query("Invalid filter object.")
            parts.append(_combine("AND" if key == "_and" else "OR", (_parse_field(path, sub, ctx) for sub in inner)))
        elif key.startswith("_"):
            parts.append(_make_cond(path, key, inner, ctx))
        else:
            parts.append(_parse_field(path + (key,), inner, ctx))
    return _combine("AND", parts)


def _make_cond(path: tuple[str, ...], operator: str, raw: Any, ctx: FilterContext) -> _Cond:
    if operator in _LIST_OPS:
        if isinstance(raw, str):
            items: list[Any] = raw.split(",")
        elif isinstance(raw, Mapping):
            items = list(raw.values())
        elif isinstance(raw, list):
            items = list(raw)
        else:
            items = [raw]
        values: list[Any] = []
        for item in items:
            resolved = _coerce(_resolve_variable(item, ctx))
            values.extend(resolved if isinstance(resolved, list) else [resolved])
        if not values:
            raise invalid_query(f'"{operator}" has to be an array of values.')
        for item in values:
            if isinstance(item, (Mapping, list)):
                raise invalid_query(f'The filter value for "{operator}" has to be a string, number, or boolean.')
        return _Cond(path, operator, values)
    value = _coerce(_resolve_variable(raw, ctx))
    if operator in _BOOL_OPS:
        if value is not None and value != "" and not isinstance(value, bool):
            raise invalid_query(f'"{operator}" has to be a boolean.')
        return _Cond(path, operator, value)
    _validate_primitive(value, operator)
    return _Cond(path, operator, value)


def _validate_primitive(value: Any, operator: str) -> None:
    if value is None or isinstance(value, (bool, datetime)):
        return
    if isinstance(value, (int, float)):
        if (isinstance(value, float) and math.isnan(value)) or value > MAX_SAFE_INTEGER:
            raise invalid_query(f'The filter value for "{operator}" is not a valid number.')
        return
    if isinstance(value, str):
        if value == "":
            raise invalid_query(
                f'You can\'t filter for an empty string in "{operator}". Use "_empty" or "_nempty" instead.'
            )
        return
    raise invalid_query(f'The filter value for "{operator}" has to be a string, number, or boolean.')


_COERCED = {"true": True, "false": False, "null": None, "NULL": None}


def _coerce(value: Any) -> Any:
    """Directus reads the strings "true", "false" and "null" in a filter as those literals."""
    if isinstance(value, str) and value in _COERCED:
        return _COERCED[value]
    return value


_BETWEEN_PARENS = re.compile(r"\(([^()]+)\)")
_NOW_ADJUSTMENT = re.compile(
    r"(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|"
    r"days?|d|weeks?|w|months?|mth|mo|years?|yrs?|y)?",
    re.IGNORECASE,
)
_MS_PER_UNIT = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
_UNITS = {
    **dict.fromkeys(("years", "year", "yrs", "yr", "y"), "years"),
    **dict.fromkeys(("months", "month", "mth", "mo"), "months"),
    **dict.fromkeys(("weeks", "week", "w"), "weeks"),
    **dict.fromkeys(("days", "day", "d"), "days"),
    **dict.fromkeys(("hours", "hour", "hrs", "hr", "h"), "h"),
    **dict.fromkeys(("minutes", "minute", "mins", "min", "m"), "m"),
    **dict.fromkeys(("seconds", "second", "secs", "sec", "s"), "s"),
    **dict.fromkeys(("milliseconds", "millisecond", "msecs", "msec", "ms"), "ms"),
}


def _resolve_variable(value: Any, ctx: FilterContext) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith("$NOW"):
        return _parse_now(value, ctx.resolved_now())
    if value.startswith("$CURRENT_USER"):
        if value == "$CURRENT_USER":
            return ctx.current_user_id
        key = value[len("$CURRENT_USER.") :] if value.startswith("$CURRENT_USER.") else None
        if ctx.current_user is None or key is None:
            return None
        return ctx.current_user.get(key)
    if value.startswith(("$CURRENT_ROLES", "$CURRENT_ROLE", "$CURRENT_POLICIES")):
        return None  # the embedded user has no role or policies
    return value


def _parse_now(value: str, now: datetime) -> datetime:
    """``$NOW`` or ``$NOW(<adjustment>)``, as Directus's ``parseNow`` and ``adjustDate`` read it;
    an adjustment they cannot read is no adjustment."""
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # a JavaScript Date holds milliseconds
    match = _BETWEEN_PARENS.search(value) if "(" in value and ")" in value else None
    if match is None:
        return now
    adjustment = match.group(1)
    subtract = adjustment.startswith("-")
    if subtract or adjustment.startswith("+"):
        adjustment = adjustment[1:]
    parsed = _NOW_ADJUSTMENT.fullmatch(adjustment)
    if parsed is None:
        return now
    amount = -float(parsed.group(1)) if subtract else float(parsed.group(1))
    try:
        return _adjust(now, amount, _UNITS[(parsed.group(2) or "days").lower()])
    except (ValueError, OverflowError):
        # Beyond what a datetime holds (a JavaScript Date reaches further): before or after every row.
        return (datetime.max if amount > 0 else datetime.min).replace(tzinfo=UTC)


def _adjust(now: datetime, amount: float, unit: str) -> datetime:
    if unit == "years":
        return _add_months(now, amount * 12)
    if unit == "months":
        return _add_months(now, amount)
    if unit == "weeks":
        return _add_days(now, amount * 7)
    if unit == "days":
        return _add_days(now, amount)
    # date-fns adds milliseconds, and a Date drops the fraction of a millisecond (towards zero).
    epoch_ms = (now - _EPOCH) // timedelta(milliseconds=1)
    return _EPOCH + timedelta(milliseconds=math.trunc(epoch_ms + amount * _MS_PER_UNIT[unit]))


# date-fns's addDays and addMonths work through Date.setDate and Date.setMonth, which take the
# whole part (towards zero) of the day or month they are given: "-1.5 days" on the 1st is one day
# back, on the 15th two. The server runs in UTC, as does the embedded inbox.


def _add_days(moment: datetime, amount: float) -> datetime:
    day = math.trunc(moment.day + amount)
    return moment.replace(day=1) + timedelta(days=day - 1)


def _add_months(moment: datetime, amount: float) -> datetime:
    if not amount:
        return moment
    index = math.trunc(moment.month - 1 + amount + 1)  # setMonth(getMonth() + amount + 1, 0)
    year, month = moment.year + index // 12, index % 12 + 1
    end_of_month = moment.replace(year=year, month=month, day=1) - timedelta(days=1)
    return end_of_month.replace(day=min(moment.day, end_of_month.day))


# --- values ------------------------------------------------------------------------------------


def format_timestamp(moment: datetime) -> str:
    """``2026-11-22T15:04:05.123Z``: how the embedded inbox stores a timestamp (UTC, milliseconds)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_ISO = re.compile(
    r"^(?P<year>[+-]\d{6}|\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?"
    r"\s*(?P<zone>Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
_LOOSE_FORMATS = (
    "%b %d %Y",
    "%B %d %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%a %b %d %Y",
    "%a %b %d %Y %H:%M:%S",
)


def parse_js_date(value: Any) -> datetime | None:
    """``new Date(value)`` as far as the inbox needs it; ``None`` where JavaScript gives NaN.

    Local times are taken as UTC (the server this mirrors runs in UTC).
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, (int, float)):
        try:
            return _EPOCH + timedelta(milliseconds=int(value))
        except (OverflowError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _ISO.match(text)
    if match:
        try:
            year = int(match["year"])
            month = int(match["month"] or 1)
            day = int(match["day"] or 1)
            hour = int(match["hour"] or 0)
            minute = int(match["minute"] or 0)
            second = int(match["second"] or 0)
            micro = int((match["fraction"] or "0")[:3].ljust(3, "0")) * 1000
            zone = match["zone"]
            if zone in (None, "Z", "z"):
                tz = UTC
            else:
                digits = zone[1:].replace(":", "")
                offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
                tz = timezone(offset if zone[0] == "+" else -offset)
            if hour == 24 and minute == 0 and second == 0 and micro == 0:
                return datetime(year, month, day, tzinfo=tz) + timedelta(days=1)
            return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
        except ValueError:
            return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    for pattern in _LOOSE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def timestamp_value(value: Any) -> str | None:
    """A filter value for the timestamp column, as Directus's SQLite date helper parses it."""
    if value is None or value == "":
        return None
    if value is False or (isinstance(value, (int, float)) and value == 0):
        # Directus passes falsy values through untouched; SQLite then binds 0 (the epoch).
        return _ms(0)
    if isinstance(value, str) and len(value) <= 8 and ":" in value:
        return INVALID_DATE  # a bare time stays text in Directus and compares like NaN
    moment = parse_js_date(value)
    if moment is None:
        return INVALID_DATE
    try:
        return format_timestamp(moment)
    except (ValueError, OverflowError):
        return INVALID_DATE


def _ms(ms: int) -> str:
    return format_timestamp(_EPOCH + timedelta(milliseconds=ms))


def _epoch_ms_text(iso: str | None) -> str:
    """The text Directus's LIKE sees for a timestamp value: its epoch milliseconds."""
    if iso is None or iso == INVALID_DATE:
        return "NaN"
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return str(int((moment - _EPOCH) / timedelta(milliseconds=1)))


_JS_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def js_number(value: Any) -> int | float:
    """JavaScript's ``Number(value)``; ``ValueError`` where it is NaN."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("NaN")
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if not isinstance(value, str):
        raise ValueError("NaN")
    text = value.strip()
    if text == "":
        return 0
    lowered = text.lower()
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if lowered.startswith(prefix):
            return int(text[2:], base)  # ValueError when not digits of that base
    if text in ("Infinity", "+Infinity"):
        return math.inf
    if text == "-Infinity":
        return -math.inf
    if not _JS_DECIMAL.match(text):
        raise ValueError("NaN")
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 2**63 else number


def js_string(value: Any) -> str:
    """JavaScript's template-literal form of a value (``${value}``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    return str(value)


def parse_numeric_string(text: str) -> int | float | None:
    """Directus's ``parseNumericString``: the number only when the text is exactly its form."""
    try:
        number = js_number(text)
    except ValueError:
        return None
    if text.strip() == "" or (isinstance(number, float) and not math.isfinite(number)):
        return None
    return number if js_string(number) == text else None


def _bind(value: Any) -> Any:
    """A value as node-sqlite3 would bind it (booleans as 1/0, integral numbers as integers)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value


# --- compiling -------------------------------------------------------------------------------


def _user_column(relation: str, user_field: str, alias: str) -> str:
    return f"(SELECT u.{user_field} FROM {USERS_TABLE} AS u WHERE u.id = {alias}.{relation})"


def resolve_path(path: Sequence[str], alias: str = ALIAS) -> tuple[str, DirectusType]:
    """The SQL expression and Directus type of a field path; ``ForbiddenError`` when unknown."""
    name = path[0]
    if name not in FIELD_TYPES:
        raise unknown_field(name)
    if len(path) == 1:
        return f"{alias}.{name}", FIELD_TYPES[name]
    if name not in USER_RELATIONS:
        raise unknown_field(path[1])
    sub = path[1]
    if sub not in USER_FIELD_TYPES or len(path) > 2:
        raise unknown_field(sub if sub not in USER_FIELD_TYPES else path[2], "directus_users", name)
    return _user_column(name, sub, alias), USER_FIELD_TYPES[sub]


def _iter_conds(node: _Node) -> Iterable[_Cond]:
    if isinstance(node, _Cond):
        yield node
    elif isinstance(node, _Group):
        for part in node.parts:
            yield from _iter_conds(part)


def _compile_node(node: _Node, params: list[Any], alias: str) -> str | None:
    if node is None:
        return None
    if isinstance(node, _Cond):
        return _compile_cond(node, params, alias)
    parts = [sql for sql in (_compile_node(part, params, alias) for part in node.parts) if sql]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return "(" + f" {node.kind} ".join(parts) + ")"


def _compile_cond(cond: _Cond, params: list[Any], alias: str) -> str | None:
    column, kind = resolve_path(cond.path, alias)
    op, value = cond.operator, cond.value
    if op not in OPERATORS_FOR_TYPE[kind]:
        raise invalid_query(f'"{kind}" field type does not contain the "{op}" filter operator.')

    if (op == "_null" and value is not False) or (op == "_nnull" and value is False) or (op == "_eq" and value is None):
        return f"{column} IS NULL"
    if (
        (op == "_nnull" and value is not False)
        or (op == "_null" and value is False)
        or (op == "_neq" and value is None)
    ):
        return f"{column} IS NOT NULL"
    if (op == "_empty" and value is not False) or (op == "_nempty" and value is False):
        return f"({column} IS NULL OR {column} = '')"
    if op in ("_nempty", "_empty"):
        return f"({column} IS NOT NULL AND {column} != '')"

    if kind == "integer":
        try:
            value = [js_number(v) for v in value] if isinstance(value, list) else js_number(value)
        except ValueError:
            raise invalid_query("Invalid numeric value.") from None
    elif kind == "timestamp":
        value = [timestamp_value(v) for v in value] if isinstance(value, list) else timestamp_value(value)

    if op in _LIKE_OPS:
        negated, insensitive, pattern = _LIKE_OPS[op]
        if kind == "timestamp":
            # Directus stores epoch milliseconds on SQLite and LIKE-matches their digits.
            column = (
                f"CAST(CAST(strftime('%s', {column}) AS INTEGER) * 1000 "
                f"+ CAST(substr({column}, 21, 3) AS INTEGER) AS TEXT)"
            )
            text = _epoch_ms_text(value)
        else:
            text = js_string(value)
        if insensitive:
            params.append(pattern.format(text.lower()))
            return f"LOWER({column}) {'NOT ' if negated else ''}LIKE ?"
        params.append(pattern.format(text))
        return f"{'NOT ' if negated else ''}{column} LIKE ?"
    if op in _COMPARISONS:
        params.append(_bind(value))
        return f"{column} {_COMPARISONS[op]} ?"
    if op == "_neq":
        params.append(_bind(value))
        return f"NOT {column} = ?"
    if op in ("_in", "_nin"):
        params.extend(_bind(v) for v in value)
        marks = ", ".join("?" for _ in value)
        return f"{column} {'NOT IN' if op == '_nin' else 'IN'} ({marks})"
    if op in ("_between", "_nbetween"):
        if len(value) != 2:
            return None  # Directus ignores a range that is not exactly two values
        params.extend(_bind(v) for v in value)
        return f"{column} {'NOT BETWEEN' if op == '_nbetween' else 'BETWEEN'} ? AND ?"
    raise invalid_query(f'"{kind}" field type does not contain the "{op}" filter operator.')


@dataclass
class Compiled:
    """A WHERE clause (``"1"`` when nothing is filtered) and its parameters."""

    sql: str
    params: list[Any]


def compile_filter(
    filter_obj: Mapping[str, Any] | None, ctx: FilterContext | None = None, *, alias: str = ALIAS
) -> Compiled:
    """Translate a Directus filter to SQL; ``InvalidInputError`` (400) or ``ForbiddenError`` (403)
    where Directus would refuse it.

    Like the server, every value is checked first (400), then every field (403), then each
    operator against its field's type (400).
    """
    if not filter_obj:
        return Compiled("1", [])
    ctx = ctx or FilterContext()
    tree = _parse_filter(filter_obj, ctx)
    for cond in _iter_conds(tree):
        resolve_path(cond.path, alias)
    params: list[Any] = []
    sql = _compile_node(tree, params, alias)
    return Compiled(sql or "1", params)


def compile_search(text: str | None, *, alias: str = ALIAS) -> Compiled | None:
    """Directus's ``search``: ``None`` when there is nothing to search for."""
    if not text:
        return None
    term = text.strip() or text  # Directus trims, unless that leaves nothing
    pattern = f"%{term.lower()}%"
    parts = [f"LOWER({alias}.{name}) LIKE ?" for name in SEARCH_FIELDS]
    params: list[Any] = [pattern] * len(SEARCH_FIELDS)
    number = parse_numeric_string(term)
    if number is not None:
        parts.append(f"{alias}.id = ?")
        params.append(_bind(number))
    return Compiled("(" + " OR ".join(parts) + ")", params)


def compile_sort(sort: Sequence[str], *, alias: str = ALIAS) -> str:
    """An ORDER BY list; ``-field`` is descending, ``recipient.email`` sorts by the related user.

    Ties are broken by ascending id so pages never overlap; no sort at all means by id, as in
    Directus (the primary key).
    """
    terms: list[str] = []
    has_id = False
    for raw in sort:
        name = raw.strip()
        if not name:
            continue
        descending = name.startswith("-")
        if descending:
            name = name[1:]
        path = tuple(name.split("."))
        column, _kind = resolve_path(path, alias)
        has_id = has_id or path == ("id",)
        terms.append(f"{column} {'DESC' if descending else 'ASC'}")
    if not has_id:
        terms.append(f"{alias}.id ASC")
    return ", ".join(terms)


def select_fields(requested: Sequence[str] | None) -> frozenset[str] | None:
    """The fields a ``fields`` list asks for; ``None`` means every field.

    ``Query`` lets through only notification field names and ``*`` (never a user's fields), and
    always the id, so that is all that arrives here.
    """
    if not requested or "*" in requested:
        return None
    return frozenset(requested)
