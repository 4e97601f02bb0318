"""Erasure plans: what erasing the selected items will do, computed without changing anything.

A plan expands each selected item into every row that holds it, as the datamap
declares: the item's row, its copies in other (monitoring) databases, their child
rows, and the files those rows refer to. It counts them per database, table and
action, and says so in words.

Each planned row carries a *fingerprint*: a keyed hash (with the installation's
audit key) of the values that identify the person in it. Execution acts only on
rows whose fingerprint is still the planned one, so a key that another person's
row has taken since (SQLite reuses freed ids) is never touched, and child rows go
with their parent's key, so nothing added to a planned parent survives it.

The plan's *token* is a fingerprint of exactly these rows, fingerprints and files:
executing requires it, and execution first plans again from the live databases,
so a plan that no longer describes the data is refused with the new one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..criteria import Criteria
from ..display import plan_html, plan_repr
from ..frameforms import plan_frame
from ..report.labels import with_name
from ..selection import RowRef
from .strategies import STRATEGIES, RowAction

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Target:
    """Rows of one table that erasure changes in one way.

    A top-level target (an item's table or a copy of it) names its rows by key,
    each with its fingerprint; a child target names the planned child rows for
    counting, but execution changes every child row of the parents it acts on
    (``parent_column`` holds the parent's key; ``parent`` is the parent's label).
    """

    database: str
    table: str
    label: str  # the datamap's name for it: table id, or "<table id>.<child name>"
    key_column: str
    keys: tuple[Any, ...]
    action: RowAction
    columns: Mapping[str, str] = field(default_factory=dict)  # column -> strategy (anonymize)
    is_child: bool = False
    fingerprints: tuple[str, ...] = ()  # one per key (top-level targets)
    fingerprint_columns: tuple[str, ...] = ()
    parent: str | None = None  # the parent target's label (children)
    parent_column: str | None = None  # the child's column holding the parent's key
    #: What a DPO reads: the datamap's label of the table ("Chat transcript") and of the
    #: columns it changes. Not part of the token: relabelling changes no row.
    title: str = field(default="", compare=False)
    column_titles: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def rows(self) -> int:
        return len(self.keys)

    @property
    def location(self) -> str:
        return f"{self.database}.{self.table}"

    def planned(self) -> dict[Any, str]:
        """Key -> fingerprint of the planned rows (top-level targets)."""
        return dict(zip(self.keys, self.fingerprints, strict=True))

    @property
    def named(self) -> str:
        """The table as a DPO reads it: ``Chat transcript (transcript_messages)``."""
        return with_name(self.title, self.table) if self.title else self.table

    def column_named(self, column: str) -> str:
        """A column this step changes, as a DPO reads it: ``Phone number (remote_number)``."""
        title = self.column_titles.get(column)
        return with_name(title, column) if title else column

    def words(self) -> str:
        """What the step does, in the datamap's words.

        >>> Target("operative", "contact_notes", "contact_events.notes", "id", (1,),
        ...        RowAction.ANONYMIZE, {"note_text": "redact"}, title="Notes",
        ...        column_titles={"note_text": "Note"}).words()
        'anonymize 1 row: Note (note_text) replaced with {Anonymized by DPO}'
        """
        n = self.rows
        what = f"{n} row{'s' if n != 1 else ''}"
        if self.action is RowAction.DELETE:
            return f"delete {what}"
        by_strategy: dict[str, list[str]] = {}
        for column, name in self.columns.items():
            by_strategy.setdefault(name, []).append(self.column_named(column))
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
    item: str = ""  # the label of the top-level target whose row (or child row) names it
    item_key: Any = None  # that row's key

    @property
    def owner(self) -> str:
        """``database.table#key column``: how a receipt names the file (never its path)."""
        return f"{self.database}.{self.table}#{self.key} {self.column}"


@dataclass(frozen=True)
class ErasurePlan:
    """Everything an erasure will change, database by database (a dry run).

    ``items`` are the selected items, ``excluded`` the found items left out
    (execution plans again: with the criteria, anything found since is included
    unless excluded). ``criteria`` stay in memory only; the journal keeps
    ``to_json()``, which holds keys, fingerprints and file paths, never values.

    Examples
    --------
    >>> plan = wb.plan_erasure(Selection.all(result))
    >>> print(plan.describe())
    Erase 15 selected item(s): 53 row(s) in 4 database(s), 8 file(s).
    Database operative:
      - Chat transcript (transcript_messages): delete 9 rows
      - Notes (contact_notes): anonymize 1 row: Note (note_text) replaced with {Anonymized by DPO}
    ...
    Database monitoring1:
      - Contact (monitoring copy) (contact_events): anonymize 7 rows: Phone number ...
    Database directory:
    ...

    The token fingerprints these rows and actions: planning the same selection
    again gives the same token, another selection another token.

    >>> plan.token == wb.plan_erasure(Selection.all(result)).token
    True
    >>> plan.token == wb.plan_erasure(result.refs("contacts")).token
    False
    """

    items: tuple[RowRef, ...]
    targets: tuple[Target, ...]
    files: tuple[FileTarget, ...]
    excluded: tuple[RowRef, ...] = ()
    criteria: Criteria | None = field(default=None, compare=False, repr=False)
    #: Tables of the plan a date span of the criteria did not restrict (no time column).
    undated: tuple[str, ...] = field(default=(), compare=False)

    @property
    def databases(self) -> tuple[str, ...]:
        """Databases with rows to change, then databases with files only."""
        dbs = dict.fromkeys(t.database for t in self.targets)
        dbs.update(dict.fromkeys(f.database for f in self.files))
        return tuple(dbs)

    def targets_in(self, database: str) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.database == database)

    def files_in(self, database: str) -> tuple[FileTarget, ...]:
        return tuple(f for f in self.files if f.database == database)

    @property
    def token(self) -> str:
        """A fingerprint of the plan's rows and actions, to type when confirming."""
        return token_of(self.to_json(titles=False))

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

    def to_frame(self) -> pd.DataFrame:
        """One row per table step (:data:`~dpo_workbench.frameforms.PLAN_COLUMNS`)."""
        return plan_frame(self)

    def __repr__(self) -> str:
        return plan_repr(self)

    def _repr_html_(self) -> str:
        return plan_html(self)

    def describe(self) -> str:
        """The plan in words, database by database."""
        if not self.targets:
            return "Nothing to erase: no item is selected."
        lines = [f"Erase {len(self.items)} selected item(s): {self.total_rows} row(s) in "
                 f"{len(dict.fromkeys(t.database for t in self.targets))} database(s), "
                 f"{len(self.files)} file(s)."]
        for db in self.databases:
            files = self.files_in(db)
            lines.append(f"Database {db}:")
            for t in self.targets_in(db):
                if t.rows:
                    lines.append(f"  - {t.named}: {t.words()}")
            if files:
                kinds: dict[str, int] = {}
                for f in files:
                    kinds[f.kind] = kinds.get(f.kind, 0) + 1
                lines.append("  - files: delete " + ", ".join(
                    f"{n} {k} file{'s' if n != 1 else ''}" for k, n in sorted(kinds.items())))
        if self.undated:
            lines.append("The date span did not restrict " + ", ".join(self.undated)
                         + " (no time column): their items were found whatever their date.")
        return "\n".join(lines)

    # -- persistence (the journal keeps the plan, so a resumed run needs no search) -------

    def to_json(self, *, titles: bool = True) -> dict[str, Any]:
        """The plan as JSON data: keys, fingerprints, actions and file paths, never values.

        With ``titles`` (default) each target keeps its labels too (the token is
        made without them).
        """
        return {
            "items": [[r.database, r.table, r.key] for r in self.items],
            "targets": [{"database": t.database, "table": t.table, "label": t.label,
                         "key_column": t.key_column, "keys": list(t.keys),
                         "action": t.action.value, "columns": dict(t.columns),
                         "is_child": t.is_child, "fingerprints": list(t.fingerprints),
                         "fingerprint_columns": list(t.fingerprint_columns),
                         "parent": t.parent, "parent_column": t.parent_column}
                        | ({"title": t.title, "column_titles": dict(t.column_titles)}
                           if titles else {})
                        for t in self.targets],
            "files": [{"database": f.database, "table": f.table, "key": f.key,
                       "column": f.column, "store": f.store, "path": f.relative_path,
                       "kind": f.kind, "item": f.item, "item_key": f.item_key}
                      for f in self.files],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErasurePlan:
        return cls(
            items=tuple(RowRef(d, t, k) for d, t, k in data["items"]),
            targets=tuple(Target(database=t["database"], table=t["table"], label=t["label"],
                                 key_column=t["key_column"], keys=tuple(t["keys"]),
                                 action=RowAction(t["action"]), columns=t["columns"],
                                 is_child=t["is_child"],
                                 fingerprints=tuple(t.get("fingerprints", ())),
                                 fingerprint_columns=tuple(t.get("fingerprint_columns", ())),
                                 parent=t.get("parent"), parent_column=t.get("parent_column"),
                                 title=t.get("title", ""),
                                 column_titles=t.get("column_titles", {}))
                          for t in data["targets"]),
            files=tuple(FileTarget(database=f["database"], table=f["table"], key=f["key"],
                                   column=f["column"], store=f["store"],
                                   relative_path=f["path"], kind=f["kind"],
                                   item=f.get("item", ""), item_key=f.get("item_key"))
                        for f in data["files"]),
        )


_SIX_DIGITS = re.compile(r"\d{6}")


def token_of(plan_json: Mapping[str, Any]) -> str:
    """A short, typeable fingerprint (12 characters in three groups) of a plan.

    A token never holds six digits in a row (its hyphens aside): the audit log,
    which records it, refuses such a number as a possible phone number. One that
    would is drawn again from the hash of its digest.

    >>> token_of({"items": []})
    'VDBT-243E-6CQ7'
    """
    canonical = json.dumps(plan_json, sort_keys=True, default=str).encode("utf-8")
    digest = hashlib.sha256(canonical).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to type
    while True:
        n = int.from_bytes(digest[:8], "big")
        chars = []
        for _ in range(12):
            n, r = divmod(n, len(alphabet))
            chars.append(alphabet[r])
        s = "".join(chars)
        if not _SIX_DIGITS.search(s):
            return f"{s[:4]}-{s[4:8]}-{s[8:]}"
        digest = hashlib.sha256(digest).digest()


def fingerprint_key(audit_key: bytes) -> bytes:
    """The key of row fingerprints, derived from the audit key (kept apart from its uses)."""
    return hmac.new(audit_key, b"dpo-workbench erasure rows v1", hashlib.sha256).digest()


def row_fingerprint(key: bytes, row: Mapping[str, Any], columns: Sequence[str]) -> str:
    """A keyed hash of a row's identifying values: equal only while they are unchanged.

    >>> k = b"k" * 32
    >>> row_fingerprint(k, {"a": 1, "b": "x"}, ["a", "b"]) == row_fingerprint(k, {"a": 1,
    ...     "b": "x"}, ["a", "b"]), len(row_fingerprint(k, {"a": None}, ["a"]))
    (True, 32)
    """
    payload = json.dumps([_plain(row.get(c)) for c in columns], default=str,
                         ensure_ascii=False).encode("utf-8")
    return hmac.new(key, payload, hashlib.sha256).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def sort_key(value: Any) -> tuple[str, Any]:
    """Orders keys of any type the same way on every engine."""
    return (type(value).__name__, value)


def files_sorted(files: Iterable[FileTarget]) -> tuple[FileTarget, ...]:
    """Files in one order whatever order the rows came in (the token depends on it)."""
    return tuple(sorted(files, key=lambda f: (f.database, f.table, sort_key(f.key), f.column,
                                              f.relative_path)))
