"""The engines' query plans use the workbench's indexes (small data, every engine).

A change that silently turns a search into a table scan fails here, on every engine:
the plans are what ``wb.engine_plans`` (and ``dpo-workbench explain --sql``) report,
read by tests/plans.py. On small tables PostgreSQL prefers a sequential scan anyway,
so its check switches sequential scans off: the question is whether the index *can*
serve the query expression.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from plans import full_scans, used_indexes
from sqlalchemy import create_engine

import dpo_workbench as dw
from dpo_workbench.demo.samples import AINO, ZOE

pytestmark = pytest.mark.engines

# (criteria, table id, the indexes its plan must use)
CASES = [
    ({"phone": AINO.phone}, "contact_events", ["dpo_phone_contact_events_remote_number"]),
    ({"phone": AINO.phone, "digits": 10}, "contact_events",
     ["dpo_phone_contact_events_remote_number"]),
    ({"phone": AINO.phone, "digits": 4}, "customer_consents",
     ["dpo_phone_customer_consents_phone_number"]),
    ({"email": AINO.email}, "contact_events", ["dpo_email_contact_events_remote_address"]),
    ({"phone": AINO.phone, "email": AINO.email, "start": "2025-01-01"}, "contact_events",
     ["dpo_phone_contact_events_remote_number", "dpo_email_contact_events_remote_address"]),
    # five case spellings of a non-ASCII address, and a date span: without fresh
    # statistics PostgreSQL walked the date index instead
    ({"email": ZOE.email, "start": "2025-01-01", "end": "2025-12-31"}, "contact_events",
     ["dpo_email_contact_events_remote_address"]),
    ({"first_name": "Aino", "last_name": "Järvinen"}, "directory_entries",
     ["dpo_name_directory_entries_last_name_first_name"]),
    ({"phone": AINO.phone, "email": AINO.email}, "directory_entries",
     ["dpo_phone_directory_entries_phone_work", "dpo_phone_directory_entries_phone_mobile",
      "dpo_phone_directory_entries_phone_home", "dpo_email_directory_entries_email_work",
      "dpo_email_directory_entries_email_private"]),
]


@contextmanager
def _no_sequential_scans(wb: Any) -> Iterator[None]:
    """PostgreSQL connections that plan as if a sequential scan cost too much.

    On a few thousand rows a sequential scan is cheapest; the question here is whether
    the index can serve the query's expression at all.
    """
    engines = wb.installation.engines
    swapped = {db: create_engine(e.url, connect_args={"options": "-c enable_seqscan=off"})
               for db, e in engines.items() if e.dialect.name == "postgresql"}
    wb.installation.engines = {**engines, **swapped}
    try:
        yield
    finally:
        wb.installation.engines = engines
        for engine in swapped.values():
            engine.dispose()


@pytest.mark.parametrize(("fields", "table_id", "indexes"), CASES)
def test_searches_use_the_workbench_indexes(shared_demo, fields, table_id, indexes):
    kind, settings = shared_demo
    with dw.open_workbench(settings, user="test") as wb, _no_sequential_scans(wb):
        plan = wb.engine_plans(**fields)[table_id]
    assert used_indexes(kind, plan) >= set(indexes), plan
    assert full_scans(kind, plan) == [], plan


def test_without_indexes_search_still_works_by_scanning(tmp_path):
    from conftest import demo_installation

    with demo_installation(tmp_path, indexes=False) as settings, \
            dw.open_workbench(settings, user="test") as wb:
        assert not any(s.exists for s in wb.index_status())
        plan = wb.engine_plans(phone=AINO.phone)["contact_events"]
        assert full_scans("sqlite", plan) == ["contact_events"] and "dpo_" not in plan
        unindexed = wb.search(phone=AINO.phone).counts()
        wb.create_indexes()
        assert all(s.exists for s in wb.index_status())
        assert wb.search(phone=AINO.phone).counts() == unindexed
        assert wb.drop_indexes() == len(wb.index_definitions())


def test_indexes_created_while_a_workbench_is_open_are_used_after_its_schema_check(
        engine, tmp_path):
    """An analyst's workbench searched before the DBA created the indexes: at the next
    schema check its selects are made again from the new schema (on MariaDB an index is
    a virtual column that the select must name)."""
    from conftest import demo_installation, require_engine

    require_engine(engine)
    with demo_installation(tmp_path, engine, indexes=False) as settings, \
            dw.open_workbench(settings, user="test") as wb:
        found = wb.search(phone=AINO.phone).to_dict()
        with dw.open_workbench(settings, user="dba") as dba:
            dba.create_indexes()
        wb.installation.schema_check_seconds = 0
        with _no_sequential_scans(wb):
            plan = wb.engine_plans(phone=AINO.phone)["contact_events"]
        assert "dpo_phone_contact_events_remote_number" in used_indexes(engine, plan), plan
        assert wb.search(phone=AINO.phone).to_dict() == found


# (criteria, table id, the key parts the seek must use)
SEEKS = [
    ({"phone": AINO.phone}, "contact_events", ("dpo_p3", "dpo_p7")),
    ({"phone": AINO.phone, "digits": 10}, "contact_events", ("dpo_p3", "dpo_p7")),
    ({"email": ZOE.email}, "contact_events", ("dpo_ek",)),
    ({"first_name": "Aino", "last_name": "Järvinen"}, "directory_entries", ("dpo_nk", "dpo_nk")),
]


@pytest.mark.parametrize("shared_demo", ["mariadb"], indirect=True)
@pytest.mark.parametrize(("fields", "table_id", "parts"), SEEKS)
def test_mariadb_seeks_read_only_the_rows_found(shared_demo, fields, table_id, parts):
    """Every key part of the index narrows the seek: the rows it reads are the rows found.

    A seek on the last 3 digits alone would read every row ending like them (about
    one in a thousand), each from its table's page; MariaDB's ANALYZE runs the
    statement and counts what it read.
    """
    _, settings = shared_demo
    with dw.open_workbench(settings, user="test") as wb:
        query = next(q for q in wb.plan(**fields).queries if q.spec.id == table_id)
        with wb.installation.connect(query.spec.database) as conn:
            found = len(conn.execute(query.statement).fetchall())
            compiled = query.statement.compile(dialect=conn.dialect,
                                               compile_kwargs={"render_postcompile": True})
            report = conn.exec_driver_sql("ANALYZE FORMAT=JSON " + str(compiled),
                                          compiled.construct_params()).scalar_one()
    [access] = json.loads(report, strict=False)["query_block"]["nested_loop"]
    table = access["table"]
    assert table["access_type"] in ("ref", "range"), table
    assert tuple(p[:6] for p in table["used_key_parts"]) == parts, table
    assert found > 0 and table["r_rows"] * table["r_loops"] == found, table
