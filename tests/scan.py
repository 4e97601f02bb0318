"""Scanning a whole installation for a person's e-mail address and phone digits.

Every table and text column of every database (not only the datamap's), every
file of every file store, and, on SQLite, the raw bytes of the database files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, String, select

from dpo_workbench.demo.samples import SampleSubject
from dpo_workbench.normalize import strip_separators


def needles(subject: SampleSubject, digits: int = 9) -> tuple[str, str]:
    """(casefolded e-mail address, last ``digits`` digits of the phone number).

    Nine digits: the national significant number of the samples; seven would also
    occur inside other people's longer numbers.
    """
    phone = "".join(ch for ch in subject.phone if ch.isdigit())
    return subject.email.casefold(), phone[-digits:]


def holds(value: Any, email: str, digits: str) -> bool:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return False
    return email in value.casefold() or digits in strip_separators(value)


def _engines(wb: Any) -> dict[str, Any]:
    """An engine for every database of the settings file, in the datamap or not."""
    from dpo_workbench.engines import database_engine

    return {db: wb.installation.engines.get(db)
            or database_engine(db, wb.settings.databases[db], wb.settings.path)
            for db in wb.settings.databases}


def scan_databases(wb: Any, email: str, digits: str) -> list[str]:
    """``database.table.column#key`` of every stored value holding a needle."""
    hits = []
    for db, engine in _engines(wb).items():
        md = MetaData()
        md.reflect(bind=engine)
        with engine.connect() as conn:
            for table in md.sorted_tables:
                cols = [c for c in table.c if isinstance(c.type, String)]
                if not cols:
                    continue
                pk = list(table.primary_key.columns)
                for row in conn.execute(select(*pk, *cols)).mappings():
                    for c in cols:
                        if holds(row[c.name], email, digits):
                            key = row[pk[0].name] if pk else "?"
                            hits.append(f"{db}.{table.name}.{c.name}#{key}")
    return hits


def scan_files(roots: Iterable[Path], email: str, digits: str) -> list[str]:
    """Files in the stores whose content holds a needle."""
    hits = []
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.is_file() and holds(path.read_bytes(), email, digits):
                hits.append(str(path))
    return hits


def raw_hits(paths: Iterable[Path], spellings: Iterable[str]) -> list[str]:
    """Files (e.g. SQLite databases and WALs) whose raw bytes contain a spelling."""
    hits = []
    encoded = {s: s.encode("utf-8") for s in spellings}
    for p in paths:
        if not p.exists():
            continue
        data = p.read_bytes()
        for s, b in encoded.items():
            if b in data:
                hits.append(f"{p.name}: {s!r}")
    return hits


def row_counts(wb: Any) -> dict[str, int]:
    """Rows per ``database.table`` of every table of every database."""
    from sqlalchemy import func

    out = {}
    for db, engine in _engines(wb).items():
        md = MetaData()
        md.reflect(bind=engine)
        with engine.connect() as conn:
            for table in md.sorted_tables:
                out[f"{db}.{table.name}"] = conn.execute(
                    select(func.count()).select_from(table)).scalar_one()
    return out
