"""Checking a datamap against the reflected live schema.

Every table and column the datamap names must exist, match columns must hold
text, a time column a date or timestamp, and each erase strategy must fit its
column (:meth:`EraseStrategy.unfit <dpo_workbench.erasure.strategies.EraseStrategy.unfit>`).
Every problem is collected, so one run reports them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Date, DateTime, Table

from ..erasure.strategies import STRATEGIES, is_text
from ..errors import DatamapError
from .model import Datamap, EraseSpec, FileSpec


def check_against_schema(datamap: Datamap, schema: Mapping[str, Mapping[str, Table]],
                         file_stores: Iterable[str] = ()) -> None:
    """Check every table and column the datamap names against the reflected schema.

    ``schema`` maps each logical database to its reflected tables by name; a
    database missing from it is reported as not configured.

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

    def erase(where: str, t: Table, spec: EraseSpec) -> None:
        columns(where, t, spec.columns, "erase")
        for c, sname in spec.columns.items():
            problem = STRATEGIES[sname].unfit(t.c[c]) if c in t.c else None
            if problem:
                problems.append(f"{where}: {problem}")

    for ts in datamap.tables:
        w = f"table {ts.id}"
        t = table(w, ts.database, ts.table)
        if t is None:
            continue
        columns(w, t, [ts.key], "key")
        for kind, groups in ts.match.items():
            columns(w, t, [c for g in groups for c in g], kind)
        columns(w, t, ts.identifying, "identifying")
        columns(w, t, ts.show, "show")
        if ts.time:
            columns(w, t, [ts.time], "time")
            if ts.time in t.c and not isinstance(t.c[ts.time].type, Date | DateTime):
                problems.append(f"{w}: time column '{ts.time}' is of type {t.c[ts.time].type}, "
                                "not a date or timestamp; name a DATE/TIMESTAMP column or remove "
                                "'time'.")
        for c in ts.match_columns:
            if c in t.c and not is_text(t.c[c]):
                problems.append(f"{w}: match column '{c}' is of type {t.c[c].type}; phone, "
                                "e-mail and name columns must hold text.")
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
    if problems:
        raise DatamapError(datamap.source, problems)
