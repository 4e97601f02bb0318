"""The datamap draft's decisions, table by table, from reflected tables and their tallies.

:func:`draft_tables` turns the :class:`TableProfile` of every table of one
database into drafted tables (:class:`~.draftyaml.TableDraft`): which tables
hold personal data and are searched, their group, key, time, match, identifying
and file columns and erase rule, and which other tables are their children (by a
foreign key, or by a ``<table>_id`` / ``<parent key>`` column whose sampled
values are keys of the parent). No database is read here but through the
``confirm`` callable it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, Table

from ..erasure.strategies import STRATEGIES
from .check import key_problem, storage_engine_problem, unique_columns
from .draftrules import REFERENCE_ENDS, Tally, Verdict, time_rank, tokens
from .draftyaml import ChildDraft, EraseGuess, FileGuess, Guess, TableDraft

#: ``confirm(child column, parent column)``: (sampled child values found among the
#: parent's keys, sampled child values), or None when the child column is empty.
Confirm = Callable[[Column, Column], "tuple[int, int] | None"]
#: Share of a child's sampled references that must be parent keys.
REFERENCE_SHARE = 0.5
#: The most columns a drafted ``show`` lists.
SHOW = 8
ROWS = {"directory_entries": "a directory entry", "campaign_customers": "a campaign customer",
        "consents": "a consent"}
PERSONAL = ("phone", "email", "first", "last", "display", "text")


@dataclass
class TableProfile:
    """A reflected table, and what each of its columns was guessed to be."""

    database: str
    table: Table
    verdicts: dict[str, Verdict]
    tallies: dict[str, Tally]

    @property
    def name(self) -> str:
        return self.table.name

    def of(self, *kinds: str) -> list[str]:
        return [c for c, v in self.verdicts.items() if v.kind in kinds]

    def why(self, column: str) -> str:
        return f"{column}: {self.verdicts[column].why}"

    @property
    def dates(self) -> list[str]:
        return [c.name for c in self.table.columns if isinstance(c.type, Date | DateTime)]

    @property
    def searchable(self) -> bool:
        """Whether a search could find its rows: a phone, an e-mail, or a first and last name."""
        return bool(self.of("phone", "email") or (self.of("first") and self.of("last")))


def draft_tables(profiles: list[TableProfile], ids: dict[tuple[str, str], str],
                 stores: Mapping[str, Path], confirm: Confirm,
                 ) -> tuple[list[TableDraft], list[tuple[str, str, str]]]:
    """The drafted tables of one database, and the tables left out (with the reason)."""
    tops = {p.name: (p, _top(p, ids[(p.database, p.name)], stores))
            for p in profiles if p.searchable}
    left_out: list[tuple[str, str, str]] = []
    children: dict[str, str] = {}  # child table -> parent table
    for p in profiles:
        refs = _references(p, tops, confirm)
        if p.name in tops:
            for parent, column, how in refs:
                tops[p.name][1].notes.append(
                    f"its column {column} refers to {parent} ({how}): if its rows belong to "
                    f"those of {parent} (and go with them), make it a child of {parent}; it is "
                    "drafted as a table of its own because it has its own phone, e-mail or name "
                    "columns")
            continue
        if not refs:
            continue
        parent, column, how = refs[0]
        more = [f"{c} -> {t}" for t, c, _ in refs[1:]]
        tops[parent][1].children.append(_child(p, tops[parent][1], column, how, more, stores))
        children[p.name] = parent
    for p in profiles:
        if p.name not in tops and p.name not in children:
            child_of = [fk.column.table.name for fk in p.table.foreign_keys
                        if fk.column.table.name in children]
            left_out.append((p.database, p.name, (
                f"refers to {child_of[0]}, a child table; the datamap has one level of children"
                if child_of else "no personal column found and no reference to a drafted table")))
    return [t for _, t in tops.values()], left_out


# -- a searched table ------------------------------------------------------------------


def _top(p: TableProfile, tid: str, stores: Mapping[str, Path]) -> TableDraft:
    phones, emails = p.of("phone"), p.of("email")
    firsts, lasts = p.of("first"), p.of("last")
    group, group_why = _group(p, phones, emails, firsts, lasts)
    identifying = [Guess(c, p.why(c)) for c in p.of("display", "text")]
    name = None
    if group in ("contacts", "consents"):
        identifying += [Guess(c, f"{p.why(c)}; {group} are not found by name, so it is listed "
                                 "here for erasure") for c in firsts + lasts]
    elif firsts and lasts:
        name = (Guess(firsts[0], p.why(firsts[0])), Guess(lasts[0], p.why(lasts[0])))
        identifying += [Guess(c, f"{p.why(c)}; only one name pair can be matched")
                        for c in firsts[1:] + lasts[1:]]
    else:
        identifying += [Guess(c, f"{p.why(c)}; no matching {'last' if firsts else 'first'} "
                                 "name column to match by") for c in firsts + lasts]
    if group == "consents":
        identifying += [Guess(c, f"{p.why(c)}; consents are found by phone only") for c in emails]
        emails = []
    time = None if group == "directory_entries" else _time(p)
    notes = _table_notes(p)
    if group == "directory_entries" and p.dates:
        notes.append(f"no time: directory entries are found whatever the date span "
                     f"({', '.join(p.dates)} left out)")
    files = _files(p, stores)
    identifying += _unfiled(p, files)
    match = phones + emails + ([name[0].value, name[1].value] if name else [])
    flags = p.of("flag") if group == "consents" else []
    show = [*([time.value] if time else []), *flags, *match, *(g.value for g in identifying
                                                            if p.verdicts[g.value].kind
                                                            in ("display", "first", "last"))]
    t = TableDraft(
        id=tid, database=p.database, table=p.name, group=Guess(group, group_why),
        key=_key(p.table), time=time,
        phone=[Guess(c, p.why(c)) for c in phones], email=[Guess(c, p.why(c)) for c in emails],
        name=name, identifying=_ordered(p, identifying), show=list(dict.fromkeys(show))[:SHOW],
        files=files, erase=EraseGuess("delete", ""), notes=notes)
    t.erase = _erase(p, group, [*match, *(g.value for g in t.identifying)],
                     [f.column for f in files])
    return t


def _group(p: TableProfile, phones: list[str], emails: list[str], firsts: list[str],
           lasts: list[str]) -> tuple[str, str]:
    named = bool(firsts and lasts)
    campaign = _campaign_reference(p.table)
    if campaign:
        return "campaign_customers", f"group campaign_customers: {campaign}"
    flags = p.of("flag")
    if phones and flags and p.dates and not named:
        return "consents", (f"group consents: a phone column ({phones[0]}), a 0/1 or yes/no "
                            f"column ({flags[0]}) and a time ({p.dates[0]})")
    if named:
        return "directory_entries", (f"group directory_entries: first and last names "
                                     f"({firsts[0]}, {lasts[0]}) besides contact columns")
    if p.dates:
        return "contacts", (f"group contacts: a time ({p.dates[0]}) and phone or e-mail columns, "
                            "no first and last name")
    return "directory_entries", ("group directory_entries: phone or e-mail columns but no time "
                                 "column to make them contacts (events); or is it a lookup "
                                 "table (the centre's own numbers) to leave out?")


def _campaign_reference(t: Table) -> str:
    for fk in t.foreign_keys:
        if "campaign" in tokens(fk.column.table.name):
            return f"its column {fk.parent.name} refers to {fk.column.table.name} (foreign key)"
    for c in t.columns:
        if "campaign" in tokens(c.name) and not c.primary_key:
            return f"its column {c.name} is named like a campaign reference"
    return ""


def _time(p: TableProfile) -> Guess | None:
    if not p.dates:
        return None
    best = max(p.dates, key=lambda c: (time_rank(c), -p.dates.index(c)))
    others = [c for c in p.dates if c != best]
    return Guess(best, f"time {best}: a date/timestamp column"
                       + (f", named most like when the row happened (others: {', '.join(others)})"
                          if others else ", the table's only one"))


def _key(t: Table) -> Guess:
    unique = unique_columns(t)
    pk = [c.name for c in t.primary_key.columns]
    if unique:
        how = "the table's primary key" if unique[0] in pk else \
            "a column with a unique constraint or unique index (no one-column primary key)"
        return Guess(unique[0], f"key {unique[0]}: {how}")
    ends = [c.name for c in t.columns if tokens(c.name) and tokens(c.name)[-1] in REFERENCE_ENDS]
    guess = (pk or ends or [t.columns[0].name])[0]
    return Guess(guess, f"NO KEY, check refuses this table until it has one: "
                        f"{key_problem(t, guess)}")


def _table_notes(p: TableProfile) -> list[str]:
    problem = storage_engine_problem(p.table)
    return [f"check refuses this table: {problem}"] if problem else []


def _ordered(p: TableProfile, guesses: list[Guess]) -> list[Guess]:
    order = list(p.verdicts)
    unique = {g.value: g for g in guesses}
    return sorted(unique.values(), key=lambda g: order.index(g.value))


def _files(p: TableProfile, stores: Mapping[str, Path]) -> list[FileGuess]:
    out = []
    candidates = p.of("file")
    found = [c for c in candidates if p.tallies[c].stores]
    names = [c.name for c in p.table.columns if "name" in tokens(c.name) and c.name not in found
             and ("file" in tokens(c.name) or c.name in candidates)]
    sizes = [c.name for c in p.table.columns if "size" in tokens(c.name)
             and isinstance(c.type, Integer)]
    for c in candidates:
        tally = p.tallies[c]
        kind = tally.kinds.most_common(1)[0][0]
        if c in names and found:
            continue  # the file's display name beside a column that holds its path
        if tally.stores:
            store, n = tally.stores.most_common(1)[0]
            why = f"{p.why(c)}; {n} of them name files in the store {store}"
        elif stores:
            store = _store_by_name(c, kind, list(stores))
            why = (f"{p.why(c)}, but none names a file in a configured store; {store} is a guess "
                   "by name: check which store holds them")
        else:
            continue  # no store to declare: listed as identifying below
        out.append(FileGuess(c, store, kind, f"file {why}", name=names[0] if names and kind ==
                             "attachment" and c not in names else None,
                             size=sizes[0] if sizes and kind == "attachment" else None))
    return out


def _unfiled(p: TableProfile, files: list[FileGuess]) -> list[Guess]:
    """File-path columns not declared under ``files`` (no store, or a file's name)."""
    filed = {f.column for f in files} | {f.name for f in files if f.name}
    return [Guess(c, f"{p.why(c)}, but not declared as files (no configured file store holds "
                     "them, or it is a file's name): declare it under files if it names a "
                     "stored file") for c in p.of("file") if c not in filed]


def _store_by_name(column: str, kind: str, stores: list[str]) -> str:
    words = set(tokens(column)) | {{"audio": "recording", "image": "photo"}.get(kind, kind)}
    for s in stores:
        if {w.rstrip("s") for w in tokens(s)} & {w.rstrip("s") for w in words}:
            return s
    return stores[0]


def _erase(p: TableProfile, group: str, personal: list[str], files: list[str]) -> EraseGuess:
    if group != "contacts":
        return EraseGuess("delete", f"erase: delete: {ROWS[group]} is about the person as a "
                                    "whole")
    columns: dict[str, str] = {}
    for c in dict.fromkeys([*personal, *files]):
        prefer = ("clear", "redact") if c in files else ("redact", "clear")
        fit = [s for s in prefer if STRATEGIES[s].unfit(p.table.c[c]) is None]
        if not fit:
            return EraseGuess("delete", f"erase: delete: a contact would rather be anonymized "
                                        f"(kept for statistics), but column {c} can be neither "
                                        "redacted nor cleared")
        columns[c] = fit[0]
    return EraseGuess("anonymize", "erase: anonymize: a contact is kept for statistics; each "
                                   "matched and identifying column is redacted where it can hold "
                                   "the marker text, else cleared" + (
                                       "; file paths are cleared and the files deleted"
                                       if files else ""), columns)


# -- children --------------------------------------------------------------------------


def _singular(word: str) -> str:
    if word == "people":
        return "person"
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _names_parent(column: str, parent: TableDraft) -> int:
    """How well a column's name says it refers to ``parent``: 2 exactly, 1 partly, 0 not."""
    if column == parent.key.value and tokens(column) != ("id",):
        return 2
    words = tokens(column)
    if len(words) < 2 or words[-1] not in (*REFERENCE_ENDS, "no", "nr", "num"):
        return 0
    own = [_singular(w) for w in words[:-1]]
    table = [_singular(w) for w in tokens(parent.table)]
    if own == table:
        return 2
    n = len(own)
    return 1 if table[:n] == own or table[-n:] == own else 0


def _same_kind(a: Column, b: Column) -> bool:
    number = (Integer, Boolean)
    return isinstance(a.type, number) == isinstance(b.type, number)


def _references(p: TableProfile, tops: dict[str, tuple[TableProfile, TableDraft]],
                confirm: Confirm) -> list[tuple[str, str, str]]:
    """(parent table, column, how) for every drafted table ``p`` refers to, best first."""
    out: list[tuple[str, str, str]] = []
    for fk in p.table.foreign_keys:
        parent = tops.get(fk.column.table.name)
        if parent and fk.column.table.name != p.name and fk.column.name == parent[1].key.value:
            out.append((parent[1].table, fk.parent.name, f"foreign key {fk.parent.name} -> "
                                                          f"{parent[1].table}.{fk.column.name}"))
    ranked = []
    for c in p.table.columns:
        for name, (tp, td) in tops.items():
            score = _names_parent(c.name, td)
            if name == p.name or not score or td.key.value not in tp.table.c \
                    or not _same_kind(c, tp.table.c[td.key.value]) \
                    or any(r[:2] == (td.table, c.name) for r in out):
                continue
            ranked.append((-score, name, c))
    for _, name, c in sorted(ranked, key=lambda r: r[0]):
        td = tops[name][1]
        seen = confirm(c, tops[name][0].table.c[td.key.value])
        if seen is not None and seen[0] < REFERENCE_SHARE * seen[1]:
            continue
        found = "it had no values to sample" if seen is None else \
            f"{seen[0]} of {seen[1]} sampled values are keys of {td.table}"
        out.append((td.table, c.name, f"named like a reference to {td.table}.{td.key.value}; "
                                      f"{found}"))
    return out


def _child(p: TableProfile, parent: TableDraft, column: str, how: str, more: list[str],
           stores: Mapping[str, Path]) -> ChildDraft:
    files = _files(p, stores)
    personal = [Guess(c, p.why(c)) for c in p.of(*PERSONAL)] + _unfiled(p, files)
    notes = _table_notes(p)
    if more:
        notes.append(f"it also refers to {', '.join(more)}; a child belongs to one parent")
    show = [*p.dates[:1], *[f.name or f.column for f in files], *(g.value for g in personal)]
    if not show:
        show = [c.name for c in p.table.columns if c.name != column and not c.primary_key][:4]
    return ChildDraft(
        name=p.name, table=p.name, key=_key(p.table),
        parent=Guess(column, f"child {p.name} of {parent.id}: {how}"),
        show=list(dict.fromkeys(show))[:SHOW],
        identifying=_ordered(p, personal), files=files,
        erase=EraseGuess("delete", "erase: delete: its rows belong to the parent's row and go "
                                   "with it (anonymize instead to keep them for statistics)"),
        notes=notes)

