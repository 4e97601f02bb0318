"""The workbench's own state database (audit log, erasure journal).

SQLite by default (``state:`` in the settings file), any SQLAlchemy URL otherwise.
On SQLite, deleted content is overwritten (``secure_delete``) because the journal
briefly holds file paths of erased items.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url


def state_engine(url: str | URL) -> Engine:
    """An engine for the state database; creates a SQLite file's folder if needed."""
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA secure_delete = ON")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)
