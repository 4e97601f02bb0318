"""Property-based: phone search equals a brute-force Python oracle on every engine.

Hypothesis writes phone numbers in many formats (international and national
spellings, every separator, junk) into a real table, searches with many digit
counts, and compares with :func:`dpo_workbench.criteria.phone_matches` applied to
the same rows: no false negatives, no false positives. It runs with the
workbench's indexes (MariaDB: virtual key columns) and without them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import ENGINES, require_engine
from dbservers import server_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, insert

import dpo_workbench as dw
from dpo_workbench.matchkinds import phone_matches
from dpo_workbench.normalize import PHONE_SEPARATORS

pytestmark = pytest.mark.engines

DATAMAP = textwrap.dedent("""
    version: 1
    tables:
      calls:
        database: calls
        table: calls
        group: consents
        key: id
        match: {phone: number}
        show: [number]
        erase: {row: delete}
""")

digits = st.text(alphabet="0123456789", min_size=1, max_size=5)
separator = st.sampled_from(PHONE_SEPARATORS)


@st.composite
def formatted(draw: st.DrawFn, core: str | None = None) -> str:
    """A phone number as people and switches write it."""
    if core is None:
        core = draw(st.text(alphabet="0123456789", min_size=3, max_size=12))
    prefix = draw(st.sampled_from(["", "+", "00", "0", "+358 ", "+358 (0)", "0046 ", "(", "+45-"]))
    out, i = [prefix], 0
    while i < len(core):
        n = draw(st.integers(1, 4))
        out.append(core[i:i + n])
        i += n
        if i < len(core) and draw(st.booleans()):
            out.append(draw(separator) * draw(st.integers(1, 2)))
    if draw(st.integers(0, 9)) == 0:
        out.append(draw(st.sampled_from([" ext 12", "x", "?", ")", " "])))
    return "".join(out)


junk = st.sampled_from(["", "unknown", "-", "anonymous", "n/a", "+", "   ", "٤٥٦٧"])


@st.composite
def case(draw: st.DrawFn) -> tuple[list[str | None], str, int]:
    core = draw(st.text(alphabet="0123456789", min_size=3, max_size=13))
    # stored: the searched number in other spellings, numbers sharing a suffix, others
    related = [draw(formatted(core)) for _ in range(draw(st.integers(0, 4)))]
    suffix_mates = [draw(formatted(draw(digits) + core[-draw(st.integers(1, len(core))):]))
                    for _ in range(draw(st.integers(0, 4)))]
    others = draw(st.lists(st.one_of(formatted(), junk, st.none()), max_size=6))
    stored = draw(st.permutations(related + suffix_mates + others))
    searched = draw(formatted(core).filter(lambda s: "ext" not in s and "x" not in s
                                           and "?" not in s))
    n = draw(st.integers(3, 14))
    return list(stored), searched, n


@pytest.fixture(scope="module", params=[(e, idx) for e in ENGINES for idx in (True, False)],
                ids=[f"{e}-{'indexed' if i else 'scan'}" for e in ENGINES for i in (True, False)])
def calls_db(request, tmp_path_factory):
    kind, indexed = request.param
    require_engine(kind)
    folder: Path = tmp_path_factory.mktemp("calls")
    with _database(kind, folder) as url:
        engine = create_engine(url)
        from sqlalchemy import Column, Integer, MetaData, String, Table

        md = MetaData()
        table = Table("calls", md, Column("id", Integer, primary_key=True, autoincrement=False),
                      Column("number", String(80)))
        md.create_all(engine)
        (folder / "dm.yaml").write_text(DATAMAP)
        (folder / "w.yaml").write_text(f"datamap: dm.yaml\ndatabases: {{calls: '{url}'}}\n")
        with dw.open_workbench(folder / "w.yaml", user="test") as wb:
            if indexed:
                wb.create_indexes()
            assert any(s.exists for s in wb.index_status()) is indexed
            yield wb, engine, table
        engine.dispose()


class _database:
    def __init__(self, kind: str, folder: Path):
        self.kind, self.folder, self.cm = kind, folder, None

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.folder / 'calls.sqlite'}"
        self.cm = server_database(self.kind, prefix="dpo_prop")
        return self.cm.__enter__()

    def __exit__(self, *exc):
        if self.cm is not None:
            return self.cm.__exit__(*exc)
        return False


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=case())
def test_phone_search_has_no_false_positives_or_negatives(calls_db, data):
    wb, engine, table = calls_db
    stored, searched, n = data
    with engine.begin() as conn:
        conn.execute(delete(table))
        if stored:  # an empty executemany would insert one empty row
            conn.execute(insert(table), [{"id": i, "number": s} for i, s in enumerate(stored)])
    criteria = dw.Criteria.parse(phone=searched, digits=n)
    found = set(wb.search(criteria).consents["_key"].tolist())
    # the digits compared: n, capped at the national number's length when it has one
    effective = len(criteria.phone_tail or "")
    expected = {i for i, s in enumerate(stored) if phone_matches(s, criteria.phone, effective)}
    assert found == expected, (stored, searched, n)
