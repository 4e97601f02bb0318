"""Guarded erasure: plan (dry run) -> confirm with the plan's token -> execute -> verify.

The public entry points are :meth:`Workbench.plan_erasure`,
:meth:`Workbench.erase` and :meth:`Workbench.resume_erasure`.
"""

from __future__ import annotations

from ..errors import ConfirmationError, ErasureIncomplete
from .journal import Journal, Run
from .plan import ErasurePlan, FileTarget, Target, plan_erasure
from .verify import summarize, verify_run

__all__ = [
    "ConfirmationError",
    "ErasureIncomplete",
    "ErasurePlan",
    "FileTarget",
    "Journal",
    "Run",
    "Target",
    "plan_erasure",
    "summarize",
    "verify_run",
]
