"""Reading the engines' query plans: which indexes a plan uses, which tables it scans.

A plan is the text ``wb.engine_plans(...)`` gives for a table: its engine's EXPLAIN
rows, columns joined with ``" | "``. Each engine says it differently, and a plain
``name in plan`` is not enough on every engine: MariaDB lists an index in
``possible_keys`` even when it reads the whole table, so there only the ``key``
column counts.

    >>> used_indexes("sqlite", "3 | 0 | 0 | SEARCH t USING INDEX dpo_phone_t_n (<expr>=?)")
    {'dpo_phone_t_n'}
    >>> full_scans("mariadb", "1 | SIMPLE | t | ALL | dpo_phone_t_n | None | None | None | 9 | ")
    ['t']
"""

from __future__ import annotations

import re

_SQLITE_INDEX = re.compile(r"USING (?:COVERING )?INDEX (\w+)")
_SQLITE_SCAN = re.compile(r"\bSCAN (?:TABLE )?(\w+)")
_PG_INDEX = re.compile(r"Index (?:Only )?Scan(?: Backward)? (?:using|on) (\w+)")
_PG_SCAN = re.compile(r"Seq Scan on (\w+)")
#: MariaDB's EXPLAIN columns, in order.
_MARIADB_COLUMNS = ("id", "select_type", "table", "type", "possible_keys", "key", "key_len",
                    "ref", "rows", "Extra")
#: MariaDB access types that read a whole table (ALL) or a whole index (index).
_MARIADB_SCANS = ("ALL", "index")


def _mariadb_rows(plan: str) -> list[dict[str, str]]:
    rows = [dict(zip(_MARIADB_COLUMNS, line.split(" | "), strict=True))
            for line in plan.splitlines()]
    assert rows, "an empty plan"
    return rows


#: The version the workbench puts into its index names (a hash of the rule).
_VERSION = re.compile(r"^dpo_([a-z]+)[0-9a-f]{4}_")


def used_indexes(kind: str, plan: str) -> set[str]:
    """The indexes the engine reads to answer the query, named without their rule version.

    >>> used_indexes("sqlite", "SEARCH t USING INDEX dpo_phone1a2b_t_n (<expr>=?)")
    {'dpo_phone_t_n'}
    """
    if kind == "sqlite":
        names = set(_SQLITE_INDEX.findall(plan))
    elif kind == "postgresql":
        names = set(_PG_INDEX.findall(plan))
    elif kind == "mariadb":
        names = {k for r in _mariadb_rows(plan) if r["key"] != "None"
                 for k in r["key"].split(",")}
    else:
        raise ValueError(f"unknown engine {kind!r}")
    return {_VERSION.sub(r"dpo_\1_", n) for n in names}


def full_scans(kind: str, plan: str) -> list[str]:
    """The tables the engine reads from start to end (a whole index counts too)."""
    if kind == "sqlite":
        return _SQLITE_SCAN.findall(plan)
    if kind == "postgresql":
        return _PG_SCAN.findall(plan)
    if kind == "mariadb":
        return [r["table"] for r in _mariadb_rows(plan) if r["type"] in _MARIADB_SCANS]
    raise ValueError(f"unknown engine {kind!r}")
