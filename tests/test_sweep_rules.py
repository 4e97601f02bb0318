"""The sweep's rules find every spelling they promise, and its SQL prefilter never drops one.

The prefilter only spares Python work: on every engine, every row the exact rules
find must be among the rows the SQL passes. A seeded corpus of mentions in every
letter case, Unicode form and separator placement (and of near misses) checks it.
"""

from __future__ import annotations

import random
import unicodedata
from contextlib import contextmanager

import pytest
from dbservers import server_database
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert

from dpo_workbench.criteria import Criteria
from dpo_workbench.demo.samples import AINO, SOREN, ZOE
from dpo_workbench.normalize import PHONE_SEPARATORS
from dpo_workbench.sweep.rules import Rules
from dpo_workbench.sweep.tables import reflect_all, sweep_unit, units

SUBJECTS = (AINO, SOREN, ZOE)


def _criteria(s, digits=7):
    return Criteria.parse(email=s.email, phone=s.phone, first_name=s.first_name,
                          last_name=s.last_name, digits=digits)


def _spell(value: str, rng: random.Random) -> str:
    """``value`` with each letter in a random case and each character in NFC or NFD."""
    out = []
    for original in value:
        ch = original.upper() if rng.random() < 0.5 else original.lower()
        if len(ch) != 1:  # a letter whose upper case is two letters keeps its own
            ch = original
        out.append(unicodedata.normalize("NFD" if rng.random() < 0.3 else "NFC", ch))
    return "".join(out)


def _phone(tail: str, rng: random.Random) -> str:
    head = rng.choice(["", "+358 ", "0", "00 45 ", "(0)", "+49 (0)151 "])
    digits = [d + "".join(rng.choice(PHONE_SEPARATORS) for _ in range(rng.randint(0, 2)))
              for d in tail[:-1]]
    return head + "".join(digits) + tail[-1]


def _name(s, rng: random.Random) -> str:
    first, last = _spell(s.first_name, rng), _spell(s.last_name, rng)
    return rng.choice([f"{first} {last}", f"{last}, {first}", f"{last}\t{first}",
                       f"{first}  {last}"])


AROUND = [("", ""), ("Dear ", ","), ("mail <", ">"), ("(", ")."), ("Re: ", "\nbye"),
          ("x ", " y"), ("tel:", ";"), ("«", "»")]


def corpus(seed: int = 7, n: int = 400) -> list[tuple[str, str | None, int]]:
    """``(text, kind expected or None, subject index)``: mentions and near misses."""
    rng = random.Random(seed)
    out: list[tuple[str, str | None, int]] = []
    for i in range(n):
        k = i % len(SUBJECTS)
        s = SUBJECTS[k]
        tail = "".join(ch for ch in s.phone if ch.isdigit())[-7:]
        before, after = rng.choice(AROUND)
        kind = rng.choice(["email", "phone", "name", "near"])
        if kind == "email":
            body = _spell(s.email, rng)
        elif kind == "phone":
            body = _phone(tail, rng)
        elif kind == "name":
            body = _name(s, rng)
        else:
            body = rng.choice([_spell("x" + s.email, rng), _spell(s.email + "x", rng),
                               _phone(tail, rng) + str(rng.randint(0, 9)),
                               _spell(s.first_name + "la " + s.last_name + "katu", rng),
                               _spell(s.email.replace("@", " at "), rng)])
            kind = None
        noise = " ".join(rng.choice(["order", "1234", "call", "ok", "2025-03-01", "ÄÖ"])
                         for _ in range(rng.randint(0, 6)))
        out.append((f"{noise} {before}{body}{after} {noise}".strip(), kind, k))
    return out


@pytest.mark.parametrize("index", range(len(SUBJECTS)))
def test_the_rules_find_every_spelling_and_no_near_miss(index):
    rules = Rules(_criteria(SUBJECTS[index]))
    for text, kind, k in corpus():
        if k != index:
            continue
        found = rules.kinds(text)
        if kind is None:
            assert found == set(), text
        else:
            assert kind in found, text


def test_redaction_replaces_only_the_mentions():
    rules = Rules(_criteria(AINO))
    text = "Hei Aino Järvinen,\n\nsoita +358 40 123 4567 tai aino.jarvinen@example.fi. Kiitos!"
    assert rules.redact(text, "[X]") == "Hei [X],\n\nsoita [X] tai [X]. Kiitos!"
    assert rules.redact("nothing here: 12345678", "[X]") == "nothing here: 12345678"


@contextmanager
def _database(kind, tmp_path):
    if kind == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'corpus.sqlite'}")
    else:
        ctx = server_database(kind, prefix="dpo_sweep")
        engine = create_engine(ctx.__enter__())
    try:
        yield engine
    finally:
        engine.dispose()
        if kind != "sqlite":
            ctx.__exit__(None, None, None)


@pytest.mark.engines
def test_the_sql_prefilter_passes_every_row_the_rules_find(engine, tmp_path):
    rows = corpus()
    with _database(engine, tmp_path) as db:
        md = MetaData()
        columns = [Column("id", Integer, primary_key=True, autoincrement=False),
                   Column("free", Text), Column("short", String(60))]
        if engine == "mariadb":  # a binary collation: LIKE would not fold letter case
            columns.append(Column("exact", String(300, collation="utf8mb4_bin")))
        table = Table("corpus", md, *columns, mysql_engine="InnoDB")
        md.create_all(db)
        with db.begin() as conn:
            conn.execute(insert(table), [
                {"id": i, "free": text, "short": text[:60],
                 **({"exact": text} if engine == "mariadb" else {})}
                for i, (text, _, _) in enumerate(rows)])
        with db.connect() as conn:
            [swept] = reflect_all(conn, "corpus_db")
            for index, subject in enumerate(SUBJECTS):
                for digits in (7, 4):
                    rules = Rules(_criteria(subject, digits))
                    found = {m.key for u in units(conn, swept)
                             for m in sweep_unit(conn, u, rules)[0]}
                    expected = {i for i, (text, _, _) in enumerate(rows)
                                if rules.kinds(text) or rules.kinds(text[:60])}
                    assert found == expected, (subject.key, digits, sorted(expected - found))
                    assert {i for i, (_, kind, k) in enumerate(rows)
                            if kind and k == index} <= found


def test_the_file_store_sweep_reads_text_files_only_as_the_workbench_may(tmp_path):
    import os

    from dpo_workbench.sweep.stores import sweep_store

    root = tmp_path / "store"
    (root / "a").mkdir(parents=True)
    (root / "a" / "notes.txt").write_bytes("x\ny\nJärvinen Aino, 040-123 45 67\n"
                                           .encode("latin-1"))
    (root / "a" / "export.csv").write_text("id;mail\n1;AINO.JARVINEN@EXAMPLE.FI\n", "utf-8")
    (root / "a" / "call.wav").write_bytes(b"RIFF" + AINO.email.encode())  # binary by name
    (root / "a" / "blob.bin").write_bytes(b"\0\1" + AINO.email.encode())  # binary content
    (root / "a" / f"{AINO.email}.eml").write_text("nothing", "utf-8")  # the name mentions her
    outside = tmp_path / "outside.txt"
    outside.write_text(AINO.email, "utf-8")
    os.symlink(outside, root / "a" / "link.txt")
    os.symlink(root / "a" / "export.csv", root / "a" / "inside.csv")
    os.link(outside, root / "a" / "hard.txt")
    swept = sweep_store("s", root, Rules(_criteria(AINO)))
    found = sorted((m.file, m.line, m.kinds) for m in swept.mentions)
    assert found == [("", 0, ("email",)), ("a/export.csv", 2, ("email",)),
                     ("a/notes.txt", 3, ("phone", "name"))]
    assert swept.searched == 3  # notes.txt, export.csv, the .eml
    assert swept.skipped == {"binary by name (audio, images, PDF, archives)": 1,
                             "binary content": 1, "symbolic links": 1,
                             "links leading outside the store": 1,
                             "files with other hard links": 1}
