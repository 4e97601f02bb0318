"""PostgreSQL through either driver: psycopg 3 (``postgresql+psycopg://``) and psycopg2
(``postgresql+psycopg2://``) find, show, report, index and erase the same.

One demo installation on the PostgreSQL server is read through a settings file per
URL prefix (the same databases, datamap, files and state); installations built
through psycopg2 URLs are indexed and erased through them too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import demo_installation, require_engine
from dbservers import pg_database, pg_driver_url
from scan import needles, scan_databases, scan_files
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

import dpo_workbench as dw
from bench.clistart import driver_settings
from dpo_workbench.cli import main
from dpo_workbench.demo.build import build_demo
from dpo_workbench.demo.samples import AINO, SOREN, ZOE
from dpo_workbench.demo.schema import DATABASES
from dpo_workbench.engines import database_engine
from dpo_workbench.erasure.sqlitefiles import is_lock_timeout
from dpo_workbench.errors import ConfigError, LogonError
from dpo_workbench.schemacache import fingerprint
from dpo_workbench.selection import Selection

pytestmark = pytest.mark.engines

#: A demo small enough to build in seconds; the sample subjects are all in it.
EVENTS = 1500

CRITERIA = [
    {"phone": AINO.phone, "email": AINO.email},
    {"phone": SOREN.phone, "digits": 8},
    {"email": ZOE.email, "start": "2024-01-01", "end": "2025-12-31"},
    {"first_name": "aino", "last_name": "JÄRVINEN"},
    {"phone": "999 999 9999"},
]


def with_driver(settings: Path, driver: str | None) -> Path:
    """``workbench-<driver>.yaml`` beside ``settings``, its PostgreSQL URLs naming
    ``driver`` (``None``: plain ``postgresql://``, SQLAlchemy's default driver)."""
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    written = driver_settings(settings, scheme, f"workbench-{driver or 'plain'}.yaml")
    assert written is not None
    return written


@pytest.fixture(scope="module")
def installs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One demo on PostgreSQL (built through psycopg 3): its settings file per driver."""
    require_engine("postgresql")
    folder = tmp_path_factory.mktemp("pg-drivers")
    with demo_installation(folder, "postgresql", events=EVENTS, pg_driver="psycopg") as s:
        yield {"psycopg": s, "psycopg2": with_driver(s, "psycopg2"),
               "plain": with_driver(s, None)}


def _drivers(wb: dw.Workbench) -> set[str]:
    return {e.dialect.driver for e in wb.installation.engines.values()}


@pytest.mark.parametrize("other", ["psycopg2", "plain"])
def test_every_group_has_the_same_rows_and_dtypes_through_either_driver(installs, other):
    with dw.open_workbench(installs["psycopg"], user="test") as a, \
            dw.open_workbench(installs[other], user="test") as b:
        assert _drivers(a) == {"psycopg"}
        if other == "psycopg2":
            assert _drivers(b) == {"psycopg2"}
        for fields in CRITERIA:
            ra, rb = a.search(**fields), b.search(**fields)
            assert ra.counts() == rb.counts(), fields
            assert (ra.total, ra.too_many) == (rb.total, rb.too_many), fields
            for group, frame in ra.groups.items():
                assert frame.dtypes.to_dict() == rb.groups[group].dtypes.to_dict(), group
                pd.testing.assert_frame_equal(frame, rb.groups[group], check_exact=True)
            assert ra.to_dict() == rb.to_dict(), fields


def test_details_are_the_same_through_psycopg2(installs):
    with dw.open_workbench(installs["psycopg"], user="test") as a, \
            dw.open_workbench(installs["psycopg2"], user="test") as b:
        refs = a.search(phone=AINO.phone, email=AINO.email).refs()
        assert refs == b.search(phone=AINO.phone, email=AINO.email).refs()
        for ref in refs[:12] + refs[-4:]:
            da, db = a.details(ref), b.details(ref)
            assert (da.fields, da.lookups, da.files, da.copies) == \
                (db.fields, db.lookups, db.files, db.copies), ref
            assert da.children.keys() == db.children.keys()
            for name, frame in da.children.items():
                pd.testing.assert_frame_equal(frame, db.children[name], check_exact=True)


def test_reports_are_the_same_through_psycopg2(installs, tmp_path):
    written = {}
    for driver in ("psycopg", "psycopg2"):
        with dw.open_workbench(installs[driver], user="test") as wb:
            criteria = wb.criteria(phone=AINO.phone, email=AINO.email)
            out = tmp_path / f"{driver}.json"
            wb.report(Selection.all(wb.search(criteria)), criteria=criteria, out=out,
                      created_at=pd.Timestamp("2026-01-02 03:04:05").to_pydatetime())
            written[driver] = json.loads(out.read_text(encoding="utf-8"))
    assert written["psycopg"] == written["psycopg2"]


def test_schema_fingerprints_check_and_datamap_draft_are_the_same_through_psycopg2(installs):
    fingerprints = {}
    for driver in ("psycopg", "psycopg2"):
        with dw.open_workbench(installs[driver]) as wb:
            wanted = wb.datamap.tables_by_database()
            fingerprints[driver] = {}
            for db, engine in wb.installation.engines.items():
                with engine.connect() as conn:
                    fingerprints[driver][db] = fingerprint(conn, wanted.get(db, set()))
    # the schema kept by one driver's process serves the other's
    assert all(fingerprints["psycopg"].values())
    assert fingerprints["psycopg"] == fingerprints["psycopg2"]

    drafts = {}
    for driver in ("psycopg", "psycopg2"):
        out, err = io.StringIO(), io.StringIO()
        assert main(["check", "--config", str(installs[driver])], out, err) == 0, err.getvalue()
        out, err = io.StringIO(), io.StringIO()
        assert main(["datamap", "draft", "--config", str(installs[driver])], out, err) == 0
        # after its heading, which names the settings file
        drafts[driver] = out.getvalue().split("\n\n", 1)[1]
    assert "contact_events" in drafts["psycopg"]
    assert drafts["psycopg"] == drafts["psycopg2"]


def test_the_dashboard_opens_logs_on_and_searches_through_psycopg2(installs):
    from dpo_workbench.auth import Authenticator
    from dpo_workbench.settings import load_settings
    from dpo_workbench.ui.model import DashboardState

    # the web server's log-on: the users and their rights in PostgreSQL, through psycopg2
    auth = Authenticator(load_settings(installs["psycopg2"]))
    try:
        assert auth.engine.dialect.driver == "psycopg2"
        assert auth.log_on("dpo", "dpo-demo", client="127.0.0.1").username == "dpo"
        with pytest.raises(LogonError):
            auth.log_on("agent", "agent-demo", client="127.0.0.1")
    finally:
        auth.close()
    totals = {}
    for driver in ("psycopg", "psycopg2"):
        state = DashboardState(installs[driver])
        try:
            state.begin("dpo")  # the users and their rights are read from PostgreSQL
            assert state.logged_on
            state.search(phone=AINO.phone, email=AINO.email)
            assert state.view == "results" and state.result is not None
            totals[driver] = state.result.counts()
            assert _drivers(state._wb) == {driver}
        finally:
            state.close()
    assert totals["psycopg"] == totals["psycopg2"] and all(totals["psycopg"].values())


#: Columns that differ between two builds of the same demo (a password hash's salt).
UNEQUAL = {"password_hash"}


def _table_rows(url: str) -> dict[str, list[tuple]]:
    """Every table's rows of the database at ``url``, in primary-key order."""
    engine = create_engine(url)
    try:
        md = MetaData()
        md.reflect(bind=engine)
        with engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(
                select(*(c for c in t.columns if c.name not in UNEQUAL))
                .order_by(*t.primary_key.columns))] for t in md.sorted_tables}
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_demo_built_through_psycopg2_urls_holds_the_same_rows(installs, tmp_path):
    built = {}
    with pg_database("dpo_conf") as conf, pg_database("dpo_dire") as dire, \
            pg_database("dpo_oper") as oper, pg_database("dpo_outb") as outb, \
            pg_database("dpo_moni") as moni:
        urls = {db: pg_driver_url(u, "psycopg2") for db, u in
                zip(DATABASES, (conf, dire, oper, outb, moni), strict=True)}
        settings = build_demo(tmp_path / "demo", events=EVENTS, urls=urls)
        written = yaml.safe_load(settings.read_text(encoding="utf-8"))["databases"]
        assert all(u.startswith("postgresql+psycopg2://") for u in written.values())
        for db, url in urls.items():
            built[db] = _table_rows(url)
    with dw.open_workbench(installs["psycopg"]) as wb:
        reference = {db: _table_rows(wb.installation.engines[db].url.render_as_string(False))
                     for db in DATABASES}
    for db in DATABASES:
        assert built[db].keys() == reference[db].keys(), db
        for table, rows in reference[db].items():
            assert rows, (db, table)
            assert built[db][table] == rows, (db, table)


@pytest.mark.slow
def test_indexes_and_erasure_with_its_receipt_through_psycopg2(tmp_path, capsys):
    require_engine("postgresql")
    with demo_installation(tmp_path, "postgresql", events=EVENTS, indexes=False,
                           pg_driver="psycopg2") as settings, \
            pg_database("dpo_state") as state:
        raw = yaml.safe_load(settings.read_text(encoding="utf-8"))
        raw["state"] = pg_driver_url(state, "psycopg2")  # the audit log on PostgreSQL too
        settings.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")

        assert main(["indexes", "-c", str(settings), "--status"]) == 0
        before = capsys.readouterr().out.splitlines()
        assert before and all(line.endswith(" missing") for line in before), before
        assert main(["indexes", "-c", str(settings), "--apply"]) == 0
        capsys.readouterr()
        assert main(["indexes", "-c", str(settings), "--status"]) == 0
        after = capsys.readouterr().out.splitlines()
        assert len(after) == len(before) and not any("missing" in line for line in after)
        with dw.open_workbench(settings, user="dpo") as wb:
            assert _drivers(wb) == {"psycopg2"}
            assert wb.state_engine.dialect.driver == "psycopg2"
            assert all(s.exists for s in wb.index_status())

            criteria = wb.criteria(phone=AINO.phone, email=AINO.email)
            result = wb.search(criteria)
            assert all(n > 0 for n in result.counts().values())
            plan = wb.plan_erasure(Selection.all(result))
            receipt = wb.erase(plan, plan.token, criteria=criteria)
            assert receipt["verified"], receipt["problems"]

            email, digits = needles(AINO)
            assert scan_databases(wb, email, digits) == []
            assert scan_files(wb.settings.files.values(), email, digits) == []
            assert wb.search(criteria).total == 0
            assert wb.search(phone=SOREN.phone).total > 0  # nobody else is touched
            report = wb.audit.verify()
            assert report.ok, report.problems
            actions = {e.action for e in wb.audit.events()}
            assert {"erasure_executed", "erasure_verified"} <= actions
        assert main(["audit", "verify", "-c", str(settings)]) == 0


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_a_statement_timeout_is_recognised_from_either_driver(driver):
    require_engine("postgresql")
    with pg_database() as url:
        engine = create_engine(pg_driver_url(url, driver))
        try:
            with engine.connect() as conn, pytest.raises(DBAPIError) as info:
                conn.execute(text("SET statement_timeout = 50"))
                conn.execute(text("SELECT pg_sleep(2)"))
        finally:
            engine.dispose()
    assert "statement timeout" in str(info.value.orig)
    assert is_lock_timeout(info.value.orig)


#: Column types of real installations, and a value of each (a row of NULLs follows).
TYPES = {
    "b": ("bytea", "'\\x00ff'"), "u": ("uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"),
    "j": ("jsonb", "'{\"a\": [1, 2]}'"), "js": ("json", "'{\"b\": 1}'"),
    "n": ("numeric(10,2)", "12.5"), "tz": ("timestamptz", "'2025-01-02 03:04:05+02'"),
    "ts": ("timestamp", "'2025-01-02 03:04:05.123456'"), "iv": ("interval", "'1 day 2 hours'"),
    "arr": ("text[]", "'{x,y}'"), "h": ("hstore", "'a=>1, \"b c\"=>NULL'"),
    "ip": ("inet", "'10.0.0.1/24'"), "net": ("cidr", "'10.0.0.0/8'"),
    "mac": ("macaddr", "'08:00:2b:01:02:03'"), "d": ("date", "'2025-01-02'"),
    "tm": ("time", "'03:04:05'"), "bo": ("boolean", "true"), "m": ("money", "12.34"),
    "f": ("real", "1.5"), "dbl": ("double precision", "2.5"), "ch": ("char(3)", "'ab'"),
    "bits": ("bit(4)", "B'1010'"), "r": ("tstzrange", "'[2025-01-01,2025-02-01)'"),
    "si": ("smallint", "3"), "bi": ("bigint", "9999999999"), "t": ("text", "'Järvinen'"),
}


def test_every_common_column_type_reads_the_same_through_either_driver(tmp_path):
    # The workbench reads reflected tables: each value the same, of the same Python type.
    # (psycopg 3 would give inet and cidr as ipaddress objects, psycopg2 as text; psycopg2's
    # engines leave native hstore off, and a reflected hstore column is still a dict.)
    require_engine("postgresql")
    read = {}
    with pg_database() as url:
        setup = create_engine(url)
        with setup.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS hstore"))
            conn.execute(text("CREATE TABLE t (id integer PRIMARY KEY, "
                              + ", ".join(f"{c} {t}" for c, (t, _) in TYPES.items()) + ")"))
            conn.execute(text("INSERT INTO t VALUES (1, "
                              + ", ".join(v for _, v in TYPES.values()) + ")"))
            conn.execute(text("INSERT INTO t (id) VALUES (2)"))
        setup.dispose()
        for driver in ("psycopg", "psycopg2"):
            engine = database_engine("extra", make_url(pg_driver_url(url, driver)),
                                     tmp_path / "workbench.yaml")
            try:
                assert engine.dialect.driver == driver
                md = MetaData()
                md.reflect(bind=engine, only=["t"])
                with engine.connect() as conn:
                    read[driver] = [dict(r._mapping) for r in conn.execute(
                        select(md.tables["t"]).order_by(md.tables["t"].c.id))]
            finally:
                engine.dispose()
    first, second = read["psycopg"], read["psycopg2"]
    assert first == second
    assert {c: type(v) for c, v in first[0].items()} == \
        {c: type(v) for c, v in second[0].items()}
    assert first[0]["h"] == {"a": "1", "b c": None} and first[0]["ip"] == "10.0.0.1/24"
    assert first[0]["b"] == b"\x00\xff" and first[1] == {"id": 2, **dict.fromkeys(TYPES)}


def test_a_url_naming_a_driver_that_is_not_installed_names_the_database_and_driver(
        installs, tmp_path):
    raw = yaml.safe_load(installs["psycopg"].read_text(encoding="utf-8"))
    url = make_url(raw["databases"]["outbound"])
    raw["databases"]["outbound"] = url.set(drivername="postgresql+pg8000").render_as_string(False)
    settings = installs["psycopg"].with_name("workbench-pg8000.yaml")
    settings.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        dw.open_workbench(settings).close()
    message = str(info.value)
    assert "database 'outbound'" in message
    assert "the driver pg8000 is not installed" in message
    assert "postgresql+psycopg2, postgresql+psycopg" in message
    assert "databases.outbound" in message

    raw["databases"]["outbound"] = url.render_as_string(False)
    raw["state"] = url.set(drivername="postgresql+pg8000").render_as_string(False)
    settings.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"the state database .*the driver pg8000 is not "
                                          r"installed.*Check state: in the settings file"), \
            dw.open_workbench(settings) as wb:
        wb.audit.verify()
