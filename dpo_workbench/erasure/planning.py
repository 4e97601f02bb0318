"""Building an erasure plan from the live databases (nothing is changed).

:func:`plan_erasure` expands the selected items into their rows, copies, child
rows and files, with each top-level row's fingerprint. Execution calls it again
to see whether the world is still the one the DPO confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from ..batches import chunks
from ..criteria import Criteria
from ..datamap import ChildSpec, EraseSpec, FileSpec, TableSpec
from ..errors import DatabaseError
from ..installation import Installation
from ..selection import RowRef
from .plan import (
    ErasurePlan,
    FileTarget,
    Target,
    files_sorted,
    fingerprint_key,
    row_fingerprint,
    sort_key,
)


def fingerprint_columns(spec: TableSpec) -> tuple[str, ...]:
    """The columns whose values identify the person in a row of ``spec``."""
    return tuple(sorted(dict.fromkeys([*spec.match_columns, *spec.identifying,
                                       *spec.erase.columns, *(f.column for f in spec.files)])))


def plan_erasure(inst: Installation, refs: Iterable[RowRef], *, audit_key: bytes,
                 excluded: Iterable[RowRef] = (), criteria: Criteria | None = None,
                 ) -> ErasurePlan:
    """Expand the selected items into every row and file erasure changes.

    Parameters
    ----------
    inst : Installation
        The opened installation.
    refs : iterable of RowRef
        The selected items (``Selection.selected()``).
    audit_key : bytes
        The installation's audit key: the rows' fingerprints are keyed with it.
    excluded : iterable of RowRef
        Found items the DPO left out (kept with the plan for re-planning).
    criteria : Criteria, optional
        The search's criteria (kept in memory with the plan, never stored).
    """
    items = tuple(dict.fromkeys(inst.typed_ref(r) for r in refs))
    key = fingerprint_key(audit_key)
    # Keys per original table id: an item found in a copy stands for its original too.
    keys_by_original: dict[str, list[Any]] = {}
    for ref in items:
        spec = inst.spec_of(ref)
        keys_by_original.setdefault(spec.copy_of or spec.id, []).append(ref.key)

    targets: list[Target] = []
    files: list[FileTarget] = []
    for original_id, keys in keys_by_original.items():
        original = inst.datamap.table(original_id)
        for spec in (original, *inst.datamap.copies_of(original_id)):
            if not inst.is_open(spec.database):
                raise DatabaseError(f"Database '{spec.database}' holds copies of the items but "
                                    "was not opened: an erasure is planned with every database "
                                    "of the installation.")
            t, f = _plan_table(inst, spec, keys, key)
            targets += t
            files += f
    # Children first within a database: their rows refer to the parent's.
    databases = inst.datamap.databases
    targets.sort(key=lambda t: (databases.index(t.database) if t.database in databases else 99,
                                not t.is_child))
    undated: tuple[str, ...] = ()
    if criteria is not None and (criteria.start or criteria.end):
        undated = tuple(dict.fromkeys(inst.spec_of(r).location for r in items
                                      if not inst.spec_of(r).time))
    return ErasurePlan(items=items, targets=tuple(targets), files=files_sorted(files),
                       excluded=tuple(dict.fromkeys(excluded)), criteria=criteria,
                       undated=undated)


def _fetch(conn: Connection, table: Table, where_column: str, values: Sequence[Any],
           columns: Sequence[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cols = [table.c[c] for c in dict.fromkeys(columns)]
    for chunk in chunks(list(values)):
        stmt = select(*cols).where(table.c[where_column].in_(list(chunk)))
        out += [dict(r) for r in conn.execute(stmt).mappings()]
    return out


def _file_targets(database: str, table: str, key_column: str, rows: Iterable[Mapping[str, Any]],
                  specs: Sequence[FileSpec], erase: EraseSpec, item: str,
                  item_key: str) -> list[FileTarget]:
    """The files the rows name; ``item_key`` is the column holding the item's key."""
    if not erase.files:
        return []
    return [FileTarget(database, table, r[key_column], f.column, f.store, str(r[f.column]),
                       f.kind, item=item, item_key=r[item_key])
            for r in rows for f in specs if r.get(f.column)]


def _plan_table(inst: Installation, spec: TableSpec, keys: Sequence[Any], key: bytes,
                ) -> tuple[list[Target], list[FileTarget]]:
    table = inst.table(spec.database, spec.table)
    columns = fingerprint_columns(spec)
    targets: list[Target] = []
    files: list[FileTarget] = []
    with inst.connect(spec.database) as conn:
        rows = sorted(_fetch(conn, table, spec.key, keys, [spec.key, *columns]),
                      key=lambda r: sort_key(r[spec.key]))
        present = [r[spec.key] for r in rows]
        files += _file_targets(spec.database, spec.table, spec.key, rows, spec.files, spec.erase,
                               spec.id, spec.key)
        for ch in spec.children:
            crows = _fetch(conn, inst.table(ch.database, ch.table), ch.parent, present,
                           [ch.key, ch.parent, *[f.column for f in ch.files]]) if present else []
            targets.append(_child_target(spec, ch, [r[ch.key] for r in crows]))
            files += _file_targets(ch.database, ch.table, ch.key, crows, ch.files, ch.erase,
                                   spec.id, ch.parent)
    if present:
        targets.append(Target(
            database=spec.database, table=spec.table, label=spec.id, key_column=spec.key,
            keys=tuple(present), action=spec.erase.row, columns=dict(spec.erase.columns),
            fingerprints=tuple(row_fingerprint(key, r, columns) for r in rows),
            fingerprint_columns=columns, title=spec.title,
            column_titles={c: spec.column_label(c) for c in spec.erase.columns}))
    # Child targets stay even with no planned rows: a child row added before execution
    # still goes with its parent.
    return targets, files


def _child_target(parent: TableSpec, ch: ChildSpec, keys: Sequence[Any]) -> Target:
    return Target(database=ch.database, table=ch.table, label=f"{parent.id}.{ch.name}",
                  key_column=ch.key, keys=tuple(sorted(keys, key=sort_key)),
                  action=ch.erase.row, columns=dict(ch.erase.columns), is_child=True,
                  parent=parent.id, parent_column=ch.parent, title=ch.title,
                  column_titles={c: ch.column_label(c) for c in ch.erase.columns})
