"""What a search makes once per reflected table and reuses, for the tables seen last.

A search's selects, its key expressions and the select of the keys a table holds are
SQLAlchemy constructs built on a reflected :class:`~sqlalchemy.Table`: they refer to
it. A cache keyed weakly by the table would therefore keep every table it ever saw
(its values keep their key alive), so each :class:`TableCache` is keyed by the table
itself and bounded: a schema reflected again (a column or an index added or dropped)
or an installation opened again brings new tables, hence new constructs, and the
tables first seen longest ago are let go once :data:`MAX_TABLES` are kept.

Examples
--------
>>> from sqlalchemy import Column, Integer, MetaData, Table
>>> cache = TableCache(max_tables=2)
>>> tables = [Table(f"t{i}", MetaData(), Column("id", Integer)) for i in range(3)]
>>> for t in tables:
...     cache.of(t)["made"] = t.name
>>> len(cache), tables[0] in cache, cache.of(tables[2])["made"]
(2, False, 't2')
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Table

#: Tables whose constructs a cache keeps (a few installations' worth).
MAX_TABLES = 256


class TableCache:
    """Constructs made once per table, by a key of the caller's; see the module notes."""

    def __init__(self, max_tables: int = MAX_TABLES):
        self.max_tables = max_tables
        self._tables: dict[Table, dict[Hashable, Any]] = {}
        self._lock = threading.Lock()

    def of(self, table: Table) -> dict[Hashable, Any]:
        """The constructs kept for ``table`` (a new, empty dict the first time)."""
        made = self._tables.get(table)
        if made is None:
            with self._lock:
                made = self._tables.setdefault(table, {})
                while len(self._tables) > self.max_tables:  # the oldest first
                    del self._tables[next(iter(self._tables))]
        return made

    def clear(self) -> None:
        """Forget every table's constructs."""
        with self._lock:
            self._tables.clear()

    def __contains__(self, table: object) -> bool:
        return table in self._tables

    def __len__(self) -> int:
        return len(self._tables)
