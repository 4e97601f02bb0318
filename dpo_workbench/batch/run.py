"""Running a batch: each request searched and reported under its reference, come what may.

Every line runs inside :func:`~dpo_workbench.audit.reference.request_reference`,
so its search and report events (and the files the report reads) carry its
reference. Bad lines and failed requests are outcomes, not exceptions: the
other lines go on. Only what concerns the whole batch raises before anything
runs: an unreadable requests file, an unknown column, an unknown format, or an
output folder that is not empty (unless ``force``).
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..audit.events import personal_data_reason
from ..audit.reference import request_reference
from ..errors import InvalidCriteria, UsageError, WorkbenchError
from ..progress import Progress, as_progress
from ..report.formats import REGISTRY, format_for
from ..selection import Selection
from .requests import Request, read_requests
from .result import (
    SUMMARY_CSV,
    SUMMARY_JSON,
    BatchResult,
    Outcome,
    Status,
    SummaryWriter,
    write_summary_json,
)

if TYPE_CHECKING:
    from ..criteria import Criteria
    from ..report.model import Report
    from ..search import SearchResult

log = logging.getLogger("dpo_workbench")

#: Names a report may not take: the summary's, and those Windows reserves.
_RESERVED = {"summary", "con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r"[^\w.-]+")


class RequestSteps(Protocol):
    """What a batch needs of the workbench: its audit-logged steps."""

    def criteria(self, criteria: Criteria | None = None, **fields: Any) -> Criteria:
        """Validate criteria given as keyword fields."""

    def search(self, criteria: Criteria | None = None, **fields: Any) -> SearchResult:
        """Search, recording ``search``."""

    def report(self, selection: Selection, *, criteria: Criteria | None = None,
               out: Any = None, fmt: str | None = None, bom: bool = True) -> Report:
        """Write a report, recording ``report_created``."""


def file_stem(reference: str) -> str:
    """A file name for ``reference``, safe on every file system (no folder, no device).

    >>> file_stem("DPO-2025/17"), file_stem("../x"), file_stem("summary"), file_stem("CON")
    ('DPO-2025_17', 'x', 'summary_', 'CON_')
    """
    stem = _UNSAFE.sub("_", unicodedata.normalize("NFC", reference)).strip("._") or "request"
    return f"{stem}_" if stem.casefold() in _RESERVED else stem


def _names(requests: list[Request], extension: str) -> dict[int, str]:
    """Each runnable line's report file name; names equal but for case get the line number."""
    used: set[str] = {SUMMARY_CSV, SUMMARY_JSON}
    names: dict[int, str] = {}
    for r in requests:
        if r.reference is None or r.problem:
            continue
        name = f"{file_stem(r.reference)}{extension}"
        if name.casefold() in used:
            name = f"{file_stem(r.reference)}-line{r.line}{extension}"
        used.add(name.casefold())
        names[r.line] = name
    return names


def _folder(out: str | os.PathLike[str], force: bool) -> Path:
    """The batch's folder, created if missing; refused when it holds files (unless ``force``)."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file: give a folder for the reports and the summary.")
    if not folder.parent.is_dir():
        raise UsageError(f"the folder {folder.parent} does not exist: create it first.")
    folder.mkdir(exist_ok=True)
    if not force and any(folder.iterdir()):
        raise UsageError(f"{folder} is not empty: give an empty or new folder, or force "
                         "(--force) to write into it, replacing files of the same names.")
    return folder


def error_text(exc: BaseException) -> str:
    """``exc`` in words for the summary, withheld when it might hold personal data.

    >>> error_text(UsageError("no such table"))
    'no such table'
    >>> error_text(ValueError("bad value aino@example.fi"))
    'ValueError (its message is withheld: it looks like an e-mail address)'
    """
    if isinstance(exc, InvalidCriteria):
        return " ".join(exc.problems.values())  # the product's fixed texts, never a value
    text = " ".join(str(exc).split())
    reason = personal_data_reason(text)
    if reason or not text:
        why = f" (its message is withheld: it {reason})" if reason else ""
        return f"{type(exc).__name__}{why}"
    return text[:500]


def _prepared(steps: RequestSteps, request: Request) -> Criteria | str:
    """The request's validated criteria, or why the line cannot run."""
    if request.problem:
        return request.problem
    try:
        return steps.criteria(**request.fields)
    except InvalidCriteria as exc:
        return error_text(exc)


def run_batch(steps: RequestSteps, requests: Any, out: str | os.PathLike[str], *,
              fmt: str | None = None, force: bool = False, accept_too_many: bool = False,
              bom: bool = True, progress: Progress | bool | None = None) -> BatchResult:
    """Search and report every request of ``requests`` into the folder ``out``.

    See :meth:`dpo_workbench.workbench.Workbench.batch`.
    """
    fmt = format_for("", fmt)
    listed = read_requests(requests)
    folder = _folder(out, force)
    extension = REGISTRY[fmt].extension
    items = list(listed)
    names = _names(items, extension)
    prepared = [_prepared(steps, r) for r in items]  # every bad line known before any runs
    outcomes: list[Outcome] = []
    show, close = as_progress(progress)
    summary = SummaryWriter(folder, delimiter=listed.delimiter, bom=bom)
    try:
        for i, (request, criteria) in enumerate(zip(items, prepared, strict=True)):
            if show:
                show(f"line {request.line} ({request.reference or 'no reference'})", i,
                     len(items))
            if isinstance(criteria, str):
                outcome = Outcome(request.line, request.reference, Status.ERROR, error=criteria)
            else:
                outcome = _run_one(steps, request, criteria, folder / names[request.line],
                                   fmt=fmt, force=force, accept_too_many=accept_too_many,
                                   bom=bom)
            outcomes.append(outcome)
            summary.write(outcome)
        if show:
            show("requests done", len(items), len(items))
    finally:
        close()
        summary.close()
        outcomes += [Outcome(r.line, r.reference, Status.NOT_RUN) for r in items[len(outcomes):]]
        result = BatchResult(tuple(outcomes), folder, fmt)
        write_summary_json(result)
    return result


def _run_one(steps: RequestSteps, request: Request, criteria: Criteria, path: Path, *,
             fmt: str, force: bool, accept_too_many: bool, bom: bool) -> Outcome:
    """One request: search, then the report unless too many were found; failures as outcome."""
    line, reference = request.line, request.reference
    try:
        with request_reference(reference):
            result = steps.search(criteria)
            counts = result.counts()
            if result.too_many and not accept_too_many:
                return Outcome(line, reference, Status.TOO_MANY, counts, error=(
                    f"{result.total} items found, more than {result.too_many_threshold}: "
                    "narrow the criteria (a shorter time span), or accept them"))
            replaced = path.exists()
            if replaced and not force:  # never overwrite a report silently
                return Outcome(line, reference, Status.ERROR, counts,
                               error=f"{path.name} exists already: it was not replaced")
            steps.report(Selection.all(result), criteria=criteria, out=path, fmt=fmt, bom=bom)
    except WorkbenchError as exc:
        return Outcome(line, reference, Status.ERROR, error=error_text(exc))
    except Exception as exc:  # a bug or an OS error: this line fails, the others go on
        # Only the class: the message of an unexpected error may hold a value.
        log.error("batch line %d failed unexpectedly: %s", line, type(exc).__name__)
        return Outcome(line, reference, Status.ERROR, error=error_text(exc))
    status = Status.OK if result.total else Status.NOTHING_FOUND
    return Outcome(line, reference, status, counts, report=path.name, replaced=replaced)
