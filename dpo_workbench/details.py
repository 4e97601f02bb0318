"""Everything the installation holds about found items, read on demand and in batches.

:func:`gather_details` gives the :class:`Details` of many items at once
(:meth:`Workbench.details <dpo_workbench.workbench.Workbench.details>` is its
one-item case): each table is read with one ``SELECT ... WHERE key IN (...)`` per
chunk of :data:`~dpo_workbench.batches.CHUNK` keys: the items, their child rows
(by parent key), their lookups and their copies in other databases, so a report
of a thousand items runs a few dozen statements, not thousands.

Rows that no longer exist (deleted since the search) are skipped and listed in
:attr:`Gathered.missing`, so a report can say which items vanished.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, select

from .batches import chunks, existing_keys
from .datamap import ChildSpec, Lookup, TableSpec
from .display import details_html, details_repr
from .errors import NotFound
from .files import FileInfo, file_infos
from .installation import Installation
from .progress import Progress
from .selection import RowRef

if TYPE_CHECKING:
    import pandas as pd

HIDDEN_PREFIX = "dpo_"  # the workbench's own MariaDB key columns


@dataclass(frozen=True)
class Details:
    """All fields of an item, its lookups, child rows, files and copies."""

    ref: RowRef
    table_id: str
    group_title: str
    fields: Mapping[str, Any]
    lookups: Mapping[str, Mapping[str, Any]]
    children: Mapping[str, pd.DataFrame]
    files: tuple[FileInfo, ...]
    copies: tuple[RowRef, ...] = field(default_factory=tuple)
    #: The item's datamap table (its labels); None for details made by hand.
    spec: TableSpec | None = field(default=None, compare=False, repr=False)

    def as_text(self) -> str:
        """A plain-text rendering (used by the command line), in the datamap's labels.

        Each table, lookup, child table and column is named by its label with the
        technical name beside it: ``Phone number (remote_number): +358 ...``.
        """
        from .report.labels import ReportLabels, with_name

        labels = ReportLabels({self.spec.id: self.spec} if self.spec else {})
        tid = self.table_id
        lines = [f"{self.group_title}: {labels.table(tid)} {self.ref}"]
        lines += [f"  {with_name(labels.column(tid, k), k)}: {v}" for k, v in self.fields.items()]
        for name, values in self.lookups.items():
            lines.append(f"  {with_name(labels.lookup(tid, name), name)}: " + ", ".join(
                f"{with_name(labels.lookup_column(tid, name, k), k)}={v}"
                for k, v in values.items()))
        for name in self.children:
            rows = self.children.rows(name) if isinstance(self.children, ChildFrames) \
                else self.children[name].to_dict("records")
            lines.append(f"  {with_name(labels.child(tid, name), name)}: {len(rows)} row(s)")
        for f in self.files:
            state = "" if f.exists else f" ({f.problem or 'missing'})"
            lines.append(f"  file {f.kind}: {f.name} {f.size or 0} bytes{state}")
        if self.copies:
            lines.append("  copies: " + ", ".join(str(c) for c in self.copies))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return details_repr(self)

    def _repr_html_(self) -> str:
        return details_html(self)


def visible(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row without the workbench's own key columns."""
    return {k: v for k, v in row.items() if not k.startswith(HIDDEN_PREFIX)}


def child_frame(spec: ChildSpec, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """An item's child rows as a DataFrame (pandas is loaded when a frame is asked for)."""
    import pandas as pd

    cols = list(dict.fromkeys([spec.key, *spec.show]))
    return pd.DataFrame.from_records([{c: r.get(c) for c in cols} for r in rows], columns=cols)


class Gathered(list[Details]):
    """The details found, in the order asked for, and the items that vanished.

    A plain list of :class:`~dpo_workbench.details.Details` (so ``gathered[0]`` and
    ``len(gathered)`` work) with one attribute more: ``missing``, the references
    whose rows no longer exist, in the order asked for.
    """

    def __init__(self, details: Iterable[Details] = (), missing: Iterable[RowRef] = ()):
        super().__init__(details)
        self.missing: list[RowRef] = list(missing)


class ChildFrames(Mapping[str, Any]):
    """An item's child rows per child table, each a DataFrame built on first access.

    Building a DataFrame costs about a millisecond, several per item, while a report
    needs only the rows: :meth:`rows` gives them without pandas. The frames are
    those :meth:`Workbench.details` gives (built by the same
    :func:`~dpo_workbench.details.child_frame`), each built once.
    """

    def __init__(self, specs: Sequence[ChildSpec], rows: Mapping[str, list[dict[str, Any]]]):
        self._specs = {s.name: s for s in specs}
        self._rows = {s.name: list(rows.get(s.name, ())) for s in specs}
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        frame = self._frames.get(name)
        if frame is None:
            frame = self._frames[name] = child_frame(self._specs[name], self._rows[name])
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def rows(self, name: str) -> list[dict[str, Any]]:
        """The rows of child table ``name``: the frame's columns, plain Python values."""
        spec = self._specs[name]
        columns = list(dict.fromkeys([spec.key, *spec.show]))
        return [{c: r.get(c) for c in columns} for r in self._rows[name]]

    def __repr__(self) -> str:
        return f"ChildFrames({ {n: len(r) for n, r in self._rows.items()} })"


@dataclass
class _Batch:
    """The items of one table, read together."""

    spec: TableSpec
    keys: list[Any]


def gather_details(inst: Installation, refs: Sequence[RowRef], *,
                   progress: Progress | None = None) -> Gathered:
    """Read the details of many items with a few batched statements per table.

    Parameters
    ----------
    inst : Installation
        The opened installation.
    refs : sequence of RowRef
        The items (rows of datamap tables), for example ``selection.selected()``.
    progress : callable, optional
        Called as ``progress(message, done, total)`` after each table's items are read.

    Returns
    -------
    Gathered
        A list holding, for every ref whose row still exists and in the order of
        ``refs``, the same :class:`~dpo_workbench.details.Details` that
        ``wb.details(ref)`` returns; ``.missing`` lists the refs whose rows are gone.

    Raises
    ------
    NotFound
        A ref names a table that is not in the datamap (nothing was read).
    DatabaseError
        A database could not be read.

    Examples
    --------
    >>> refs = wb.search(phone="+358 40 123 4567").refs()
    >>> found = gather_details(wb.installation, refs)
    >>> len(refs), len(found), found.missing
    (15, 15, [])
    >>> found[0].ref == refs[0]
    True
    """
    batches = _batches(inst, refs)
    details: dict[tuple[str, str, Any], Details] = {}
    for done, batch in enumerate(batches.values(), start=1):
        for d in _read_batch(inst, batch):
            details[(d.ref.database, d.ref.table, d.ref.key)] = d
        if progress:
            progress(f"read {batch.spec.location}", done, len(batches))
    out = Gathered()
    for ref in refs:
        d = details.get((ref.database, ref.table, ref.key))
        if d is None:
            out.missing.append(ref)
        else:
            out.append(d)
    return out


def details_of(inst: Installation, ref: RowRef) -> Details:
    """All fields, lookups, child rows, files and copies of one found item.

    Raises
    ------
    NotFound
        The table is not in the datamap, or the row no longer exists.
    """
    found = gather_details(inst, [inst.typed_ref(ref)])
    if not found:
        raise NotFound(f"{ref.database}.{ref.table} has no row with that key any more "
                       "(search again).")
    return found[0]


def _batches(inst: Installation, refs: Sequence[RowRef]) -> dict[str, _Batch]:
    """Group the refs by table (first appearance order), checking every table first."""
    out: dict[str, _Batch] = {}
    for ref in refs:
        try:
            spec = inst.datamap.by_location(ref.database, ref.table)
        except KeyError:
            raise NotFound(f"{ref.database}.{ref.table} is not a table of the datamap.") from None
        batch = out.setdefault(spec.id, _Batch(spec, []))
        batch.keys.append(ref.key)
    for batch in out.values():
        batch.keys = list(dict.fromkeys(batch.keys))
    return out


def _rows_by_key(conn: Connection, table: Table, key: str, keys: Sequence[Any],
                 ) -> dict[Any, dict[str, Any]]:
    """Whole rows of ``table`` whose ``key`` is in ``keys``, by key (hidden columns removed)."""
    out: dict[Any, dict[str, Any]] = {}
    for chunk in chunks(keys):
        for r in conn.execute(select(table).where(table.c[key].in_(chunk))).mappings():
            out[r[key]] = visible(r)
    return out


def _children_by_parent(conn: Connection, table: Table, spec: ChildSpec,
                        parents: Sequence[Any]) -> dict[Any, list[dict[str, Any]]]:
    """Child rows per parent key, each parent's rows in the order details.read_children uses."""
    # The child key breaks ties of order_by, which one-parent reads leave to the
    # engine; with a unique key the order is the same on every engine.
    order = [table.c[c] for c in spec.order_by] + [table.c[spec.key]]
    out: dict[Any, list[dict[str, Any]]] = {}
    for chunk in chunks(parents):
        stmt = select(table).where(table.c[spec.parent].in_(chunk)).order_by(*order)
        for r in conn.execute(stmt).mappings():
            out.setdefault(r[spec.parent], []).append(visible(r))
    return out


def _lookup_rows(conn: Connection, table: Table, lk: Lookup, values: Sequence[Any],
                 ) -> dict[Any, dict[str, Any]]:
    """The shown columns of the looked-up rows, by key value."""
    # The key travels under a label of its own so a lookup that also shows its
    # key column keeps the same mapping as details.lookup_values.
    key_label = "__dpo_lookup_key"
    cols = [table.c[c] for c in lk.show]
    out: dict[Any, dict[str, Any]] = {}
    for chunk in chunks(values):
        stmt = select(table.c[lk.key].label(key_label), *cols).where(table.c[lk.key].in_(chunk))
        for r in conn.execute(stmt).mappings():
            out.setdefault(r[key_label], {c: r[c] for c in lk.show})
    return out


def _read_batch(inst: Installation, batch: _Batch) -> list[Details]:
    spec = batch.spec
    stores = inst.stores
    table = inst.table(spec.database, spec.table)
    with inst.connect(spec.database) as conn:
        rows = _rows_by_key(conn, table, spec.key, batch.keys)
        found = [k for k in batch.keys if k in rows]
        children = {ch.name: _children_by_parent(conn, inst.table(ch.database, ch.table), ch,
                                                 found)
                    for ch in spec.children}
    lookups = _lookups(inst, spec, [rows[k] for k in found])
    copies = _copies(inst, spec, found)
    out = []
    for key in found:
        ref = RowRef(spec.database, spec.table, key)
        row = rows[key]
        files: list[FileInfo] = file_infos(ref, row, spec.files, stores)
        item_children = {ch.name: children[ch.name].get(key, []) for ch in spec.children}
        for ch in spec.children:
            for r in item_children[ch.name]:
                files += file_infos(RowRef(ch.database, ch.table, r[ch.key]), r, ch.files, stores)
        item_lookups = {}
        for lk in spec.lookups:
            value = row.get(lk.column)
            if value is not None:
                item_lookups[lk.name] = dict(lookups.get(lk.name, {}).get(value, {}))
        out.append(Details(ref=ref, table_id=spec.id, group_title=spec.group.title, fields=row,
                           lookups=item_lookups,
                           children=ChildFrames(spec.children, item_children), files=tuple(files),
                           copies=tuple(RowRef(o.database, o.table, key)
                                        for o, keys in copies if key in keys), spec=spec))
    return out


def _lookups(inst: Installation, spec: TableSpec, rows: Sequence[dict[str, Any]],
             ) -> dict[str, dict[Any, dict[str, Any]]]:
    """Per lookup name: the looked-up rows of every value the items refer to."""
    out: dict[str, dict[Any, dict[str, Any]]] = {}
    for lk in spec.lookups:
        if not inst.is_open(lk.database):
            continue
        values = list(dict.fromkeys(r[lk.column] for r in rows if r.get(lk.column) is not None))
        if not values:
            out[lk.name] = {}
            continue
        with inst.connect(lk.database) as conn:
            out[lk.name] = _lookup_rows(conn, inst.table(lk.database, lk.table), lk, values)
    return out


def _copies(inst: Installation, spec: TableSpec, keys: Sequence[Any],
            ) -> list[tuple[TableSpec, set[Any]]]:
    """The other tables holding the items (original and copies), with the keys each holds."""
    original = spec.copy_of or spec.id
    out = []
    for other in [inst.datamap.table(original), *inst.datamap.copies_of(original)]:
        if other.id == spec.id or not inst.is_open(other.database):
            continue
        if not keys:
            out.append((other, set()))
            continue
        with inst.connect(other.database) as conn:
            held = existing_keys(conn, inst.table(other.database, other.table), other.key, keys)
        out.append((other, held))
    return out


def child_records(d: Details, name: str) -> list[dict[str, Any]]:
    """The rows of one child table of an item as dicts (column -> value), in frame order.

    Parameters
    ----------
    d : Details
        An item of a report.
    name : str
        One of the item's child tables (a key of ``d.children``).

    Returns
    -------
    list of dict
        One dict per child row; values as the database gave them.

    Examples
    --------
    >>> rows = child_records(report.groups["contacts"][0], "call_data")
    >>> rows[0]
    {'id': ..., 'data_key': 'customer_number', 'data_value': 'C-900001'}
    >>> [r["data_key"] for r in rows]
    ['customer_number', 'callback_number', 'order_id']
    >>> child_records(report.groups["contacts"][0], "attachments")
    []
    """
    if isinstance(d.children, ChildFrames):
        return d.children.rows(name)  # gathered: the rows, without building a DataFrame
    frame = d.children[name]
    if frame.empty:  # most are; DataFrame.to_dict costs ~1 ms even then
        return []
    columns = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
