"""The audit log in words, as the ``audit`` command prints it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .chain import VerifyReport
    from .events import StoredEvent


def format_events(events: Sequence[StoredEvent]) -> str:
    """A text table of ``events``: a header, then one line per event.

    Columns: id, time (UTC, to the second), user (who acts, as declared), os user
    (the operating-system account that wrote the event; ``-`` for events written
    before the log recorded it), action, rows, tables (``database.table=rows``),
    and the first 12 digits of the event's hash; a ``reference`` column (``-`` for
    none) after the action when any of ``events`` has a request reference.

    Examples
    --------
    >>> from datetime import datetime
    >>> from dpo_workbench.audit.chain import GENESIS_HASH
    >>> from dpo_workbench.audit.events import Action, StoredEvent
    >>> e = StoredEvent(7, datetime(2025, 3, 1, 9, 30, tzinfo=UTC), "dpo", Action.SEARCH,
    ...                 None, {"op.contacts": 2}, {}, GENESIS_HASH, "ab" * 32, "svc-dpo")
    >>> print(format_events([e]))
    id  time (UTC)            user  os user  action  rows  tables         hash
     7  2025-03-01T09:30:00Z  dpo   svc-dpo  search     2  op.contacts=2  abababababab
    >>> format_events([])
    'No audit events.'
    """
    if not events:
        return "No audit events."
    referenced = any(e.reference for e in events)
    header = ("id", "time (UTC)", "user", "os user", "action",
              *(("reference",) if referenced else ()), "rows", "tables", "hash")
    lines = [header] + [
        (str(e.id), e.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), e.user,
         e.os_user or "-", str(e.action), *((e.reference or "-",) if referenced else ()),
         str(e.rows), ", ".join(f"{t}={n}" for t, n in e.tables.items()) or "-", e.hash[:12])
        for e in events
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {0, header.index("rows")}  # numbers line up on the right
    out = []
    for line in lines:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def describe_report(report: VerifyReport) -> str:
    """``report`` in words, one problem a line (:meth:`VerifyReport.describe`).

    Examples
    --------
    >>> from dpo_workbench.audit.chain import VerifyReport
    >>> print(describe_report(VerifyReport(2, ["event 2: its content does not match its hash: "
    ...                                        "it was edited."], 2, "ab" * 32)))
    Audit log TAMPERED: 1 problem in 2 events checked:
      - event 2: its content does not match its hash: it was edited.
    """
    if report.ok:
        return (f"Audit log intact: {report.checked} event{'s' if report.checked != 1 else ''} "
                f"checked; last event {report.last_id}, hash {report.last_hash[:12]}.")
    n = len(report.problems)
    lines = [f"Audit log TAMPERED: {n} problem{'s' if n != 1 else ''} in {report.checked} "
             f"event{'s' if report.checked != 1 else ''} checked:"]
    lines += [f"  - {p}" for p in report.problems]
    return "\n".join(lines)
