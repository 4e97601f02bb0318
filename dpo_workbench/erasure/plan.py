"""Erasure plans: what erasing the selected items will do, computed without changing anything.

A plan expands each selected item into every row that holds it, as the datamap
declares: the item's row, its copies in other (monitoring) databases, their child
rows, and the files those rows refer to. It counts them per database, table and
action, and says so in words. Its *token* is a fingerprint of exactly these rows
and actions: executing requires it, so a DPO confirms the plan they read, and a
plan that changed in between (new rows, other selection) is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, select

from ..batches import chunks
from ..datamap import ChildSpec, EraseSpec, FileSpec, TableSpec
from ..installation import Installation
from ..selection import RowRef
from .strategies import STRATEGIES, RowAction


@dataclass(frozen=True)
class Target:
    """Rows of one table that erasure changes in one way."""

    database: str
    table: str
    label: str  # the datamap's name for it: table id, or "<table id>.<child name>"
    key_column: str
    keys: tuple[Any, ...]
    action: RowAction
    columns: Mapping[str, str] = field(default_factory=dict)  # column -> strategy (anonymize)
    is_child: bool = False

    @property
    def rows(self) -> int:
        return len(self.keys)

    @property
    def location(self) -> str:
        return f"{self.database}.{self.table}"

    def words(self) -> str:
        n = self.rows
        what = f"{n} row{'s' if n != 1 else ''}"
        if self.action is RowAction.DELETE:
            return f"delete {what}"
        by_strategy: dict[str, list[str]] = {}
        for column, name in self.columns.items():
            by_strategy.setdefault(name, []).append(column)
        how = "; ".join(f"{', '.join(cols)} {STRATEGIES[name].description}"
                        for name, cols in by_strategy.items())
        return f"anonymize {what}: {how}"


@dataclass(frozen=True)
class FileTarget:
    """A file that erasure deletes once its row's change is committed."""

    database: str
    table: str
    key: Any
    column: str
    store: str
    relative_path: str
    kind: str


@dataclass(frozen=True)
class ErasurePlan:
    """Everything an erasure will change, database by database (a dry run).

    Examples
    --------
    >>> plan = plan_erasure(inst, Selection.all(result).selected())
    >>> print(plan.describe())
    Erase 15 selected item(s): 53 row(s) in 4 database(s), 8 file(s).
    operative:
      - transcript_messages: delete 9 rows
      - contact_notes: anonymize 1 row: note_text replaced with {Anonymized by DPO}
    ...
    monitoring1:
      - contact_events: anonymize 7 rows: remote_number, remote_address, ...
    directory:
    ...

    The token fingerprints these rows and actions: planning the same selection
    again gives the same token, another selection another token.

    >>> plan.token == plan_erasure(inst, Selection.all(result).selected()).token
    True
    >>> plan.token == plan_erasure(inst, result.refs("contacts")).token
    False
    """

    items: tuple[RowRef, ...]
    targets: tuple[Target, ...]
    files: tuple[FileTarget, ...]

    @property
    def databases(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.database for t in self.targets))

    def targets_in(self, database: str) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.database == database)

    def files_in(self, database: str) -> tuple[FileTarget, ...]:
        return tuple(f for f in self.files if f.database == database)

    @property
    def token(self) -> str:
        """A fingerprint of the plan's rows and actions, to type when confirming."""
        return token_of(self.to_json())

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """Rows per database, table and action (``anonymize``/``delete``) and files."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for t in self.targets:
            by_action = out.setdefault(t.database, {}).setdefault(t.table, {})
            by_action[t.action.value] = by_action.get(t.action.value, 0) + t.rows
        for f in self.files:
            by_action = out.setdefault(f.database, {}).setdefault(f.table, {})
            by_action["files"] = by_action.get("files", 0) + 1
        return out

    def tables(self) -> dict[str, int]:
        """Rows changed per ``database.table`` (for the audit log)."""
        out: dict[str, int] = {}
        for t in self.targets:
            out[t.location] = out.get(t.location, 0) + t.rows
        return out

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.targets)

    def describe(self) -> str:
        """The plan in words, database by database."""
        if not self.targets:
            return "Nothing to erase: no item is selected."
        lines = [f"Erase {len(self.items)} selected item(s): {self.total_rows} row(s) in "
                 f"{len(self.databases)} database(s), {len(self.files)} file(s)."]
        for db in self.databases:
            files = self.files_in(db)
            lines.append(f"{db}:")
            for t in self.targets_in(db):
                if t.rows:
                    lines.append(f"  - {t.table}: {t.words()}")
            if files:
                kinds: dict[str, int] = {}
                for f in files:
                    kinds[f.kind] = kinds.get(f.kind, 0) + 1
                lines.append("  - files: delete " + ", ".join(
                    f"{n} {k} file{'s' if n != 1 else ''}" for k, n in sorted(kinds.items())))
        return "\n".join(lines)

    # -- persistence (the journal keeps the plan, so a resumed run needs no search) -------

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [[r.database, r.table, r.key] for r in self.items],
            "targets": [{"database": t.database, "table": t.table, "label": t.label,
                         "key_column": t.key_column, "keys": list(t.keys),
                         "action": t.action.value, "columns": dict(t.columns),
                         "is_child": t.is_child} for t in self.targets],
            "files": [{"database": f.database, "table": f.table, "key": f.key,
                       "column": f.column, "store": f.store, "path": f.relative_path,
                       "kind": f.kind} for f in self.files],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErasurePlan:
        return cls(
            items=tuple(RowRef(d, t, k) for d, t, k in data["items"]),
            targets=tuple(Target(database=t["database"], table=t["table"], label=t["label"],
                                 key_column=t["key_column"], keys=tuple(t["keys"]),
                                 action=RowAction(t["action"]), columns=t["columns"],
                                 is_child=t["is_child"]) for t in data["targets"]),
            files=tuple(FileTarget(database=f["database"], table=f["table"], key=f["key"],
                                   column=f["column"], store=f["store"],
                                   relative_path=f["path"], kind=f["kind"])
                        for f in data["files"]),
        )


def token_of(plan_json: Mapping[str, Any]) -> str:
    """A short, typeable fingerprint (12 characters in three groups) of a plan."""
    canonical = json.dumps(plan_json, sort_keys=True, default=str).encode("utf-8")
    digest = hashlib.sha256(canonical).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to type
    n = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(12):
        n, r = divmod(n, len(alphabet))
        chars.append(alphabet[r])
    s = "".join(chars)
    return f"{s[:4]}-{s[4:8]}-{s[8:]}"


# --------------------------------------------------------------------------------------
# Building a plan


def _fetch(conn: Connection, table: Table, where_column: str, values: Sequence[Any],
           columns: Sequence[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cols = [table.c[c] for c in dict.fromkeys(columns)]
    for chunk in chunks(list(values)):
        stmt = select(*cols).where(table.c[where_column].in_(list(chunk)))
        out += [dict(r) for r in conn.execute(stmt).mappings()]
    return out


def _file_targets(database: str, table: str, key_column: str, rows: Iterable[Mapping[str, Any]],
                  specs: Sequence[FileSpec], erase: EraseSpec) -> list[FileTarget]:
    if not erase.files:
        return []
    out = []
    for r in rows:
        for f in specs:
            if r.get(f.column):
                out.append(FileTarget(database, table, r[key_column], f.column, f.store,
                                      str(r[f.column]), f.kind))
    return out


def _row_target(spec: TableSpec | ChildSpec, label: str, keys: Sequence[Any],
                is_child: bool) -> Target:
    return Target(database=spec.database, table=spec.table, label=label, key_column=spec.key,
                  keys=tuple(sorted(keys, key=_sort_key)), action=spec.erase.row,
                  columns=dict(spec.erase.columns), is_child=is_child)


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def plan_erasure(inst: Installation, refs: Iterable[RowRef]) -> ErasurePlan:
    """Expand the selected items into every row and file erasure changes.

    Parameters
    ----------
    inst : Installation
        The opened installation.
    refs : iterable of RowRef
        The selected items (``Selection.selected()``).
    """
    items = tuple(dict.fromkeys(refs))
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
            t, f = _plan_table(inst, spec, keys)
            targets += t
            files += f
    # Children first within a database: their rows refer to the parent's.
    databases = inst.datamap.databases
    targets.sort(key=lambda t: (databases.index(t.database) if t.database in databases else 99,
                                not t.is_child))
    return ErasurePlan(items=items, targets=tuple(targets), files=tuple(files))


def _plan_table(inst: Installation, spec: TableSpec, keys: Sequence[Any],
                ) -> tuple[list[Target], list[FileTarget]]:
    table = inst.table(spec.database, spec.table)
    targets: list[Target] = []
    files: list[FileTarget] = []
    with inst.connect(spec.database) as conn:
        rows = _fetch(conn, table, spec.key, keys,
                      [spec.key, *[f.column for f in spec.files]])
        present = [r[spec.key] for r in rows]
        files += _file_targets(spec.database, spec.table, spec.key, rows, spec.files, spec.erase)
        for ch in spec.children:
            ctable = inst.table(ch.database, ch.table)
            crows = _fetch(conn, ctable, ch.parent, present,
                           [ch.key, *[f.column for f in ch.files]]) if present else []
            if crows:
                targets.append(_row_target(ch, f"{spec.id}.{ch.name}",
                                           [r[ch.key] for r in crows], is_child=True))
            files += _file_targets(ch.database, ch.table, ch.key, crows, ch.files, ch.erase)
    if present:
        targets.append(_row_target(spec, spec.id, present, is_child=False))
    return targets, files
