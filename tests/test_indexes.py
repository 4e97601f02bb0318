"""The workbench's indexes follow its match rules: an index of an older rule is replaced."""

from __future__ import annotations

import pytest
from conftest import demo_installation
from sqlalchemy import text

import dpo_workbench as dw
from dpo_workbench.cli import main

pytestmark = pytest.mark.engines

# An index (or MariaDB key column) as an older release of the workbench made it.
OLD = {
    "sqlite": ["CREATE INDEX dpo_email_contact_events_remote_address "
               "ON contact_events ((lower(trim(remote_address))))"],
    "postgresql": ["CREATE INDEX dpo_email_contact_events_remote_address "
                   "ON contact_events ((lower(trim(remote_address))))"],
    "mariadb": ["ALTER TABLE contact_events ADD COLUMN dpo_ek_remote_address VARCHAR(255) "
                "AS (lower(trim(remote_address))) VIRTUAL, "
                "ADD INDEX dpo_email_contact_events_remote_address (dpo_ek_remote_address)"],
}


def test_an_index_of_an_older_match_rule_is_reported_and_replaced(tmp_path, engine, capsys):
    with demo_installation(tmp_path, engine, events=1500) as settings:
        with dw.open_workbench(settings) as wb:
            with wb.installation.engines["operative"].begin() as conn:
                for stmt in OLD[engine]:
                    conn.execute(text(stmt))
            wb.installation.reflect()
            assert [o.name for o in wb.obsolete_indexes()] == (
                ["dpo_email_contact_events_remote_address"]
                + (["dpo_ek_remote_address"] if engine == "mariadb" else []))
        assert main(["indexes", "-c", str(settings), "--status"]) == 0
        assert "dpo_email_contact_events_remote_address obsolete" in capsys.readouterr().out
        assert main(["indexes", "-c", str(settings), "--apply"]) == 0
        with dw.open_workbench(settings) as wb:
            assert wb.obsolete_indexes() == []
            assert all(s.exists for s in wb.index_status())


def test_a_buffer_pool_smaller_than_the_searched_tables_is_noted(tmp_path, engine, capsys,
                                                                 monkeypatch):
    from dpo_workbench import indexes

    with demo_installation(tmp_path, engine, events=1500, indexes=False) as settings:
        with dw.open_workbench(settings) as wb:
            assert wb.cache_shortfalls() == []  # a small demo fits the test server's pool
        # A pool of 16 KiB (one page): every server database of the demo is on the one
        # server, and their sizes add up.
        server_cache = indexes._server_cache
        monkeypatch.setattr(indexes, "_server_cache",
                            lambda conn: (server_cache(conn)[0], 2**14))
        with dw.open_workbench(settings) as wb:
            shortfalls = wb.cache_shortfalls()
        assert main(["check", "-c", str(settings)]) == 0
        out = capsys.readouterr().out
    if engine != "mariadb":
        assert shortfalls == [] and "buffer pool" not in out
        return
    [shortfall] = shortfalls
    assert shortfall.databases == ("directory", "monitoring1", "operative", "outbound")
    assert shortfall.pool_bytes == 2**14 < shortfall.searched_bytes
    assert "InnoDB buffer pool of 0.02 MiB" in out and "innodb_buffer_pool_size" in out
