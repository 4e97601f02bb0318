"""What the dashboard calls tables, columns and rows: the datamap's labels.

A DPO reads "Contact", "Phone number" and "Contact (monitoring copy)", not
``operative.contact_events#10386``, ``remote_number`` or
``monitoring1.contact_events``. :class:`Labels` gives those words for every name the
dashboard shows; the technical names stay available behind the results' "Technical
details" toggle. A name the datamap does not declare is made readable
(``photo_file`` -> ``Photo file``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..datamap import Datamap, Group
from ..datamap.model import ChildSpec, Labelled, TableSpec, humanize
from ..selection import RowRef

#: The result frames' own columns, as the results show them.
OWN_COLUMNS = {"_matched": "Matched by", "_copies": "Copies in", "_item": "Technical name"}


class Labels:
    """The datamap's labels for tables, child tables, lookups and columns.

    Examples
    --------
    >>> labels = Labels(wb.installation.datamap)
    >>> labels.table("operative", "contact_events"), labels.table("monitoring1", "contact_events")
    ('Contact', 'Contact (monitoring copy)')
    >>> labels.group_column(Group.CONTACTS, "remote_number")
    'Phone number'
    """

    def __init__(self, datamap: Datamap):
        self.datamap = datamap
        self._by_location: dict[tuple[str, str], Labelled] = {}
        self._targets: dict[str, Labelled] = {}
        for spec in datamap.tables:
            self._by_location.setdefault((spec.database, spec.table), spec)
            self._targets[spec.id] = spec
            for child in spec.children:
                self._by_location.setdefault((child.database, child.table), child)
                self._targets[f"{spec.id}.{child.name}"] = child

    # -- tables -------------------------------------------------------------------------

    def spec(self, database: str, table: str) -> Labelled | None:
        """The datamap's table or child table at ``database.table`` (None if unknown)."""
        return self._by_location.get((database, table))

    def table(self, database: str, table: str) -> str:
        """The label of a table or child table (its technical name if unknown)."""
        spec = self.spec(database, table)
        return _title(spec) if spec is not None else f"{database}.{table}"

    def target(self, label: str) -> str:
        """The label of an erasure plan's target (``table id`` or ``table id.child``)."""
        spec = self._targets.get(label)
        return _title(spec) if spec is not None else humanize(label)

    def ref(self, ref: RowRef) -> str:
        """An item as a DPO names it: its table's label."""
        return self.table(ref.database, ref.table)

    # -- columns ------------------------------------------------------------------------

    def column(self, database: str, table: str, column: str) -> str:
        """The label of a column of a table or child table."""
        spec = self.spec(database, table)
        return spec.column_label(column) if spec is not None else humanize(column)

    def group_column(self, group: Group | str, column: str) -> str:
        """The label of a column of a result group (the first table declaring it)."""
        if column in OWN_COLUMNS:
            return OWN_COLUMNS[column]
        specs = self.datamap.in_group(Group(group))
        for spec in specs:
            if column in spec.labels:
                return spec.labels[column]
        return humanize(column)

    def columns(self, spec: Labelled, names: Iterable[str]) -> dict[str, str]:
        """Column name -> label of ``names`` in one table."""
        return {n: spec.column_label(n) for n in names}

    def lookup(self, table: TableSpec, name: str) -> Labelled | None:
        for lk in table.lookups:
            if lk.name == name:
                return lk
        return None

    def child(self, table: TableSpec, name: str) -> ChildSpec | None:
        for ch in table.children:
            if ch.name == name:
                return ch
        return None

    # -- texts that name columns --------------------------------------------------------

    def reason(self, record: Mapping[str, Any]) -> str:
        """A row's match reason with its column names replaced by their labels."""
        text = str(record.get("_matched") or "")
        database, table = record.get("_database"), record.get("_table")
        columns = {c for part in str(record.get("_match_column") or "").split(";")
                   for c in part.split(",") if c}
        for column in sorted(columns, key=len, reverse=True):
            label = self.column(str(database), str(table), column)
            text = re.sub(rf"(?<![\w.]){re.escape(column)}(?![\w.])", label, text)
        return text

    def copies(self, copies: Any) -> str:
        """The places holding copies of an item, by their labels."""
        refs = [RowRef.parse(c) if isinstance(c, str) else c for c in _listed(copies)]
        return ", ".join(dict.fromkeys(self.ref(r) for r in refs))


def _title(spec: Labelled) -> str:
    return str(getattr(spec, "title", "") or spec.label)


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    try:
        return list(value)
    except TypeError:
        return []
