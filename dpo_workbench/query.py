"""The query plan: one SQLAlchemy Core ``select()`` per datamap table.

Statements carry the criteria as bound parameters only. :meth:`QueryPlan.explain`
says in plain words what will be searched where, without the searched values.

A table's select depends on the criteria only through their *shape*: the match
kinds given, the number of phone digits compared and the ends of the date span.
The values are named bound parameters, given when the select runs. Each select is
built once per shape and reused by every search of that shape: building the
expressions was most of a search's planning, and SQLAlchemy finds a reused select's
compiled form without walking it again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Connection, CursorResult, Select, Table, or_, select
from sqlalchemy.sql.visitors import cloned_traverse

from .criteria import Criteria
from .datamap import Datamap, Group, TableSpec
from .installation import Installation
from .matchkinds import MATCH_KINDS, MatchKind
from .tablecache import TableCache
from .timespan import resolve as resolve_time_format
from .timespan import span_conditions, span_ends, span_values


@dataclass(frozen=True)
class MatchTerm:
    """One way a row of a table can match: a match kind on its columns."""

    kind: MatchKind
    columns: tuple[str, ...]

    @property
    def criterion(self) -> str:
        """The match kind's name (``phone``, ``email``, ``name``)."""
        return self.kind.name

    def words(self, criteria: Criteria) -> str:
        """The term in words, without the searched value."""
        return self.kind.words(self.columns, criteria)

    def reason(self, criteria: Criteria) -> str:
        """The match reason shown with a row, e.g. ``phone ends 1234567 in remote_number``."""
        return self.kind.reason(self.columns, criteria)

    def matches(self, row: Mapping[str, object], criteria: Criteria) -> bool:
        """Whether a fetched row satisfies the term (the SQL's semantics, in Python).

        This repeats the SQL on the few rows the database returned, so the match
        reasons cost no extra SQL.
        """
        return self.kind.matches([row.get(c) for c in self.columns], criteria)


@dataclass(frozen=True)
class TableQuery:
    """The select of one datamap table, and the terms it matches."""

    spec: TableSpec
    #: The select with its searched values as bound parameters without values, shared
    #: by every search of the same shape (see the module notes).
    shape: Select
    #: This search's values of the shape's bound parameters, by name.
    values: Mapping[str, Any]
    terms: tuple[MatchTerm, ...]
    dialect: str

    @functools.cached_property
    def statement(self) -> Select:
        """The select with this search's values in its bound parameters (a copy of
        :attr:`shape`): one statement to compile, explain or run on its own."""
        values = self.values

        def bind(param: BindParameter[Any]) -> None:
            if param.key in values:
                param.value = values[param.key]
                param.required = False

        return cloned_traverse(self.shape, {"maintain_key": True}, {"bindparam": bind})

    def execute(self, conn: Connection) -> CursorResult[Any]:
        """Run the select on ``conn``: the shared shape with this search's values."""
        return conn.execute(self.shape, self.values)

    def sql(self) -> str:
        """The statement as the engine will receive it, with placeholders for values."""
        from sqlalchemy.dialects import mysql, postgresql, sqlite

        dialects = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect(),
                    "mysql": mysql.dialect(), "mariadb": mysql.dialect()}
        return str(self.statement.compile(dialect=dialects.get(self.dialect, sqlite.dialect())))

    def matched_terms(self, row: Mapping[str, object], criteria: Criteria) -> list[MatchTerm]:
        """The terms a fetched row satisfies (why it was found)."""
        return [t for t in self.terms if t.matches(row, criteria)]

    def reasons(self, row: Mapping[str, object], criteria: Criteria) -> str:
        """Why a fetched row matched, every term it satisfies, in words."""
        return "; ".join(t.reason(criteria) for t in self.matched_terms(row, criteria))


def _only_term_words(term: MatchTerm, criteria: Criteria, at: Mapping[str, Any],
                     known: dict[str, dict[tuple[Any, ...], bool]],
                     ) -> Callable[[Any], tuple[str, str, str]]:
    """:func:`match_words` of rows that the one ``term`` found: its words for every row."""
    words = (term.reason(criteria), term.criterion, ",".join(term.columns))
    if len(term.columns) != 1:
        return lambda r: words
    place, seen = at[term.columns[0]], known.setdefault(term.criterion, {})

    def words_of(r: Any) -> tuple[str, str, str]:
        try:  # noqa: SIM105 - per row: a try costs less than a context manager
            seen[(r[place],)] = True
        except TypeError:  # a value that cannot be a key (not text): not remembered
            pass
        return words

    return words_of


def match_words(terms: Sequence[MatchTerm], criteria: Criteria, at: Mapping[str, Any],
                known: dict[str, dict[tuple[Any, ...], bool]] | None = None, *,
                answered: bool = False) -> Callable[[Any], tuple[str, str, str]]:
    """A function giving the words of a fetched row's match, for a result's
    ``_matched``, ``_match_kind`` and ``_match_column``: those of the ``terms`` (a
    table's) that the row satisfies.

    ``at`` gives each column's place in a row: its position in a tuple (or its name
    in a mapping). A large result repeats the same few stored identifiers in
    thousands of rows: the words are made once per values of the matched columns
    (each term checked once per values of its own columns), and once per combination
    of terms satisfied. ``known`` keeps, per match kind, whether stored values
    matched: give one dict to the tables of one search, and each value is checked
    once for all of them (the identity hints read it too).

    ``answered`` says that the rows are the database's answer to these terms, so
    each satisfies at least one of them: a table searched by a single term then has
    nothing to check, and every row gets that term's words (its single column's
    values are noted in ``known`` as matching).

    >>> from dpo_workbench.matchkinds import MATCH_KINDS
    >>> phone = MatchTerm(MATCH_KINDS["phone"], ("number",))
    >>> words = match_words([phone], Criteria.parse(phone="040 123 4567"), {"number": 0})
    >>> words(("040-123 45 67",)), words(("040 765 4321",))
    (('phone ends 1234567 in number', 'phone', 'number'), ('', '', ''))
    """
    # Each term, its columns' places, and what it gave for the values seen so far.
    known = {} if known is None else known
    if answered and len(terms) == 1:
        return _only_term_words(terms[0], criteria, at, known)
    checks = [(t, tuple(at[c] for c in t.columns), known.setdefault(t.criterion, {}))
              for t in terms]
    every = tuple(dict.fromkeys(at[c] for t in terms for c in t.columns))
    by_values: dict[tuple[Any, ...], tuple[str, str, str]] = {}
    by_terms: dict[tuple[int, ...], tuple[str, str, str]] = {}

    def satisfies(t: MatchTerm, places: tuple[Any, ...], seen: dict[tuple[Any, ...], bool],
                  r: Any) -> bool:
        values = tuple([r[i] for i in places])
        try:
            ok = seen.get(values)
        except TypeError:  # a value that cannot be a key (not text): not remembered
            return t.kind.matches(values, criteria)
        if ok is None:
            ok = seen[values] = t.kind.matches(values, criteria)
        return ok

    def words_of(r: Any) -> tuple[str, str, str]:
        values: tuple[Any, ...] | None = tuple([r[i] for i in every])
        try:
            found = by_values.get(values)
        except TypeError:  # a value that cannot be a key (not text): not remembered
            found = values = None
        if found is not None:
            return found
        satisfied = tuple([i for i, (t, places, seen) in enumerate(checks)
                           if satisfies(t, places, seen, r)])
        found = by_terms.get(satisfied)
        if found is None:
            matched = [terms[i] for i in satisfied]
            found = by_terms[satisfied] = (
                "; ".join(t.reason(criteria) for t in matched),
                ";".join(t.criterion for t in matched),
                ";".join(",".join(t.columns) for t in matched))
        if values is not None:
            by_values[values] = found
        return found

    return words_of


@dataclass(frozen=True)
class QueryPlan:
    """What a search will run: one :class:`TableQuery` per table that can match."""

    criteria: Criteria
    queries: tuple[TableQuery, ...]
    skipped: tuple[tuple[TableSpec, str], ...]  # tables not searched, with the reason

    def undated(self) -> tuple[str, ...]:
        """The tables searched that the criteria's date span cannot restrict (no time)."""
        if self.criteria.start is None and self.criteria.end is None:
            return ()
        return tuple(q.spec.location for q in self.queries if not q.spec.time)

    def explain(self) -> str:
        """Say in plain words what will be searched where.

        Examples
        --------
        The demo's plan for a phone search starts like this::

            Search for: the phone number's last 7 digits
            Contacts
              - operative.contact_events: remote_number ends with the last 7 digits
        """
        lines = [f"Search for: {self.criteria.describe()}"]
        for group in Group:
            queries = [q for q in self.queries if q.spec.group is group]
            skipped = [(t, why) for t, why in self.skipped if t.group is group]
            if not queries and not skipped:
                continue
            lines.append(group.title)
            for q in queries:
                terms = "; or ".join(t.words(self.criteria) for t in q.terms)
                span = ""
                if self.criteria.start or self.criteria.end:
                    span = (f"; only rows whose {q.spec.time} is in the date span" if q.spec.time
                            else "; NOT restricted by the date span (no time column)")
                copy = f" (copies of {q.spec.copy_of})" if q.spec.copy_of else ""
                lines.append(f"  - {q.spec.location}{copy}: {terms}{span}")
            for t, why in skipped:
                lines.append(f"  - {t.location}: not searched ({why})")
        return "\n".join(lines)


def _terms(spec: TableSpec, wanted: frozenset[str]) -> tuple[list[MatchTerm], str | None]:
    usable = wanted & spec.criteria
    terms = [MatchTerm(kind, columns) for name, kind in MATCH_KINDS.items() if name in usable
             for columns in spec.match.get(name, ())]
    if terms:
        return terms, None
    given = " or ".join(MATCH_KINDS[w].label for w in sorted(wanted))
    if wanted - spec.group.criteria:
        return [], f"{spec.group.title} are not found by {given}"
    return [], f"it declares no column for {given}"


def build_plan(datamap: Datamap, schema: Mapping[str, Mapping[str, Table]],
               dialects: Mapping[str, str], criteria: Criteria) -> QueryPlan:
    """Build the selects of a search.

    ``schema`` holds the reflected tables per logical database and ``dialects``
    each database's dialect name (the match expressions differ per engine).
    """
    queries: list[TableQuery] = []
    skipped: list[tuple[TableSpec, str]] = []
    wanted = criteria.kinds
    kinds = [k for name, k in MATCH_KINDS.items() if name in wanted]
    values = {k.name: k.values(criteria) for k in kinds}
    # Everything of the criteria a table's select depends on, beside the bound values.
    shape = (wanted, tuple(k.shape(criteria) for k in kinds), tuple(span_ends(criteria)))
    for spec in datamap.tables:
        if spec.database not in schema:
            skipped.append((spec, "its database is not open"))
            continue
        terms, why = _terms(spec, wanted)
        if not terms:
            skipped.append((spec, why or ""))
            continue
        table = schema[spec.database][spec.table]
        dialect = dialects[spec.database]
        made = _shape(spec, table, dialect, terms, criteria, shape)
        params = {f"t{i}_{name}": value for i, t in enumerate(made.terms)
                  for name, value in values[t.criterion].items()}
        if made.time_format:
            params.update(span_values(made.time_format, criteria, dialect))
        queries.append(TableQuery(spec=spec, shape=made.statement, values=params,
                                  terms=made.terms, dialect=dialect))
    return QueryPlan(criteria=criteria, queries=tuple(queries), skipped=tuple(skipped))


@dataclass(frozen=True)
class _Shape:
    """A table's select for one shape of criteria, and what its values depend on."""

    spec: TableSpec
    statement: Select
    terms: tuple[MatchTerm, ...]
    #: The time column's format when the select has date span conditions, else None.
    time_format: str | None


#: Each reflected table's selects, by datamap table, dialect and shape of criteria.
#: Keyed by the table: a schema reflected again (a column or an index added or
#: dropped) has new tables, and so new selects.
_SHAPES = TableCache()


def _shape(spec: TableSpec, table: Table, dialect: str, terms: list[MatchTerm],
           criteria: Criteria, shape: tuple[Any, ...]) -> _Shape:
    """The select of ``spec`` for criteria of this shape: made once, then reused."""
    made = _SHAPES.of(table)
    key = (spec.id, dialect, shape)
    found = made.get(key)
    if found is not None and found.spec is spec:
        return found
    conditions = [t.kind.condition(table, t.columns, criteria, dialect, f"t{i}_")
                  for i, t in enumerate(terms)]
    wanted = [spec.key, *spec.show, *spec.match_columns]
    if spec.time:
        wanted.append(spec.time)
    cols = [table.c[c] for c in dict.fromkeys(wanted)]
    stmt = select(*cols).where(or_(*conditions))
    fmt = None
    if spec.time and span_ends(criteria):
        fmt = resolve_time_format(spec.time_format, table.c[spec.time]) or "native"
        stmt = stmt.where(*span_conditions(table.c[spec.time], fmt, criteria, dialect))
    # No ORDER BY: an index that yields rows in time order would tempt the planner
    # away from the match indexes; the result is sorted in Python instead.
    made[key] = found = _Shape(spec=spec, statement=stmt, terms=tuple(terms), time_format=fmt)
    return found


def engine_plans(inst: Installation, plan: QueryPlan) -> dict[str, str]:
    """Each table's query plan as its engine reports it (EXPLAIN), by table id.

    Shows whether a search seeks the workbench's indexes or scans a table.
    """
    out = {}
    for q in plan.queries:
        with inst.connect(q.spec.database) as conn:
            compiled = q.statement.compile(dialect=conn.dialect,
                                           compile_kwargs={"render_postcompile": True})
            prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
            params = compiled.construct_params()
            if compiled.positiontup is not None:
                args: Any = tuple(params[k] for k in compiled.positiontup)
            else:
                args = params
            rows = conn.exec_driver_sql(prefix + str(compiled), args).fetchall()
        out[q.spec.id] = "\n".join(" | ".join(str(v) for v in r) for r in rows)
    return out
