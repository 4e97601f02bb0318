"""The JSON documents of ``erase`` and ``verify`` (see :mod:`.documents`).

The plan with its token, the receipt with its deep sweep, a run's state, and what
``verify`` prints: locations, counts and tokens, never a searched value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

if TYPE_CHECKING:
    from ..erasure.journal import Run
    from ..erasure.plan import ErasurePlan


class PlanTarget(TypedDict):
    database: str
    table: str
    label: str
    action: str  # anonymize or delete
    rows: int
    columns: dict[str, str]  # column -> erase strategy (anonymize)
    is_child: bool
    words: str  # what the step does, in the datamap's labels
    table_label: str  # the datamap's label of the table ("Chat transcript")
    column_labels: dict[str, str]  # column -> the datamap's label, for the changed columns


class PlanDocument(TypedDict):
    token: str | None  # what --confirm takes; None when there is nothing to erase
    items: list[str]
    excluded: list[str]
    rows: int
    files: int
    targets: list[PlanTarget]
    files_by_kind: dict[str, dict[str, int]]  # database -> file kind -> files
    not_restricted_by_dates: list[str]
    description: str


class ErasePlanDocument(TypedDict):
    """``erase --format json`` without --confirm, or a refused confirmation (exit 6)."""

    plan: PlanDocument
    unfinished_runs: list[str]  # run ids of earlier erasures that did not finish


class ReceiptFiles(TypedDict):
    deleted: int
    already_missing: int
    not_removed: list[dict[str, Any]]


class SweptCounts(TypedDict):
    databases: int
    tables: int
    columns: int
    candidate_rows: int
    files: int
    files_skipped: dict[str, int]


class SweepDocument(TypedDict):
    """The deep sweep: locations and counts, never a value (``sweep/model.py``)."""

    identifiers: list[str]  # what was looked for, in words
    swept: SweptCounts
    seconds: float
    mentions: int
    mentions_elsewhere: int
    in_erased_rows: list[dict[str, Any]]
    elsewhere: list[dict[str, Any]]
    elsewhere_by_table: dict[str, int]
    listed_at_most: int
    not_swept: list[str]


class Receipt(TypedDict):
    run_id: str
    token: str
    user: str
    started_at: str
    verified_at: str
    criteria_hash: str | None
    items: int
    rows: dict[str, dict[str, dict[str, int]]]
    files: ReceiptFiles
    verified: bool
    checks: list[str]
    problems: list[str]
    notes: list[str]
    audit_head: dict[str, Any] | None
    sweep: NotRequired[SweepDocument]  # with criteria: the deep sweep
    table_labels: NotRequired[dict[str, dict[str, str]]]  # database -> table -> its label


class EraseReceiptDocument(TypedDict):
    """``erase --confirm`` / ``--resume`` with ``--format json`` (exit 0, or 4: not verified)."""

    receipt: Receipt


class RunStep(TypedDict):
    database: str
    status: str
    error: str | None


class RunDocument(TypedDict):
    run_id: str
    token: str | None
    started_at: str | None
    user: str | None
    status: str  # "tampered" when the journal's seal does not match
    steps: list[RunStep]
    description: str


class EraseRunsDocument(TypedDict):
    """``erase --status --format json``."""

    runs: list[RunDocument]


class EraseIncompleteDocument(TypedDict):
    """``erase --format json`` when the run stopped part-way (exit 5)."""

    incomplete: RunDocument


class RedactionPlanDocument(TypedDict):
    token: str
    values: int
    not_redactable: list[list[Any]]


class VerifyDocument(TypedDict):
    """``verify --format json`` (exit 4 while a mention remains or a check fails)."""

    receipt: NotRequired[Receipt]  # --run: the run verified again now
    sweep: NotRequired[SweepDocument]  # --deep without --run
    redaction_plan: NotRequired[RedactionPlanDocument]  # --redact
    redaction: NotRequired[dict[str, Any]]  # --redact --confirm: what was done


def plan_document(plan: ErasurePlan, unfinished: Sequence[str] = ()) -> ErasePlanDocument:
    """The erasure plan (a dry run) with the token that --confirm takes."""
    by_kind: dict[str, dict[str, int]] = {}
    for f in plan.files:
        kinds = by_kind.setdefault(f.database, {})
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    return {"plan": {
        "token": plan.token if plan.targets else None,
        "items": [str(r) for r in plan.items],
        "excluded": [str(r) for r in plan.excluded],
        "rows": plan.total_rows, "files": len(plan.files),
        "targets": [{"database": t.database, "table": t.table, "label": t.label,
                     "action": t.action.value, "rows": t.rows, "columns": dict(t.columns),
                     "is_child": t.is_child, "words": t.words(),
                     "table_label": t.title or t.table,
                     "column_labels": {c: t.column_titles.get(c, c) for c in t.columns}}
                    for t in plan.targets if t.rows],
        "files_by_kind": by_kind,
        "not_restricted_by_dates": list(plan.undated),
        "description": plan.describe()},
        "unfinished_runs": list(unfinished)}


def run_document(run: Run) -> RunDocument:
    """An erasure run as the journal has it: which databases are done."""
    return {"run_id": run.run_id, "token": run.token, "started_at": run.created_at,
            "user": run.user, "status": run.status,
            "steps": [{"database": s.database, "status": s.status, "error": s.error}
                      for s in run.steps],
            "description": run.story()}


def tampered_run_document(run_id: str, problem: str) -> RunDocument:
    """A run whose stored plan does not match its seal: only its id is trusted."""
    return {"run_id": run_id, "token": None, "started_at": None, "user": None,
            "status": "tampered", "steps": [], "description": problem}
