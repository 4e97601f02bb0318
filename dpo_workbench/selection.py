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

from .errors import NotFound, UsageError

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
    def parse(cls, text: str) -> RowRef:
        """Read ``DATABASE.TABLE#KEY`` (as :meth:`__str__` writes it); the key stays text.

        :meth:`Workbench.ref <dpo_workbench.workbench.Workbench.ref>` also types the key
        from its column.

        >>> RowRef.parse("operative.contact_events#42")
        RowRef(database='operative', table='contact_events', key='42')
        >>> RowRef.parse("contact_events#42")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dpo_workbench.errors.UsageError: 'contact_events#42' is not DATABASE.TABLE#KEY, ...
        """
        location, sep, key = str(text).strip().rpartition("#")
        database, dot, table = location.partition(".")
        if not (sep and dot and database and table and key):
            raise UsageError(f"{str(text)[:80]!r} is not DATABASE.TABLE#KEY, e.g. "
                             "operative.contact_events#42")
        return cls(database, table, key)

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
        return self.unselect(*self._group(group))

    def select_group(self, group: Any) -> Selection:
        return self.select(*self._group(group))

    def excluding(self, refs: Iterable[RowRef] = (), groups: Iterable[Any] = ()) -> Selection:
        """This selection with whole groups and single items unticked.

        A reference is matched by the text of its key, so ``RowRef.parse(...)`` of
        a typed ``DATABASE.TABLE#KEY`` finds the item whatever its key's type.

        Raises
        ------
        NotFound
            A reference is not an item of this selection.
        UsageError
            A group name is not one of the selection's groups.
        """
        sel = self
        for group in groups:
            sel = sel.unselect_group(group)
        by_text = {(r.database, r.table, str(r.key)): r
                   for found in self.groups.values() for r in found}
        for ref in refs:
            match = by_text.get((ref.database, ref.table, str(ref.key)))
            if match is None:
                raise NotFound(f"{ref.database}.{ref.table}#{str(ref.key)[:40]} is not an item "
                               "of the search result.")
            sel = sel.unselect(match)
        return sel

    def set(self, ref: RowRef, selected: bool) -> Selection:
        return self.select(ref) if selected else self.unselect(ref)

    # -- reading ------------------------------------------------------------------------

    def is_selected(self, ref: RowRef) -> bool:
        return ref not in self.deselected

    def selected(self, group: Any = None) -> list[RowRef]:
        """The selected items (of one group, or of all), in result order."""
        names = [self._group_name(group)] if group is not None else list(self.groups)
        return [r for g in names for r in self.groups[g] if r not in self.deselected]

    def selected_by_group(self) -> dict[str, list[RowRef]]:
        return {g: self.selected(g) for g in self.groups}

    def group_state(self, group: Any) -> bool | None:
        """True when all of a group is selected, False when none, None when some."""
        refs = self._group(group)
        n = sum(1 for r in refs if r not in self.deselected)
        return True if n == len(refs) else False if n == 0 else None

    def counts(self) -> dict[str, tuple[int, int]]:
        """(selected, found) per group."""
        return {g: (len(self.selected(g)), len(refs)) for g, refs in self.groups.items()}

    def __len__(self) -> int:
        return len(self.selected())

    def _group_name(self, group: Any) -> str:
        name = _name(group)
        if name not in self.groups:
            raise UsageError(f"{name[:40]!r} is not a result group; groups are: "
                             f"{', '.join(self.groups)}.")
        return name

    def _group(self, group: Any) -> tuple[RowRef, ...]:
        return self.groups[self._group_name(group)]

    def _check(self, refs: Iterable[RowRef]) -> None:
        known = {r for refs_ in self.groups.values() for r in refs_}
        for r in refs:
            if r not in known:
                raise KeyError(f"{r} is not an item of this search result")


def _name(group: Any) -> str:
    return str(getattr(group, "value", group))
