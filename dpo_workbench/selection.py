"""Row references and selections: pure data, no database access.

A :class:`Selection` starts with every found item selected (the product's
default); the DPO unticks rows or whole groups. Selections are immutable: each
change returns a new one, so a report or erasure plan made from one cannot be
changed under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .search import SearchResult


@dataclass(frozen=True, order=True)
class RowRef:
    """Where one row lives: logical database, table and primary-key value."""

    database: str
    table: str
    key: Any

    def __str__(self) -> str:
        return f"{self.database}.{self.table}#{self.key}"

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RowRef:
        """The reference of a result row (a mapping with ``_database``, ``_table``, ``_key``)."""
        key = record["_key"]
        if hasattr(key, "item"):  # numpy scalar from a DataFrame
            key = key.item()
        return cls(str(record["_database"]), str(record["_table"]), key)


@dataclass(frozen=True)
class Selection:
    """Which found items are selected.

    Examples
    --------
    >>> sel = Selection.of({"contacts": [RowRef("op", "ce", 1), RowRef("op", "ce", 2)],
    ...                     "consents": [RowRef("op", "cc", 7)]})
    >>> len(sel.selected())
    3
    >>> sel = sel.unselect(RowRef("op", "ce", 2)).unselect_group("consents")
    >>> [str(r) for r in sel.selected()]
    ['op.ce#1']
    >>> sel.counts()
    {'contacts': (1, 2), 'consents': (0, 1)}
    """

    groups: Mapping[str, tuple[RowRef, ...]]  # group name -> every item found, in order
    deselected: frozenset[RowRef] = field(default_factory=frozenset)

    @classmethod
    def of(cls, groups: Mapping[str, Iterable[RowRef]]) -> Selection:
        return cls({str(g): tuple(refs) for g, refs in groups.items()})

    @classmethod
    def all(cls, result: SearchResult) -> Selection:
        """Every item of a search result, selected (the default)."""
        return cls.of({g.value: result.refs(g) for g in result.groups})

    # -- changes (each returns a new selection) -------------------------------------------

    def unselect(self, *refs: RowRef) -> Selection:
        self._check(refs)
        return replace(self, deselected=self.deselected | frozenset(refs))

    def select(self, *refs: RowRef) -> Selection:
        self._check(refs)
        return replace(self, deselected=self.deselected - frozenset(refs))

    def unselect_group(self, group: Any) -> Selection:
        return self.unselect(*self.groups[_name(group)])

    def select_group(self, group: Any) -> Selection:
        return self.select(*self.groups[_name(group)])

    def set(self, ref: RowRef, selected: bool) -> Selection:
        return self.select(ref) if selected else self.unselect(ref)

    # -- reading ------------------------------------------------------------------------

    def is_selected(self, ref: RowRef) -> bool:
        return ref not in self.deselected

    def selected(self, group: Any = None) -> list[RowRef]:
        """The selected items (of one group, or of all), in result order."""
        names = [_name(group)] if group is not None else list(self.groups)
        return [r for g in names for r in self.groups[g] if r not in self.deselected]

    def selected_by_group(self) -> dict[str, list[RowRef]]:
        return {g: self.selected(g) for g in self.groups}

    def group_state(self, group: Any) -> bool | None:
        """True when all of a group is selected, False when none, None when some."""
        refs = self.groups[_name(group)]
        n = sum(1 for r in refs if r not in self.deselected)
        return True if n == len(refs) else False if n == 0 else None

    def counts(self) -> dict[str, tuple[int, int]]:
        """(selected, found) per group."""
        return {g: (len(self.selected(g)), len(refs)) for g, refs in self.groups.items()}

    def __len__(self) -> int:
        return len(self.selected())

    def _check(self, refs: Iterable[RowRef]) -> None:
        known = {r for refs_ in self.groups.values() for r in refs_}
        for r in refs:
            if r not in known:
                raise KeyError(f"{r} is not an item of this search result")


def _name(group: Any) -> str:
    return str(getattr(group, "value", group))
