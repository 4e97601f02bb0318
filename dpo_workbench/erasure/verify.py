"""Verifying an erasure: the data is gone, and a receipt says so without holding it.

Checks, in order:

1. every deleted row is gone;
2. every anonymized row holds only the strategy's value (or NULL) in each erased
   column;
3. every planned file is gone from its store;
4. with the criteria: the same search no longer finds any erased item, and no
   column of a kept (anonymized) row still contains the searched e-mail address
   or the phone number's digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, select

from ..batches import chunks, existing_keys
from ..criteria import Criteria, strip_separators
from ..details import resolve_file
from ..strategies import STRATEGIES, RowAction
from .journal import Run
from .plan import ErasurePlan, Target


def verify_run(wb: Any, run: Run, criteria: Criteria | None = None) -> dict[str, Any]:
    """Check that a finished run left nothing behind; return the receipt.

    The receipt holds counts, table names, the run's token and the keyed hash of
    the criteria: no personal data.
    """
    plan = run.plan
    problems: list[str] = []
    checks: list[str] = []
    for t in plan.targets:
        problems += _check_target(wb, t)
    checks.append(f"{len(plan.targets)} table(s) checked row by row")
    missing_files = 0
    for f in plan.files:
        if not f.relative_path:
            continue
        path, _ = resolve_file(wb.settings.files.get(f.store), f.relative_path)
        if path is not None and path.exists():
            missing_files += 1
    if missing_files:
        problems.append(f"{missing_files} file(s) still exist in their stores")
    checks.append(f"{len(plan.files)} file(s) checked")
    if criteria is not None:
        problems += _check_search(wb, plan, criteria)
        problems += _check_residue(wb, plan, criteria)
        checks.append("searched again with the same criteria")
        checks.append("erased rows scanned for the e-mail address and phone digits")
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


def _check_target(wb: Any, t: Target) -> list[str]:
    table = wb.schema[t.database][t.table]
    keys = list(t.keys)
    with wb.connect(t.database) as conn:
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
                    if row[c] is not None and row[c] != STRATEGIES[strategy].value():
                        bad += 1
    return [f"{t.location}: {bad} anonymized value(s) still hold data"] if bad else []


def _check_search(wb: Any, plan: ErasurePlan, criteria: Criteria) -> list[str]:
    result = wb.search(criteria)
    erased = {(r.database, r.table, r.key) for r in plan.items}
    for t in plan.targets:
        if not t.is_child:
            erased |= {(t.database, t.table, k) for k in t.keys}
    found = [r for r in result.refs() if (r.database, r.table, r.key) in erased]
    return [f"the search still finds {len(found)} erased item(s)"] if found else []


def _needles(criteria: Criteria) -> tuple[str | None, str | None]:
    email = criteria.email.casefold() if criteria.email else None
    digits = criteria.phone_tail if criteria.phone else None
    return email, digits


def _check_residue(wb: Any, plan: ErasurePlan, criteria: Criteria) -> list[str]:
    email, digits = _needles(criteria)
    problems = []
    for t in plan.targets:
        if t.action is not RowAction.ANONYMIZE:
            continue
        table = wb.schema[t.database][t.table]
        text_cols = [c for c in table.c if isinstance(c.type, String)]
        hits = 0
        with wb.connect(t.database) as conn:
            keys = list(t.keys)
            for chunk in chunks(keys):
                stmt = select(*text_cols).where(table.c[t.key_column].in_(chunk))
                for row in conn.execute(stmt):
                    hits += sum(1 for v in row if _holds(v, email, digits))
        if hits:
            problems.append(f"{t.location}: {hits} value(s) of erased rows still contain the "
                            "searched e-mail address or phone digits")
    return problems


def _holds(value: object, email: str | None, digits: str | None) -> bool:
    if not isinstance(value, str):
        return False
    if email and email in value.casefold():
        return True
    return bool(digits and digits in strip_separators(value))


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
