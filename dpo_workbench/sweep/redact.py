"""Mention-only redaction: the person's identifiers inside a text become {Anonymized by DPO}.

For mentions a deep sweep found in rows that erasure does not change (another
contact's e-mail body, an agent's note, a table the datamap does not declare),
:func:`plan_redaction` reads each value again and plans to replace only the
spans the rules find (:meth:`Rules.spans <.rules.Rules.spans>`; a column that
holds the first or last name whole, beside the other, is replaced whole); every
other character of the text stays as it is. Like an erasure, the plan is a dry
run with a token (a fingerprint of exactly these values), and executing needs the
token.

A mention cannot be redacted when its row has no key (or its key itself mentions
the person), when it is in a key column, a computed or non-text column, when the
stored text is not valid UTF-8, or when the redacted text would not fit the
column's declared length; the plan lists these with why.

:func:`execute_redaction` changes each database in one transaction with the
erasure's bounded waits (:func:`~dpo_workbench.erasure.sqlitefiles.erasure_connection`),
rows locked first; a value that changed since the plan (its fingerprint differs)
is left alone and counted. SQLite's write-ahead log is checkpointed afterwards.
Each redacted value is read back and checked; the receipt holds counts and
locations, never a value.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    MetaData,
    String,
    Table,
    and_,
    cast,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import LargeBinary

from ..criteria import Criteria
from ..erasure import sqlitefiles
from ..erasure.plan import token_of
from ..erasure.strategies import MENTIONS
from ..errors import ConfirmationError, UsageError
from ..installation import Installation
from .model import FileMention, Mention
from .rules import Rules
from .sweeps import open_engines
from .tables import ROWID, SweptTable, is_swept, row_key

FILES_NOT_REDACTED = "files are not edited: erase the file with its row, or by hand"


@dataclass(frozen=True)
class RedactTarget:
    """One value to redact: where it is, and a keyed fingerprint of it as planned."""

    database: str
    table: str
    column: str
    key_columns: tuple[str, ...]
    key: Any
    fingerprint: str

    @property
    def location(self) -> str:
        return Mention(self.database, self.table, self.column, self.key, ()).location

    def json(self) -> dict[str, Any]:
        return {"database": self.database, "table": self.table, "column": self.column,
                "key_columns": list(self.key_columns), "key": self.key,
                "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class MentionPlan:
    """The mention-only redaction of some mentions (a dry run): what, where, and its token.

    ``refused`` lists the mentions that cannot be redacted, each with why.
    ``criteria`` stay in memory only.
    """

    targets: tuple[RedactTarget, ...]
    refused: tuple[tuple[str, str], ...] = ()
    run_id: str | None = None
    criteria: Criteria | None = field(default=None, compare=False, repr=False)

    @property
    def token(self) -> str:
        """A fingerprint of the values to redact, to type when confirming."""
        return token_of({"redact": [t.json() for t in self.targets], "run": self.run_id})

    def tables(self) -> dict[str, int]:
        """Values to redact per ``database.table`` (for the audit log)."""
        out: dict[str, int] = {}
        for t in self.targets:
            out[f"{t.database}.{t.table}"] = out.get(f"{t.database}.{t.table}", 0) + 1
        return out

    def describe(self) -> str:
        """The plan in words: per table and column, how many values; the refused ones."""
        if not self.targets:
            lines = ["Nothing to redact: no mention given can be redacted."]
        else:
            lines = [f"Redact the person's identifiers inside {len(self.targets)} value(s) "
                     f"(the rest of each text stays): {MENTIONS.description}."]
            per: dict[str, int] = {}
            for t in self.targets:
                where = f"{t.database}.{t.table}.{t.column}"
                per[where] = per.get(where, 0) + 1
            lines += [f"  - {where}: {n} value(s)" for where, n in sorted(per.items())]
        lines += [f"  not redactable: {where}: {why}" for where, why in self.refused]
        return "\n".join(lines)


def _seal(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def fingerprint_key(audit_key: bytes) -> bytes:
    """The key of the values' fingerprints, derived from the audit key."""
    return hmac.new(audit_key, b"dpo-workbench mention redaction v1", hashlib.sha256).digest()


def as_mentions(source: Iterable[Any]) -> tuple[list[Mention], list[tuple[str, str]]]:
    """Mentions from a sweep's, or a receipt's ``sweep`` section's, entries; and the file
    mentions among them, refused (a file is erased with its row, or by hand).

    Raises
    ------
    UsageError
        An entry is neither a mention nor a receipt's mention.
    """
    out, files = [], []
    for m in source:
        if isinstance(m, Mention):
            out.append(m)
        elif isinstance(m, FileMention):
            files.append((m.location, FILES_NOT_REDACTED))
        elif isinstance(m, Mapping) and "store" in m:
            files.append((FileMention(str(m["store"]), m.get("file") or "",
                                      int(m.get("line") or 0), ()).location, FILES_NOT_REDACTED))
        elif isinstance(m, Mapping):
            out.append(Mention.from_json(m))
        else:
            raise UsageError("Give mentions as a sweep lists them (SweepResult.mentions, or a "
                             "receipt's sweep entries).")
    return out, files


def _typed(column: Any, value: Any) -> Any:
    """A key value from JSON, as its column holds it."""
    try:
        python_type = column.type.python_type
    except (NotImplementedError, AttributeError):
        return value
    if python_type is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if python_type is date and isinstance(value, str):
        return date.fromisoformat(value)
    if python_type is int and isinstance(value, str):
        return int(value)
    return value


def _where(table: Table, key_columns: tuple[str, ...], key: Any) -> Any:
    values = key if len(key_columns) > 1 else [key]
    terms = []
    for name, value in zip(key_columns, values, strict=True):
        column = literal_column(ROWID) if name == ROWID and ROWID not in table.c \
            else table.c[name]
        terms.append(column == _typed(column, value))
    return and_(*terms)


def _read(conn: Connection, table: Table, key_columns: tuple[str, ...], key: Any,
          columns: list[str], lock: bool) -> dict[str, Any] | None:
    """The row's text columns (SQLite: raw bytes of the text, to keep them exact)."""
    sqlite = conn.dialect.name == "sqlite"
    cols = [cast(table.c[c], LargeBinary).label(c) if sqlite else table.c[c] for c in columns]
    stmt = select(*cols).where(_where(table, key_columns, key))
    if lock and not sqlite:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row is not None else None


def redacted(row: Mapping[str, Any], column: str, rules: Rules) -> tuple[str | None, str]:
    """``(value, new value)`` of one column of a row read by :func:`_read`, or why not."""
    value = row.get(column)
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None, "the stored text is not valid UTF-8"
    if not isinstance(value, str):
        return None, "the value is no longer text"
    texts = {c: v.decode("utf-8", "replace") if isinstance(v, bytes | bytearray) else v
             for c, v in row.items() if isinstance(v, str | bytes | bytearray)}
    if column in rules.split_name({c: v for c, v in texts.items() if v}):
        return value, MENTIONS.replacement
    new = rules.redact(value, MENTIONS.replacement)
    if new == value:
        return None, "it no longer mentions the person"
    return value, new


def _reflect(conn: Connection, name: str) -> Table:
    schema, _, table = name.rpartition(".")
    return Table(table, MetaData(), autoload_with=conn, schema=schema or None)


def plan_redaction(inst: Installation, mentions: Iterable[Any], criteria: Criteria, *,
                   audit_key: bytes, run_id: str | None = None) -> MentionPlan:
    """Plan the mention-only redaction of ``mentions`` (nothing is changed)."""
    rules = Rules(criteria)
    key = fingerprint_key(audit_key)
    targets: list[RedactTarget] = []
    listed, refused = as_mentions(mentions)
    wanted = sorted(set(listed))
    engines, opened, _ = open_engines(inst)
    try:
        by_table: dict[tuple[str, str], list[Mention]] = {}
        for m in wanted:
            by_table.setdefault((m.database, m.table), []).append(m)
        for (database, name), ms in by_table.items():
            if database not in engines:
                refused += [(m.location, "its database is not in the settings") for m in ms]
                continue
            with engines[database].connect() as conn:
                try:
                    table = _reflect(conn, name)
                except SQLAlchemyError:
                    refused += [(m.location, "its table cannot be read") for m in ms]
                    continue
                swept = SweptTable(database, name, table, row_key(table, conn.dialect.name),
                                   tuple(c.name for c in table.c if is_swept(c)))
                for m in ms:
                    why = _unfit(m, swept, conn.dialect.name)
                    row = None if why else _read(conn, table, swept.key, m.key,
                                                 list(swept.columns), lock=False)
                    if not why and row is None:
                        why = "its row no longer exists"
                    if row is not None and not why:
                        value, new = redacted(row, m.column, rules)
                        why = new if value is None else MENTIONS.unfit(
                            table.c[m.column], len(new), conn.dialect.name) or ""
                        if not why and value is not None:
                            targets.append(RedactTarget(database, name, m.column, swept.key,
                                                        m.key, _seal(key, value)))
                    if why:
                        refused.append((m.location, why))
    finally:
        for engine in opened.values():
            engine.dispose()
    return MentionPlan(tuple(targets), tuple(refused), run_id=run_id, criteria=criteria)


def _unfit(m: Mention, swept: SweptTable, dialect: str) -> str | None:
    if m.key_withheld:
        return "its row's key itself mentions the person: erase the row instead"
    if m.key is None or not swept.key:
        return "its table has no key that names one row"
    if m.column in swept.key:
        return "it is in the row's key: erase the row instead"
    if m.column not in swept.table.c:
        return "the column no longer exists"
    column = swept.table.c[m.column]
    if column.computed is not None or not isinstance(column.type, String):
        return "the column is computed or not plain text"
    return None


def execute_redaction(inst: Installation, plan: MentionPlan, confirm: object, *,
                      audit_key: bytes) -> dict[str, Any]:
    """Execute a plan confirmed with its token; return the receipt (counts, never values).

    Raises
    ------
    ConfirmationError
        Nothing is planned, or ``confirm`` is not the plan's token; nothing changed.
    """
    if not plan.targets:
        raise ConfirmationError("Nothing is planned, so there is nothing to redact.")
    if not isinstance(confirm, str) or confirm.strip().upper() != plan.token:
        raise ConfirmationError(
            "The confirmation does not match this redaction plan's token. Nothing was changed. "
            "Make the plan again, read it, and confirm with the token it shows.")
    if plan.criteria is None:
        raise UsageError("The plan has no criteria (a plan read back from JSON): make it again.")
    rules = Rules(plan.criteria)
    key = fingerprint_key(audit_key)
    counts: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    engines, opened, _ = open_engines(inst)
    try:
        for database in sorted({t.database for t in plan.targets}):
            targets = [t for t in plan.targets if t.database == database]
            if database not in engines:
                problems.append(f"{database}: nothing redacted (not in the settings any more)")
                continue
            try:
                done = _apply(inst, engines[database], targets, rules, key)
            except SQLAlchemyError as exc:
                orig = getattr(exc, "orig", None) or exc
                kind = ("locked by another session" if sqlitefiles.is_lock_timeout(orig)
                        else type(exc).__name__)
                problems.append(f"{database}: nothing redacted ({kind}); make the plan again")
                continue
            for t, outcome in done:
                by = counts.setdefault(f"{t.database}.{t.table}", {})
                by[outcome] = by.get(outcome, 0) + 1
            scrub = sqlitefiles.scrub(engines[database], inst.settings.erasure)
            if scrub:
                problems.append(f"{database}: {scrub}")
            problems += _check(engines[database], [t for t, o in done if o == "redacted"], rules)
    finally:
        for engine in opened.values():
            engine.dispose()
    return {"token": plan.token, "run_id": plan.run_id,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "redacted": sum(c.get("redacted", 0) for c in counts.values()),
            "left_alone_changed": sum(c.get("left_alone_changed", 0) for c in counts.values()),
            "tables": counts, "not_redactable": len(plan.refused),
            "verified": not problems, "problems": problems}


def _apply(inst: Installation, engine: Any, targets: list[RedactTarget], rules: Rules,
           key: bytes) -> list[tuple[RedactTarget, str]]:
    """One database's values in one transaction: ``(target, outcome)`` each.

    The columns of one row are redacted together, from the row as it was read: a
    first name and a last name in two columns are each a mention only beside the
    other.
    """
    out = []
    rows: dict[tuple[str, str], list[RedactTarget]] = {}
    for t in targets:
        rows.setdefault((t.table, repr(t.key)), []).append(t)
    with sqlitefiles.erasure_connection(engine, inst.settings.erasure) as conn, conn.begin():
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock before the first read
        tables = _Tables(conn)
        for (name, _), same_row in rows.items():
            table = tables[name]
            first = same_row[0]
            row = _read(conn, table, first.key_columns, first.key, tables.swept(name), lock=True)
            values: dict[str, str] = {}
            for t in same_row:
                value, new = redacted(row, t.column, rules) if row is not None else (None, "")
                if value is None or _seal(key, value) != t.fingerprint:
                    out.append((t, "left_alone_changed"))
                else:
                    values[t.column] = new
                    out.append((t, "redacted"))
            if values:
                conn.execute(update(table).where(_where(table, first.key_columns, first.key))
                             .values(values))
    return out


class _Tables(dict[str, Table]):
    """Tables reflected once per statement batch, with their swept columns."""

    def __init__(self, conn: Connection):
        super().__init__()
        self.conn = conn

    def __missing__(self, name: str) -> Table:
        self[name] = _reflect(self.conn, name)
        return self[name]

    def swept(self, name: str) -> list[str]:
        return [c.name for c in self[name].c if is_swept(c)]


def _check(engine: Any, targets: list[RedactTarget], rules: Rules) -> list[str]:
    """Read each redacted value back: no mention may remain."""
    problems = []
    with engine.connect() as conn:
        tables = _Tables(conn)
        for t in targets:
            row = _read(conn, tables[t.table], t.key_columns, t.key, tables.swept(t.table),
                        lock=False) or {}
            value, _ = redacted(row, t.column, rules)
            if value is not None:
                problems.append(f"{t.location} still mentions the person after redaction")
    return problems
