"""Property-based: e-mail and name search equal their Python reference on every engine.

Hypothesis stores the searched address and name in the spellings real data has
(surrounding whitespace of every kind, ``mailto:``, ``Name <addr>``, the domain in
its ASCII IDNA form, every letter case, decomposed letters) beside decoys, searches
typed in any letter case, and compares with the reference rules of
:mod:`dpo_workbench.normalize` applied to the same rows: no false negatives, no
false positives, with the workbench's indexes and without.
"""

from __future__ import annotations

import textwrap
import unicodedata
from contextlib import nullcontext
from pathlib import Path

import pytest
from conftest import ENGINES, require_engine
from dbservers import server_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, delete, insert

import dpo_workbench as dw
from dpo_workbench.matchkinds import MATCH_KINDS
from dpo_workbench.normalize import MAX_CASED

pytestmark = pytest.mark.engines

DATAMAP = textwrap.dedent("""
    version: 1
    tables:
      people:
        database: p
        table: people
        group: directory_entries
        key: id
        match: {email: [mail], name: {first: given, last: family}}
        show: [mail]
        erase: {row: delete}
""")

LOCALS = ["aino.jarvinen", "sofia", "σοφιας", "zoë.müller", "ölli", "li.na"]
DOMAINS = ["example.fi", "müller.de", "xn--mller-kva.de", "EXAMPLE.gr", "bücher.example"]
NAMES = [("Aino", "Järvinen"), ("Σοφία", "Παπαδοπούλου"), ("Zoë", "Müller"), ("Li", "Na")]
SPACES = ["", " ", "\t", "\n", "\u00a0", "\u200b", "\u3000", " \r\n"]


def _case(draw: st.DrawFn, text: str) -> str:
    """``text`` in a letter case drawn at random, decomposed sometimes.

    Letter by letter while the text has few non-ASCII letters; else lower, upper or
    capitalised words, the spellings stored data has (normalize.MAX_CASED).
    """
    few = sum(1 for c in text if c.isalpha() and not c.isascii()) <= MAX_CASED
    mode = draw(st.sampled_from(["letters", "lower", "upper", "title"] if few
                                else ["lower", "upper", "title"]))
    if mode == "letters":
        out = "".join(draw(st.sampled_from([c.lower(), c.upper()])) if c.isalpha() else c
                      for c in text)
    else:
        out = getattr(text, mode)()
    return unicodedata.normalize("NFD", out) if draw(st.booleans()) else out


@st.composite
def stored_address(draw: st.DrawFn, address: str) -> str:
    local, domain = address.split("@")
    if draw(st.booleans()):
        ascii_domain = domain.encode("idna").decode("ascii")
        domain = ascii_domain if draw(st.booleans()) else domain
    value = _case(draw, f"{local}@{domain}")
    form = draw(st.integers(0, 3))
    if form == 1:
        value = f"mailto:{value}"
    elif form == 2:
        value = f"{_case(draw, 'Some One')} <{draw(st.sampled_from(SPACES))}{value}>"
    return draw(st.sampled_from(SPACES)) + value + draw(st.sampled_from(SPACES))


@st.composite
def case(draw: st.DrawFn) -> tuple[list[dict], str, tuple[str, str]]:
    address = f"{draw(st.sampled_from(LOCALS))}@{draw(st.sampled_from(DOMAINS))}"
    first, last = draw(st.sampled_from(NAMES))
    rows = []
    for i in range(draw(st.integers(1, 8))):
        mine = draw(st.booleans())
        mail = draw(stored_address(address)) if mine else draw(stored_address(
            f"{draw(st.sampled_from(LOCALS))}@{draw(st.sampled_from(DOMAINS))}"))
        pair = (first, last) if draw(st.booleans()) else draw(st.sampled_from(NAMES))
        pad = draw(st.sampled_from(SPACES))
        rows.append({"id": i + 1, "mail": mail if draw(st.integers(0, 9)) else None,
                     "given": pad + _case(draw, pair[0]) + pad,
                     "family": _case(draw, pair[1]) + draw(st.sampled_from(SPACES))})
    typed = _case(draw, address)
    return rows, typed, (_case(draw, first), _case(draw, last))


@pytest.fixture(scope="module", params=[(e, idx) for e in ENGINES for idx in (True, False)],
                ids=[f"{e}-{'indexed' if i else 'scan'}" for e in ENGINES for i in (True, False)])
def people_db(request, tmp_path_factory):
    kind, indexed = request.param
    require_engine(kind)
    folder: Path = tmp_path_factory.mktemp("people")
    local = nullcontext(f"sqlite:///{folder / 'p.sqlite'}")
    with server_database(kind, prefix="dpo_text") if kind != "sqlite" else local as url:
        engine = create_engine(url)
        md = MetaData()
        table = Table("people", md, Column("id", Integer, primary_key=True, autoincrement=False),
                      Column("mail", String(120)), Column("given", String(60)),
                      Column("family", String(60)), mysql_engine="InnoDB",
                      mysql_charset="utf8mb4")
        md.create_all(engine)
        (folder / "dm.yaml").write_text(DATAMAP, encoding="utf-8")
        (folder / "w.yaml").write_text(f"datamap: dm.yaml\ndatabases: {{p: '{url}'}}\n",
                                       encoding="utf-8")
        with dw.open_workbench(folder / "w.yaml", user="test") as wb:
            if indexed:
                wb.create_indexes()
            assert all(s.exists for s in wb.index_status()) is indexed
            yield wb, engine, table
        engine.dispose()


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=case())
def test_email_and_name_search_have_no_false_positives_or_negatives(people_db, data):
    wb, engine, table = people_db
    rows, address, (first, last) = data
    with engine.begin() as conn:
        conn.execute(delete(table))
        conn.execute(insert(table), rows)
    by_mail = wb.criteria(email=address)
    by_name = wb.criteria(first_name=first, last_name=last)
    email, name = MATCH_KINDS["email"], MATCH_KINDS["name"]
    expected_mail = {r["id"] for r in rows if email.matches([r["mail"]], by_mail)}
    expected_name = {r["id"] for r in rows if name.matches([r["given"], r["family"]], by_name)}
    assert set(wb.search(by_mail).directory_entries["_key"]) == expected_mail, rows
    assert set(wb.search(by_name).directory_entries["_key"]) == expected_name, rows
    # the typed letter case never changes the result
    assert set(wb.search(email=address.upper()).directory_entries["_key"]) == expected_mail
    assert set(wb.search(first_name=first.lower(), last_name=last.upper())
               .directory_entries["_key"]) == expected_name


def test_the_reference_finds_the_spellings_real_data_has():
    c = dw.Criteria.parse(email="ΣΟΦΙΑΣ@EXAMPLE.GR")
    email = MATCH_KINDS["email"]
    for stored in ["σοφιας@example.gr\n", "\u00a0ΣΟΦΙΑΣ@example.gr", "mailto:σοφιας@EXAMPLE.GR",
                   "Σοφία <σοφιας@example.gr>", "\u200bσοφιασ@example.gr\t"]:
        assert email.matches([stored], c), stored
    assert email.matches(["info@xn--mller-kva.de"], dw.Criteria.parse(email="info@müller.de"))
    assert email.matches(["INFO@MÜLLER.DE"], dw.Criteria.parse(email="info@xn--mller-kva.de"))
    assert not email.matches(["σοφιας@example.gr.fake"], c)
