"""Mentions and the result of a sweep: where the person is still mentioned, never the value.

A :class:`Mention` names a database, table, column and the row's key (or a file
store, a file and a line), and the kinds of identifier found there (``email``,
``phone``, ``name``). A key or a file name that itself mentions the person is
*withheld*: the receipt says so instead of showing it.

:class:`SweepResult` holds every mention, what could not be swept and why, and
splits the mentions into those in rows an erasure run acted on (problems: the
erasure left something) and those elsewhere (for the DPO to review).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import UsageError
from .rules import KIND_WORDS

#: Mentions listed one by one in a receipt; beyond, only counts per table.
MAX_LISTED = 10_000


def key_id(key: Any) -> str:
    """A row key as one comparable text (JSON).

    >>> key_id(42), key_id([1, "a"])
    ('42', '[1, "a"]')
    """
    return json.dumps(key, ensure_ascii=False, default=str)


def _words(kinds: Iterable[str]) -> str:
    return ", ".join(KIND_WORDS[k] for k in kinds)


@dataclass(frozen=True, order=True)
class Mention:
    """One column of one row that mentions the person.

    ``key`` is the row's key as JSON (one value, or a list for a key of several
    columns; ``None`` when the table has no key). ``erased``: the row is one an
    erasure run acted on.
    """

    database: str
    table: str
    column: str
    key: Any
    kinds: tuple[str, ...]
    key_withheld: bool = False
    erased: bool = False

    @property
    def row(self) -> str:
        """``database.table#key``: the row, as ``--exclude`` takes it."""
        return f"{self.database}.{self.table}#{self.key_text}"

    @property
    def key_text(self) -> str:
        if self.key_withheld:
            return "(key withheld: it mentions the person)"
        if self.key is None:
            return "(no key)"
        return json.dumps(self.key, ensure_ascii=False) if isinstance(self.key, list) \
            else str(self.key)

    @property
    def location(self) -> str:
        return f"{self.database}.{self.table}.{self.column}#{self.key_text}"

    def json(self) -> dict[str, Any]:
        return {"database": self.database, "table": self.table, "column": self.column,
                "key": None if self.key_withheld else self.key,
                "key_withheld": self.key_withheld, "kinds": list(self.kinds)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Mention:
        try:
            return cls(str(data["database"]), str(data["table"]), str(data["column"]),
                       data.get("key"), tuple(data.get("kinds", ())),
                       bool(data.get("key_withheld", False)))
        except (KeyError, TypeError):
            raise UsageError("A mention must name its database, table, column and key, as "
                             "a receipt's sweep lists them.") from None


@dataclass(frozen=True, order=True)
class FileMention:
    """A text-like file of a file store that mentions the person.

    ``file`` is its path relative to the store, empty when withheld (the path
    itself mentions the person); ``line`` the first line that does (0: the name).
    """

    store: str
    file: str
    line: int
    kinds: tuple[str, ...]
    erased: bool = False

    @property
    def location(self) -> str:
        name = self.file or "(a file whose name mentions the person)"
        where = "its name" if self.line == 0 else f"line {self.line}"
        return f"file store {self.store}: {name}, {where}"

    def json(self) -> dict[str, Any]:
        return {"store": self.store, "file": self.file or None, "line": self.line,
                "kinds": list(self.kinds)}


@dataclass
class SweepResult:
    """What a deep sweep found (see the module notes)."""

    identifiers: tuple[str, ...]
    mentions: list[Mention] = field(default_factory=list)
    files: list[FileMention] = field(default_factory=list)
    not_swept: list[str] = field(default_factory=list)  # what could not be read, and why
    databases: int = 0
    tables: int = 0
    columns: int = 0
    candidates: int = 0  # rows the SQL prefilter passed
    files_searched: int = 0
    files_skipped: dict[str, int] = field(default_factory=dict)  # why -> how many
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.mentions) + len(self.files)

    @property
    def in_erased(self) -> list[Mention | FileMention]:
        """Mentions in rows (or planned files) an erasure run acted on: problems."""
        return [m for m in (*self.mentions, *self.files) if m.erased]

    @property
    def elsewhere(self) -> list[Mention | FileMention]:
        """Mentions outside the erased items, for the DPO to review."""
        return [m for m in (*self.mentions, *self.files) if not m.erased]

    def mark_erased(self, rows: set[tuple[str, str, str]], files: set[tuple[str, str]]) -> None:
        """Mark the mentions in ``rows`` (database, table, :func:`key_id`) and ``files`` erased."""
        self.mentions = [replace(m, erased=(m.database, m.table, key_id(m.key)) in rows)
                         for m in self.mentions]
        self.files = [replace(f, erased=(f.store, f.file) in files) for f in self.files]

    def by_table(self, mentions: Iterable[Mention | FileMention]) -> dict[str, int]:
        """Mentions per ``database.table`` (or ``files:store``)."""
        out: dict[str, int] = {}
        for m in mentions:
            where = f"{m.database}.{m.table}" if isinstance(m, Mention) else f"files:{m.store}"
            out[where] = out.get(where, 0) + 1
        return out

    def problems(self) -> list[str]:
        """The sweep's problems for a receipt: mentions left in erased rows, parts not swept."""
        out = [f"{m.location} still mentions the {_words(m.kinds)}" for m in self.in_erased]
        out += [f"not swept: {n}" for n in self.not_swept]
        return out

    def json(self) -> dict[str, Any]:
        """The sweep's part of a receipt: locations and counts, never a value."""
        def listed(ms: list[Mention | FileMention]) -> list[dict[str, Any]]:
            return [m.json() for m in ms[:MAX_LISTED]]

        elsewhere = self.elsewhere
        return {
            "identifiers": list(self.identifiers),
            "swept": {"databases": self.databases, "tables": self.tables,
                      "columns": self.columns, "candidate_rows": self.candidates,
                      "files": self.files_searched, "files_skipped": dict(self.files_skipped)},
            "seconds": round(self.seconds, 2),
            "mentions": self.total,
            "mentions_elsewhere": len(elsewhere),
            "in_erased_rows": listed(self.in_erased),
            "elsewhere": listed(elsewhere),
            "elsewhere_by_table": self.by_table(elsewhere),
            "listed_at_most": MAX_LISTED,
            "not_swept": list(self.not_swept),
        }

    def lines(self) -> list[str]:
        """The sweep in words (for the command line): its receipt section's words."""
        return sweep_lines(self.json())


def with_sweep(receipt: Mapping[str, Any], result: SweepResult) -> dict[str, Any]:
    """An erasure receipt with the sweep's part: its problems make it "NOT verified".

    Mentions outside the erased items are listed for the DPO; they do not.
    """
    out = dict(receipt)
    out["sweep"] = result.json()
    out["problems"] = [*receipt["problems"], *result.problems()]
    out["checks"] = [*receipt["checks"],
                     f"deep sweep: every text column of {result.tables} table(s) in "
                     f"{result.databases} database(s) and {result.files_searched} text file(s)"]
    out["verified"] = not out["problems"]
    return out


def sweep_lines(section: Mapping[str, Any]) -> list[str]:
    """A sweep's receipt section in words (the receipt keeps JSON only)."""
    swept = section.get("swept", {})
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(swept.get("files_skipped", {})
                                                           .items()))
    out = [f"  deep sweep ({', '.join(section.get('identifiers', []))}): "
           f"{swept.get('tables', 0)} table(s), {swept.get('columns', 0)} text column(s) in "
           f"{swept.get('databases', 0)} database(s), {swept.get('files', 0)} text file(s)"
           f"{f' (skipped: {skipped})' if skipped else ''} in {section.get('seconds', 0)} s"]
    out += [f"    in an erased row: {_location(m)} ({_words(m.get('kinds', []))})"
            for m in section.get("in_erased_rows", [])]
    elsewhere = section.get("elsewhere", [])
    total = section.get("mentions_elsewhere", len(elsewhere))
    if elsewhere:
        out.append(f"  mentions outside the erased items ({total}), to review:")
        out += [f"    {_location(m)} ({_words(m.get('kinds', []))})" for m in elsewhere]
        if total > len(elsewhere):
            out.append(f"    ... and {total - len(elsewhere)} more")
    else:
        out.append("  no mention outside the erased items")
    out += [f"    not swept: {n}" for n in section.get("not_swept", [])]
    return out


def _location(m: Mapping[str, Any]) -> str:
    if "store" in m:
        return FileMention(m["store"], m.get("file") or "", int(m.get("line", 0)),
                           tuple(m.get("kinds", ()))).location
    return Mention.from_json(m).location
