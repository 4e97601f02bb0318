"""Time columns as real installations store them, and exact date spans over them.

A datamap table's ``time`` column may be

- a date or timestamp column (``native``);
- text holding ISO 8601 (``iso``): ``2024-04-30``, ``2024-04-30 10:00``,
  ``2024-04-30T10:00:00.123``, with or without a fraction and a zone
  (SQLite has no date type: its time columns are often declared TEXT);
- whole seconds or milliseconds since 1970-01-01 UTC (``epoch_seconds``,
  ``epoch_millis``), which must be declared: ``time: {column: c, format: ...}``.

A date span means: from the start day's 00:00:00 inclusive to the end day's last
instant, whatever the stored precision or format. Text is compared as text with
day strings (``>= '2024-04-30'`` and ``< '2024-05-01'``), which is exact for ISO
8601 with or without time, fraction or zone: a time with a zone offset counts on
the calendar day it is written with. Epoch numbers are compared in UTC. The
comparisons stay plain range conditions on the column, as an index can serve.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    String,
    bindparam,
    cast,
    type_coerce,
)
from sqlalchemy.sql import operators

from .criteria import Criteria
from .sqlfuncs import unindexed

#: The formats a ``time`` column may be declared with.
FORMATS = ("auto", "native", "iso", "epoch_seconds", "epoch_millis")

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}"
                  r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
                  r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$")
#: Plausible epoch values: 1970 to 2100.
_EPOCH_LIMIT = {"epoch_seconds": 4_102_444_800, "epoch_millis": 4_102_444_800_000}


def resolve(declared: str, column: Column[Any]) -> str | None:
    """The format of a time column: ``declared``, or from its type when ``auto``.

    None when the type cannot hold the declared format (``check`` says so).

    >>> from sqlalchemy import Text
    >>> resolve("auto", Column("t", Text())), resolve("auto", Column("t", Integer()))
    ('iso', None)
    """
    native = isinstance(column.type, Date | DateTime)
    text = isinstance(column.type, String)
    number = isinstance(column.type, Integer | Numeric)
    if declared == "auto":
        return "native" if native else "iso" if text else None
    fits = {"native": native, "iso": text, "epoch_seconds": number, "epoch_millis": number}
    return declared if fits.get(declared) else None


def unfit(fmt: str, values: Sequence[Any]) -> int:
    """How many sampled values do not look like ``fmt`` (``check`` samples each column).

    >>> unfit("iso", ["2024-04-30", "2024-04-30T10:00:00+02:00", "30.4.2024"])
    1
    >>> unfit("epoch_millis", [1714470000000, 1714470000])
    1
    """
    if fmt == "iso":
        return sum(1 for v in values if not (isinstance(v, str) and _ISO.match(v.strip())))
    if fmt in _EPOCH_LIMIT:
        low = 100_000_000_000 if fmt == "epoch_millis" else 0
        return sum(1 for v in values if isinstance(v, bool) or not isinstance(v, int | float)
                   or not low <= v <= _EPOCH_LIMIT[fmt])
    return 0


def _epoch(moment: datetime, fmt: str) -> int:
    seconds = int(moment.replace(tzinfo=UTC).timestamp())
    return seconds * 1000 if fmt == "epoch_millis" else seconds


#: The bound parameters of a date span's conditions: its first instant, and the first
#: instant after it.
SPAN_START, SPAN_AFTER = "span_start", "span_after"


def span_ends(criteria: Criteria) -> dict[str, date]:
    """The span's first day and the day after it, those the criteria give.

    A span ending on the last day there is (9999-12-31) runs to the end of time.

    >>> span_ends(Criteria.parse(phone="123", end="2024-04-30"))
    {'span_after': datetime.date(2024, 5, 1)}
    """
    start, end = criteria.start, criteria.end
    ends: dict[str, date] = {}
    if start is not None:
        ends[SPAN_START] = start
    if end is not None and end != date.max:
        ends[SPAN_AFTER] = end + timedelta(days=1)
    return ends


def span_values(fmt: str, criteria: Criteria, dialect: str) -> dict[str, Any]:
    """The values of :func:`span_conditions`' bound parameters, as ``column`` compares them.

    Only the ends the criteria give: a span with no end runs to the end of time.

    >>> c = Criteria.parse(phone="123", start="2024-04-30", end="2024-04-30")
    >>> span_values("iso", c, "sqlite")
    {'span_start': '2024-04-30', 'span_after': '2024-05-01'}
    >>> span_values("epoch_seconds", c, "postgresql")
    {'span_start': 1714435200, 'span_after': 1714521600}
    """
    ends = span_ends(criteria)
    if fmt in ("epoch_seconds", "epoch_millis"):
        return {k: _epoch(datetime.combine(d, time.min), fmt) for k, d in ends.items()}
    if fmt == "native" and dialect != "sqlite":
        return {k: datetime.combine(d, time.min) for k, d in ends.items()}
    return {k: d.isoformat() for k, d in ends.items()}


def span_conditions(column: Column[Any], fmt: str, criteria: Criteria,
                    dialect: str) -> list[ColumnElement[bool]]:
    """The conditions that keep the rows of ``column`` inside the criteria's date span.

    The span's ends are bound parameters without values (:data:`SPAN_START`,
    :data:`SPAN_AFTER`; their values: :func:`span_values`), so searches with other
    dates share the statement.
    """
    ends = span_values(fmt, criteria, dialect)
    out: list[ColumnElement[bool]] = []
    if fmt in ("epoch_seconds", "epoch_millis") or (fmt == "native" and dialect != "sqlite"):
        col = unindexed(column)
        if SPAN_START in ends:
            out.append(col >= _bound(col, SPAN_START, ends[SPAN_START]))
        if SPAN_AFTER in ends:
            out.append(col < _bound(col, SPAN_AFTER, ends[SPAN_AFTER]))
        return out
    # Text (ISO 8601, and SQLite's dates, which are text): compared with day strings,
    # byte by byte (a locale's collation may skip punctuation).
    text = _bytewise(unindexed(type_coerce(column, String())), dialect)
    if SPAN_START in ends:
        out.append(text >= _bytewise(bindparam(SPAN_START, type_=String()), dialect))
    if SPAN_AFTER in ends:
        out.append(text < _bytewise(bindparam(SPAN_AFTER, type_=String()), dialect))
    return out


def _bound(col: ColumnElement[Any], name: str, value: Any) -> BindParameter[Any]:
    """A parameter compared with ``col``, typed as a ``value`` compared with it would be
    (a datetime compared with a DATE column is bound as a timestamp)."""
    return bindparam(name, type_=col.type.coerce_compared_value(operators.ge, value))


def _bytewise(expr: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return expr.collate("C")
    if dialect in ("mysql", "mariadb"):
        return cast(expr, LargeBinary())  # whatever the column's character set
    return expr


def in_span(value: Any, fmt: str, criteria: Criteria) -> bool:
    """Reference semantics in Python: whether a stored time is inside the span (tests).

    >>> c = Criteria.parse(phone="123", start="2024-04-30", end="2024-04-30")
    >>> in_span("2024-04-30", "iso", c), in_span("2024-05-01 00:00:00", "iso", c)
    (True, False)
    """
    if value is None:
        return False
    if fmt in ("epoch_seconds", "epoch_millis"):
        seconds = value / 1000 if fmt == "epoch_millis" else value
        day = datetime.fromtimestamp(seconds, UTC).date()
    elif isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        day = date.fromisoformat(str(value).strip()[:10])
    return (criteria.start is None or day >= criteria.start) and (
        criteria.end is None or day <= criteria.end)
