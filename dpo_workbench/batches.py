"""Keys in batches: every ``WHERE key IN (...)`` of the workbench goes through here."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

#: Keys per ``IN (...)`` list: well below SQLite's 999 bound parameters of old
#: builds and small enough for any engine's statement size.
CHUNK = 500


def chunks(values: Sequence[Any], size: int | None = None) -> Iterator[Sequence[Any]]:
    """``values`` in slices of at most ``size`` (default :data:`CHUNK`).

    >>> [list(c) for c in chunks([1, 2, 3], 2)]
    [[1, 2], [3]]
    """
    size = size or CHUNK  # read at call time, so tests can make chunks small
    for i in range(0, len(values), size):
        yield values[i:i + size]


def existing_keys(conn: Connection, table: Table, key: str, keys: Sequence[Any]) -> set[Any]:
    """The values of ``keys`` that ``table.key`` holds."""
    out: set[Any] = set()
    for chunk in chunks(keys):
        out.update(conn.execute(select(table.c[key]).where(table.c[key].in_(chunk))).scalars())
    return out
