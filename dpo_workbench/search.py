"""Running a query plan against the live databases, and the result it gives.

A :class:`SearchResult` holds one pandas DataFrame per result group. Each row is
one *item*: the row of an original table (or of a copy whose original is gone),
with its provenance (``_database``, ``_table``, ``_key``), its match reason
(``_matched``) and the places that hold copies of it (``_copies``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
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
from .query import QueryPlan, TableQuery
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


@dataclass
class _Item:
    record: dict[str, Any]
    copies: list[str] = field(default_factory=list)

    def record_with_copies(self) -> dict[str, Any]:
        """The finished record (each item is finished once, so the record is its own)."""
        self.record["_copies"] = self.copies
        return self.record


def _run_database(engine: Engine, database: str, queries: list[TableQuery],
                  ) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        with engine.connect() as conn:
            for q in queries:
                result = q.execute(conn)
                names = tuple(result.keys())
                out[q.spec.id] = [dict(zip(names, row, strict=True)) for row in result]
    except SQLAlchemyError as exc:
        # The driver's message can quote parameter values (personal data): name the
        # failure, not the statement.
        raise DatabaseError(
            f"searching database '{database}' failed ({type(exc).__name__}"
            f"{': ' + type(exc.orig).__name__ if getattr(exc, 'orig', None) else ''}). "
            "Check that the database is reachable and that `dpo-workbench check` passes."
        ) from None
    return out


def execute_plan(plan: QueryPlan, inst: Installation,
                 progress: Progress | None = None) -> SearchResult:
    """Run ``plan`` (the databases at once) and assemble the result groups.

    A database on a server answers over the network: its statements run on one of
    the installation's threads, every server at once. A SQLite database is read in
    the calling thread meanwhile: its rows are made while holding the interpreter's
    lock, so a thread of its own would only add hand-offs (on a search of 8,755
    items at 10M, 134 ms on threads against 80 ms in the calling thread).

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
    rows: dict[str, list[dict[str, Any]]] = {}
    servers = {db: inst.pool.submit(_run_database, inst.engines[db], db, qs)
               for db, qs in by_db.items() if inst.dialect(db) != "sqlite"}

    searched: list[str] = []

    def answered(db: str, found: dict[str, list[dict[str, Any]]]) -> None:
        rows.update(found)
        searched.append(db)
        if progress:
            progress(f"searched {db}", len(searched), len(by_db))

    for db, qs in by_db.items():  # SQLite files, while the servers answer
        if db not in servers:
            answered(db, _run_database(inst.engines[db], db, qs))
    for db, future in servers.items():
        answered(db, future.result())
    records, dtypes = _assemble(plan, inst, rows)
    return SearchResult(criteria=plan.criteria, records=records, dtypes=dtypes,
                        too_many_threshold=inst.settings.search.too_many,
                        elapsed=time.perf_counter() - started,
                        rows_per_table={k: len(v) for k, v in rows.items()},
                        not_restricted_by_dates=plan.undated(),
                        hints=tuple(column_hints(plan.criteria, _found_rows(plan, rows))))


def _found_rows(plan: QueryPlan, rows: Mapping[str, list[dict[str, Any]]],
                ) -> Iterator[tuple[RowRef, dict[str, Any], dict[str, tuple[str, ...]]]]:
    """Each fetched row with its reference and its phone and e-mail columns."""
    for q in plan.queries:
        columns = {k: tuple(c for (c,) in q.spec.match.get(k, ())) for k in ("phone", "email")}
        for r in rows.get(q.spec.id, ()):
            yield RowRef(q.spec.database, q.spec.table, r[q.spec.key]), r, columns


def _assemble(plan: QueryPlan, inst: Installation, rows: Mapping[str, list[dict[str, Any]]],
              ) -> tuple[dict[Group, list[dict[str, Any]]], dict[Group, dict[str, Any]]]:
    criteria = plan.criteria
    datamap = inst.datamap
    spanned = criteria.start is not None or criteria.end is not None
    items: dict[str, dict[Any, _Item]] = {}  # original table id -> key -> item
    orphans: list[tuple[str, _Item]] = []  # copies whose original was not found
    queries = {q.spec.id: q for q in plan.queries}

    # (table, the terms a row satisfies) -> the words of _matched, _match_kind and
    # _match_column: the same few combinations recur in every row of a large result.
    words: dict[tuple[str, tuple[int, ...]], tuple[str, str, str]] = {}

    def make(q: TableQuery, r: dict[str, Any]) -> _Item:
        spec = q.spec
        satisfied = tuple(i for i, t in enumerate(q.terms) if t.matches(r, criteria))
        try:
            matched, kinds, columns = words[spec.id, satisfied]
        except KeyError:
            terms = [q.terms[i] for i in satisfied]
            matched, kinds, columns = words[spec.id, satisfied] = (
                "; ".join(t.reason(criteria) for t in terms),
                ";".join(t.criterion for t in terms),
                ";".join(",".join(t.columns) for t in terms))
        rec = {c: r.get(c) for c in spec.show}
        rec.update(_database=spec.database, _table=spec.table, _key=r[spec.key],
                   _matched=matched, _match_kind=kinds, _match_column=columns,
                   _span_applied=bool(spec.time) if spanned else None)
        return _Item(rec)

    for spec in datamap.tables:
        if spec.copy_of is None and spec.id in queries:
            items[spec.id] = {r[spec.key]: make(queries[spec.id], r)
                              for r in _newest_first(rows[spec.id], spec.time, spec.key)}
    for spec in datamap.tables:
        if spec.copy_of is None or not inst.is_open(spec.database):
            continue
        originals = items.setdefault(spec.copy_of, {})
        found = set()
        if spec.id in queries:
            for r in _newest_first(rows[spec.id], spec.time, spec.key):
                key = r[spec.key]
                found.add(key)
                if key in originals:
                    originals[key].copies.append(str(RowRef(spec.database, spec.table, key)))
                else:
                    orphans.append((spec.copy_of, make(queries[spec.id], r)))
        # An original found by the search may have a copy that did not match (its
        # data differs): the item is still held there, if the copy's row exists.
        missing = [k for k in originals if k not in found]
        if missing:
            with inst.connect(spec.database) as conn:
                held = existing_keys(conn, inst.table(spec.database, spec.table), spec.key,
                                     missing)
            for key in missing:
                if key in held:
                    originals[key].copies.append(str(RowRef(spec.database, spec.table, key)))

    records_by_group: dict[Group, list[dict[str, Any]]] = {}
    dtypes: dict[Group, dict[str, Any]] = {}
    for group in Group:
        specs = [s for s in datamap.in_group(group) if inst.is_open(s.database)]
        records = []
        for s in specs:
            if s.copy_of is None:
                records += [i.record_with_copies() for i in items.get(s.id, {}).values()]
        records += [i.record_with_copies() for orig, i in orphans
                    if datamap.table(orig).group is group]
        records_by_group[group] = records
        dtypes[group] = _dtypes(inst, specs)
    return records_by_group, dtypes


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


def _newest_first(rows: list[dict[str, Any]], time_column: str | None,
                  key_column: str) -> list[dict[str, Any]]:
    """Newest first, rows without a time last, then by key (the same on every engine,
    whose NULL ordering differs)."""
    out = sorted(rows, key=lambda r: (type(r[key_column]).__name__, r[key_column]))
    if time_column:
        out.sort(key=lambda r: (r.get(time_column) is not None, r.get(time_column) or ""),
                 reverse=True)
    return out
