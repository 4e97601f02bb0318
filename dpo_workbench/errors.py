"""Every exception the workbench raises on purpose, and the exit status of each.

Every message says what is wrong and how to fix it, names the file, database,
table or column concerned, and never contains personal data (an e-mail address,
phone number or name a DPO typed, or a value read from a database).

The command line turns an exception into an exit status with
:func:`exit_status`, from the one table :data:`EXIT_STATUSES`; the README's
"Exit status" section is this table in words, and a test keeps them equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .erasure.journal import Run


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


class ConfigError(WorkbenchError):
    """The settings file is missing, malformed or incomplete."""


class MissingExtra(ConfigError):
    """A feature's optional dependencies are not installed (``pip install
    'dpo-workbench[EXTRA]'`` installs them)."""


class DatamapError(WorkbenchError):
    """The datamap is malformed or does not fit the live schema.

    ``problems`` lists every problem found, each a complete sentence; the message
    shows them all so that one run is enough to fix the file.
    """

    def __init__(self, source: str, problems: Iterable[str]):
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{source}: {n} problem{'s' if n != 1 else ''} in the datamap:\n{lines}")


class DatabaseError(WorkbenchError):
    """A database could not be reached or a statement failed."""


class InvalidCriteria(WorkbenchError):
    """The search criteria break a rule; nothing was searched.

    ``problems`` maps a field name (``email``, ``phone``, ``first_name``,
    ``last_name``, ``start``, ``end``, ``digits`` or ``criteria`` for rules that
    involve several fields) to a message a DPO understands.
    """

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))


class UsageError(WorkbenchError, ValueError):
    """An argument is malformed (a row reference, a file name, an option); nothing was done."""


class NotFound(WorkbenchError):
    """A row, file or erasure run the caller referred to does not exist (any more)."""


class ActionRefused(WorkbenchError):
    """An action was refused by a rule of the workbench; nothing was done.

    Raised when a reason is required but missing, when nobody is logged on in the
    dashboard, when an action is not allowed in the current view, and so on.
    """


class ConfirmationError(ActionRefused):
    """An erasure was not confirmed with its plan's token; nothing was changed."""


class PlanChanged(ConfirmationError):
    """The data changed since the plan was made; ``plan`` is the plan of the data now.

    Nothing was changed. The faces show the new plan and ask for its token.
    """

    def __init__(self, message: str, plan: object):
        super().__init__(message)
        self.plan = plan


class LogonError(ActionRefused):
    """A log-on was refused; the message can be shown as it is.

    ``reason`` is one of ``credentials``, ``no_right``, ``throttled``, ``empty``
    (for the audit log, never shown), ``retry_after`` the seconds to wait (throttled).
    """

    def __init__(self, message: str, reason: str, retry_after: float = 0.0):
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after


class MessageRefused(ActionRefused):
    """A message from a dashboard page broke the widget protocol's rules (see
    :mod:`dpo_workbench.web.guard`); it never reached the kernel."""


class JournalTampered(WorkbenchError):
    """The erasure journal's stored plan does not match its seal; nothing was executed."""


class ReportError(WorkbenchError):
    """A report could not be written (a file of an item could not be read)."""


class ErasureIncomplete(WorkbenchError):
    """An erasure stopped part-way; ``run`` tells which databases are done."""

    def __init__(self, run: Run):
        self.run = run
        super().__init__(run.story() + f"\nRun `dpo-workbench erase --resume {run.run_id}` "
                                       "(or Resume in the dashboard) to complete it.")


class ErasureStopped(WorkbenchError):
    """An erasure run stopped because its journal, the audit log or a database could not be
    reached or written (a full disk, a server down); what it committed stays committed."""

    def __init__(self, run_id: str, reason: str):
        self.run_id = run_id
        super().__init__(
            f"{reason}\nThe erasure run {run_id} stopped here; what it committed stays "
            "committed, and a resume finds out from the rows what was done. Once the cause "
            "is fixed (disk space freed, the database reachable again), run `dpo-workbench erase "
            f"--resume {run_id}` (or Resume in the dashboard) to complete it.")


# --------------------------------------------------------------------------------------
# Exit statuses of the command line

EXIT_OK = 0
#: An unexpected internal error (a bug): the command printed where its log is.
EXIT_INTERNAL = 1
#: Invalid criteria or arguments, or a reference to something that does not exist.
EXIT_USAGE = 2
#: The settings, the datamap or a database is wrong or unreachable.
EXIT_CONFIG = 3
#: A check failed: an erasure could not be verified, or the audit log was tampered with.
EXIT_CHECK_FAILED = 4
#: An erasure stopped part-way (resume it), or a batch has lines that failed.
EXIT_INCOMPLETE = 5
#: A confirmation or action was refused (a wrong or outdated token); nothing was changed.
EXIT_REFUSED = 6
#: Interrupted with Ctrl+C.
EXIT_INTERRUPTED = 130

#: Exception class -> exit status, most specific first; the first match wins.
EXIT_STATUSES: tuple[tuple[type[BaseException], int], ...] = (
    (InvalidCriteria, EXIT_USAGE),
    (UsageError, EXIT_USAGE),
    (NotFound, EXIT_USAGE),
    (ActionRefused, EXIT_REFUSED),
    (ErasureIncomplete, EXIT_INCOMPLETE),
    (ErasureStopped, EXIT_INCOMPLETE),
    (JournalTampered, EXIT_CHECK_FAILED),
    (ConfigError, EXIT_CONFIG),
    (DatamapError, EXIT_CONFIG),
    (DatabaseError, EXIT_CONFIG),
    (ReportError, EXIT_CONFIG),
    (WorkbenchError, EXIT_CONFIG),
    (KeyboardInterrupt, EXIT_INTERRUPTED),
)

#: Each exit status in words (the README's table).
EXIT_MEANINGS: Mapping[int, str] = {
    EXIT_OK: "success (also when nothing is found)",
    EXIT_INTERNAL: "an unexpected internal error",
    EXIT_USAGE: "invalid criteria or arguments, or an item or run that does not exist",
    EXIT_CONFIG: "the settings, the datamap or a database is wrong or unreachable",
    EXIT_CHECK_FAILED: "a check failed: the erasure is not verified, or the audit log or the "
                       "erasure journal was tampered with",
    EXIT_INCOMPLETE: "an erasure stopped part-way: resume it; or lines of a batch failed (its "
                     "summary says which and why; the other lines ran)",
    EXIT_REFUSED: "a confirmation was refused (wrong or outdated token): nothing was changed",
    EXIT_INTERRUPTED: "interrupted (Ctrl+C)",
}


def exit_status(exc: BaseException) -> int:
    """The exit status of the command line for an exception.

    Examples
    --------
    >>> exit_status(ConfirmationError("wrong token")), exit_status(ConfigError("x"))
    (6, 3)
    >>> exit_status(RuntimeError("a bug"))
    1
    """
    for cls, status in EXIT_STATUSES:
        if isinstance(exc, cls):
            return status
    return EXIT_INTERNAL
