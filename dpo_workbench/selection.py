"""Row references and selections: pure data, no database access."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class RowRef:
    """Where one row lives: logical database, table and primary-key value."""

    database: str
    table: str
    key: Any

    def __str__(self) -> str:
        return f"{self.database}.{self.table}#{self.key}"

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> RowRef:
        """The reference of a result row (a dict with ``_database``, ``_table``, ``_key``)."""
        return cls(str(record["_database"]), str(record["_table"]), record["_key"])


def refs_of(records: Iterable[dict[str, Any]]) -> Iterator[RowRef]:
    """The references of result rows."""
    return (RowRef.from_record(r) for r in records)
