"""The workbench's exceptions.

Every message says what is wrong and how to fix it, names the file, database,
table or column concerned, and never contains personal data (an e-mail address,
phone number or name a DPO typed, or a value read from a database).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


class ConfigError(WorkbenchError):
    """The settings file is missing, malformed or incomplete."""


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


class NotFound(WorkbenchError):
    """A row or file the caller referred to does not exist (any more)."""


class ActionRefused(WorkbenchError):
    """An action was refused by a rule of the workbench (e.g. a reason is required)."""
