"""Running a query plan against the live databases, and the result it gives.

A :class:`SearchResult` holds one pandas DataFrame per result group. Each row is
one *item*: the row of an original table (or of a copy whose original is gone),
with its provenance (``_database``, ``_table``, ``_key``), its match reason
(``_matched``) and the places that hold copies of it (``_copies``).
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .batches import existing_keys
from .criteria import Criteria
from .datamap import Group, TableSpec
from .display import search_html, search_repr
from .errors import DatabaseError
from .frames import PROVENANCE, column_dtype, key_dtype, typed_frame
from .hints import Hint, column_hints
from .installation import Installation
from .progress import Progress
from .query import QueryPlan, TableQuery, match_words
from .selection import RowRef
from .values import json_value

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SearchResult:
    """What a search found: one DataFrame per group, with totals.

    Examples
    --------
    >>> result = wb.search(phone="+358 40 123 4567")
    >>> result.contacts[["started_at", "channel", "_matched"]].head(3)
               started_at    channel                             _matched
    0 2026-09-19 12:37:33       call  phone ends 1234567 in remote_number
    1 2026-06-27 14:35:32  messenger  phone ends 1234567 in remote_number
    2 2026-04-03 13:15:06        sms  phone ends 1234567 in remote_number
    >>> result.total, result.too_many
    (15, False)
    >>> result.counts()
    {'contacts': 9, 'directory_entries': 1, 'campaign_customers': 2, 'consents': 3}
    """

    criteria: Criteria
    #: The found items' rows per group, as the databases gave them.
    records: Mapping[Group, list[dict[str, Any]]]
    #: Each group's columns and their pandas dtypes (:mod:`dpo_workbench.frames`).
    dtypes: Mapping[Group, Mapping[str, Any]]
    too_many_threshold: int
    elapsed: float = 0.0
    rows_per_table: Mapping[str, int] = field(default_factory=dict)
    #: ``database.table`` of the tables searched that a date span could not restrict
    #: (no time column): their rows are found whatever their date.
    not_restricted_by_dates: tuple[str, ...] = ()
    #: Other phone numbers and e-mail addresses in the found rows' match columns:
    #: suggestions to add to the search (:mod:`dpo_workbench.hints`), never added.
    #: None are collected for a result of too many items (:attr:`too_many`): its
    #: items are mostly other people's, whose identifiers say nothing of this person.
    hints: tuple[Hint, ...] = ()

    @functools.cached_property
    def groups(self) -> dict[Group, pd.DataFrame]:
        """One typed DataFrame per group (built on first use: JSON needs no pandas)."""
        return {g: typed_frame(self.records[g], self.dtypes[g]) for g in self.records}

    @property
    def total(self) -> int:
        """Number of items found, over all groups."""
        return sum(len(r) for r in self.records.values())

    @property
    def too_many(self) -> bool:
        """True when more items were found than the DPO should review at once.

        A suggestion to narrow the criteria (for example a shorter time span), not a
        limit: every item is in the result.
        """
        return self.total > self.too_many_threshold

    @property
    def contacts(self) -> pd.DataFrame:
        return self.groups[Group.CONTACTS]

    @property
    def directory_entries(self) -> pd.DataFrame:
        return self.groups[Group.DIRECTORY_ENTRIES]

    @property
    def campaign_customers(self) -> pd.DataFrame:
        return self.groups[Group.CAMPAIGN_CUSTOMERS]

    @property
    def consents(self) -> pd.DataFrame:
        return self.groups[Group.CONSENTS]

    def counts(self) -> dict[str, int]:
        """Items per group, by group name."""
        return {g.value: len(r) for g, r in self.records.items()}

    def refs(self, group: Group | str | None = None) -> list[RowRef]:
        """References of the items found (of one group, or of all)."""
        groups = [Group(group)] if group is not None else list(Group)
        return [RowRef.from_record(r) for g in groups for r in self.records.get(g, ())]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"total", "too_many", "not_restricted_by_dates", "groups"}``."""
        return {
            "total": self.total,
            "too_many": self.too_many,
            "not_restricted_by_dates": list(self.not_restricted_by_dates),
            "hints": [h.to_dict() for h in self.hints],
            "groups": {g.value: [_jsonable_row(r) for r in rows]
                       for g, rows in self.records.items()},
        }

    def __repr__(self) -> str:
        return search_repr(self)

    def _repr_html_(self) -> str:
        return search_html(self)


def _jsonable_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A result row as JSON values, each copy as its database, table and key."""
    out = {k: json_value(v) for k, v in row.items() if k != "_copies"}
    copies = row.get("_copies")
    # A copy is keyed like its original: the key is the item's own, typed.
    out["_copies"] = [{"database": ref.database, "table": ref.table, "key": out["_key"]}
                      for ref in map(RowRef.parse, copies if isinstance(copies, list) else [])]
    return out


# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """A table's fetched rows as the driver gave them (tuples, read by position)."""

    #: Each column's position in a row.
    at: dict[str, int]
    rows: list[Sequence[Any]]


def _run_database(engine: Engine, database: str, queries: list[TableQuery], keep: bool = False,
                  ) -> tuple[dict[str, _Rows], Connection | None]:
    """Run the selects of one database; with ``keep``, its connection is returned open
    (the caller closes it), else None."""
    out: dict[str, _Rows] = {}
    conn = None
    try:
        conn = engine.connect()
        if engine.dialect.name == "postgresql":
            # Under the default READ COMMITTED each select sees its own snapshot in a
            # transaction too; outside one, no BEGIN and no ROLLBACK cross the network.
            conn.execution_options(isolation_level="AUTOCOMMIT")
        for q in queries:
            result = q.execute(conn)
            # All rows at once: the driver makes them without a call per row.
            out[q.spec.id] = _Rows({c: i for i, c in enumerate(result.keys())},
                                   result.fetchall())
    except SQLAlchemyError as exc:
        if conn is not None:
            conn.close()
        # The driver's message can quote parameter values (personal data): name the
        # failure, not the statement.
        raise DatabaseError(
            f"searching database '{database}' failed ({type(exc).__name__}"
            f"{': ' + type(exc.orig).__name__ if getattr(exc, 'orig', None) else ''}). "
            "Check that the database is reachable and that `dpo-workbench check` passes."
        ) from None
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    if keep:
        return out, conn
    conn.close()
    return out, None


def execute_plan(plan: QueryPlan, inst: Installation,
                 progress: Progress | None = None) -> SearchResult:
    """Run ``plan`` (the databases at once) and assemble the result groups.

    A database on a server answers over the network: its statements run on one of
    the installation's threads, every server at once. A SQLite database is read in
    the calling thread meanwhile: its rows are made while holding the interpreter's
    lock, so a thread of its own would only add hand-offs (on a search of 8,755
    items at 10M, 134 ms on threads against 80 ms in the calling thread). The
    connection of a database that holds copies stays open until the result is
    assembled: which of the found originals it holds is asked on it (a server's
    connection costs a round trip to check out).

    Parameters
    ----------
    plan : QueryPlan
        The selects to run (:func:`~dpo_workbench.query.build_plan`).
    inst : Installation
        The opened installation.
    progress : callable, optional
        Called as ``progress(message, done, total)`` as each database answers.
    """
    started = time.perf_counter()
    by_db: dict[str, list[TableQuery]] = {}
    for q in plan.queries:
        by_db.setdefault(q.spec.database, []).append(q)
    copies = {s.database for s in inst.datamap.tables if s.copy_of is not None}
    rows: dict[str, _Rows] = {}
    servers = {db: inst.pool.submit(_run_database, inst.engines[db], db, qs, db in copies)
               for db, qs in by_db.items() if inst.dialect(db) != "sqlite"}

    searched: list[str] = []
    kept: dict[str, Connection] = {}

    def answered(db: str, found: tuple[dict[str, _Rows], Connection | None]) -> None:
        rows.update(found[0])
        if found[1] is not None:
            kept[db] = found[1]
        searched.append(db)
        if progress:
            progress(f"searched {db}", len(searched), len(by_db))

    try:
        for db, qs in by_db.items():  # SQLite files, while the servers answer
            if db not in servers:
                answered(db, _run_database(inst.engines[db], db, qs, db in copies))
        for db, future in servers.items():
            answered(db, future.result())
        # Whether each stored identifier matched, per match kind: checked once per
        # search, for the records' match words and for the identity hints.
        matched: dict[str, dict[tuple[Any, ...], bool]] = {}
        records, dtypes = _assemble(plan, inst, rows, kept, matched)
    finally:
        for db, future in servers.items():  # a server still answering when one failed
            if db not in searched and not future.cancel():
                conn = None if future.exception() else future.result()[1]
                if conn is not None:
                    conn.close()
        for conn in kept.values():
            conn.close()
    result = SearchResult(criteria=plan.criteria, records=records, dtypes=dtypes,
                          too_many_threshold=inst.settings.search.too_many,
                          elapsed=time.perf_counter() - started,
                          rows_per_table={k: len(v.rows) for k, v in rows.items()},
                          not_restricted_by_dates=plan.undated())
    if result.too_many:
        return result  # no hints (see SearchResult.hints)
    return replace(result, hints=tuple(column_hints(
        plan.criteria, ((q.spec, rows[q.spec.id].rows, rows[q.spec.id].at)
                        for q in plan.queries), matched)))


def _assemble(plan: QueryPlan, inst: Installation, rows: Mapping[str, _Rows],
              connections: Mapping[str, Connection],
              matched: dict[str, dict[tuple[Any, ...], bool]],
              ) -> tuple[dict[Group, list[dict[str, Any]]], dict[Group, dict[str, Any]]]:
    criteria = plan.criteria
    datamap = inst.datamap
    spanned = criteria.start is not None or criteria.end is not None
    # original table id -> key -> the item's record; its "_copies" list is filled in
    # as the copies are found.
    items: dict[str, dict[Any, dict[str, Any]]] = {}
    orphans: list[tuple[str, dict[str, Any]]] = []  # copies whose original was not found
    queries = {q.spec.id: q for q in plan.queries}

    def records(q: TableQuery, found: list[Sequence[Any]],
                ) -> Iterator[tuple[Any, dict[str, Any]]]:
        """Each row of ``found``, rows of ``q``, newest first, with its key and record."""
        spec = q.spec
        at = rows[spec.id].at
        show = spec.show
        places = [at[c] for c in show]
        key_at = at[spec.key]
        words_of = match_words(q.terms, criteria, at, matched, answered=True)
        span_applied = bool(spec.time) if spanned else None
        for r in _newest_first(found, at[spec.time] if spec.time else None, key_at):
            key = r[key_at]
            rec = dict(zip(show, [r[i] for i in places], strict=True))
            rec["_database"] = spec.database
            rec["_table"] = spec.table
            rec["_key"] = key
            rec["_matched"], rec["_match_kind"], rec["_match_column"] = words_of(r)
            rec["_span_applied"] = span_applied
            rec["_copies"] = []
            yield key, rec

    for spec in datamap.tables:
        if spec.copy_of is None and spec.id in queries:
            items[spec.id] = dict(records(queries[spec.id], rows[spec.id].rows))
    for spec in datamap.tables:
        if spec.copy_of is None or not inst.is_open(spec.database):
            continue
        originals = items.setdefault(spec.copy_of, {})
        found = set()
        place = f"{spec.database}.{spec.table}#"  # a copy's reference, as RowRef writes it
        if spec.id in queries:
            alone = []  # copies whose original was not found: items of their own
            key_at = rows[spec.id].at[spec.key]
            for r in rows[spec.id].rows:
                key = r[key_at]
                found.add(key)
                if key in originals:
                    originals[key]["_copies"].append(f"{place}{key}")
                else:
                    alone.append(r)
            orphans += [(spec.copy_of, rec) for _, rec in records(queries[spec.id], alone)]
        # An original found by the search may have a copy that did not match (its
        # data differs): the item is still held there, if the copy's row exists.
        missing = [k for k in originals if k not in found]
        if missing:
            held = _keys_held(inst, connections.get(spec.database), spec, missing)
            for key in missing:
                if key in held:
                    originals[key]["_copies"].append(f"{place}{key}")

    records_by_group: dict[Group, list[dict[str, Any]]] = {}
    dtypes: dict[Group, dict[str, Any]] = {}
    kept_dtypes = _group_dtypes(inst)
    for group in Group:
        specs = [s for s in datamap.in_group(group) if inst.is_open(s.database)]
        found_records: list[dict[str, Any]] = []
        for s in specs:
            if s.copy_of is None:
                found_records += items.get(s.id, {}).values()
        found_records += [rec for orig, rec in orphans if datamap.table(orig).group is group]
        records_by_group[group] = found_records
        if group not in kept_dtypes:
            kept_dtypes[group] = _dtypes(inst, specs)
        dtypes[group] = dict(kept_dtypes[group])
    return records_by_group, dtypes


def _keys_held(inst: Installation, conn: Connection | None, spec: TableSpec,
               keys: list[Any]) -> set[Any]:
    """Which of ``keys`` the table ``spec`` holds, asked on ``conn`` (None: a new one)."""
    table = inst.table(spec.database, spec.table)
    if conn is None:
        with inst.connect(spec.database) as new:
            return existing_keys(new, table, spec.key, keys)
    try:
        return existing_keys(conn, table, spec.key, keys)
    except SQLAlchemyError as exc:
        # As Installation.connect says it: the driver's message can quote values.
        raise DatabaseError(f"reading database '{spec.database}' failed "
                            f"({type(exc).__name__}).") from None


#: Each installation's group dtypes, with the schema they were read from.
_DTYPES: weakref.WeakKeyDictionary[Installation, tuple[object, dict[Group, dict[str, Any]]]] \
    = weakref.WeakKeyDictionary()


def _group_dtypes(inst: Installation) -> dict[Group, dict[str, Any]]:
    """The dtypes of each group's frame known for ``inst``'s current schema (they depend on
    nothing else: the schema reflected again starts them anew)."""
    kept = _DTYPES.get(inst)
    if kept is None or kept[0] is not inst.schema:
        kept = _DTYPES[inst] = (inst.schema, {})
    return kept[1]


def _dtypes(inst: Installation, specs: Sequence[TableSpec]) -> dict[str, Any]:
    """The columns of a group's frame and their dtypes, from the tables' schema."""
    dtypes: dict[str, Any] = {}
    for s in specs:
        table = inst.table(s.database, s.table)
        for c in s.show:
            dtypes.setdefault(c, column_dtype(table.c[c]))
    dtypes.update(PROVENANCE)
    dtypes["_key"] = key_dtype(inst.table(s.database, s.table).c[s.key] for s in specs)
    return dtypes


def _newest_first(rows: list[Any], time_at: Any, key_at: Any) -> list[Any]:
    """Newest first, rows without a time last, then by key (the same on every engine,
    whose NULL ordering differs).

    ``time_at`` and ``key_at`` are the places of the time column (None: no time) and
    of the key in a row: positions in tuples, or names in mappings.

    >>> rows = [{"k": 2, "t": None}, {"k": 1, "t": "2025-01-02"}, {"k": 3, "t": "2025-01-02"},
    ...         {"k": "a", "t": "2024-12-31"}]
    >>> [r["k"] for r in _newest_first(rows, "t", "k")]
    [1, 3, 'a', 2]
    """
    by_key = itemgetter(key_at)
    types = set(map(type, map(by_key, rows)))
    if len(types) <= 1 and type(None) not in types:  # keys of one type: by key alone
        out = sorted(rows, key=by_key)
    else:
        out = sorted(rows, key=lambda r: (type(r[key_at]).__name__, r[key_at]))
    if time_at is not None:
        by_time = itemgetter(time_at)
        if all(map(by_time, out)):  # every row has a time: by time alone
            out.sort(key=by_time, reverse=True)
        else:
            out.sort(key=lambda r: (r[time_at] is not None, r[time_at] or ""), reverse=True)
    return out
