"""Verifying an erasure: the data is gone, and a receipt says so without holding it.

Checks, in order:

1. every deleted row is gone;
2. every anonymized row holds only the strategy's value (or NULL) in each erased
   column;
3. every planned file is gone from its store;
4. with the criteria: the same search no longer finds any erased item, and no
   column of a kept (anonymized) row still mentions a searched identifier (the
   e-mail address, the phone number's digits, the name), as each match kind
   recognises it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, select

from ..batches import chunks, existing_keys
from ..criteria import Criteria
from ..files import resolve_file
from ..installation import Installation
from ..matchkinds import MATCH_KINDS
from ..search import SearchResult
from .journal import Run
from .plan import ErasurePlan, Target
from .strategies import STRATEGIES, RowAction

#: Searches again with the criteria (the workbench's search, so it is audit-logged).
Search = Callable[[Criteria], SearchResult]


def verify_run(inst: Installation, run: Run, criteria: Criteria | None = None,
               search: Search | None = None) -> dict[str, Any]:
    """Check that a finished run left nothing behind; return the receipt.

    The receipt holds counts, table names, the run's token and the keyed hash of
    the criteria: no personal data. With ``criteria``, ``search`` runs the same
    search again (checking that no erased item is found).
    """
    plan = run.plan
    problems: list[str] = []
    checks: list[str] = []
    for t in plan.targets:
        problems += _check_target(inst, t)
    checks.append(f"{len(plan.targets)} table(s) checked row by row")
    missing_files = 0
    for f in plan.files:
        if not f.relative_path:
            continue
        path, _ = resolve_file(inst.stores.get(f.store), f.relative_path)
        if path is not None and path.exists():
            missing_files += 1
    if missing_files:
        problems.append(f"{missing_files} file(s) still exist in their stores")
    checks.append(f"{len(plan.files)} file(s) checked")
    if criteria is not None and search is not None:
        problems += _check_search(search(criteria), plan)
        problems += _check_residue(inst, plan, criteria)
        checks.append("searched again with the same criteria")
        checks.append("erased rows scanned for the searched identifiers")
    else:
        checks.append("not searched again (criteria not given)")
    rows: dict[str, dict[str, dict[str, int]]] = {}
    for s in run.steps:
        rows[s.database] = {t: dict(v) for t, v in s.rows.items()}
    files = {"deleted": sum(s.files.get("deleted", 0) for s in run.steps),
             "already_missing": sum(s.files.get("missing", 0) for s in run.steps)}
    return {
        "run_id": run.run_id,
        "token": run.token,
        "user": run.user,
        "started_at": run.created_at,
        "verified_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "criteria_hash": run.criteria_hash,
        "items": len(plan.items),
        "rows": rows,
        "files": files,
        "verified": not problems,
        "checks": checks,
        "problems": problems,
    }


def _check_target(inst: Installation, t: Target) -> list[str]:
    table = inst.table(t.database, t.table)
    keys = list(t.keys)
    with inst.connect(t.database) as conn:
        if t.action is RowAction.DELETE:
            left = len(existing_keys(conn, table, t.key_column, keys))
            return [f"{t.location}: {left} row(s) that should be deleted still exist"] if left \
                else []
        bad = 0
        cols = [table.c[c] for c in t.columns]
        for chunk in chunks(keys):
            stmt = select(*cols).where(table.c[t.key_column].in_(chunk))
            for row in conn.execute(stmt).mappings():
                for c, strategy in t.columns.items():
                    if not STRATEGIES[strategy].holds(row[c]):
                        bad += 1
    return [f"{t.location}: {bad} anonymized value(s) still hold data"] if bad else []


def _check_search(result: SearchResult, plan: ErasurePlan) -> list[str]:
    erased = {(r.database, r.table, r.key) for r in plan.items}
    for t in plan.targets:
        if not t.is_child:
            erased |= {(t.database, t.table, k) for k in t.keys}
    found = [r for r in result.refs() if (r.database, r.table, r.key) in erased]
    return [f"the search still finds {len(found)} erased item(s)"] if found else []


def _check_residue(inst: Installation, plan: ErasurePlan, criteria: Criteria) -> list[str]:
    kinds = [k for k in MATCH_KINDS.values() if k.given(criteria)]
    problems = []
    for t in plan.targets:
        if t.action is not RowAction.ANONYMIZE:
            continue
        table = inst.table(t.database, t.table)
        text_cols = [c for c in table.c if isinstance(c.type, String)]
        hits = 0
        with inst.connect(t.database) as conn:
            keys = list(t.keys)
            for chunk in chunks(keys):
                stmt = select(*text_cols).where(table.c[t.key_column].in_(chunk))
                for row in conn.execute(stmt):
                    hits += sum(1 for v in row if isinstance(v, str)
                                and any(k.mentioned_in(v, criteria) for k in kinds))
        if hits:
            problems.append(f"{t.location}: {hits} value(s) of erased rows still contain the "
                            "searched identifiers")
    return problems


def summarize(receipt: Mapping[str, Any]) -> str:
    """The receipt in words."""
    lines = [f"Erasure {receipt['run_id']} ({receipt['token']}): "
             f"{'verified' if receipt['verified'] else 'NOT verified'}"]
    for db, tables in receipt["rows"].items():
        for table, counts in tables.items():
            parts = ", ".join(f"{n} {what}" for what, n in counts.items())
            lines.append(f"  - {db}.{table}: {parts}")
    lines.append(f"  - files: {receipt['files']['deleted']} deleted, "
                 f"{receipt['files']['already_missing']} already missing")
    lines += [f"  check: {c}" for c in receipt["checks"]]
    lines += [f"  PROBLEM: {p}" for p in receipt["problems"]]
    return "\n".join(lines)
