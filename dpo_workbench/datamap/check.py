"""Checking a datamap against the reflected live schema.

Every table and column the datamap names must exist, match columns must hold
text, a time column a date or timestamp, and each erase strategy must fit its
column (:meth:`EraseStrategy.unfit <dpo_workbench.erasure.strategies.EraseStrategy.unfit>`).
Two rules keep erasure from reaching more than it planned: every ``key`` must
identify one row (:func:`unique_columns`), and every table erasure writes must
roll back with its transaction (:func:`storage_engine_problem`).
Every problem is collected, so one run reports them all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import Table, UniqueConstraint

from ..erasure.strategies import STRATEGIES, is_text
from ..errors import DatamapError
from ..timespan import resolve as resolve_time_format
from .model import Datamap, EraseSpec, FileSpec, Labelled

_TIME_WORDS = {"auto": "dates or times", "native": "dates or times",
               "iso": "ISO-8601 text", "epoch_seconds": "seconds since 1970",
               "epoch_millis": "milliseconds since 1970"}


def check_against_schema(datamap: Datamap, schema: Mapping[str, Mapping[str, Table]],
                         file_stores: Iterable[str] = (),
                         only: Collection[str] | None = None) -> None:
    """Check every table and column the datamap names against the reflected schema.

    ``schema`` maps each logical database to its reflected tables by name; a
    database missing from it is reported as not configured. With ``only``, the
    tables of other databases (and lookups into them) are not checked: an
    installation opened with some of its databases.

    Raises
    ------
    DatamapError
        Listing every problem found.
    """
    problems: list[str] = []
    stores = set(file_stores)

    def table(where: str, database: str, name: str) -> Table | None:
        if database not in schema:
            problems.append(f"{where}: database '{database}' is not in the settings file's "
                            f"'databases' (configured: {', '.join(schema) or 'none'}).")
            return None
        t = schema[database].get(name)
        if t is None:
            known = ", ".join(sorted(schema[database])) or "none"
            problems.append(f"{where}: table '{name}' does not exist in database '{database}' "
                            f"(tables there: {known}).")
        return t

    def columns(where: str, t: Table, names: Iterable[str], what: str) -> None:
        for c in names:
            if c and c not in t.c:
                problems.append(f"{where}: {what} column '{c}' does not exist in {t.name} "
                                f"(columns: {', '.join(t.c.keys())}). Fix the name or remove it.")

    def files(where: str, t: Table, specs: Iterable[FileSpec]) -> None:
        for f in specs:
            columns(where, t, [f.column], "file")
            columns(where, t, [c for c in (f.name_column, f.size_column) if c], "file name/size")
            if f.store not in stores:
                known = ", ".join(sorted(stores)) or "none"
                problems.append(f"{where}: file store '{f.store}' of column '{f.column}' is not "
                                f"in the settings file's 'files' (configured: {known}).")

    def key(where: str, t: Table, name: str) -> None:
        columns(where, t, [name], "key")
        if name in t.c:
            problem = key_problem(t, name)
            if problem:
                problems.append(f"{where}: {problem}")

    written: set[tuple[str, str]] = set()

    def transactional(where: str, database: str, t: Table) -> None:
        if (database, t.name) not in written:  # one problem per table, not per mention
            written.add((database, t.name))
            problem = storage_engine_problem(t)
            if problem:
                problems.append(f"{where}: {problem}")

    def erase(where: str, t: Table, spec: EraseSpec) -> None:
        columns(where, t, spec.columns, "erase")
        for c, sname in spec.columns.items():
            problem = STRATEGIES[sname].unfit(t.c[c]) if c in t.c else None
            if problem:
                problems.append(f"{where}: {problem}")

    def labelled(where: str, t: Table, spec: Labelled, shown: Collection[str] | None) -> None:
        """``labels`` and ``third_party`` name columns of ``t``; conditions, shown ones."""
        columns(where, t, spec.labels, "labels")
        columns(where, t, spec.third_party, "third_party")
        for column, when in spec.third_party_when.items():
            columns(f"{where}.third_party.{column}", t, when, "condition")
            hidden = [c for c in when if shown is not None and c in t.c and c not in shown]
            if hidden:
                problems.append(
                    f"{where}.third_party.{column}: the condition's column(s) "
                    f"{', '.join(hidden)} are not read for the report (show: "
                    f"{', '.join(shown or ()) or 'none'}), so the condition could never be "
                    "judged; add them to 'show'.")

    for ts in datamap.tables:
        if only is not None and ts.database not in only:
            continue
        w = f"table {ts.id}"
        t = table(w, ts.database, ts.table)
        if t is None:
            continue
        key(w, t, ts.key)
        transactional(w, ts.database, t)
        for kind, groups in ts.match.items():
            columns(w, t, [c for g in groups for c in g], kind)
        columns(w, t, ts.identifying, "identifying")
        columns(w, t, ts.show, "show")
        if ts.time:
            columns(w, t, [ts.time], "time")
            if ts.time in t.c and resolve_time_format(ts.time_format, t.c[ts.time]) is None:
                problems.append(
                    f"{w}: time column '{ts.time}' is of type {t.c[ts.time].type}, which cannot "
                    f"hold {_TIME_WORDS[ts.time_format]}; name a date, timestamp or ISO-8601 "
                    "text column, or declare how it stores time: "
                    f"time: {{column: {ts.time}, format: epoch_seconds}} (or epoch_millis, iso).")
        for c in ts.match_columns:
            if c in t.c and not is_text(t.c[c]):
                problems.append(f"{w}: match column '{c}' is of type {t.c[c].type}; phone, "
                                "e-mail and name columns must hold text.")
        files(w, t, ts.files)
        erase(w, t, ts.erase)
        labelled(w, t, ts, None)  # a report holds every column of an item's own row
        for lk in ts.lookups if only is None else [x for x in ts.lookups
                                                    if x.database in only]:
            lw = f"{w}.lookups.{lk.name}"
            columns(lw, t, [lk.column], "lookup")
            lt = table(lw, lk.database, lk.table)
            if lt is not None:
                columns(lw, lt, [lk.key, *lk.show], "lookup")
                labelled(lw, lt, lk, lk.show)
        for ch in ts.children:
            cw = f"{w}.children.{ch.name}"
            ct = table(cw, ch.database, ch.table)
            if ct is None:
                continue
            key(cw, ct, ch.key)
            transactional(cw, ch.database, ct)
            columns(cw, ct, [ch.parent, *ch.show, *ch.identifying, *ch.order_by], "")
            files(cw, ct, ch.files)
            erase(cw, ct, ch.erase)
            labelled(cw, ct, ch, [ch.key, *ch.show])
    if problems:
        raise DatamapError(datamap.source, problems)


# -- keys -------------------------------------------------------------------------------


def unique_columns(t: Table) -> list[str]:
    """The columns of ``t`` that identify one row on their own.

    Erasure updates and deletes ``WHERE key IN (...)``: a key that two rows share
    erases both. A column qualifies when it is the whole primary key, or the only
    column of a unique constraint or of a unique index over every row. What each
    engine's reflection gives: on SQLite and PostgreSQL a ``UNIQUE`` column or table
    constraint is a unique constraint and a ``CREATE UNIQUE INDEX`` a unique index
    (SQLite's ``INTEGER PRIMARY KEY`` is the primary key); MariaDB reports every
    unique key, however declared, as a unique index.
    """
    pk = [c.name for c in t.primary_key.columns]
    first = pk if len(pk) == 1 else []
    unique: set[str] = set()
    for con in t.constraints:
        if isinstance(con, UniqueConstraint) and len(con.columns) == 1:
            unique.add(next(iter(con.columns)).name)
    for ix in t.indexes:
        # An expression index (lower(x)) is not reflected as a column; a partial
        # one (WHERE ...) leaves the other rows free to repeat a value. A MariaDB
        # prefix index (x(10)) qualifies: unique prefixes make unique values.
        if ix.unique and len(ix.expressions) == 1 and len(ix.columns) == 1 \
                and not any(k.endswith("_where") and v is not None
                            for k, v in ix.dialect_kwargs.items()):
            unique.add(next(iter(ix.columns)).name)
    # The primary key first, then by name: reflected constraints come as a set.
    return first + sorted(unique - set(first))


def key_problem(t: Table, key: str) -> str | None:
    """Why ``key`` does not identify one row of ``t`` (how to fix it), or None."""
    unique = unique_columns(t)
    if key in unique:
        return None
    pk = [c.name for c in t.primary_key.columns]
    why = (f"it is one of the {len(pk)} columns of the primary key ({', '.join(pk)})"
           if key in pk else "it is not the primary key, and no unique constraint or unique "
           "index (on this column alone, over all rows) covers it")
    fix = (f"name a unique column as 'key' ({', '.join(unique)})" if unique
           else f"give {t.name} a one-column primary key or unique column and name it")
    return (f"key column '{key}' does not identify one row of {t.name}: {why}. Erasure acts by "
            f"key, so erasing one row would also reach every other row with the same {key}. "
            f"Fix: {fix}; or, if {key} really is unique, declare it: CREATE UNIQUE INDEX "
            f"{t.name}_{key}_key ON {t.name} ({key}).")


# -- transactions -----------------------------------------------------------------------

#: MariaDB/MySQL storage engines whose changes roll back: MyISAM, Aria, MEMORY, CSV
#: and ARCHIVE keep every statement at once, whatever the transaction does.
TRANSACTIONAL_ENGINES = frozenset({"innodb"})


def storage_engine_problem(t: Table) -> str | None:
    """Why erasure cannot roll back changes to ``t`` (how to fix it), or None.

    Erasure runs in one transaction per database, so that an interrupted run
    leaves its rows as they were. Only MariaDB and MySQL have storage engines
    without transactions; their reflection names the engine in ``mysql_engine``
    (``mariadb_engine`` through a ``mariadb://`` URL) of ``Table.kwargs``, which
    tables of other engines do not have.
    """
    options = {k.split("_", 1)[1]: v for k, v in t.kwargs.items()
               if k.startswith(("mysql_", "mariadb_"))}
    if not options:
        return None
    engine = options.get("engine")
    if isinstance(engine, str) and engine.lower() in TRANSACTIONAL_ENGINES:
        return None
    return (f"table {t.name} uses the storage engine {engine or '(unknown)'}, which has no "
            "transactions: an erasure interrupted halfway would keep the rows it had already "
            "changed although it reports that nothing was committed. Convert the table: "
            f"ALTER TABLE {t.name} ENGINE=InnoDB.")
