"""Reading a datamap file: typed YAML, checked for its own consistency.

The file's shape is declared as msgspec structs (:class:`DatamapFile` and the
sections below it); :func:`~dpo_workbench.typedyaml.problems` reports every key
that is unknown, missing or of the wrong kind, then :func:`parse_datamap` checks
what types cannot say (a strategy that exists, a group's criteria, a copy of an
original table, anonymized rows whose identifying columns all have a strategy)
and builds the :class:`~dpo_workbench.datamap.model.Datamap`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from msgspec import Meta

from ..erasure.strategies import STRATEGIES, RowAction
from ..errors import DatamapError
from ..matchkinds import MATCH_KINDS
from ..typedyaml import Model, convert, load_yaml, problems
from .model import (
    ChildSpec,
    Datamap,
    EraseSpec,
    FileSpec,
    Group,
    Lookup,
    TableSpec,
    humanize,
)

Names = Annotated[str | list[str], Meta(extra={
    "hint": "a column name or a list of column names"})]
ERASE_MISSING = "say what erasure does to these rows (e.g. 'erase: {row: delete}')."


class FileDecl(Model):
    """``files: {column: {store, kind, name, size}}``."""

    store: str
    kind: Literal["audio", "image", "attachment"] = "attachment"
    name: str | None = None  # column with the file's display name
    size: str | None = None  # column with the file's size in bytes


class EraseDecl(Model):
    """``erase: {row, columns, files}``."""

    row: Literal["delete", "anonymize"]
    columns: dict[str, str] = {}
    files: Literal["delete", "keep"] = "delete"


class ThirdPartyDecl(Model):
    """``{column: sender_name, when: {sender: agent}}``: a third party only in some rows."""

    column: str
    when: dict[str, str | list[str]] = {}  # column -> a value or a list of values (any of)


ThirdParties = Annotated[str | list[str | ThirdPartyDecl], Meta(extra={
    "hint": "a column name, or a list of column names and {column: ..., when: {column: "
            "value}} mappings"})]


class LabelDecl(Model, kw_only=True):
    """``label``, ``labels`` and ``third_party``: what a DPO reads, and others' data."""

    label: str | None = None
    labels: dict[str, str] = {}
    third_party: ThirdParties = []


class LookupDecl(LabelDecl, kw_only=True):
    """``lookups: {name: {column, database, table, key, show}}``."""

    column: str
    database: str | None = None  # default: the table's own database
    table: str
    key: str
    show: Names = []


class ChildDecl(LabelDecl, kw_only=True):
    """``children: {name: {table, key, parent, ...}}``."""

    table: str
    key: str
    parent: str
    show: Names = []
    identifying: Names = []
    files: dict[str, FileDecl] = {}
    erase: Annotated[EraseDecl, Meta(extra={"missing": ERASE_MISSING})]
    order_by: Names = []


class TimeDecl(Model):
    """``time: {column, format}``: a time column and how it stores time."""

    column: str
    format: Literal["auto", "native", "iso", "epoch_seconds", "epoch_millis"] = "auto"


class TableDecl(LabelDecl, kw_only=True):
    """One table under ``tables:`` (its id is the key)."""

    database: str
    table: str
    group: Literal["contacts", "directory_entries", "campaign_customers", "consents"]
    key: str
    time: str | TimeDecl | None = None
    match: dict[str, Any] = {}
    identifying: Names = []
    show: Names = []
    lookups: dict[str, LookupDecl] = {}
    files: dict[str, FileDecl] = {}
    erase: Annotated[EraseDecl, Meta(extra={"missing": ERASE_MISSING})]
    children: dict[str, ChildDecl] = {}
    copy_of: str | None = None


class DatamapFile(Model):
    """A datamap file: ``version`` and ``tables``."""

    tables: Annotated[dict[str, TableDecl], Meta(min_length=1)]
    version: Literal[1] = 1


def where(path: Sequence[str]) -> str:
    """``("tables", "x", "match")`` -> ``table x.match`` (the datamap's way of naming places)."""
    if len(path) >= 2 and path[0] == "tables":
        return ".".join([f"table {path[1]}", *path[2:]])
    return ".".join(path) or "top level"


# --------------------------------------------------------------------------------------


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
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatamapError(source, [f"the datamap file {p} does not exist; check 'datamap' in the "
                                    "settings file."]) from None
    except UnicodeDecodeError:
        raise DatamapError(source, ["the file is not UTF-8 text; save it as UTF-8."]) from None
    except OSError as exc:
        raise DatamapError(source, [f"the file cannot be read ({exc.strerror})."]) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise DatamapError(source, [f"not valid YAML: {exc}"]) from None
    return parse_datamap(data, source)


def parse_datamap(data: Any, source: str = "<datamap>") -> Datamap:
    """Build a :class:`Datamap` from already-loaded YAML data (every problem reported)."""
    if not isinstance(data, dict):
        raise DatamapError(source, ["the datamap must be a mapping with 'version' and 'tables'."])
    found = problems(data, DatamapFile, where)
    for tid, raw in (data.get("tables") or {}).items() if isinstance(data.get("tables"),
                                                                     dict) else ():
        if isinstance(raw, dict) and isinstance(raw.get("match"), dict):
            found += _match_problems(f"table {tid}.match", raw["match"])
    if found:
        raise DatamapError(source, found)
    decl: DatamapFile = convert(data, DatamapFile)
    tables = [_table(str(tid), t) for tid, t in decl.tables.items()]
    found = _consistency(tables)
    for tid, t in decl.tables.items():
        found += _label_problems(f"table {tid}", t)
        found += [p for n, lk in t.lookups.items()
                  for p in _label_problems(f"table {tid}.lookups.{n}", lk)]
        found += [p for n, c in t.children.items()
                  for p in _label_problems(f"table {tid}.children.{n}", c)]
    if found:
        raise DatamapError(source, found)
    return Datamap(source=source, tables=tuple(tables))


def _match_problems(w: str, match: dict[str, Any]) -> list[str]:
    """The ``match:`` section: each match kind declares its columns in its own shape."""
    out = []
    for name, value in match.items():
        kind = MATCH_KINDS.get(str(name))
        if kind is None:
            out.append(f"{w}: unknown key '{name}' (valid keys: {', '.join(MATCH_KINDS)}).")
        elif kind.parts:
            if not isinstance(value, dict):
                out.append(f"{w}.{name} must be a mapping with keys {', '.join(kind.parts)}.")
                continue
            out += [f"{w}.{name}: unknown key '{k}' (valid keys: {', '.join(kind.parts)})."
                    for k in value if k not in kind.parts]
            out += [f"{w}.{name}: the key '{k}' is missing." for k in kind.parts
                    if not value.get(k)]
            out += [f"{w}.{name}.{k} must be a column name." for k in kind.parts
                    if value.get(k) and not isinstance(value[k], str)]
        elif value is not None and not (isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value))):
            out.append(f"{w}.{name} must be a column name or a list of column names.")
    return out


def _names(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _match(raw: dict[str, Any]) -> dict[str, tuple[tuple[str, ...], ...]]:
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for name, kind in MATCH_KINDS.items():
        value = raw.get(name)
        if not value:
            continue
        if kind.parts:
            out[name] = (tuple(str(value[p]) for p in kind.parts),)
        else:
            out[name] = tuple((c,) for c in _names(value))
    return out


def _files(raw: dict[str, FileDecl]) -> tuple[FileSpec, ...]:
    return tuple(FileSpec(column=c, store=f.store, kind=f.kind, name_column=f.name,
                          size_column=f.size) for c, f in raw.items())


def _erase(raw: EraseDecl) -> EraseSpec:
    return EraseSpec(row=RowAction(raw.row), columns=dict(raw.columns),
                     files=raw.files != "keep")


def _label_problems(w: str, d: LabelDecl) -> list[str]:
    """Empty labels, and third parties declared twice or under a condition nothing meets."""
    out = []
    if d.label is not None and not d.label.strip():
        out.append(f"{w}.label is empty: give the name a DPO reads (e.g. 'label: Contact'), "
                   "or leave the key out for a name made from the id.")
    out += [f"{w}.labels.{c} is empty: give the column's name for a DPO (e.g. '{c}: "
            f"Phone number'), or leave it out for '{humanize(c)}'."
            for c, text in d.labels.items() if not text.strip()]
    entries = [d.third_party] if isinstance(d.third_party, str) else d.third_party
    seen: set[str] = set()
    for e in entries:
        column = e if isinstance(e, str) else e.column
        if column in seen:
            out.append(f"{w}.third_party: column '{column}' is declared twice; declare it once "
                       "(with its condition, if it is a third party only in some rows).")
        seen.add(column)
        if not isinstance(e, str):
            out += [f"{w}.third_party.{column}.when.{c} lists no value: name the value(s) "
                    f"of {c} that make {column} a third party (e.g. '{c}: agent')."
                    for c, v in e.when.items() if isinstance(v, list) and not v]
    return out


def _labelled(d: LabelDecl) -> dict[str, Any]:
    entries = [d.third_party] if isinstance(d.third_party, str) else d.third_party
    columns: dict[str, None] = {}
    when: dict[str, dict[str, tuple[str, ...]]] = {}
    for e in entries:
        if isinstance(e, str):
            columns[e] = None
            continue
        columns[e.column] = None
        if e.when:
            when[e.column] = {c: (v,) if isinstance(v, str) else tuple(v)
                              for c, v in e.when.items()}
    return {"label": "" if d.label is None else d.label, "labels": dict(d.labels),
            "third_party": tuple(columns), "third_party_when": when}


def _table(tid: str, t: TableDecl) -> TableSpec:
    return TableSpec(
        **_labelled(t), id=tid, database=t.database, table=t.table, group=Group(t.group), key=t.key,
        time=t.time.column if isinstance(t.time, TimeDecl) else t.time,
        time_format=t.time.format if isinstance(t.time, TimeDecl) else "auto",
        match=_match(t.match), identifying=_names(t.identifying),
        show=_names(t.show),
        lookups=tuple(Lookup(name=n, column=lk.column, database=lk.database or t.database,
                             table=lk.table, key=lk.key, show=_names(lk.show), **_labelled(lk))
                      for n, lk in t.lookups.items()),
        files=_files(t.files), erase=_erase(t.erase),
        children=tuple(ChildSpec(name=n, database=t.database, table=c.table, key=c.key,
                                 parent=c.parent, show=_names(c.show),
                                 identifying=_names(c.identifying), files=_files(c.files),
                                 erase=_erase(c.erase), order_by=_names(c.order_by),
                                 **_labelled(c))
                       for n, c in t.children.items()),
        copy_of=t.copy_of)


def _consistency(tables: list[TableSpec]) -> list[str]:
    out: list[str] = []
    ids = {t.id: t for t in tables}
    seen: dict[tuple[str, str], str] = {}
    for t in tables:
        w = f"table {t.id}"
        loc = (t.database, t.table)
        if loc in seen:
            out.append(f"{w}: {t.database}.{t.table} is already declared as table {seen[loc]}; "
                       "declare each table once.")
        seen[loc] = t.id
        if not any(t.match.values()):
            out.append(f"{w}: 'match' declares no phone, email or name column, so nothing can "
                       "find its rows.")
        if t.group is Group.CONTACTS and t.name:
            out.append(f"{w}: Contacts are found only by phone or e-mail; remove match.name "
                       "(list display names under 'identifying' so erasure covers them).")
        if t.group is Group.CONSENTS and (t.email or t.name):
            out.append(f"{w}: Customer Consents are linked to the phone number only; remove "
                       "match.email and match.name.")
        if t.copy_of:
            orig = ids.get(t.copy_of)
            if orig is None:
                out.append(f"{w}: copy_of '{t.copy_of}' is not a table id of this datamap "
                           f"(ids: {', '.join(ids)}).")
            elif orig.group is not t.group or orig.copy_of:
                out.append(f"{w}: copy_of must name an original table of the same group.")
        out += _erase_problems(f"{w}.erase", t.erase, t.match_columns + t.identifying,
                               [f.column for f in t.files])
        for c in t.children:
            out += _erase_problems(f"{w}.children.{c.name}.erase", c.erase, c.identifying,
                                   [f.column for f in c.files])
    return out


def _erase_problems(w: str, erase: EraseSpec, identifying: Iterable[str],
                    file_columns: Iterable[str]) -> list[str]:
    out = [f"{w}.columns.{c}: unknown strategy '{s}' (valid strategies: "
           f"{', '.join(sorted(STRATEGIES))})." for c, s in erase.columns.items()
           if s not in STRATEGIES]
    if erase.row is RowAction.DELETE and erase.columns:
        out.append(f"{w}: 'columns' applies only to row: anonymize; a deleted row needs none.")
    if erase.row is RowAction.ANONYMIZE:
        if not erase.columns:
            out.append(f"{w}: row: anonymize needs 'columns' saying how each personal column "
                       "is overwritten.")
        for c in dict.fromkeys([*identifying, *file_columns]):
            if c not in erase.columns:
                out.append(f"{w.removesuffix('.erase')}: the row is anonymized but column '{c}' "
                           f"identifies the person and has no erase strategy; add '{c}: redact' "
                           "(or clear) under erase.columns.")
    return out
