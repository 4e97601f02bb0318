"""The engines' query plans use the workbench's indexes (small data, every engine).

A change that silently turns a search into a table scan fails here. On small tables
PostgreSQL prefers a sequential scan anyway, so its check switches sequential
scans off: the question is whether the index *can* serve the query expression.
"""

from __future__ import annotations

from typing import Any

import pytest

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


def _explain(wb: Any, kind: str, fields: dict[str, Any], table_id: str) -> str:
    [query] = [q for q in wb.plan(**fields).queries if q.spec.id == table_id]
    with wb.installation.connect(query.spec.database) as conn:
        compiled = query.statement.compile(dialect=conn.dialect,
                                           compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        args: Any = params
        if compiled.positiontup is not None:
            args = tuple(params[k] for k in compiled.positiontup)
        if kind == "sqlite":
            sql = "EXPLAIN QUERY PLAN " + str(compiled)
        elif kind == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            sql = "EXPLAIN " + str(compiled)
        else:
            sql = "EXPLAIN " + str(compiled)
        rows = conn.exec_driver_sql(sql, args)
        text = "\n".join(" | ".join(str(v) for v in r) for r in rows)
        if kind == "postgresql":
            conn.exec_driver_sql("RESET enable_seqscan")
        return text


@pytest.mark.parametrize(("fields", "table_id", "indexes"), CASES)
def test_searches_use_the_workbench_indexes(shared_demo, fields, table_id, indexes):
    kind, settings = shared_demo
    with dw.open_workbench(settings, user="test") as wb:
        plan = _explain(wb, kind, fields, table_id)
    for index in indexes:
        assert index in plan, plan
    if kind == "sqlite":
        assert "SCAN" not in plan.replace("SCAN TABLE", "SCAN"), plan
    elif kind == "postgresql":
        assert "Seq Scan" not in plan, plan


def test_without_indexes_search_still_works_by_scanning(tmp_path):
    from conftest import demo_installation

    with demo_installation(tmp_path, indexes=False) as settings, \
            dw.open_workbench(settings, user="test") as wb:
        assert not any(s.exists for s in wb.index_status())
        plan = _explain(wb, "sqlite", {"phone": AINO.phone}, "contact_events")
        assert "SCAN" in plan and "dpo_" not in plan
        unindexed = wb.search(phone=AINO.phone).counts()
        wb.create_indexes()
        assert all(s.exists for s in wb.index_status())
        assert wb.search(phone=AINO.phone).counts() == unindexed
        assert wb.drop_indexes() == len(wb.index_definitions())
