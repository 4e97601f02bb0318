"""Exact date spans on every engine, whatever the stored format or precision.

A table written here holds one event per row with its time in four columns: a
timestamp, ISO-8601 text in many spellings (date only, space or T, with and without
fraction and zone), epoch seconds and epoch milliseconds. Times cluster around day
boundaries (midnight, the last microsecond of a day, one second after midnight).
Searches with random spans must return exactly the rows a Python oracle
(:func:`dpo_workbench.timespan.in_span`) puts inside the span, on SQLite,
PostgreSQL and MariaDB, for each column.
"""

from __future__ import annotations

import json
import random
import textwrap
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import require_engine
from dbservers import server_database
from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, create_engine

import dpo_workbench as dw
from dpo_workbench.timespan import in_span

pytestmark = pytest.mark.engines

COLUMNS = {"at_native": "native", "at_text": "iso", "at_seconds": "epoch_seconds",
           "at_millis": "epoch_millis"}
BASE = date(2024, 4, 28)


def _spelling(moment: datetime, rng: random.Random) -> str:
    """One of the ISO-8601 spellings real installations store."""
    choice = rng.randrange(7)
    if choice == 0 and moment.time() == datetime.min.time():
        return moment.date().isoformat()
    if choice == 1:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if choice == 2:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    if choice == 3:
        return moment.isoformat(sep=" ", timespec="microseconds")
    if choice == 4:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if choice == 5:
        return moment.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    return moment.strftime("%Y-%m-%d %H:%M")


def _moments(rng: random.Random) -> list[datetime]:
    out = []
    for day in range(6):
        midnight = datetime.combine(BASE + timedelta(days=day), datetime.min.time())
        out += [midnight, midnight + timedelta(seconds=1), midnight - timedelta(microseconds=1),
                midnight - timedelta(seconds=1), midnight + timedelta(hours=12)]
    out += [datetime.combine(BASE, datetime.min.time()) + timedelta(seconds=rng.randrange(
        6 * 86400)) for _ in range(30)]
    return out


def _install(folder: Path, url: str, rows: list[dict]) -> Path:
    db = create_engine(url)
    md = MetaData()
    t = Table("events", md, Column("id", Integer, primary_key=True), Column("phone", String(30)),
              Column("at_native", DateTime), Column("at_text", String(40)),
              Column("at_seconds", BigInteger), Column("at_millis", BigInteger),
              mysql_engine="InnoDB", mysql_charset="utf8mb4")
    md.create_all(db)
    with db.begin() as conn:
        conn.execute(t.insert(), rows)
    db.dispose()
    # One datamap per time column: a table may be declared once.
    for name, fmt in COLUMNS.items():
        (folder / f"dm_{name}.yaml").write_text(textwrap.dedent(f"""\
            version: 1
            tables:
              {name}:
                database: d
                table: events
                group: contacts
                key: id
                time: {{column: {name}, format: {fmt}}}
                match: {{phone: phone}}
                show: [{name}]
                erase: {{row: delete}}
            """), encoding="utf-8")
        (folder / f"w_{name}.yaml").write_text(
            f"datamap: dm_{name}.yaml\ndatabases: {{d: '{url}'}}\n", encoding="utf-8")
    return folder


def test_date_spans_are_exact_for_every_stored_format(tmp_path: Path, engine: str):
    require_engine(engine)
    rng = random.Random(7)
    moments = _moments(rng)
    rows = [{"id": i + 1, "phone": "+358 40 123 4567", "at_native": m,
             "at_text": _spelling(m, rng), "at_seconds": int(m.replace(tzinfo=UTC).timestamp()),
             "at_millis": int(m.replace(tzinfo=UTC).timestamp() * 1000)}
            for i, m in enumerate(moments)]
    local = nullcontext(f"sqlite:///{tmp_path}/d.sqlite")
    with server_database(engine, prefix="dpo_span") if engine != "sqlite" else local as url:
        _install(tmp_path, url, rows)
        spans = [(BASE + timedelta(days=a), BASE + timedelta(days=a + n))
                 for a in range(5) for n in range(3)]
        spans += [(None, BASE + timedelta(days=2)), (BASE + timedelta(days=3), None)]
        for name, fmt in COLUMNS.items():
            with dw.open_workbench(tmp_path / f"w_{name}.yaml", user="test") as wb:
                for start, end in spans:
                    c = wb.criteria(phone="+358 40 123 4567", start=start, end=end)
                    found = set(wb.search(c).contacts["_key"])
                    expected = {r["id"] for r in rows if in_span(r[name], fmt, c)}
                    assert found == expected, (name, start, end)


def test_a_time_column_that_does_not_hold_what_it_declares_is_refused(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/d.sqlite"
    _install(tmp_path, url, [{"id": 1, "phone": "1234567", "at_native": None,
                              "at_text": "30.4.2024", "at_seconds": 1714470000,
                              "at_millis": 1714470000}])
    with pytest.raises(dw.DatamapError, match="'at_text' holds values that are not iso"):
        dw.open_workbench(tmp_path / "w_at_text.yaml")
    with pytest.raises(dw.DatamapError, match="'at_millis' holds values that are not epoch"):
        dw.open_workbench(tmp_path / "w_at_millis.yaml")


def test_a_date_span_is_never_silently_ignored(tmp_path: Path, capsys):
    """The demo's directory has no time column: a span cannot restrict it, and says so."""
    from conftest import demo_installation

    from dpo_workbench.cli import main
    from dpo_workbench.demo.samples import AINO
    from dpo_workbench.selection import Selection

    with demo_installation(tmp_path, events=1500) as settings:
        with dw.open_workbench(settings) as wb:
            c = wb.criteria(phone=AINO.phone, start="2025-01-01", end="2025-01-31")
            result = wb.search(c)
            assert "directory.directory_entries" in result.not_restricted_by_dates
            assert "operative.contact_events" not in result.not_restricted_by_dates
            assert set(result.directory_entries["_span_applied"]) == {False}
            assert "directory_entries: " in wb.explain(c)
            assert "NOT restricted by the date span" in wb.explain(c)
            plan = wb.plan_erasure(Selection.all(result), criteria=c)
            assert "did not restrict directory.directory_entries" in plan.describe()
            assert wb.search(phone=AINO.phone).not_restricted_by_dates == ()
        assert main(["search", "-c", str(settings), "--phone", AINO.phone, "--start",
                     "2025-01-01", "--format", "json"]) == 0
        out, err = capsys.readouterr()
        assert "date span does not restrict directory.directory_entries" in err
        assert "directory.directory_entries" in json.loads(out)["not_restricted_by_dates"]
