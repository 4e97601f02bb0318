"""What a batch did, line by line, and its summary files.

The summary holds no personal data: line numbers, references (case numbers),
statuses, counts per group, report file names and error texts that passed the
audit log's personal-data guard. ``summary.csv`` gets a line as each request
ends, so an interrupted batch leaves the lines done; ``summary.json`` is written
at the end (also when interrupted: the lines not reached are ``not run``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..datamap.model import Group
from ..report.output import atomic_file

if TYPE_CHECKING:
    import pandas as pd

#: The summary files in the batch's folder.
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
#: The summary's columns, in order.
SUMMARY_COLUMNS: tuple[str, ...] = ("line", "reference", "status", *(g.value for g in Group),
                                    "total", "report", "error")


class Status(StrEnum):
    """How one request of a batch ended."""

    OK = "ok"  # found items, report written
    NOTHING_FOUND = "nothing found"  # report written: it says that nothing is held
    TOO_MANY = "too many"  # more items than the DPO should review at once: no report
    ERROR = "error"  # a bad line, or the request failed: no report
    NOT_RUN = "not run"  # the batch was interrupted before this line

    @property
    def succeeded(self) -> bool:
        return self in (Status.OK, Status.NOTHING_FOUND)


@dataclass(frozen=True)
class Outcome:
    """One request's line of the summary."""

    line: int
    reference: str | None
    status: Status
    counts: Mapping[str, int] | None = None  # items found per group
    report: str | None = None  # the report's file name in the batch's folder
    error: str | None = None  # why it failed, without personal data
    replaced: bool = False  # the report replaced a file of the same name (--force)

    @property
    def total(self) -> int | None:
        return sum(self.counts.values()) if self.counts is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The summary's columns as a dict (counts ``None`` where nothing was searched)."""
        counts = self.counts or {}
        return {"line": self.line, "reference": self.reference, "status": self.status.value,
                **{g.value: counts.get(g.value) for g in Group}, "total": self.total,
                "report": self.report, "error": self.error}


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: one :class:`Outcome` per line, the folder and its summary files.

    ``succeeded`` is true when every line did (``ok`` or ``nothing found``).
    """

    outcomes: tuple[Outcome, ...]
    folder: Path
    format: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def succeeded(self) -> bool:
        return all(o.status.succeeded for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        """The lines that did not succeed."""
        return [o for o in self.outcomes if not o.status.succeeded]

    def statuses(self) -> dict[str, int]:
        """Lines per status (every status, zero included)."""
        return {s.value: sum(o.status is s for o in self.outcomes) for s in Status}

    @property
    def summary_csv(self) -> Path:
        return self.folder / SUMMARY_CSV

    @property
    def summary_json(self) -> Path:
        return self.folder / SUMMARY_JSON

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as ``summary.json`` holds it."""
        return {"created_at": self.created_at.isoformat(timespec="seconds"),
                "format": self.format, "requests": len(self.outcomes),
                "succeeded": self.succeeded, "statuses": self.statuses(),
                "lines": [o.to_dict() for o in self.outcomes]}

    def to_frame(self) -> pd.DataFrame:
        """The summary as a DataFrame: one row per line, counts as nullable integers."""
        import pandas as pd

        frame = pd.DataFrame([o.to_dict() for o in self.outcomes], columns=SUMMARY_COLUMNS)
        counts = [*(g.value for g in Group), "total", "line"]
        return frame.astype({c: "Int64" for c in counts} | {
            c: "string" for c in SUMMARY_COLUMNS if c not in counts})

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    def __repr__(self) -> str:
        done = ", ".join(f"{n} {s}" for s, n in self.statuses().items() if n)
        return f"BatchResult({len(self.outcomes)} request(s): {done}; folder {self.folder})"


class SummaryWriter:
    """``summary.csv``, a line as each request ends, with the delimiter of the requests."""

    def __init__(self, folder: Path, *, delimiter: str = ",", bom: bool = True):
        self._file: IO[str] = open(folder / SUMMARY_CSV, "w", newline="",  # noqa: SIM115
                                   encoding="utf-8-sig" if bom else "utf-8")
        self._csv = csv.writer(self._file, delimiter=delimiter)
        self._csv.writerow(SUMMARY_COLUMNS)
        self._file.flush()

    def write(self, outcome: Outcome) -> None:
        self._csv.writerow(["" if v is None else v for v in outcome.to_dict().values()])
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def write_summary_json(result: BatchResult) -> Path:
    """Write ``summary.json`` into the batch's folder (atomically); return its path."""
    with atomic_file(result.summary_json) as f:
        f.write((json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
                .encode("utf-8"))
    return result.summary_json
