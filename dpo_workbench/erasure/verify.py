"""Verifying an erasure: the data is gone, and a receipt says so without holding it.

Checks, in order, for the rows the run acted on (the journal names them):

1. every deleted row is gone, every anonymized row holds only its strategies'
   values in its erased columns;
2. no child row of an erased parent is left (or each holds only its strategies'
   values);
3. every planned file is gone from its store, by its planned path (the journal
   keeps the paths until the receipt is stored); every file that erasure refused,
   could only unlink, or skipped is listed by its row, never by its path;
4. every SQLite database touched has no erased value left in its write-ahead log;
5. with the criteria: the same search no longer finds any erased item, and no
   column of a kept (anonymized) row still mentions a searched identifier.

Any problem makes the receipt "NOT verified". Rows left alone because their key
holds another person's data now are reported as notes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, select

from ..batches import chunks, existing_keys
from ..criteria import Criteria
from ..files import inspect_stored
from ..installation import Installation
from ..matchkinds import MATCH_KINDS
from ..report.labels import with_name
from ..search import SearchResult
from ..sweep.model import sweep_lines
from .journal import Run
from .plan import ErasurePlan, Target
from .strategies import STRATEGIES, RowAction

#: Searches again with the criteria (the workbench's search, so it is audit-logged).
Search = Callable[[Criteria], SearchResult]
_ERASED_FILE = ("removed", "missing")


def acted_keys(run: Run) -> dict[str, list[Any]]:
    """Target label -> the keys the run acted on (or found already erased)."""
    out: dict[str, list[Any]] = {}
    for s in run.steps:
        for label, keys in s.acted.items():
            out.setdefault(label, []).extend(keys)
    return out


def verify_run(inst: Installation, run: Run, criteria: Criteria | None = None,
               search: Search | None = None, *,
               audit_head: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check that an executed run left nothing behind; return the receipt.

    The receipt holds counts, table names, row references, the run's token, the
    keyed hash of the criteria and the audit log's head: no personal data. With
    ``criteria``, ``search`` runs the same search again.
    """
    plan = run.plan
    acted = acted_keys(run)
    problems: list[str] = []
    notes: list[str] = []
    checks: list[str] = []
    for t in plan.targets:
        keys = acted.get(t.parent if t.is_child and t.parent else t.label, [])
        problems += _check_target(inst, t, keys)
    checks.append(f"{len(plan.targets)} table(s) checked row by row")
    file_problems, not_removed = _check_files(inst, run, acted)
    problems += file_problems
    checks.append(f"{len(plan.files)} file(s) checked by their planned paths")
    for s in run.steps:
        if s.scrub:
            problems.append(f"{s.database}: {s.scrub}")
    checks.append("SQLite write-ahead logs checked")
    if criteria is not None and search is not None:
        problems += _check_search(search(criteria), plan, acted)
        problems += _check_residue(inst, plan, acted, criteria)
        checks.append("searched again with the same criteria")
        checks.append("erased rows scanned for the searched identifiers")
    else:
        checks.append("not searched again (criteria not given)")
    rows: dict[str, dict[str, dict[str, int]]] = {}
    for s in run.steps:
        rows[s.database] = {t: dict(v) for t, v in s.rows.items()}
        for table, counts in s.rows.items():
            if counts.get("left_alone_changed"):
                notes.append(f"{s.database}.{table}: {counts['left_alone_changed']} planned "
                             "row(s) now hold other data (their key was reused): left alone")
    titles: dict[str, dict[str, str]] = {}
    for t in plan.targets:
        if t.title:
            titles.setdefault(t.database, {}).setdefault(t.table, t.title)
    file_counts: dict[str, int] = {}
    for s in run.steps:
        for status, n in s.file_counts().items():
            file_counts[status] = file_counts.get(status, 0) + n
    return {
        "run_id": run.run_id,
        "token": run.token,
        "user": run.user,
        "started_at": run.created_at,
        "verified_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "criteria_hash": run.criteria_hash,
        "items": len(plan.items),
        "rows": rows,
        "files": {"deleted": file_counts.get("removed", 0),
                  "already_missing": file_counts.get("missing", 0),
                  "not_removed": not_removed},
        "verified": not problems,
        "checks": checks,
        "problems": problems,
        "notes": notes,
        "audit_head": dict(audit_head) if audit_head else None,
        "table_labels": titles,
    }


def _check_target(inst: Installation, t: Target, keys: list[Any]) -> list[str]:
    table = inst.table(t.database, t.table)
    column = t.parent_column if t.is_child and t.parent_column else t.key_column
    with inst.connect(t.database) as conn:
        if t.action is RowAction.DELETE:
            left = len(existing_keys(conn, table, column, keys))
            return [f"{t.location}: {left} row(s) that should be deleted still exist"] if left \
                else []
        bad = 0
        cols = [table.c[c] for c in t.columns]
        for chunk in chunks(keys):
            stmt = select(*cols).where(table.c[column].in_(chunk))
            for row in conn.execute(stmt).mappings():
                bad += sum(1 for c, s in t.columns.items() if not STRATEGIES[s].holds(row[c]))
    return [f"{t.location}: {bad} anonymized value(s) still hold data"] if bad else []


def _check_files(inst: Installation, run: Run, acted: Mapping[str, list[Any]],
                 ) -> tuple[list[str], list[dict[str, Any]]]:
    """Problems, and every file not removed (by its row, with why)."""
    not_removed = [{k: o.get(k) for k in ("owner", "status", "why")}
                   for s in run.steps for o in s.files if o["status"] not in _ERASED_FILE]
    owners = {(label, str(k)) for label, keys in acted.items() for k in keys}
    still = []
    for f in run.plan.files:
        if not f.relative_path or (f.item, str(f.item_key)) not in owners:
            continue
        _, st, why = inspect_stored(inst.stores.get(f.store), f.relative_path)
        if st is not None or why not in ("missing", ""):
            still.append(f.owner)
    problems = []
    if not_removed:
        problems.append(f"{len(not_removed)} file(s) were not removed (see files.not_removed)")
    known = {o["owner"] for o in not_removed}
    extra = [o for o in still if o not in known]
    if extra:
        problems.append(f"{len(extra)} file(s) still exist in their stores: {', '.join(extra)}")
    return problems, not_removed


def _check_search(result: SearchResult, plan: ErasurePlan,
                  acted: Mapping[str, list[Any]]) -> list[str]:
    erased = {(t.database, t.table, str(k)) for t in plan.targets if not t.is_child
              for k in acted.get(t.label, [])}
    found = [r for r in result.refs() if (r.database, r.table, str(r.key)) in erased]
    return [f"the search still finds {len(found)} erased item(s)"] if found else []


def _check_residue(inst: Installation, plan: ErasurePlan, acted: Mapping[str, list[Any]],
                   criteria: Criteria) -> list[str]:
    kinds = [k for k in MATCH_KINDS.values() if k.given(criteria)]
    problems = []
    for t in plan.targets:
        if t.action is not RowAction.ANONYMIZE:
            continue
        keys = acted.get(t.parent if t.is_child and t.parent else t.label, [])
        column = t.parent_column if t.is_child and t.parent_column else t.key_column
        table = inst.table(t.database, t.table)
        text_cols = [c for c in table.c if isinstance(c.type, String)]
        hits = 0
        with inst.connect(t.database) as conn:
            for chunk in chunks(keys):
                stmt = select(*text_cols).where(table.c[column].in_(chunk))
                for row in conn.execute(stmt):
                    hits += sum(1 for v in row if isinstance(v, str)
                                and any(k.mentioned_in(v, criteria) for k in kinds))
        if hits:
            problems.append(f"{t.location}: {hits} value(s) of erased rows still contain the "
                            "searched identifiers")
    return problems


def summarize(receipt: Mapping[str, Any]) -> str:
    """The receipt in words, each table by its datamap label with its location beside.

    >>> print(summarize({"run_id": "r1", "token": "T", "verified": True, "checks": [],
    ...     "rows": {"operative": {"contact_notes": {"anonymized": 1}}}, "problems": [],
    ...     "files": {"deleted": 0, "already_missing": 0},
    ...     "table_labels": {"operative": {"contact_notes": "Notes"}}}))
    Erasure r1 (T): verified
      - Notes (operative.contact_notes): 1 anonymized
      - files: 0 deleted, 0 already missing, 0 not removed
    """
    lines = [f"Erasure {receipt['run_id']} ({receipt['token']}): "
             f"{'verified' if receipt['verified'] else 'NOT verified'}"]
    titles = receipt.get("table_labels") or {}
    for db, tables in receipt["rows"].items():
        for table, counts in tables.items():
            parts = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())
            title = titles.get(db, {}).get(table)
            where = with_name(title, f"{db}.{table}") if title else f"{db}.{table}"
            lines.append(f"  - {where}: {parts}")
    files = receipt["files"]
    lines.append(f"  - files: {files['deleted']} deleted, {files['already_missing']} already "
                 f"missing, {len(files.get('not_removed', []))} not removed")
    for f in files.get("not_removed", []):
        lines.append(f"    not removed: {f['owner']}: {f['status']} ({f['why']})")
    lines += [f"  check: {c}" for c in receipt["checks"]]
    if receipt.get("sweep"):  # the deep sweep (dpo_workbench.sweep)
        lines += sweep_lines(receipt["sweep"])
    lines += [f"  note: {n}" for n in receipt.get("notes", [])]
    lines += [f"  PROBLEM: {p}" for p in receipt["problems"]]
    head = receipt.get("audit_head")
    if head:
        lines.append(f"  audit log head: event {head.get('id')}, hash "
                     f"{str(head.get('hash', ''))[:12]}")
    return "\n".join(lines)
