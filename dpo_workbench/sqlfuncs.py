"""SQL constructs of the match expressions, compiled per dialect.

Each compiles to the same text in a query and in the index the workbench
creates on it (inline literals, no bound parameters), so that the engine can
use the index: an index changes the speed of a search, never its result.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from .normalize import PHONE_SEPARATORS, WHITESPACE


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


class text_key(FunctionElement[str]):
    """The key of names: without surrounding whitespace, lower-cased."""

    type = String()
    inherit_cache = True
    name = "text_key"


class email_key(FunctionElement[str]):
    """The key of e-mail addresses: :func:`~dpo_workbench.normalize.email_address`, lower-cased."""

    type = String()
    inherit_cache = True
    name = "email_key"


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


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _suffix_parts(element: suffix, compiler: Any, **kw: Any) -> tuple[str, str]:
    expr, n = list(element.clauses)
    return compiler.process(expr, **kw), compiler.process(n, **kw)


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(phone_digits)
def _phone_digits(element: phone_digits, compiler: Any, **kw: Any) -> str:
    expr = compiler.process(element.clauses, **kw)
    for sep in PHONE_SEPARATORS:
        expr = f"replace({expr}, {sql_string(sep)}, '')"
    return expr


def _trim_space(expr: str, dialect: str) -> str:
    """``expr`` without :data:`~dpo_workbench.normalize.WHITESPACE` at either end."""
    chars = sql_string(WHITESPACE)
    if dialect == "sqlite":
        return f"trim({expr}, {chars})"
    if dialect == "postgresql":
        return f"btrim({expr}, {chars})"
    # MariaDB's TRIM removes one string, not a set of characters.
    return f"REGEXP_REPLACE({expr}, {sql_string(f'^[{WHITESPACE}]+|[{WHITESPACE}]+$')}, '')"


def _position(haystack: str, needle: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"strpos({haystack}, {sql_string(needle)})"
    return f"instr({haystack}, {sql_string(needle)})"


def _address(expr: str, dialect: str) -> str:
    """The SQL of :func:`~dpo_workbench.normalize.email_address`, before lower-casing."""
    y = _trim_space(expr, dialect)
    left, right = _position(y, "<", dialect), _position(y, ">", dialect)
    inner = _trim_space(f"substr({y}, {left} + 1, {right} - {left} - 1)", dialect)
    z = f"(CASE WHEN {left} > 0 AND {right} > {left} THEN {inner} ELSE {y} END)"
    return f"(CASE WHEN lower(substr({z}, 1, 7)) = 'mailto:' THEN substr({z}, 8) ELSE {z} END)"


def _dialect(compiler: Any) -> str:
    name = compiler.dialect.name
    return "mysql" if name == "mariadb" else name


@compiles(suffix)
def _suffix_default(element: suffix, compiler: Any, **kw: Any) -> str:
    expr, n = _suffix_parts(element, compiler, **kw)
    return f"right({expr}, {n})"


@compiles(suffix, "sqlite")
def _suffix_sqlite(element: suffix, compiler: Any, **kw: Any) -> str:
    expr, n = _suffix_parts(element, compiler, **kw)
    return f"substr({expr}, -{n})"


#: Compile option: the plain key expression of a MariaDB virtual column, whose own
#: declaration gives it the binary collation.
PLAIN = "dpo_plain"


@compiles(suffix, "mysql")
@compiles(suffix, "mariadb")
def _suffix_mysql(element: suffix, compiler: Any, **kw: Any) -> str:
    expr, n = _suffix_parts(element, compiler, **kw)
    if kw.get(PLAIN):
        return f"right({expr}, {n})"
    return f"CONVERT(right({expr}, {n}) USING utf8mb4) COLLATE utf8mb4_bin"


def _binary(expr: str, compiler: Any, **kw: Any) -> str:
    """MariaDB compares the key byte by byte, except in a virtual column's own definition."""
    if _dialect(compiler) != "mysql" or kw.get(PLAIN):
        return expr
    return f"CONVERT({expr} USING utf8mb4) COLLATE utf8mb4_bin"


@compiles(text_key)
def _text_key(element: text_key, compiler: Any, **kw: Any) -> str:
    expr = compiler.process(element.clauses, **kw)
    return _binary(f"lower({_trim_space(expr, _dialect(compiler))})", compiler, **kw)


@compiles(email_key)
def _email_key(element: email_key, compiler: Any, **kw: Any) -> str:
    expr = compiler.process(element.clauses, **kw)
    return _binary(f"lower({_address(expr, _dialect(compiler))})", compiler, **kw)
