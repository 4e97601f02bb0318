"""The reflected schema kept between runs, used only while the database's own catalogue agrees.

Reading a database's schema through SQLAlchemy's reflection is many catalogue
queries and much parsing: on the demo it is the largest part of a command-line
search after the imports, and on a server it is dozens of round trips. Yet the
schema of a contact centre changes a few times a year.

So each database's reflected tables are kept in a file, under a *fingerprint* of
the database's schema, read from its own catalogue in one query:

- SQLite: every row of ``sqlite_master`` (the ``CREATE`` statement of each table,
  index, view and trigger: everything reflection reads);
- PostgreSQL: the columns (name, type, nullability, default, identity, generation,
  collation, enum labels, comments), the indexes (their definitions), the
  constraints (their definitions) and the kind of every table of the default
  schema that the datamap names, and of every table these refer to by foreign key;
- MariaDB/MySQL: the columns, indexes, constraints, foreign keys and table options
  (engine, collation) of every table of the current database.

The kept tables are used only when the fingerprint read now equals the one they
were kept under, for the same tables, SQLAlchemy version and format; otherwise
the schema is reflected afresh and kept anew. A column added, dropped or retyped,
an index or constraint created or dropped, changes the fingerprint, so the
datamap is always checked against the live schema. Other engines are always
reflected afresh.

The files are written owner-only (mode 0600) into an owner-only folder beside
the audit key; a file that another account owns or may write, or that cannot be
read, is ignored and replaced (they are :mod:`pickle` files: only the
workbench's own account may have written them).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy
from sqlalchemy import Connection, MetaData, Table, text

from .audit.keys import audit_key_path

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

#: Changes whenever what is kept, or how reflection is completed, changes.
FORMAT = 1

_POSTGRESQL = """
WITH RECURSIVE rel(oid) AS (
    SELECT c.oid FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(:names)
  UNION
    SELECT con.confrelid FROM pg_constraint con JOIN rel ON con.conrelid = rel.oid
    WHERE con.contype = 'f'
)
SELECT 'r', c.oid::regclass::text, c.relkind::text || ' ' || coalesce(
           obj_description(c.oid, 'pg_class'), '')
FROM pg_class c JOIN rel ON rel.oid = c.oid
UNION ALL
SELECT 'a', a.attrelid::regclass::text, concat_ws(' | ', a.attnum, a.attname,
           format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
           a.attgenerated, a.attcollation, pg_get_expr(d.adbin, d.adrelid),
           col_description(a.attrelid, a.attnum),
           (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
            FROM pg_enum e WHERE e.enumtypid = a.atttypid))
FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'i', i.indrelid::regclass::text, concat_ws(' | ', pg_get_indexdef(i.indexrelid),
           i.indisunique, i.indisprimary, obj_description(i.indexrelid, 'pg_class'))
FROM pg_index i JOIN rel ON rel.oid = i.indrelid
UNION ALL
SELECT 'c', con.conrelid::regclass::text, concat_ws(' | ', con.conname,
           pg_get_constraintdef(con.oid), obj_description(con.oid, 'pg_constraint'))
FROM pg_constraint con JOIN rel ON rel.oid = con.conrelid
ORDER BY 1, 2, 3
"""

_MYSQL = """
SELECT 't', table_name, CONCAT_WS(' | ', table_type, engine, table_collation,
           create_options, table_comment)
FROM information_schema.tables WHERE table_schema = DATABASE()
UNION ALL
SELECT 'c', table_name, CONCAT_WS(' | ', ordinal_position, column_name, column_type,
           is_nullable, IFNULL(column_default, '~'), extra, collation_name,
           generation_expression, column_comment)
FROM information_schema.columns WHERE table_schema = DATABASE()
UNION ALL
SELECT 's', table_name, CONCAT_WS(' | ', index_name, seq_in_index, column_name,
           non_unique, sub_part, index_type, comment, index_comment)
FROM information_schema.statistics WHERE table_schema = DATABASE()
UNION ALL
SELECT 'k', table_name, CONCAT_WS(' | ', constraint_name, ordinal_position, column_name,
           referenced_table_name, referenced_column_name)
FROM information_schema.key_column_usage WHERE table_schema = DATABASE()
UNION ALL
SELECT 'r', table_name, CONCAT_WS(' | ', constraint_name, update_rule, delete_rule,
           referenced_table_name)
FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()
ORDER BY 1, 2, 3
"""


def folder(settings: Settings) -> Path:
    """Where an installation's schema is kept: ``schema/`` beside its audit key, owner-only
    like it (by default ``state/schema`` beside the settings file)."""
    return audit_key_path(settings).parent / "schema"


def fingerprint(conn: Connection, tables: Iterable[str]) -> str | None:
    """A digest of the schema that reflecting ``tables`` on ``conn`` reads; ``None``
    for an engine whose catalogue is not read this way (then nothing is kept).

    Examples
    --------
    >>> from sqlalchemy import create_engine
    >>> e = create_engine("sqlite://")
    >>> with e.connect() as c:
    ...     before = fingerprint(c, ["t"])
    ...     _ = c.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    ...     before != fingerprint(c, ["t"]) == fingerprint(c, ["t"])
    True
    """
    names = sorted(set(tables))
    dialect = conn.dialect.name
    if dialect == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all()
    elif dialect == "postgresql":
        rows = conn.execute(text(_POSTGRESQL), {"names": names}).all()
    elif dialect in ("mysql", "mariadb"):
        rows = conn.execute(text(_MYSQL)).all()
    else:
        return None
    digest = hashlib.sha256()
    version = ".".join(str(v) for v in conn.dialect.server_version_info or ())
    for part in (f"format {FORMAT}", sqlalchemy.__version__, dialect, version, *names):
        digest.update(part.encode() + b"\0")
    for row in rows:
        digest.update(repr(tuple(row)).encode("utf-8", "replace") + b"\n")
    return digest.hexdigest()


def _own(path: Path, kind: int) -> bool:
    """Whether ``path`` is a file (``kind`` ``S_IFREG``) or folder (``S_IFDIR``) of this
    account's that no other account may write."""
    try:
        st = path.stat()
    except OSError:
        return False
    owner = getattr(os, "geteuid", lambda: st.st_uid)()
    return stat.S_IFMT(st.st_mode) == kind and st.st_uid == owner \
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(folder: Path, database: str, digest: str) -> dict[str, Table] | None:
    """The tables kept for ``database`` under ``digest``, or ``None`` (none, or others)."""
    path = folder / f"{database}.pickle"
    if not _own(folder, stat.S_IFDIR) or not _own(path, stat.S_IFREG):
        return None
    try:
        with path.open("rb") as f:
            kept_digest = pickle.load(f)
            if kept_digest != digest:
                return None
            metadata = pickle.load(f)
    except Exception as exc:  # a damaged file is as good as none: reflect afresh
        log.warning("the kept schema of database %s could not be read (%s); reading it "
                    "afresh", database, type(exc).__name__)
        return None
    if not isinstance(metadata, MetaData):
        return None
    return dict(metadata.tables)


def store(folder: Path, database: str, digest: str, tables: dict[str, Any]) -> None:
    """Keep ``tables`` (one MetaData's) for ``database`` under ``digest``; never raises."""
    from .engines import private_folder

    metadata = next((t.metadata for t in tables.values()), MetaData())
    try:
        private_folder(folder)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{database}-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(digest, f, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(metadata, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"{database}.pickle")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.info("the schema of database %s is not kept between runs: %s", database, exc)
