"""The datamap: which tables hold personal data, and how to find and erase it.

A datamap is a YAML file (``docs/datamap.md`` documents every key, with the demo
installation's datamap as the worked example). :func:`load_datamap` parses it into
frozen dataclasses and checks its own consistency; :func:`check_against_schema`
checks it against the reflected live schema. Both collect every problem and raise
one :class:`~dpo_workbench.errors.DatamapError` whose lines name the file, the
table and the column and say how to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Date, DateTime, Table

from .erasure.strategies import STRATEGIES, RowAction, is_text
from .errors import DatamapError


class Group(StrEnum):
    """The four result groups of a search."""

    CONTACTS = "contacts"
    DIRECTORY_ENTRIES = "directory_entries"
    CAMPAIGN_CUSTOMERS = "campaign_customers"
    CONSENTS = "consents"

    @property
    def title(self) -> str:
        return _TITLES[self]

    @property
    def criteria(self) -> frozenset[str]:
        """The criteria that find rows of this group (the product's rules)."""
        return _GROUP_CRITERIA[self]


_TITLES = {
    Group.CONTACTS: "Contacts",
    Group.DIRECTORY_ENTRIES: "Directory Entries",
    Group.CAMPAIGN_CUSTOMERS: "Outbound Campaign Customers",
    Group.CONSENTS: "Customer Consents",
}
_GROUP_CRITERIA = {
    Group.CONTACTS: frozenset({"phone", "email"}),
    Group.DIRECTORY_ENTRIES: frozenset({"phone", "email", "name"}),
    Group.CAMPAIGN_CUSTOMERS: frozenset({"phone", "email", "name"}),
    Group.CONSENTS: frozenset({"phone"}),
}
FILE_KINDS = ("audio", "image", "attachment")


@dataclass(frozen=True)
class FileSpec:
    """A column holding the path of a file, relative to a file store."""

    column: str
    store: str
    kind: str  # audio (Listen), image (Show), attachment (download)
    name_column: str | None = None  # column with the file's display name
    size_column: str | None = None  # column with the file's size in bytes


@dataclass(frozen=True)
class Lookup:
    """A many-to-one reference shown in details (an agent's name, a campaign)."""

    name: str
    column: str
    database: str
    table: str
    key: str
    show: tuple[str, ...]


@dataclass(frozen=True)
class EraseSpec:
    """What erasure does to a row: delete it, or anonymize it column by column."""

    row: RowAction
    columns: Mapping[str, str] = field(default_factory=dict)  # column -> strategy name
    files: bool = True  # delete the row's files


@dataclass(frozen=True)
class ChildSpec:
    """Rows of another table in the same database that belong to a parent row."""

    name: str
    database: str
    table: str
    key: str
    parent: str  # the column holding the parent's key
    show: tuple[str, ...]
    identifying: tuple[str, ...]
    files: tuple[FileSpec, ...]
    erase: EraseSpec
    order_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class NameColumns:
    first: str
    last: str


@dataclass(frozen=True)
class TableSpec:
    """One searchable table of the datamap."""

    id: str
    database: str
    table: str
    group: Group
    key: str
    time: str | None
    phone: tuple[str, ...]
    email: tuple[str, ...]
    name: NameColumns | None
    identifying: tuple[str, ...]
    show: tuple[str, ...]
    lookups: tuple[Lookup, ...]
    files: tuple[FileSpec, ...]
    erase: EraseSpec
    children: tuple[ChildSpec, ...]
    copy_of: str | None = None

    @property
    def location(self) -> str:
        return f"{self.database}.{self.table}"

    @property
    def match(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """The matched columns per match kind name (a name's match spans two columns)."""
        return {"phone": tuple((c,) for c in self.phone),
                "email": tuple((c,) for c in self.email),
                "name": ((self.name.first, self.name.last),) if self.name else ()}

    @property
    def match_columns(self) -> tuple[str, ...]:
        names = self.name_columns
        return self.phone + self.email + names

    @property
    def name_columns(self) -> tuple[str, ...]:
        return (self.name.first, self.name.last) if self.name else ()

    @property
    def criteria(self) -> frozenset[str]:
        """The criteria this table can match (declared columns, within group rules)."""
        declared = {"phone": bool(self.phone), "email": bool(self.email), "name": bool(self.name)}
        return frozenset(k for k, v in declared.items() if v) & self.group.criteria


@dataclass(frozen=True)
class Datamap:
    """A parsed datamap. Build it with :func:`load_datamap`."""

    source: str
    tables: tuple[TableSpec, ...]

    def table(self, table_id: str) -> TableSpec:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(f"no table {table_id!r} in the datamap {self.source}")

    def by_location(self, database: str, table: str) -> TableSpec:
        for t in self.tables:
            if t.database == database and t.table == table:
                return t
        raise KeyError(f"no table {database}.{table} in the datamap {self.source}")

    def in_group(self, group: Group) -> tuple[TableSpec, ...]:
        return tuple(t for t in self.tables if t.group is group)

    def copies_of(self, table_id: str) -> tuple[TableSpec, ...]:
        return tuple(t for t in self.tables if t.copy_of == table_id)

    @property
    def databases(self) -> tuple[str, ...]:
        """Every logical database the datamap refers to (tables and lookups)."""
        seen: dict[str, None] = {}
        for t in self.tables:
            seen[t.database] = None
            for lk in t.lookups:
                seen[lk.database] = None
        return tuple(seen)

    def tables_by_database(self) -> dict[str, set[str]]:
        """Every physical table the datamap refers to, per logical database."""
        out: dict[str, set[str]] = {}
        for t in self.tables:
            out.setdefault(t.database, set()).add(t.table)
            for c in t.children:
                out.setdefault(c.database, set()).add(c.table)
            for lk in t.lookups:
                out.setdefault(lk.database, set()).add(lk.table)
        return out


# --------------------------------------------------------------------------------------
# Parsing


_TABLE_KEYS = {"database", "table", "group", "key", "time", "match", "identifying", "show",
               "lookups", "files", "erase", "children", "copy_of"}
_CHILD_KEYS = {"table", "key", "parent", "show", "identifying", "files", "erase", "order_by"}
_MATCH_KEYS = {"phone", "email", "name"}
_FILE_KEYS = {"store", "kind", "name", "size"}
_LOOKUP_KEYS = {"column", "database", "table", "key", "show"}
_ERASE_KEYS = {"row", "columns", "files"}


class _Collector:
    """Collects problems while parsing, so one run reports them all."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def add(self, message: str) -> None:
        self.problems.append(message)

    def keys(self, where: str, data: Mapping[str, Any], valid: set[str]) -> None:
        for k in data:
            if k not in valid:
                self.add(f"{where}: unknown key '{k}' (valid keys: {', '.join(sorted(valid))}).")

    def mapping(self, where: str, value: Any) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(f"{where} must be a mapping (key: value lines).")
            return {}
        return value

    def names(self, where: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.add(f"{where} must be a column name or a list of column names.")
        return ()

    def text(self, where: str, data: Mapping[str, Any], key: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.add(f"{where}: the key '{key}' is missing.")
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.add(f"{where}.{key} must be a name, not {type(value).__name__}.")
            return ""
        return str(value)


def load_datamap(path: str | os.PathLike[str]) -> Datamap:
    """Read a datamap file and check that it is consistent in itself.

    Examples
    --------
    >>> from importlib.resources import files
    >>> dm = load_datamap(files("dpo_workbench.demo") / "datamap.yaml")
    >>> [t.id for t in dm.in_group(Group.CONSENTS)]
    ['customer_consents']
    """
    p = Path(os.fspath(path))
    source = str(p)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatamapError(source, [f"the datamap file {p} does not exist; check 'datamap' in the "
                                    "settings file."]) from None
    except yaml.YAMLError as exc:
        raise DatamapError(source, [f"not valid YAML: {exc}"]) from None
    return parse_datamap(data, source)


def parse_datamap(data: Any, source: str = "<datamap>") -> Datamap:
    """Build a :class:`Datamap` from already-loaded YAML data."""
    col = _Collector(source)
    if not isinstance(data, dict):
        raise DatamapError(source, ["the datamap must be a mapping with 'version' and 'tables'."])
    col.keys("top level", data, {"version", "tables"})
    if data.get("version", 1) != 1:
        col.add("version must be 1 (the only datamap version this workbench reads).")
    tables_raw = col.mapping("tables", data.get("tables"))
    if not tables_raw:
        col.add("'tables' must declare at least one table.")
    tables = [_parse_table(col, str(tid), raw) for tid, raw in tables_raw.items()]
    _check_consistency(col, tables)
    if col.problems:
        raise DatamapError(source, col.problems)
    return Datamap(source=source, tables=tuple(tables))


def _parse_files(col: _Collector, where: str, raw: Any) -> tuple[FileSpec, ...]:
    out = []
    for column, spec in col.mapping(f"{where}.files", raw).items():
        w = f"{where}.files.{column}"
        spec = col.mapping(w, spec)
        col.keys(w, spec, _FILE_KEYS)
        kind = col.text(w, spec, "kind", required=False) or "attachment"
        if kind not in FILE_KINDS:
            col.add(f"{w}: kind '{kind}' is not one of {', '.join(FILE_KINDS)}.")
        out.append(FileSpec(column=str(column), store=col.text(w, spec, "store"), kind=kind,
                            name_column=col.text(w, spec, "name", required=False) or None,
                            size_column=col.text(w, spec, "size", required=False) or None))
    return tuple(out)


def _parse_erase(col: _Collector, where: str, raw: Any) -> EraseSpec:
    w = f"{where}.erase"
    if raw is None:
        col.add(f"{w} is missing: say what erasure does to these rows "
                "(e.g. 'erase: {row: delete}').")
        return EraseSpec(RowAction.DELETE)
    spec = col.mapping(w, raw)
    col.keys(w, spec, _ERASE_KEYS)
    row_name = col.text(w, spec, "row")
    try:
        row = RowAction(row_name)
    except ValueError:
        if row_name:
            col.add(f"{w}.row '{row_name}' is not one of "
                    f"{', '.join(a.value for a in RowAction)}.")
        row = RowAction.DELETE
    columns = {str(k): str(v) for k, v in col.mapping(f"{w}.columns", spec.get("columns")).items()}
    for c, s in columns.items():
        if s not in STRATEGIES:
            col.add(f"{w}.columns.{c}: unknown strategy '{s}' (valid strategies: "
                    f"{', '.join(sorted(STRATEGIES))}).")
    if row is RowAction.DELETE and columns:
        col.add(f"{w}: 'columns' applies only to row: anonymize; a deleted row needs none.")
    if row is RowAction.ANONYMIZE and not columns:
        col.add(f"{w}: row: anonymize needs 'columns' saying how each personal column is "
                "overwritten.")
    files = spec.get("files", "delete")
    if files not in ("delete", "keep"):
        col.add(f"{w}.files must be 'delete' or 'keep'.")
    return EraseSpec(row=row, columns=columns, files=files != "keep")


def _parse_lookups(col: _Collector, where: str, raw: Any, default_db: str) -> tuple[Lookup, ...]:
    out = []
    for name, spec in col.mapping(f"{where}.lookups", raw).items():
        w = f"{where}.lookups.{name}"
        spec = col.mapping(w, spec)
        col.keys(w, spec, _LOOKUP_KEYS)
        out.append(Lookup(name=str(name), column=col.text(w, spec, "column"),
                          database=col.text(w, spec, "database", required=False) or default_db,
                          table=col.text(w, spec, "table"), key=col.text(w, spec, "key"),
                          show=col.names(f"{w}.show", spec.get("show"))))
    return tuple(out)


def _parse_child(col: _Collector, where: str, name: str, raw: Any, database: str) -> ChildSpec:
    w = f"{where}.children.{name}"
    spec = col.mapping(w, raw)
    col.keys(w, spec, _CHILD_KEYS)
    return ChildSpec(
        name=name, database=database, table=col.text(w, spec, "table"),
        key=col.text(w, spec, "key"), parent=col.text(w, spec, "parent"),
        show=col.names(f"{w}.show", spec.get("show")),
        identifying=col.names(f"{w}.identifying", spec.get("identifying")),
        files=_parse_files(col, w, spec.get("files")),
        erase=_parse_erase(col, w, spec.get("erase")),
        order_by=col.names(f"{w}.order_by", spec.get("order_by")),
    )


def _parse_table(col: _Collector, tid: str, raw: Any) -> TableSpec:
    w = f"table {tid}"
    spec = col.mapping(w, raw)
    col.keys(w, spec, _TABLE_KEYS)
    database = col.text(w, spec, "database")
    group_name = col.text(w, spec, "group")
    try:
        group = Group(group_name)
    except ValueError:
        if group_name:
            col.add(f"{w}: group '{group_name}' is not one of "
                    f"{', '.join(g.value for g in Group)}.")
        group = Group.CONTACTS
    match = col.mapping(f"{w}.match", spec.get("match"))
    col.keys(f"{w}.match", match, _MATCH_KEYS)
    name = None
    if match.get("name") is not None:
        nm = col.mapping(f"{w}.match.name", match.get("name"))
        col.keys(f"{w}.match.name", nm, {"first", "last"})
        first, last = col.text(f"{w}.match.name", nm, "first"), col.text(f"{w}.match.name", nm,
                                                                         "last")
        name = NameColumns(first, last) if first and last else None
    children = tuple(
        _parse_child(col, w, str(cname), craw, database)
        for cname, craw in col.mapping(f"{w}.children", spec.get("children")).items()
    )
    return TableSpec(
        id=tid, database=database, table=col.text(w, spec, "table"), group=group,
        key=col.text(w, spec, "key"), time=col.text(w, spec, "time", required=False) or None,
        phone=col.names(f"{w}.match.phone", match.get("phone")),
        email=col.names(f"{w}.match.email", match.get("email")),
        name=name,
        identifying=col.names(f"{w}.identifying", spec.get("identifying")),
        show=col.names(f"{w}.show", spec.get("show")),
        lookups=_parse_lookups(col, w, spec.get("lookups"), database),
        files=_parse_files(col, w, spec.get("files")),
        erase=_parse_erase(col, w, spec.get("erase")),
        children=children,
        copy_of=col.text(w, spec, "copy_of", required=False) or None,
    )


def _check_consistency(col: _Collector, tables: list[TableSpec]) -> None:
    ids = {t.id: t for t in tables}
    seen: dict[tuple[str, str], str] = {}
    for t in tables:
        w = f"table {t.id}"
        loc = (t.database, t.table)
        if loc in seen:
            col.add(f"{w}: {t.database}.{t.table} is already declared as table {seen[loc]}; "
                    "declare each table once.")
        seen[loc] = t.id
        if not (t.phone or t.email or t.name):
            col.add(f"{w}: 'match' declares no phone, email or name column, so nothing can "
                    "find its rows.")
        if t.group is Group.CONTACTS and t.name:
            col.add(f"{w}: Contacts are found only by phone or e-mail; remove match.name "
                    "(list display names under 'identifying' so erasure covers them).")
        if t.group is Group.CONSENTS and (t.email or t.name):
            col.add(f"{w}: Customer Consents are linked to the phone number only; remove "
                    "match.email and match.name.")
        if t.copy_of:
            orig = ids.get(t.copy_of)
            if orig is None:
                col.add(f"{w}: copy_of '{t.copy_of}' is not a table id of this datamap "
                        f"(ids: {', '.join(ids)}).")
            elif orig.group is not t.group or orig.copy_of:
                col.add(f"{w}: copy_of must name an original table of the same group.")
        if t.erase.row is RowAction.ANONYMIZE:
            _check_anonymize_covers(col, w, t.erase, t.match_columns + t.identifying,
                                    [f.column for f in t.files])
        for c in t.children:
            if c.erase.row is RowAction.ANONYMIZE:
                _check_anonymize_covers(col, f"{w}.children.{c.name}", c.erase, c.identifying,
                                        [f.column for f in c.files])


def _check_anonymize_covers(col: _Collector, where: str, erase: EraseSpec,
                            identifying: Iterable[str], file_columns: Iterable[str]) -> None:
    for c in dict.fromkeys([*identifying, *file_columns]):
        if c not in erase.columns:
            col.add(f"{where}: the row is anonymized but column '{c}' identifies the person "
                    f"and has no erase strategy; add '{c}: redact' (or clear) under "
                    "erase.columns.")


# --------------------------------------------------------------------------------------
# Checking against the live schema


def check_against_schema(datamap: Datamap, schema: Mapping[str, Mapping[str, Table]],
                         file_stores: Iterable[str] = ()) -> None:
    """Check every table and column the datamap names against the reflected schema.

    ``schema`` maps each logical database to its reflected tables by name; a
    database missing from it is reported as not configured.
    """
    col = _Collector(datamap.source)
    stores = set(file_stores)

    def table(where: str, database: str, name: str) -> Table | None:
        if database not in schema:
            col.add(f"{where}: database '{database}' is not in the settings file's 'databases' "
                    f"(configured: {', '.join(schema) or 'none'}).")
            return None
        t = schema[database].get(name)
        if t is None:
            known = ", ".join(sorted(schema[database])) or "none"
            col.add(f"{where}: table '{name}' does not exist in database '{database}' "
                    f"(tables there: {known}).")
        return t

    def columns(where: str, t: Table, names: Iterable[str], what: str) -> None:
        for c in names:
            if c and c not in t.c:
                col.add(f"{where}: {what} column '{c}' does not exist in {t.name} "
                        f"(columns: {', '.join(t.c.keys())}). Fix the name or remove it.")

    def files(where: str, t: Table, specs: Iterable[FileSpec]) -> None:
        for f in specs:
            columns(where, t, [f.column], "file")
            columns(where, t, [c for c in (f.name_column, f.size_column) if c], "file name/size")
            if f.store not in stores:
                known = ", ".join(sorted(stores)) or "none"
                col.add(f"{where}: file store '{f.store}' of column '{f.column}' is not in the "
                        f"settings file's 'files' (configured: {known}).")

    def erase(where: str, t: Table, spec: EraseSpec) -> None:
        columns(where, t, spec.columns, "erase")
        for c, sname in spec.columns.items():
            problem = STRATEGIES[sname].unfit(t.c[c]) if c in t.c else None
            if problem:
                col.add(f"{where}: {problem}")

    for ts in datamap.tables:
        w = f"table {ts.id}"
        t = table(w, ts.database, ts.table)
        if t is None:
            continue
        columns(w, t, [ts.key], "key")
        columns(w, t, ts.phone, "phone")
        columns(w, t, ts.email, "email")
        columns(w, t, ts.name_columns, "name")
        columns(w, t, ts.identifying, "identifying")
        columns(w, t, ts.show, "show")
        if ts.time:
            columns(w, t, [ts.time], "time")
            if ts.time in t.c and not isinstance(t.c[ts.time].type, Date | DateTime):
                col.add(f"{w}: time column '{ts.time}' is of type {t.c[ts.time].type}, not a "
                        "date or timestamp; name a DATE/TIMESTAMP column or remove 'time'.")
        for c in ts.phone + ts.email + ts.name_columns:
            if c in t.c and not is_text(t.c[c]):
                col.add(f"{w}: match column '{c}' is of type {t.c[c].type}; phone, e-mail and "
                        "name columns must hold text.")
        files(w, t, ts.files)
        erase(w, t, ts.erase)
        for lk in ts.lookups:
            lw = f"{w}.lookups.{lk.name}"
            columns(lw, t, [lk.column], "lookup")
            lt = table(lw, lk.database, lk.table)
            if lt is not None:
                columns(lw, lt, [lk.key, *lk.show], "lookup")
        for ch in ts.children:
            cw = f"{w}.children.{ch.name}"
            ct = table(cw, ch.database, ch.table)
            if ct is None:
                continue
            columns(cw, ct, [ch.key, ch.parent, *ch.show, *ch.identifying, *ch.order_by], "")
            files(cw, ct, ch.files)
            erase(cw, ct, ch.erase)
    if col.problems:
        raise DatamapError(datamap.source, col.problems)
