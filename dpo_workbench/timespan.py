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
    Column,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    String,
    cast,
    literal,
    type_coerce,
)

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


def span_conditions(column: Column[Any], fmt: str, criteria: Criteria,
                    dialect: str) -> list[ColumnElement[bool]]:
    """The conditions that keep the rows of ``column`` inside the criteria's date span."""
    start, end = criteria.start, criteria.end
    after = end + timedelta(days=1) if end is not None and end != date.max else None
    out: list[ColumnElement[bool]] = []
    if fmt in ("epoch_seconds", "epoch_millis"):
        col = unindexed(column)
        if start is not None:
            out.append(col >= _epoch(datetime.combine(start, time.min), fmt))
        if after is not None:
            out.append(col < _epoch(datetime.combine(after, time.min), fmt))
        return out
    if fmt == "native" and dialect != "sqlite":
        col = unindexed(column)
        if start is not None:
            out.append(col >= datetime.combine(start, time.min))
        if after is not None:
            out.append(col < datetime.combine(after, time.min))
        return out
    # Text (ISO 8601, and SQLite's dates, which are text): compared with day strings,
    # byte by byte (a locale's collation may skip punctuation).
    text = _bytewise(unindexed(type_coerce(column, String())), dialect)
    if start is not None:
        out.append(text >= _bytewise(literal(start.isoformat(), String()), dialect))
    if after is not None:
        out.append(text < _bytewise(literal(after.isoformat(), String()), dialect))
    return out


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
