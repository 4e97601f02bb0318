"""Drafting a datamap from the live schema (``dpo-workbench datamap draft``).

From a settings file that names only the databases (and the file stores),
:func:`draft_datamap` reflects every table of every database, samples at most
:data:`~.draftrules.SAMPLE_SIZE` non-null values of each column (one ``SELECT``
per column, with bound parameters), and writes a commented draft for review:
the tables that look like they hold personal data, their group, key, time,
match, identifying and file columns, their erase rule and their child tables,
every guess with a ``# review: ...`` note saying what it was based on.

Sampled values only ever become counts (:class:`~.draftrules.Tally`): they are
not kept, printed, logged or written into the draft, and a failing statement is
reported by its table, never by its values.

The rules are in :mod:`.draftrules` (names and value shapes) and
:mod:`.drafttables` (tables, groups, children, erasure); :mod:`.draftyaml`
writes the draft.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Boolean, Column, Connection, Integer, MetaData, Table, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import SAWarning, SQLAlchemyError

from ..engines import database_engine, unreachable
from ..erasure.strategies import is_text
from ..errors import ConfigError, DatabaseError
from ..installation import sqlite_unique_columns
from ..settings import SettingsFile, expand_env, read_settings_yaml, resolve_url
from ..typedyaml import convert, dotted, problems
from .draftrules import SAMPLE_SIZE, Tally, Verdict, column_verdict, is_reference_name, tokens
from .drafttables import TableProfile, draft_tables
from .draftyaml import Draft, TableDraft

#: The workbench's own indexed virtual columns on MariaDB (see indexes.py): not data.
OWN_COLUMNS = re.compile(r"^dpo_(p3|p7|ek|nk)[0-9a-f]{0,4}_")
#: Characters of a text value read for its shape (longer values are free text anyway).
PREFIX = 256


@dataclass(frozen=True)
class Sources:
    """What the draft reads: the settings file's databases and file stores."""

    path: Path
    databases: dict[str, URL]
    files: dict[str, Path]
    datamap: str | None  # the settings file's 'datamap', if it names one
    users: tuple[str, str] | None  # the workbench users' table (auth:), if configured


def read_sources(path: str | os.PathLike[str]) -> Sources:
    """The databases and file stores of a settings file, which need not name a datamap yet.

    Raises :class:`~dpo_workbench.errors.ConfigError` as loading the settings does.
    """
    p = Path(path)
    data = read_settings_yaml(p)
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must be a YAML mapping with the key databases.")
    found = problems({"datamap": "datamap.yaml", **data}, SettingsFile, dotted)
    if found:
        raise ConfigError("\n".join(f"{p}: {problem}" for problem in found))
    raw: SettingsFile = convert({"datamap": "datamap.yaml", **data}, SettingsFile)
    folder = p.resolve().parent
    databases = {n: resolve_url(u, folder, f"{p}: databases.{n}") for n, u in raw.databases.items()}
    files = {n: (folder / expand_env(f, f"{p}: files.{n}")).resolve()
             for n, f in raw.files.items()}
    users = (raw.auth.database, raw.auth.users.table) if raw.auth.database in databases else None
    return Sources(p.resolve(), databases, files, data.get("datamap"), users)


def draft_datamap(settings_path: str | os.PathLike[str], *,
                  sample_size: int = SAMPLE_SIZE) -> Draft:
    """Reflect and sample every database of the settings file; draft a datamap for review.

    Raises
    ------
    ConfigError
        The settings file is wrong.
    DatabaseError
        A database cannot be reached or read (named, without any value).
    """
    src = read_sources(settings_path)
    tables: list[TableDraft] = []
    left_out: list[tuple[str, str, str]] = []
    ids: dict[tuple[str, str], str] = {}
    for db, url in src.databases.items():
        with _connection(src, db, url) as conn:
            md = _reflect(conn)
            profiles = []
            for t in md.sorted_tables:
                with _reading(db, t.name):
                    profiles.append(_profile(conn, db, t, src.files, sample_size))
                name = t.name if t.name not in ids.values() else f"{db}_{t.name}"
                ids[(db, t.name)] = name
            drafted, out = draft_tables(profiles, ids, src.files,
                                        _confirm(conn, db, sample_size))
        tables += drafted
        left_out += out
    _cross_database_notes(tables, src)
    return Draft(settings=src.path, databases=list(src.databases), tables=tables,
                 left_out=left_out, sample_size=sample_size, datamap=src.datamap)


# -- reading ---------------------------------------------------------------------------


@contextmanager
def _connection(src: Sources, db: str, url: URL) -> Iterator[Connection]:
    engine = database_engine(db, url, src.path)
    try:
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            raise unreachable(db, url, src.path, exc) from None
        with conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def _reading(db: str, table: str) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        # The driver's message may quote what it read: name the table, not the values.
        raise DatabaseError(f"reading database '{db}' (table {table}) for the draft failed "
                            f"({type(exc).__name__}).") from None


def _reflect(conn: Connection) -> MetaData:
    md = MetaData()
    with warnings.catch_warnings():
        # Expression indexes (the workbench's own) are not reflected.
        warnings.simplefilter("ignore", SAWarning)
        md.reflect(bind=conn)
        if conn.dialect.name == "sqlite":
            sqlite_unique_columns(conn, md)
    return md


def _sampled(column: Column) -> bool:
    """Text columns; number and boolean columns that may be a 0/1 flag (not keys, not ids)."""
    if is_text(column):
        return True
    return isinstance(column.type, Integer | Boolean) and not column.primary_key \
        and not column.foreign_keys and not is_reference_name(column.name) \
        and tokens(column.name)[-1:] != ("id",)


def _profile(conn: Connection, db: str, t: Table, stores: Mapping[str, Path],
             size: int) -> TableProfile:
    verdicts: dict[str, Verdict] = {}
    tallies: dict[str, Tally] = {}
    for c in t.columns:
        if OWN_COLUMNS.match(c.name):
            continue
        tally = _sample(conn, c, stores, size) if _sampled(c) else None
        if tally is not None:
            tallies[c.name] = tally
        verdicts[c.name] = column_verdict(c.name, text=is_text(c),
                                          integer=isinstance(c.type, Integer), tally=tally)
    return TableProfile(db, t, verdicts, tallies)


def _sample(conn: Connection, column: Column, stores: Mapping[str, Path], size: int) -> Tally:
    """The shapes of at most ``size`` non-null values of ``column`` (the values are dropped)."""
    text = is_text(column)
    expr = func.substr(column, 1, PREFIX) if text else column
    tally = Tally()
    for (value,) in conn.execute(select(expr).where(column.is_not(None)).limit(size)):
        tally.add(value, stores if text else None)
    return tally


def _confirm(conn: Connection, db: str,
             size: int) -> Callable[[Column, Column], tuple[int, int] | None]:
    """How many sampled values of a child's column are keys of the parent (see drafttables)."""
    def confirm(child: Column, parent: Column) -> tuple[int, int] | None:
        with _reading(db, str(child.table)):
            values = [v for (v,) in conn.execute(
                select(child).where(child.is_not(None)).distinct().limit(size))]
            if not values:
                return None
            found = conn.execute(select(func.count()).select_from(parent.table)
                                 .where(parent.in_(values))).scalar_one()
        return min(int(found), len(values)), len(values)
    return confirm


# -- across databases ------------------------------------------------------------------


def _cross_database_notes(tables: list[TableDraft], src: Sources) -> None:
    """Copies in other databases (suggested, never declared) and the workbench's users."""
    by_name: dict[str, TableDraft] = {}
    for t in tables:
        original = by_name.get(t.table)
        if original and original.key.value == t.key.value and \
                original.group.value == t.group.value:
            t.notes.append(
                f"it looks like a copy of table {original.id} ({original.database}.{t.table}: "
                "same name, key and group); if its rows are copies with the same keys, add "
                f"'copy_of: {original.id}' so that erasure reaches them by key, whether or not "
                "they match")
        by_name.setdefault(t.table, t)
        if src.users == (t.database, t.table):
            t.notes.append("this is the workbench's own users table (the settings' auth:): the "
                           "installation's users, not its customers; remove the table if they "
                           "are not data subjects the DPO searches for")
