"""Search on the demo installation, the same tests on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json

import pytest
from oracle import expected_items, found_items
from plans import full_scans, used_indexes

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.demo.samples import AINO, AINO_NAMESAKE, NEIGHBOUR, SOREN, SWITCHBOARD, ZOE

pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def wb(shared_demo):
    _, settings = shared_demo
    with dw.open_workbench(settings, user="test") as wb:
        yield wb


# (criteria, what it exercises)
CRITERIA = [
    ({"phone": AINO.phone}, "the README's sample number, international spelling"),
    ({"phone": "040-123 45 67"}, "the same number, national spelling"),
    ({"phone": SOREN.phone, "digits": 8}, "a Danish number, 8 digits"),
    ({"phone": ZOE.spellings[2], "digits": 10}, "a German number, 10 digits"),
    ({"phone": "34567", "digits": 5}, "5 digits: finds the neighbour too"),
    ({"phone": "+358 40 123 4567", "digits": 3}, "3 digits: many people"),
    ({"email": AINO.email.upper()}, "e-mail in upper case"),
    ({"email": "ZOË.MÜLLER@example.DE"}, "non-ASCII letters in another case"),
    ({"first_name": "aino", "last_name": "JÄRVINEN"}, "a name shared by two people"),
    ({"phone": AINO.phone, "email": ZOE.email}, "two people at once (OR)"),
    ({"phone": AINO.phone, "start": "2025-01-01", "end": "2025-12-31"}, "a date span"),
    ({"email": SOREN.email, "end": "2024-06-30"}, "an open start"),
    ({"phone": "999 999 9999"}, "nobody"),
]


@pytest.mark.parametrize(("fields", "why"), CRITERIA, ids=[c[1] for c in CRITERIA])
def test_search_equals_the_brute_force_oracle(wb, fields, why):
    criteria = wb.criteria(**fields)
    assert found_items(wb.search(criteria)) == expected_items(wb, criteria), why


def test_the_readme_sample_is_found_in_every_group_in_several_databases(wb):
    result = wb.search(phone=AINO.phone)
    counts = result.counts()
    assert all(n > 0 for n in counts.values()), counts
    contacts = result.contacts
    # several spellings of the number, and a monitoring copy whose original is gone
    assert contacts["remote_number"].nunique() >= 4
    assert "monitoring1" in set(contacts["_database"])
    # a copy is named by its database, table and key
    assert any(c == [f"monitoring1.contact_events#{k}"]
               for c, k in zip(contacts["_copies"], contacts["_key"], strict=True))
    assert set(contacts["_matched"]) == {"phone ends 1234567 in remote_number"}
    assert result.too_many is False


def test_digits_used_in_search_widen_and_narrow(wb):
    def people(digits):
        r = wb.search(phone=AINO.phone, digits=digits)
        return set(r.directory_entries["last_name"]) | set(r.contacts["remote_number"])

    assert any("993" in str(p) for p in people(5))  # the neighbour shares 5 digits
    assert not any("993" in str(p) for p in people(7))
    assert NEIGHBOUR.last_name not in set(wb.search(phone=AINO.phone).directory_entries[
        "last_name"])


def test_a_name_finds_only_directory_and_campaign_customers(wb):
    result = wb.search(first_name=AINO.first_name, last_name=AINO.last_name)
    assert result.counts()["contacts"] == 0 and result.counts()["consents"] == 0
    emails = set(result.campaign_customers["email"].str.lower())
    assert {AINO.email, AINO_NAMESAKE.email} <= emails


def test_more_than_1000_items_is_flagged_not_cut(wb):
    result = wb.search(phone=SWITCHBOARD.phone)
    assert result.total > 1000
    assert result.too_many is True
    assert len(result.contacts) == result.total  # everything is there


def test_details_hold_every_field_children_lookups_and_files(wb):
    result = wb.search(email=AINO.email)
    emails = result.contacts[result.contacts["channel"] == "email"]
    ref = dw.RowRef.from_record(emails.iloc[0].to_dict())
    d = wb.details(ref)
    assert d.fields["body"]
    assert d.lookups["agent"]["display_name"]
    assert len(d.children["attachments"]) >= 1
    assert all(f.exists and f.size and f.size > 0 for f in d.files)
    assert {f.kind for f in d.files} == {"attachment"}

    customer = dw.RowRef.from_record(result.campaign_customers.iloc[0].to_dict())
    cd = wb.details(customer)
    assert set(cd.lookups["campaign"]) == {"name", "status"}
    assert len(cd.children["fields"]) >= 1

    entry = dw.RowRef.from_record(result.directory_entries.iloc[0].to_dict())
    photo = wb.details(entry).files
    assert [f.kind for f in photo] == ["image"] and photo[0].path.read_bytes()[:4] == b"\x89PNG"


def test_hostile_criteria_are_matched_literally(wb):
    # LIKE wildcards, quotes and SQL in criteria are values, never SQL
    for email in ("a%@example.com", "_@example.com", "o'brien@example.com",
                  "x@y.fi';DROP TABLE contact_events;--"):
        with pytest.raises(dw.InvalidCriteria) if " " in email else _nothing():
            assert wb.search(email=email).total == 0
    assert wb.search(first_name="Robert'); DROP TABLE campaign_customers;--",
                     last_name="%").total == 0
    assert wb.search(phone=AINO.phone).counts()["campaign_customers"] > 0  # tables intact


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_explain_says_what_is_searched_where_without_the_values(wb):
    text = wb.explain(phone=AINO.phone, email=AINO.email, start="2025-01-01")
    assert "operative.contact_events: remote_number ends with the last 7 digits" in text
    assert "directory.directory_entries" in text
    assert "only rows whose started_at is in the date span" in text
    assert "1234567" not in text and "jarvinen" not in text.lower()
    name_only = wb.explain(first_name="Aino", last_name="Järvinen")
    assert "Contacts are not found by a name" in name_only


def test_the_workbench_indexes_are_used(wb, shared_demo):
    # as the engine plans it on its own (tests/test_query_plans.py forces PostgreSQL's hand)
    kind, _ = shared_demo
    plan = wb.engine_plans(phone=AINO.phone, email=AINO.email)["contact_events"]
    assert used_indexes(kind, plan) >= {"dpo_phone_contact_events_remote_number",
                                        "dpo_email_contact_events_remote_address"}, plan
    assert full_scans(kind, plan) == [], plan


def test_searches_of_one_shape_share_a_select_each_with_its_own_values(wb):
    """A table's select is made once per shape of criteria and reused with other values:
    every search finds what it finds with the selects made afresh for it."""
    from dpo_workbench import query

    same_shape = [{"phone": AINO.phone}, {"phone": SOREN.phone, "digits": 7},
                  {"phone": ZOE.phone, "digits": 7}]
    plans = [wb.plan(**f) for f in same_shape]
    assert all(p.queries[0].shape is plans[0].queries[0].shape for p in plans)
    assert len({repr(p.queries[0].values) for p in plans}) == 3
    assert wb.plan(phone=AINO.phone, digits=8).queries[0].shape \
        is not plans[0].queries[0].shape
    fields = [*same_shape, *(f for f, _ in CRITERIA),
              {"email": ZOE.email, "start": "2024-01-01"}, {"email": AINO.email,
                                                           "start": "2025-06-01"}]
    reused = [wb.search(**f).to_dict() for f in fields]
    afresh = []
    for f in fields:
        query._SHAPES.clear()
        afresh.append(wb.search(**f).to_dict())
    assert reused == afresh


def test_the_select_searches_share_keeps_no_searched_value(wb):
    """The searched values go with each search, never into the select it shares with
    other searches: a cache of selects holds no personal data."""
    from sqlalchemy.sql.visitors import iterate

    fields = {"email": AINO.email, "start": "2024-01-01"}
    wb.search(**fields)
    q = wb.plan(**fields).queries[0]
    params = [e for e in iterate(q.shape) if e.__visit_name__ == "bindparam"]
    assert {p.key for p in params} == set(q.values) and all(p.value is None for p in params)
    with wb.installation.engines[q.spec.database].connect() as conn:
        rows = q.execute(conn).fetchall()
        assert rows and rows == conn.execute(q.statement).fetchall()
    assert all(p.value is None for p in params)


def test_the_keys_a_table_holds_are_read_in_batches_whatever_their_type(wb, monkeypatch):
    """A copy's keys are looked up with one select per table, made once: keys typed as
    the column is, keys typed otherwise, and lists longer than one batch."""
    from sqlalchemy import select

    from dpo_workbench import batches

    table = wb.installation.table("operative", "contact_events")
    with wb.installation.connect("operative") as conn:
        held = set(conn.execute(select(table.c.id).limit(5)).scalars())
        asked = [*held, -1, -2]
        assert batches.existing_keys(conn, table, "id", asked) == held \
            == set(conn.execute(select(table.c.id).where(table.c.id.in_(asked))).scalars())
        monkeypatch.setattr(batches, "CHUNK", 2)
        assert batches.existing_keys(conn, table, "id", asked) == held
        # PostgreSQL gets a batch as one array (see batches): its statement has one value
        one = str(batches._held(table, table.c.id, 1, conn.dialect.name).compile(conn))
        assert ("= ANY" in one) == (conn.dialect.name == "postgresql"), one
        if wb.installation.dialect("operative") == "sqlite":  # text compared as SQLite does
            assert batches.existing_keys(conn, table, "id", [str(k) for k in held]) \
                == {k for k in held}


def test_result_dtypes_follow_the_schema_read_last(wb):
    """The frames' dtypes are worked out once per schema: a schema reflected again gives
    them anew, and they equal those read from the tables."""
    from dpo_workbench.search import _dtypes, _group_dtypes

    inst = wb.installation
    first = wb.search(phone=AINO.phone).dtypes
    kept = _group_dtypes(inst)
    inst.reflect()
    assert _group_dtypes(inst) is not kept
    again = wb.search(phone=AINO.phone).dtypes
    assert again == first == {
        g: _dtypes(inst, [s for s in wb.datamap.in_group(g) if inst.is_open(s.database)])
        for g in again}


def _checked_out(wb) -> dict[str, int]:
    return {db: e.pool.checkedout() for db, e in wb.installation.engines.items()}


def test_every_connection_a_search_takes_is_given_back(wb, monkeypatch):
    """A database that holds copies keeps its connection until the result is assembled
    (the copies' keys are asked on it); after the search, failed or not, none is out."""
    from sqlalchemy.exc import OperationalError

    from dpo_workbench import query
    from dpo_workbench.errors import DatabaseError

    assert wb.search(phone=AINO.phone).counts()["contacts"]
    assert set(_checked_out(wb).values()) == {0}
    execute = query.TableQuery.execute

    def failing(self, conn):
        if self.spec.database == "directory":
            raise OperationalError("SELECT", {}, Exception("gone"))
        return execute(self, conn)

    monkeypatch.setattr(query.TableQuery, "execute", failing)
    with pytest.raises(DatabaseError, match="searching database 'directory' failed"):
        wb.search(phone=AINO.phone)
    assert set(_checked_out(wb).values()) == {0}


def test_a_closed_workbenchs_tables_are_let_go(shared_demo, monkeypatch):
    """The selects and key expressions made on a schema's tables are kept for the tables
    seen last only: a workbench closed is not kept in memory by them."""
    import gc
    import weakref

    from dpo_workbench import batches, matchkinds, query

    _, settings = shared_demo
    for cache in (query._SHAPES, matchkinds._KEY_EXPRS, batches._HELD):
        monkeypatch.setattr(cache, "max_tables", 6)
    with dw.open_workbench(settings, user="test") as first:
        first.search(phone=AINO.phone)
        table = weakref.ref(first.installation.table("operative", "contact_events"))
    del first
    for _ in range(2):
        with dw.open_workbench(settings, user="test") as other:
            other.search(phone=AINO.phone)
    del other
    gc.collect()
    assert table() is None


def test_command_line_json(shared_demo, capsys):
    _, settings = shared_demo
    status = main(["search", "--config", str(settings), "--phone", AINO.phone,
                   "--format", "json"])
    assert status == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"total", "too_many", "not_restricted_by_dates", "hints", "groups"}
    assert set(data["groups"]) == {"contacts", "directory_entries", "campaign_customers",
                                   "consents"}
    assert all(data["groups"][g] for g in data["groups"])
    row = data["groups"]["consents"][0]
    assert {"_database", "_table", "_key", "_matched", "consent_value", "given_at"} <= set(row)


def test_command_line_exit_statuses(shared_demo, tmp_path, capsys):
    _, settings = shared_demo
    assert main(["search", "--config", str(settings), "--phone", "999 999 9999"]) == 0
    assert main(["search", "--config", str(settings), "--phone", "12"]) == 2
    assert "at least 3 digits" in capsys.readouterr().err
    assert main(["search", "--config", str(settings), "--first-name", "Aino"]) == 2
    assert main(["search", "--config", str(tmp_path / "missing.yaml"), "--phone", "123"]) == 3
    err = capsys.readouterr().err
    assert "does not exist" in err
