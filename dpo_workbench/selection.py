"""Row references and selections: pure data, no database access.

A :class:`Selection` starts with every found item selected (the product's
default); the DPO unticks rows or whole groups. Selections are immutable: each
change returns a new one, so a report or erasure plan made from one cannot be
changed under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import NotFound, UsageError
from .values import plain

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
    def from_record(cls, record: Any, columns: Sequence[str] | None = None) -> RowRef:
        """The reference of a result row: its ``_database``, ``_table`` and ``_key``.

        ``record`` is a row as pandas gives it: a mapping (``df.iloc[0].to_dict()``,
        a row of ``df.to_dict("records")``), a Series (``df.iloc[0]``, a row of
        ``df.iterrows()``) or a namedtuple of ``df.itertuples()``. pandas renames the
        columns that start with ``_`` in a namedtuple to their positions (``_8``,
        ``_9``...), so such a row needs the frame's ``columns`` to be read; the frame
        itself is simpler: :meth:`from_frame`.

        >>> RowRef.from_record({"_database": "op", "_table": "ce", "_key": 42})
        RowRef(database='op', table='ce', key=42)
        >>> from collections import namedtuple
        >>> Row = namedtuple("Row", ["Index", "channel", "_database", "_table", "_key"],
        ...                  rename=True)   # what df.itertuples() makes
        >>> row = Row(0, "sms", "op", "ce", 42)
        >>> RowRef.from_record(row, columns=["channel", "_database", "_table", "_key"])
        RowRef(database='op', table='ce', key=42)
        """
        if hasattr(record, "_asdict"):  # a namedtuple (itertuples)
            record = record._asdict()
        if columns is not None and isinstance(record, Mapping) and "_key" not in record:
            record = _renamed_back(record, list(columns))
        try:
            database, table, key = (record[c] for c in PROVENANCE_COLUMNS)
        except (KeyError, IndexError, TypeError):
            raise UsageError(
                "the row has no _database, _table and _key (a row of a search result's "
                "frame has them; df.itertuples() renames them: give columns=df.columns, or "
                "use RowRef.from_frame(df) or df.iterrows()).") from None
        return cls(str(database), str(table), _plain_key(key))

    @classmethod
    def from_frame(cls, frame: Any) -> list[RowRef]:
        """The references of every row of a result frame (or of a part of one), in order.

        ``frame`` is a DataFrame with the ``_database``, ``_table`` and ``_key``
        columns: a group of a search result, filtered, sliced or concatenated.
        """
        missing = [c for c in PROVENANCE_COLUMNS if c not in frame.columns]
        if missing:
            raise UsageError(f"the frame has no {', '.join(missing)} column: the rows of a "
                             "search result's frames have them (keep them when selecting "
                             "columns).")
        return [cls(str(d), str(t), _plain_key(k))
                for d, t, k in zip(*(frame[c] for c in PROVENANCE_COLUMNS), strict=True)]


#: The columns of a result frame that say where its row lives.
PROVENANCE_COLUMNS = ("_database", "_table", "_key")


def _plain_key(key: Any) -> Any:
    """A key as Python gives it: numpy scalars unwrapped, a whole float an int."""
    key = plain(key)
    if key is None:
        raise UsageError("the row has no _key value.")
    return int(key) if isinstance(key, float) and key.is_integer() else key


def _renamed_back(record: Mapping[str, Any], columns: list[str]) -> dict[str, Any]:
    """An itertuples() row's fields under the frame's column names (``_9`` -> ``_database``)."""
    fields = list(record)
    offset = len(fields) - len(columns)
    if offset not in (0, 1):  # 1: the row starts with its index
        raise UsageError(f"the row has {len(fields)} fields for {len(columns)} columns: give "
                         "the columns of the frame the row comes from.")
    return {str(c): record[f] for c, f in zip(columns, fields[offset:], strict=True)}


@dataclass(frozen=True)
class Selection:
    """Which found items are selected.

    Items are given as pandas users have them: a :class:`RowRef`, its text
    ``DATABASE.TABLE#KEY`` (the key as text finds the item whose key is a number),
    a row (``df.iloc[0]``, a dict, an ``itertuples()`` row: see
    :meth:`RowRef.from_record`) or a whole frame (every row of it), or a list of these.

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
    >>> sel.select("op.cc#7").counts()["consents"]  # the key typed as text
    (1, 1)
    """

    groups: Mapping[str, tuple[RowRef, ...]]  # group name -> every item found, in order
    deselected: frozenset[RowRef] = field(default_factory=frozenset)

    @classmethod
    def of(cls, groups: Mapping[str, Iterable[RowRef]]) -> Selection:
        return cls({str(g): tuple(refs) for g, refs in groups.items()})

    @classmethod
    def all(cls, result: SearchResult) -> Selection:
        """Every item of a search result, selected (the default)."""
        return cls.of({g.value: result.refs(g) for g in result.records})

    @classmethod
    def from_frame(cls, result: SearchResult, *frames: Any) -> Selection:
        """The items of ``result`` that are rows of ``frames`` selected, every other one not.

        Each frame is a group of the result or a part of one (filtered, sliced,
        concatenated): ``Selection.from_frame(result, result.contacts[mask])``.
        """
        sel = cls.all(result)
        return replace(sel, deselected=frozenset(sel._every().values()) -
                       frozenset(sel._own(frames)))

    # -- changes (each returns a new selection) -------------------------------------------

    def unselect(self, *items: Any) -> Selection:
        """This selection with ``items`` unticked (refs, texts, rows or frames)."""
        return replace(self, deselected=self.deselected | frozenset(self._own(items)))

    def select(self, *items: Any) -> Selection:
        """This selection with ``items`` ticked (refs, texts, rows or frames)."""
        return replace(self, deselected=self.deselected - frozenset(self._own(items)))

    def select_mask(self, group: Any, mask: Any) -> Selection:
        """The items of ``group`` selected where ``mask`` is true, unselected where not.

        ``mask`` is a boolean Series made from the group's frame (``result.contacts
        ["channel"] == "sms"``), or any sequence of booleans of the group's length,
        in the frame's order; a missing value (``pd.NA``) is false. A filtered frame
        does not line up with its group: pass it to :meth:`select` instead.
        """
        refs = self._group(group)
        flags = list(mask)
        index = getattr(mask, "index", None)
        if len(flags) != len(refs) or (index is not None and
                                       list(index) != list(range(len(refs)))):
            raise UsageError(f"the mask does not line up with the {len(refs)} rows of group "
                             f"{self._group_name(group)!r} (make it from the group's frame, "
                             "or pass a filtered frame to select/unselect).")
        on = {r for r, f in zip(refs, flags, strict=True) if plain(f) is not None and bool(f)}
        return replace(self, deselected=(self.deselected - on) | (frozenset(refs) - on))

    def unselect_group(self, group: Any) -> Selection:
        return self.unselect(*self._group(group))

    def select_group(self, group: Any) -> Selection:
        return self.select(*self._group(group))

    def excluding(self, refs: Iterable[Any] = (), groups: Iterable[Any] = ()) -> Selection:
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
        return sel.unselect(*refs)

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

    def __repr__(self) -> str:
        counts = ", ".join(f"{g} {n}/{m}" for g, (n, m) in self.counts().items())
        return f"Selection({len(self)} of {len(self._every())} items selected: {counts})"

    def _group_name(self, group: Any) -> str:
        name = _name(group)
        if name not in self.groups:
            import difflib

            close = difflib.get_close_matches(name, list(self.groups), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{name[:40]!r} is not a result group{hint}; groups are: "
                             f"{', '.join(self.groups)}.")
        return name

    def _group(self, group: Any) -> tuple[RowRef, ...]:
        return self.groups[self._group_name(group)]

    def _every(self) -> dict[tuple[str, str, str], RowRef]:
        """Every item, by database, table and the text of its key."""
        return {(r.database, r.table, str(r.key)): r
                for found in self.groups.values() for r in found}

    def _own(self, items: Iterable[Any]) -> list[RowRef]:
        """The selection's own references of ``items`` (refs, texts, rows, frames, lists).

        Raises
        ------
        NotFound
            An item is not one of the selection's.
        """
        every = self._every()
        out = []
        for ref in _refs(items):
            own = every.get((ref.database, ref.table, str(ref.key)))
            if own is None:
                raise NotFound(f"{ref.database}.{ref.table}#{str(ref.key)[:40]} is not an "
                               "item of the search result.")
            out.append(own)
        return out


def _refs(items: Iterable[Any]) -> Iterator[RowRef]:
    """References of refs, their texts, rows, frames, and lists of these."""
    for item in items:
        if isinstance(item, RowRef):
            yield item
        elif isinstance(item, str):
            yield RowRef.parse(item)
        elif hasattr(item, "columns") and hasattr(item, "itertuples"):  # a DataFrame
            yield from RowRef.from_frame(item)
        elif isinstance(item, Mapping) or hasattr(item, "_asdict") or (
                hasattr(item, "to_dict") and hasattr(item, "dtype")):
            yield RowRef.from_record(item)  # a dict, an itertuples() row, a Series
        elif isinstance(item, Iterable):
            yield from _refs(item)
        else:
            raise UsageError(f"a value of type {type(item).__name__} is not a row reference, "
                             "row or frame of a search result.")


def _name(group: Any) -> str:
    return str(getattr(group, "value", group))
