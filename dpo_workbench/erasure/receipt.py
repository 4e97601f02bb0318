"""The receipt of an erasure run, as the Python API returns it.

:func:`~dpo_workbench.erasure.verify.verify_run` writes the receipt as plain JSON
data (the journal stores it, the command line prints it). :class:`Receipt` is that
same dict, so ``receipt["verified"]`` and ``json.dumps(receipt)`` work as before,
with a short repr, a rich display in Jupyter and a DataFrame form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..display import receipt_html, receipt_repr
from ..frameforms import receipt_frame
from .verify import summarize

if TYPE_CHECKING:
    import pandas as pd


class Receipt(dict[str, Any]):
    """An erasure's receipt: counts, table names, row references, token; no personal data.

    Keys: ``run_id``, ``token``, ``user``, ``started_at``, ``verified_at``,
    ``criteria_hash``, ``items``, ``rows`` (database -> table -> outcome -> count),
    ``files``, ``verified``, ``checks``, ``problems``, ``notes``, ``audit_head``.

    Examples
    --------
    >>> r = Receipt(run_id="r1", token="ABCD-EFGH-JKLM", user="dpo", items=1, verified=True,
    ...             rows={"operative": {"customer_consents": {"deleted": 3}}},
    ...             files={"deleted": 0, "already_missing": 0, "not_removed": []},
    ...             checks=[], problems=[], notes=[])
    >>> r
    Receipt(run r1, token ABCD-EFGH-JKLM: verified, 1 item, 3 rows, 0 files deleted, 0 problems)
    >>> r.to_frame()[["kind", "table", "outcome", "count"]].head(1)
       kind              table  outcome  count
    0  rows  customer_consents  deleted      3
    """

    @property
    def verified(self) -> bool:
        """Whether every check passed."""
        return bool(self["verified"])

    def summary(self) -> str:
        """The receipt in words (what the command line prints)."""
        return summarize(self)

    def to_frame(self) -> pd.DataFrame:
        """One row per table outcome and per file outcome (see :mod:`dpo_workbench.frameforms`)."""
        return receipt_frame(self)

    def __repr__(self) -> str:
        return receipt_repr(self)

    def _repr_html_(self) -> str:
        return receipt_html(self)
