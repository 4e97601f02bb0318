"""The workbench's deep-sweep methods: sweep, plan and execute mention-only redaction.

Mixed into the :class:`~dpo_workbench.workbench.Workbench`; each method imports
the sweep machinery when it runs, so that a search loads none of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..audit import Action
from ..criteria import Criteria
from ..progress import Progress

if TYPE_CHECKING:
    from ..erasure.journal import Journal
    from ..installation import Installation
    from ..search import SearchResult
    from .model import SweepResult
    from .redact import MentionPlan
    from .service import Sweeps


class SweepMethods:
    """Deep sweeps for a class that has the installation, journal, audit key and search."""

    installation: Installation
    journal: Journal
    audit_key: bytes
    _sweeps: Sweeps | None = None

    if TYPE_CHECKING:
        def record(self, action: Action, *, criteria: Criteria | None = None,
                   tables: Mapping[str, int] | None = None,
                   detail: Mapping[str, Any] | None = None) -> None: ...

        def search(self, criteria: Criteria | None = None, **fields: Any) -> SearchResult: ...

        def criteria(self, criteria: Criteria | None = None, **fields: Any) -> Criteria: ...

    @property
    def sweeps(self) -> Sweeps:
        """Deep sweeps, verifying runs again, mention-only redactions (:mod:`.service`)."""
        if self._sweeps is None:
            from .service import Sweeps

            self._sweeps = Sweeps(self.installation, self.journal, self.audit_key, self.record,
                                  search=lambda c: self.search(c))
        return self._sweeps

    def deep_sweep(self, criteria: Criteria | None = None, *, run_id: str | None = None,
                   progress: Progress | None = None, **fields: Any) -> SweepResult:
        """Every mention of the person in every text of every table and file store.

        With ``run_id``, mentions in rows that erasure run acted on are problems.
        """
        return self.sweeps.sweep(self.criteria(criteria, **fields), run_id=run_id,
                                 progress=progress)

    def redact_mentions(self, mentions: SweepResult | Iterable[Any], criteria: Criteria, *,
                        run_id: str | None = None) -> MentionPlan:
        """Plan replacing only the identifiers inside the texts a sweep found (a dry run)."""
        return self.sweeps.plan(mentions, criteria, run_id=run_id)

    def redact(self, plan: MentionPlan, confirm: str) -> dict[str, Any]:
        """Execute a mention-only redaction confirmed with its token; return its receipt."""
        return self.sweeps.redact(plan, confirm)
