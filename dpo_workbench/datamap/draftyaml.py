"""A drafted datamap: its guesses, each with the words of its review note, and its YAML.

:mod:`.draft` fills these classes from the live schema; :func:`render` writes
them as a datamap file in which every guess is preceded by a ``# review: ...``
comment saying what it was based on. The file loads with
:func:`~dpo_workbench.datamap.load_datamap` as written.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .model import humanize

WIDTH = 100


@dataclass(frozen=True)
class Guess:
    """One guessed value (a column, a group, a strategy) and why it was guessed."""

    value: str
    why: str


@dataclass(frozen=True)
class FileGuess:
    column: str
    store: str
    kind: str
    why: str
    name: str | None = None
    size: str | None = None


@dataclass
class EraseGuess:
    row: str  # delete | anonymize
    why: str
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class ChildDraft:
    name: str
    table: str
    key: Guess
    parent: Guess
    show: list[str]
    identifying: list[Guess]
    files: list[FileGuess]
    erase: EraseGuess
    notes: list[str] = field(default_factory=list)


@dataclass
class TableDraft:
    id: str
    database: str
    table: str
    group: Guess
    key: Guess
    time: Guess | None
    phone: list[Guess]
    email: list[Guess]
    name: tuple[Guess, Guess] | None
    identifying: list[Guess]
    show: list[str]
    files: list[FileGuess]
    erase: EraseGuess
    children: list[ChildDraft] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def match_columns(self) -> list[str]:
        return [g.value for g in (*self.phone, *self.email, *(self.name or ()))]


@dataclass
class Draft:
    """A drafted datamap: the tables, and the tables left out with the reason."""

    settings: Path
    databases: list[str]
    tables: list[TableDraft]
    left_out: list[tuple[str, str, str]]  # (database, table, why)
    sample_size: int
    datamap: str | None = None  # the settings file's 'datamap', if it names one

    def text(self) -> str:
        return render(self)

    @property
    def reviews(self) -> int:
        """How many review notes the draft has."""
        return self.text().count("# review:")


def q(name: str) -> str:
    """A name as a YAML scalar: plain when YAML reads it back as that text, else quoted.

    >>> q("remote_number"), q("no"), q("order"), q("2nd phone"), q("null")
    ('remote_number', '"no"', 'order', '"2nd phone"', '"null"')
    """
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and yaml.safe_load(name) == name
    return name if plain else json.dumps(name, ensure_ascii=False)


def _flow(names: list[str]) -> str:
    return "[" + ", ".join(q(n) for n in names) + "]"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def review(self, indent: int, why: str) -> None:
        pad = " " * indent
        wrapped = textwrap.wrap(why, WIDTH - indent - 10, break_on_hyphens=False) or [""]
        self.lines.append(f"{pad}# review: {wrapped[0]}")
        self.lines += [f"{pad}#   {more}" for more in wrapped[1:]]

    def comment(self, indent: int, text: str) -> None:
        for line in textwrap.wrap(text, WIDTH - indent - 2, break_on_hyphens=False) or [""]:
            self.lines.append(f"{' ' * indent}# {line}".rstrip())

    def line(self, indent: int, text: str) -> None:
        self.lines.append(" " * indent + text)

    def labels(self, indent: int, table: str, columns: list[str]) -> None:
        """``label`` and ``labels``: the names made readable, to put in the DPO's words."""
        self.review(indent, "label, labels: what a DPO reads instead of the table's and columns' "
                            "names, made readable from them; say them in the DPO's words")
        self.line(indent, f"label: {q(humanize(table))}")
        names = list(dict.fromkeys(columns))
        if names:
            self.line(indent, "labels:")
            for c in names:
                self.line(indent + 2, f"{q(c)}: {q(humanize(c))}")

    def guessed(self, indent: int, key: str, guess: Guess) -> None:
        self.review(indent, guess.why)
        self.line(indent, f"{key}: {q(guess.value)}")

    def items(self, indent: int, key: str, guesses: list[Guess]) -> None:
        if not guesses:
            return
        self.line(indent, f"{key}:")
        for g in guesses:
            self.review(indent + 2, g.why)
            self.line(indent + 2, f"- {q(g.value)}")

    def files(self, indent: int, files: list[FileGuess]) -> None:
        if not files:
            return
        self.line(indent, "files:")
        for f in files:
            self.review(indent + 2, f.why)
            extra = "".join(f", {k}: {q(v)}" for k, v in (("name", f.name), ("size", f.size)) if v)
            self.line(indent + 2, f"{q(f.column)}: {{store: {q(f.store)}, kind: {f.kind}{extra}}}")

    def erase(self, indent: int, erase: EraseGuess) -> None:
        self.review(indent, erase.why)
        if erase.row == "delete":
            self.line(indent, "erase: {row: delete}")
            return
        self.line(indent, "erase:")
        self.line(indent + 2, "row: anonymize")
        self.line(indent + 2, "columns:")
        for column, strategy in erase.columns.items():
            self.line(indent + 4, f"{q(column)}: {strategy}")


def render(draft: Draft) -> str:
    """The draft as a datamap file, a ``# review:`` comment before every guess."""
    w = _Writer()
    w.comment(0, f"Draft datamap, written by `dpo-workbench datamap draft` from {draft.settings}"
                 f" (databases: {', '.join(draft.databases)}).")
    w.comment(0, "Every guess below is preceded by a '# review:' comment saying what it was "
                 "based on: the live schema (types, keys, foreign keys), column names, and the "
                 f"shapes of at most {draft.sample_size} sampled values per column (the values "
                 "themselves are written nowhere). Review each one, fix what is wrong, delete the "
                 "comments, and run `dpo-workbench check`. docs/datamap.md explains every key.")
    w.comment(0, "The labels are the names made readable: put them in the DPO's words. Declare "
                 "under third_party the columns that hold other people's data (an agent's name, "
                 "in a lookup or a chat transcript), which the subject's copy of a report "
                 "redacts; nothing here can guess them.")
    if draft.left_out:
        w.line(0, "#")
        w.comment(0, "Tables left out (no phone, e-mail, name or file column found, and no "
                     "reference to a drafted table). Review them too:")
        for database, table, why in draft.left_out:
            w.comment(0, f"  {database}.{table}: {why}")
    w.line(0, "version: 1")
    w.line(0, "tables:")
    for t in draft.tables:
        w.line(0, "")
        _table(w, t)
    return "\n".join(w.lines) + "\n"


def _table(w: _Writer, t: TableDraft) -> None:
    w.line(2, f"{q(t.id)}:")
    for note in t.notes:
        w.review(4, note)
    w.line(4, f"database: {q(t.database)}")
    w.line(4, f"table: {q(t.table)}")
    w.labels(4, t.table, [*t.match_columns, *(g.value for g in t.identifying), *t.show,
                          *(f.column for f in t.files)])
    w.guessed(4, "group", t.group)
    w.guessed(4, "key", t.key)
    if t.time:
        w.guessed(4, "time", t.time)
    w.line(4, "match:")
    w.items(6, "phone", t.phone)
    w.items(6, "email", t.email)
    if t.name:
        w.line(6, "name:")
        w.guessed(8, "first", t.name[0])
        w.guessed(8, "last", t.name[1])
    w.items(4, "identifying", t.identifying)
    w.review(4, "show: the time, the matched and identifying columns; add or remove what the DPO "
                "needs to see in the result list")
    w.line(4, f"show: {_flow(t.show)}")
    w.files(4, t.files)
    w.erase(4, t.erase)
    if t.children:
        w.line(4, "children:")
    for c in t.children:
        w.review(6, c.parent.why)
        w.line(6, f"{q(c.name)}:")
        for note in c.notes:
            w.review(8, note)
        w.line(8, f"table: {q(c.table)}")
        w.labels(8, c.table, [*c.show, *(g.value for g in c.identifying),
                              *(f.column for f in c.files)])
        w.guessed(8, "key", c.key)
        w.line(8, f"parent: {q(c.parent.value)}")
        if c.show:
            w.review(8, "show: its time, file and identifying columns (else its first ones); "
                        "add or remove what the DPO needs to see")
            w.line(8, f"show: {_flow(c.show)}")
        w.items(8, "identifying", c.identifying)
        w.files(8, c.files)
        w.erase(8, c.erase)
