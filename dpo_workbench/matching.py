"""Index-friendly match expressions with the same semantics on every engine.

Phone numbers
    The stored side is normalised in SQL by removing
    :data:`~dpo_workbench.criteria.PHONE_SEPARATORS` with nested ``replace()``
    calls (the same list on SQLite, PostgreSQL and MariaDB). Two *suffix keys* are
    indexed: the last 3 and the last 7 characters of the normalised number. A
    search with *N* digits seeks the composite index ``(key3, key7)``:

    - N < 7: ``key3`` equals the last 3 searched digits, then the last N
      characters of the normalised number are compared (few candidate rows);
    - N = 7: ``key3`` and ``key7`` equal the searched suffixes: an exact seek;
    - N > 7: the seek of N = 7, then the last N characters are compared.

    Every step is the definition itself ("the last N digits after removing
    separators are equal"), so indexes change the speed, never the result.

E-mail addresses and names
    The key is ``lower(trim(column))``. Engines fold letter case differently
    (SQLite's ``lower()`` folds ASCII letters only; PostgreSQL's depends on the
    database locale), so the search compares the key with every case spelling of
    the searched value's non-ASCII letters (see :func:`case_variants`): whatever
    the engine's ``lower()`` does to them, one spelling is equal. On MariaDB the
    comparison uses a binary collation, so ``a`` never equals ``ä``.

Indexes
    SQLite and PostgreSQL get expression indexes on exactly these expressions.
    MariaDB has no expression indexes: it gets indexed virtual columns named
    ``dpo_*``, which the search uses when they exist.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, column, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from .criteria import PHONE_SEPARATORS

#: Lengths of the indexed phone suffix keys.
SHORT_KEY = 3
LONG_KEY = 7
#: More non-ASCII cased letters than this and only the all-lower and all-upper
#: spellings are tried (2**8 = 256 spellings is the most a search sends).
MAX_CASED = 8

_MYSQL = ("mysql", "mariadb")


# --------------------------------------------------------------------------------------
# SQL constructs, compiled per dialect with inline literals so that the query
# expression is textually the indexed one.


class phone_digits(FunctionElement[str]):
    """The stored phone number with the separators removed."""

    type = String()
    inherit_cache = True
    name = "phone_digits"


class suffix(FunctionElement[str]):
    """The last ``n`` characters of a text expression (all of it when shorter)."""

    type = String()
    inherit_cache = True
    name = "suffix"

    def __init__(self, expr: Any, n: int):
        # n is an inline literal argument, so it is part of SQLAlchemy's cache key
        # and of the indexed expression's text.
        super().__init__(expr, literal_column(str(int(n))))


def _suffix_parts(element: suffix, compiler: Any, **kw: Any) -> tuple[str, str]:
    expr, n = list(element.clauses)
    return compiler.process(expr, **kw), compiler.process(n, **kw)


class text_key(FunctionElement[str]):
    """``lower(trim(x))``: the key of e-mail addresses and names."""

    type = String()
    inherit_cache = True
    name = "text_key"


class unindexed(FunctionElement[Any]):
    """A column that SQLite must not use an index for (the date span's column).

    SQLite's planner, with statistics of a date index but none of the workbench's
    expression indexes, would walk a year of rows by date rather than look up a
    handful of keys; a unary ``+`` takes the date index out of its choice. Other
    engines weigh both with statistics and get the column as it is.
    """

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column_: Any):
        self.type = column_.type  # keeps the column's bind processing (datetimes)
        super().__init__(column_)


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@compiles(phone_digits)
def _phone_digits(element: phone_digits, compiler: Any, **kw: Any) -> str:
    expr = compiler.process(element.clauses, **kw)
    for sep in PHONE_SEPARATORS:
        expr = f"replace({expr}, {_sql_string(sep)}, '')"
    return expr


@compiles(suffix)
def _suffix_default(element: suffix, compiler: Any, **kw: Any) -> str:
    expr, n = _suffix_parts(element, compiler, **kw)
    return f"right({expr}, {n})"


@compiles(suffix, "sqlite")
def _suffix_sqlite(element: suffix, compiler: Any, **kw: Any) -> str:
    expr, n = _suffix_parts(element, compiler, **kw)
    return f"substr({expr}, -{n})"


@compiles(suffix, "mysql")
@compiles(suffix, "mariadb")
def _suffix_mysql(element: suffix, compiler: Any, **kw: Any) -> str:
    expr, n = _suffix_parts(element, compiler, **kw)
    return f"CONVERT(right({expr}, {n}) USING utf8mb4) COLLATE utf8mb4_bin"


@compiles(text_key)
def _text_key_default(element: text_key, compiler: Any, **kw: Any) -> str:
    return f"lower(trim({compiler.process(element.clauses, **kw)}))"


@compiles(text_key, "mysql")
@compiles(text_key, "mariadb")
def _text_key_mysql(element: text_key, compiler: Any, **kw: Any) -> str:
    return f"CONVERT(lower(trim({compiler.process(element.clauses, **kw)})) USING utf8mb4)" \
           " COLLATE utf8mb4_bin"


# --------------------------------------------------------------------------------------
# Case spellings


def ascii_lower(value: str) -> str:
    """Lower-case the ASCII letters only, as SQLite's ``lower()`` does."""
    return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in value)


@functools.lru_cache(maxsize=256)
def case_variants(value: str) -> tuple[str, ...]:
    """Every spelling an engine's ``lower(trim(stored))`` can give for ``value``.

    ASCII letters are lower case (every engine folds them); each non-ASCII letter
    with a one-letter lower and upper case appears in both, in NFC and NFD form.

    >>> v = case_variants("Zoë@x.de")
    >>> "zoë@x.de" in v, "zoË@x.de" in v, len(v)  # lower, upper, and decomposed
    (True, True, 3)
    >>> case_variants("a@b.fi")
    ('a@b.fi',)
    """
    base = ascii_lower(unicodedata.normalize("NFC", value.strip()))
    options: list[tuple[str, ...]] = []
    cased = 0
    for ch in base:
        lo, up = ch.lower(), ch.upper()
        if not ch.isascii() and len(lo) == 1 and len(up) == 1 and lo != up:
            options.append((lo, up))
            cased += 1
        else:
            options.append((ch,))
    if cased > MAX_CASED:
        spellings = {"".join(o[0] for o in options), "".join(o[-1] for o in options)}
    else:
        spellings = {"".join(p) for p in itertools.product(*options)}
    # Decomposed letters: the base letter is ASCII and folds like one.
    spellings |= {ascii_lower(unicodedata.normalize("NFD", s)) for s in spellings}
    return tuple(sorted(spellings))


# --------------------------------------------------------------------------------------
# Conditions


def _virtual(table: Table, name: str) -> ColumnElement[Any] | None:
    return table.c.get(name, None)


def virtual_column_name(kind: str, column_name: str) -> str:
    """The name of a MariaDB virtual key column (kind: p3, p7, ek, nk)."""
    name = f"dpo_{kind}_{column_name}"
    return name if len(name) <= 64 else f"{name[:55]}_{_short_hash(name)}"


def phone_keys(table: Table, column_name: str, dialect: str) -> tuple[ColumnElement[Any], ...]:
    """The (key3, key7) expressions of a phone column, or its MariaDB virtual columns."""
    c = table.c[column_name]
    if dialect in _MYSQL:
        v3 = _virtual(table, virtual_column_name("p3", column_name))
        v7 = _virtual(table, virtual_column_name("p7", column_name))
        if v3 is not None and v7 is not None:
            return v3, v7
    digits = phone_digits(c)
    return suffix(digits, SHORT_KEY), suffix(digits, LONG_KEY)


def phone_condition(table: Table, column_name: str, tail: str,
                    dialect: str) -> ColumnElement[bool]:
    """Rows whose number, without separators, ends with ``tail`` (3+ digits)."""
    k3, k7 = phone_keys(table, column_name, dialect)
    n = len(tail)
    terms = [k3 == tail[-SHORT_KEY:]]
    if n >= LONG_KEY:
        terms.append(k7 == tail[-LONG_KEY:])
    if n not in (SHORT_KEY, LONG_KEY):
        terms.append(suffix(phone_digits(table.c[column_name]), n) == tail)
    return and_(*terms)


def text_key_expr(table: Table, column_name: str, dialect: str, kind: str) -> ColumnElement[Any]:
    """The key of an e-mail (kind ``ek``) or name (kind ``nk``) column."""
    if dialect in _MYSQL:
        v = _virtual(table, virtual_column_name(kind, column_name))
        if v is not None:
            return v
    return text_key(table.c[column_name])


def email_condition(table: Table, column_name: str, variants: Iterable[str],
                    dialect: str) -> ColumnElement[bool]:
    """Rows whose e-mail address equals the searched one in any letter case."""
    return text_key_expr(table, column_name, dialect, "ek").in_(list(variants))


def name_condition(table: Table, first: str, last: str, first_variants: Iterable[str],
                   last_variants: Iterable[str], dialect: str) -> ColumnElement[bool]:
    """Rows whose first and last name equal the searched ones in any letter case."""
    return and_(text_key_expr(table, last, dialect, "nk").in_(list(last_variants)),
                text_key_expr(table, first, dialect, "nk").in_(list(first_variants)))


# --------------------------------------------------------------------------------------
# Index definitions


@dataclass(frozen=True)
class IndexDef:
    """One index the workbench can create to make a match fast."""

    database: str
    table: str
    name: str
    kind: str  # phone, email, name
    columns: tuple[str, ...]
    statements: tuple[str, ...]  # DDL, in order

    @property
    def sql(self) -> str:
        return ";\n".join(self.statements) + ";"


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def index_name(kind: str, table: str, columns: Iterable[str]) -> str:
    """A deterministic index name within every engine's length limit (63)."""
    name = f"dpo_{kind}_{table}_{'_'.join(columns)}"
    return name if len(name) <= 60 else f"{name[:51]}_{_short_hash(name)}"


def _unbound(name: str) -> ColumnElement[Any]:
    return column(name)


def key_ddl_expressions(kind: str, columns: tuple[str, ...], dialect: Any) -> list[str]:
    """The indexed expressions (SQLite/PostgreSQL) for a match of ``kind``."""
    def compile_(expr: ColumnElement[Any]) -> str:
        return str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    if kind == "phone":
        digits = phone_digits(_unbound(columns[0]))
        return [compile_(suffix(digits, SHORT_KEY)), compile_(suffix(digits, LONG_KEY))]
    return [compile_(text_key(_unbound(c))) for c in columns]


def _mysql_key_ddl(kind: str, col: str, dialect: Any) -> tuple[str, str]:
    """(virtual column name, its generated expression) for MariaDB."""
    q = dialect.identifier_preparer.quote
    if kind in ("p3", "p7"):
        n = SHORT_KEY if kind == "p3" else LONG_KEY
        expr = f"right({str(phone_digits(column(col)).compile(dialect=dialect))}, {n})"
        return virtual_column_name(kind, col), expr
    return virtual_column_name(kind, col), f"lower(trim({q(col)}))"


def index_definitions(database: str, table: Table, phone: Iterable[str], email: Iterable[str],
                      name: tuple[str, str] | None, dialect: Any) -> list[IndexDef]:
    """Every index (and, on MariaDB, virtual column) that makes the matches fast.

    ``name`` is ``(first, last)``; the name index leads with the last name.
    """
    q = dialect.identifier_preparer.quote
    tname = q(table.name)
    out: list[IndexDef] = []
    specs: list[tuple[str, tuple[str, ...]]] = [("phone", (c,)) for c in phone]
    specs += [("email", (c,)) for c in email]
    if name:
        specs.append(("name", (name[1], name[0])))
    for kind, cols in specs:
        iname = index_name(kind, table.name, cols)
        if dialect.name in _MYSQL:
            parts: list[str] = []
            vcols: list[str] = []
            for c in cols:
                length = getattr(table.c[c].type, "length", None) or 255
                keys = ("p3", "p7") if kind == "phone" else ("ek" if kind == "email" else "nk",)
                for k in keys:
                    vname, expr = _mysql_key_ddl(k, c, dialect)
                    size = SHORT_KEY if k == "p3" else LONG_KEY if k == "p7" else min(length, 255)
                    parts.append(f"ADD COLUMN IF NOT EXISTS {q(vname)} VARCHAR({size}) CHARACTER "
                                 f"SET utf8mb4 COLLATE utf8mb4_bin AS ({expr}) VIRTUAL")
                    vcols.append(q(vname))
            parts.append(f"ADD INDEX IF NOT EXISTS {q(iname)} ({', '.join(vcols)})")
            stmts = (f"ALTER TABLE {tname} " + ", ".join(parts),)
        else:
            exprs = key_ddl_expressions(kind, cols, dialect)
            stmts = (f"CREATE INDEX IF NOT EXISTS {q(iname)} ON {tname} "
                     f"({', '.join(f'({e})' for e in exprs)})",)
        out.append(IndexDef(database=database, table=table.name, name=iname, kind=kind,
                            columns=cols, statements=stmts))
    return out


def drop_statements(index: IndexDef, dialect: Any) -> tuple[str, ...]:
    """DDL that removes an index (and its MariaDB virtual columns)."""
    q = dialect.identifier_preparer.quote
    if dialect.name in _MYSQL:
        keys = ("p3", "p7") if index.kind == "phone" else (
            "ek" if index.kind == "email" else "nk",)
        drops = [f"DROP INDEX IF EXISTS {q(index.name)}"]
        drops += [f"DROP COLUMN IF EXISTS {q(virtual_column_name(k, c))}"
                  for c in index.columns for k in keys]
        return (f"ALTER TABLE {q(index.table)} " + ", ".join(drops),)
    return (f"DROP INDEX IF EXISTS {q(index.name)}",)

