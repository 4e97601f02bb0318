"""One installation spread over several engines, as a site with several database
servers has it: searched, reported and erased through one settings file."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import demo_installation, require_engine
from oracle import expected_items, found_items
from scan import needles, scan_databases

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.demo.samples import AINO
from dpo_workbench.selection import Selection

pytestmark = pytest.mark.engines

PLACEMENT = {"operative": "postgresql", "monitoring1": "mariadb"}  # the rest: SQLite


@pytest.fixture
def mixed(tmp_path):
    require_engine("postgresql")
    require_engine("mariadb")
    with demo_installation(tmp_path, PLACEMENT) as settings:
        yield settings


def test_one_settings_file_searches_and_erases_across_three_engines(mixed):
    urls = yaml.safe_load(mixed.read_text())["databases"]
    assert urls["operative"].startswith("postgresql")
    assert urls["monitoring1"].startswith("mysql")
    assert urls["directory"].startswith("sqlite")
    with dw.open_workbench(mixed, user="dpo") as wb:
        assert {e.dialect.name for e in wb.installation.engines.values()} == {"postgresql", "mysql",
                                                                      "sqlite"}
        criteria = wb.criteria(phone=AINO.phone, email=AINO.email)
        result = wb.search(criteria)
        assert found_items(result) == expected_items(wb, criteria)
        assert all(n > 0 for n in result.counts().values())
        # a PostgreSQL original and its MariaDB copy are one item
        assert any(c and c[0].startswith("monitoring1.contact_events#")
                   for c in result.contacts["_copies"])
        assert "monitoring1" in set(result.contacts["_database"])

        plan = wb.plan_erasure(Selection.all(result), criteria=criteria)
        assert {"operative", "monitoring1", "directory", "outbound"} <= set(plan.databases)
        receipt = wb.erase(plan, plan.token, criteria=criteria)
        assert receipt["verified"], receipt["problems"]
        assert scan_databases(wb, *needles(AINO)) == []


def test_the_demo_command_builds_and_the_readme_search_prints_all_groups(tmp_path, capsys):
    folder = tmp_path / "demo-install"
    assert main(["demo", "build", str(folder), "--events", "2000", "--quiet"]) == 0
    settings = folder / "workbench.yaml"
    assert str(settings) in capsys.readouterr().out
    assert main(["search", "--config", str(settings), "--phone", AINO.phone,
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert all(data["groups"][g] for g in ("contacts", "directory_entries",
                                           "campaign_customers", "consents"))
    # the indexes were created with the demo
    assert main(["indexes", "--config", str(settings), "--status"]) == 0
    assert "missing" not in capsys.readouterr().out
    # building again over it is refused unless asked
    assert main(["demo", "build", str(folder), "--events", "2000", "--quiet"]) == 3
    assert "--replace" in capsys.readouterr().err


def test_sqlite_files_are_read_in_the_calling_thread_while_the_servers_answer(mixed):
    """Server databases are searched at once on the installation's threads; SQLite files in
    the calling thread (their rows are made under the interpreter's lock: a thread would
    only add hand-offs)."""
    import threading

    from sqlalchemy import event

    readers: dict[str, list[str]] = {}
    with dw.open_workbench(mixed, user="dpo") as wb:
        for db, engine in wb.installation.engines.items():
            event.listen(engine, "before_cursor_execute",
                         lambda *_, db=db: readers.setdefault(db, []).append(
                             threading.current_thread().name))
        steps = []
        searched = {q.spec.database for q in wb.plan(phone=AINO.phone, email=AINO.email).queries}
        result = wb.search(phone=AINO.phone, email=AINO.email,
                           progress=lambda message, done, total: steps.append((done, total)))
    assert result.total > 0
    here = threading.current_thread().name
    assert set(readers["directory"]) == set(readers["outbound"]) == {here}
    for server in PLACEMENT:  # its search (later, copies found elsewhere are looked up here)
        assert readers[server][0].startswith("dpo-search"), readers
    assert steps == [(n, len(searched)) for n in range(1, len(searched) + 1)]
