"""The JSON documents the command line prints with ``--format json``.

Every command that prints something takes ``--format json`` and then writes one
JSON document to standard output (messages and warnings stay on standard error,
and the exit status is the one of :data:`dpo_workbench.errors.EXIT_STATUSES`).
Each document's keys are declared here as a ``TypedDict``;
``docs/schema/cli-output.schema.json`` is generated from them
(``python docs/schema/regenerate.py``), and the tests check every document a
command prints against its type, so a key is never renamed or dropped silently.

No document holds a searched value: explain and the plan speak in words, the
plan and the receipt name rows by ``database.table#key``. ``details`` and
``search`` print the person's data, which is what they are asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from .erasedocs import (  # the erasure's documents, declared beside it
    EraseIncompleteDocument,
    ErasePlanDocument,
    EraseReceiptDocument,
    EraseRunsDocument,
    VerifyDocument,
)

if TYPE_CHECKING:
    from ..audit.chain import VerifyReport
    from ..details import Details
    from ..indexes import IndexDef, IndexStatus, ObsoleteIndex
    from ..query import QueryPlan


class Hint(TypedDict):
    kind: str  # phone or email
    value: str
    places: list[str]  # where it was seen (database.table#key column), at most five


class SearchDocument(TypedDict):
    """``search --format json``: each row its columns plus ``_database``, ``_table``,
    ``_key``, ``_matched``, ``_copies``..."""

    total: int
    too_many: bool
    not_restricted_by_dates: list[str]
    hints: list[Hint]  # with --hints
    groups: dict[str, list[dict[str, Any]]]  # contacts, directory_entries, ...


class ExplainTerm(TypedDict):
    kind: str  # the match kind: phone, email, name
    columns: list[str]
    words: str


class ExplainTable(TypedDict):
    group: str
    table: str  # database.table
    copy_of: str | None  # the table this one holds copies of (monitoring databases)
    searched: bool
    reason: str | None  # why it is not searched
    terms: list[ExplainTerm]  # how a row matches; any one term is enough
    time_column: str | None
    restricted_by_dates: bool | None  # None: no date span given
    sql: NotRequired[str]  # with --sql: the statement, placeholders for the values
    engine_plan: NotRequired[str]  # with --sql: the engine's plan of it


class ExplainDocument(TypedDict):
    """``explain --format json``."""

    search: str  # the criteria in words, never their values
    tables: list[ExplainTable]
    not_restricted_by_dates: list[str]


class FileDocument(TypedDict):
    name: str
    kind: str
    size: int | None
    store: str
    path: str
    owner: str  # database.table#key of the row naming the file
    exists: bool
    problem: str | None


class PartLabels(TypedDict):
    label: str
    fields: dict[str, str]  # column -> label


class ItemLabels(TypedDict):
    label: str  # the table's label
    fields: dict[str, str]  # column -> label
    lookups: dict[str, PartLabels]
    children: dict[str, PartLabels]


class DetailsDocument(TypedDict):
    """``details --format json``: the item as the JSON report has it, files not hashed."""

    group: str
    group_title: str
    item: str
    database: str
    table: str
    key: Any
    fields: dict[str, Any]
    lookups: dict[str, dict[str, Any]]
    children: dict[str, list[dict[str, Any]]]
    files: list[FileDocument]
    copies: list[str]
    table_label: str  # the datamap's label of the item's table ("Contact")
    labels: ItemLabels  # what the datamap calls its columns, lookups and child tables


class IndexDocument(TypedDict):
    database: str
    table: str
    name: str
    kind: str
    columns: list[str]


class IndexDefinition(IndexDocument):
    statements: list[str]  # the DDL, in order


class IndexState(IndexDocument):
    exists: bool


class IndexBuilt(IndexDocument):
    seconds: float


class ObsoleteDocument(TypedDict):
    database: str
    table: str
    name: str
    is_column: bool  # a MariaDB key column rather than an index


class IndexesDocument(TypedDict):
    """``indexes --format json``: the key present is the action's."""

    definitions: NotRequired[list[IndexDefinition]]  # no action: what would be created
    status: NotRequired[list[IndexState]]  # --status
    obsolete: NotRequired[list[ObsoleteDocument]]  # --status
    created: NotRequired[list[IndexBuilt]]  # --apply
    removed: NotRequired[int]  # --drop


class CheckIndexes(TypedDict):
    present: int
    missing: list[IndexDocument]
    obsolete: list[ObsoleteDocument]


class CheckDocument(TypedDict):
    """``check --format json`` (printed only when the check passes; else exit 3)."""

    ok: bool
    installation: str
    databases: list[str]
    tables: int  # datamap tables checked against the live schema
    indexes: CheckIndexes
    notes: list[str]


class AuditVerifyDocument(TypedDict):
    """``audit verify --format json`` (exit 4 when not ok)."""

    ok: bool
    checked: int
    last_id: int
    last_hash: str
    problems: list[str]


class AuditEvent(TypedDict):
    id: int
    at: str
    user: str
    os_user: str | None
    action: str
    criteria_hash: str | None
    tables: dict[str, int]
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class Sample(TypedDict):
    key: str
    first_name: str
    last_name: str
    country: str
    phone: str
    email: str
    notes: list[str]


class SamplesDocument(TypedDict):
    """``demo samples --format json``."""

    samples: list[Sample]


#: What each command prints with ``--format json`` (docs/schema/cli-output.schema.json).
COMMAND_DOCUMENTS: tuple[tuple[str, Any], ...] = (
    ("search", SearchDocument),
    ("explain", ExplainDocument),
    ("details", DetailsDocument),
    ("check", CheckDocument),
    ("indexes (the key present is the action's)", IndexesDocument),
    ("erase: the plan, without --confirm or when a confirmation is refused (exit 6)",
     ErasePlanDocument),
    ("erase --confirm or --resume: the receipt (exit 0, or 4 if not verified)",
     EraseReceiptDocument),
    ("erase: a run that stopped part-way (exit 5)", EraseIncompleteDocument),
    ("erase --status", EraseRunsDocument),
    ("verify", VerifyDocument),
    ("audit list", list[AuditEvent]),
    ("audit verify (exit 4 if not ok)", AuditVerifyDocument),
    ("demo samples", SamplesDocument),
)


# -- builders ------------------------------------------------------------------------------


def explain_document(plan: QueryPlan, engine_plans: Mapping[str, str] | None = None,
                     ) -> ExplainDocument:
    """What a search looks at, table by table (with ``engine_plans``: SQL and plans too)."""
    from ..datamap import Group

    criteria = plan.criteria
    dated = criteria.start is not None or criteria.end is not None
    tables: list[ExplainTable] = []
    for group in Group:
        for q in (q for q in plan.queries if q.spec.group is group):
            entry: ExplainTable = {
                "group": group.value, "table": q.spec.location, "copy_of": q.spec.copy_of,
                "searched": True, "reason": None,
                "terms": [{"kind": t.criterion, "columns": list(t.columns),
                           "words": t.words(criteria)} for t in q.terms],
                "time_column": q.spec.time,
                "restricted_by_dates": bool(q.spec.time) if dated else None}
            if engine_plans is not None:
                entry["sql"] = q.sql()
                entry["engine_plan"] = engine_plans[q.spec.id]
            tables.append(entry)
        tables += [{"group": group.value, "table": spec.location, "copy_of": spec.copy_of,
                    "searched": False, "reason": why, "terms": [], "time_column": spec.time,
                    "restricted_by_dates": None}
                   for spec, why in plan.skipped if spec.group is group]
    return {"search": criteria.describe(), "tables": tables,
            "not_restricted_by_dates": list(plan.undated())}


def details_document(d: Details) -> DetailsDocument:
    """One item: its fields, lookups, child rows, files (not read) and copies."""
    from ..datamap import Group
    from ..report.jsonfile import item_json, item_labels
    from ..report.labels import ReportLabels

    group = next((g.value for g in Group if g.title == d.group_title), d.group_title)
    labels = ReportLabels({d.spec.id: d.spec} if d.spec else {})
    doc: Any = {"group": group, "group_title": d.group_title,
                **item_json(d, hash_files=False), "table_label": labels.table(d.table_id),
                "labels": item_labels(d, labels)}
    return doc  # type: ignore[no-any-return]


def _index(idx: IndexDef) -> IndexDocument:
    return {"database": idx.database, "table": idx.table, "name": idx.name, "kind": idx.kind,
            "columns": list(idx.columns)}


def _obsolete(old: ObsoleteIndex) -> ObsoleteDocument:
    return {"database": old.database, "table": old.table, "name": old.name,
            "is_column": old.is_column}


def index_definitions(defs: Iterable[IndexDef]) -> IndexesDocument:
    """``indexes``: the indexes the workbench would create, with their DDL."""
    return {"definitions": [{**_index(i), "statements": list(i.statements)} for i in defs]}


def index_status(states: Iterable[IndexStatus], obsolete: Iterable[ObsoleteIndex],
                 ) -> IndexesDocument:
    """``indexes --status``: which exist, and which belong to older match rules."""
    return {"status": [{**_index(s.index), "exists": s.exists} for s in states],
            "obsolete": [_obsolete(o) for o in obsolete]}


def indexes_created(built: Iterable[tuple[IndexDef, float]]) -> IndexesDocument:
    """``indexes --apply``: each index created, with its build time."""
    return {"created": [{**_index(i), "seconds": round(took, 3)} for i, took in built]}


def check_document(installation: str, databases: Sequence[str], tables: int,
                   states: Sequence[IndexStatus], obsolete: Sequence[ObsoleteIndex],
                   notes: Sequence[str]) -> CheckDocument:
    """``check``: what was checked, and the indexes to create or replace."""
    return {"ok": True, "installation": installation, "databases": list(databases),
            "tables": tables,
            "indexes": {"present": sum(s.exists for s in states),
                        "missing": [_index(s.index) for s in states if not s.exists],
                        "obsolete": [_obsolete(o) for o in obsolete]},
            "notes": list(notes)}


def verify_document(report: VerifyReport) -> AuditVerifyDocument:
    """``audit verify``: the chain's end and every problem found."""
    return {"ok": report.ok, "checked": report.checked, "last_id": report.last_id,
            "last_hash": report.last_hash, "problems": list(report.problems)}
