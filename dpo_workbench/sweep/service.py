"""Deep sweeps, re-verification and mention-only redactions of one installation, audit-logged.

:class:`Sweeps` is what :meth:`Workbench.deep_sweep
<dpo_workbench.workbench.Workbench.deep_sweep>`, :meth:`Workbench.redact_mentions
<dpo_workbench.workbench.Workbench.redact_mentions>` and :meth:`Workbench.redact
<dpo_workbench.workbench.Workbench.redact>` call. Like the erasure runs it receives
what it needs explicitly: the installation, the journal, the audit key, how to
record an audit event and how to search.

What the audit log records (never a value, a key or a file name):

- a sweep: ``search`` with ``deep_sweep: true``, the mentions per table, the run;
- a verification of a run again: ``erasure_verified`` with ``again: true``;
- a redaction plan: ``erasure_planned`` with ``kind: mentions`` and its token;
- a refused confirmation: ``erasure_refused`` with ``kind: mentions``;
- a redaction: ``mentions_redacted``, the values redacted per table, the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..audit import Action
from ..criteria import Criteria
from ..errors import ConfirmationError
from ..installation import Installation
from ..progress import Progress
from ..search import SearchResult
from .model import SweepResult, with_sweep
from .redact import MentionPlan, execute_redaction, plan_redaction
from .sweeps import sweep

if TYPE_CHECKING:
    from ..erasure.journal import Journal
    from ..erasure.runs import Record


class Sweeps:
    """Deep sweeps and mention-only redactions (see the module notes)."""

    def __init__(self, inst: Installation, journal: Journal, audit_key: bytes, record: Record,
                 *, search: Callable[[Criteria], SearchResult]):
        self.inst = inst
        self.journal = journal
        self.audit_key = audit_key
        self.record = record
        self.search = search

    def sweep(self, criteria: Criteria, *, run_id: str | None = None,
              progress: Progress | None = None) -> SweepResult:
        """Sweep every database and file store for the person; with ``run_id``, mentions in
        the rows that erasure run acted on are marked erased (problems).

        Raises
        ------
        NotFound
            There is no such run.
        """
        run = self.journal.load(run_id) if run_id else None
        result = sweep(self.inst, criteria, run=run, progress=progress)
        self.record(Action.SEARCH, criteria=criteria,
                    tables=result.by_table([*result.mentions, *result.files]),
                    detail={"deep_sweep": True, "mentions": result.total,
                            "in_erased_rows": len(result.in_erased), "run": run_id,
                            "not_swept": len(result.not_swept),
                            "seconds": round(result.seconds, 2)})
        return result

    def verify_again(self, run_id: str, criteria: Criteria | None = None, *,
                     deep: bool = False, progress: Progress | None = None) -> dict[str, Any]:
        """Verify an erasure run again now (after a restore from backup, say); its receipt.

        The stored receipt is not changed: this one is returned, and recorded in the
        audit log as ``erasure_verified`` with ``again: true``.
        """
        from ..erasure.verify import verify_run

        run = self.journal.load(run_id)
        receipt = verify_run(self.inst, run, criteria,
                             search=self.search if criteria is not None else None)
        if deep and criteria is not None:
            receipt = with_sweep(receipt, sweep(self.inst, criteria, run=run, progress=progress))
        self.record(Action.ERASURE_VERIFIED, criteria=criteria,
                    detail={"run": run_id, "token": run.token, "verified": receipt["verified"],
                            "problems": len(receipt["problems"]), "again": True,
                            "mentions": (receipt.get("sweep") or {}).get("mentions", 0)})
        return receipt

    def plan(self, mentions: SweepResult | Iterable[Any], criteria: Criteria, *,
             run_id: str | None = None) -> MentionPlan:
        """Plan the mention-only redaction of a sweep's mentions (a dry run with a token).

        ``mentions``: a :class:`SweepResult` (all its mentions), or mentions as a sweep
        or a receipt's ``sweep`` section lists them. File mentions are not redacted
        (a file is erased with its row, or by hand): the plan lists them as refused.
        """
        listed = [*mentions.mentions, *mentions.files] if isinstance(mentions, SweepResult) \
            else mentions
        plan = plan_redaction(self.inst, listed, criteria, audit_key=self.audit_key,
                              run_id=run_id)
        self.record(Action.ERASURE_PLANNED, criteria=criteria, tables=plan.tables(),
                    detail={"kind": "mentions", "token": plan.token,
                            "values": len(plan.targets), "not_redactable": len(plan.refused),
                            "run": run_id})
        return plan

    def redact(self, plan: MentionPlan, confirm: str) -> dict[str, Any]:
        """Execute a mention-only redaction confirmed with its token; return its receipt.

        Raises
        ------
        ConfirmationError
            ``confirm`` is not the plan's token (or nothing is planned); nothing changed.
        """
        try:
            receipt = execute_redaction(self.inst, plan, confirm, audit_key=self.audit_key)
        except ConfirmationError:
            self.record(Action.ERASURE_REFUSED, criteria=plan.criteria,
                        detail={"kind": "mentions", "token": plan.token,
                                "reason": "wrong_token"})
            raise
        tables = {t: c.get("redacted", 0) for t, c in receipt["tables"].items()}
        self.record(Action.MENTIONS_REDACTED, criteria=plan.criteria, tables=tables,
                    detail={"token": plan.token, "run": plan.run_id,
                            "redacted": receipt["redacted"],
                            "left_alone_changed": receipt["left_alone_changed"],
                            "verified": receipt["verified"],
                            "problems": len(receipt["problems"])})
        return receipt
