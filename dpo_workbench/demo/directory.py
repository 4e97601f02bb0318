"""The directory database: the sample subjects' entries, then random ones, with photos.

Three in ten random entries are people who also contact the centre; the rest
come from the population beyond the contacts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..progress import Progress
from . import names as N
from .common import (
    BLOCK,
    DAY,
    S_DIRECTORY,
    SPAN_DAYS,
    cap,
    dated_path,
    random_stream,
    timestamps,
)
from .draw import Draw
from .files import photo_png, write_file
from .loaders import Row, Sink
from .people import FIRST, LAST, People, display_name, draw_numbers, phone_text, place
from .sample_rows import SAMPLE_PLACES, SampleEntry

DIRECTORY_COLUMNS: tuple[str, ...] = (
    "id", "first_name", "last_name", "display_name", "title", "department", "company",
    "phone_work", "phone_mobile", "phone_home", "email_work", "email_private", "street",
    "postal_code", "city", "country", "notes", "photo_file", "updated_at")


def _company_domain(company: str) -> str:
    slug = "".join(ch for ch in N.ascii_fold(company).lower() if ch.isalnum())[:16]
    return f"{slug}.example.com"


def load_directory(sink: Sink, plan: Draw, photos: Path, report: Progress) -> None:
    """Write ``directory_entries`` and their photos into the store ``photos``."""
    rows: list[Row] = [_sample_entry(i + 1, e, photos) for i, e in enumerate(plan.samples.entries)]
    sink.insert("directory_entries", DIRECTORY_COLUMNS, rows)
    total = max(200, plan.events // 40)
    rng = random_stream(plan.seed, S_DIRECTORY)
    people = plan.people
    from_contacts = rng.random(total) < 0.3
    person = np.where(from_contacts, rng.integers(0, plan.contact_people, total),
                      plan.contact_people + rng.permutation(total))
    photo = cap(rng, np.ones(total, dtype=bool), plan.max_files)
    work_plan, work_rest = draw_numbers(rng, people.country[person], np.ones(total, dtype=bool))
    home_plan, home_rest = draw_numbers(rng, people.country[person], np.ones(total, dtype=bool))
    picks = rng.integers(0, 1 << 20, (total, 8)).tolist()
    updated = timestamps(rng.integers(-300 * DAY, SPAN_DAYS * DAY, total))
    first_id = len(rows) + 1
    for lo in range(0, total, BLOCK):
        batch = []
        for i in range(lo, min(lo + BLOCK, total)):
            p = int(person[i])
            work = phone_text(int(work_plan[i]), int(work_rest[i]), picks[i][0] % 3)
            home = phone_text(int(home_plan[i]), int(home_rest[i]), picks[i][1] % 12)
            batch.append(_directory_row(first_id + i, p, people, picks[i], work, home,
                                        updated[i], photos if photo[i] else None))
        sink.insert("directory_entries", DIRECTORY_COLUMNS, batch)
        report("directory: entries", min(lo + BLOCK, total), total)


def _directory_row(row_id: int, p: int, people: People, pick: list[int], work: str, home: str,
                   updated: str, photos: Path | None) -> Row:
    c = N.COUNTRIES[int(people.country[p])]
    first, last = FIRST[int(people.first[p])], LAST[int(people.last[p])]
    company = c.companies[pick[2] % len(c.companies)]
    mobile = phone_text(int(people.plan[p]), int(people.rest[p]), pick[3] % 12)
    email_work = (f"{N.email_local(first, last, 0, 0, False)}@{_company_domain(company)}")
    private = N.email_case(people.email[p], pick[4] % 4) if pick[4] % 5 < 2 else None
    street, postal, city = place(int(people.country[p]), p)
    home_value = home if pick[5] % 4 == 0 else ("-" if pick[5] % 23 == 1 else None)
    notes = None
    if pick[6] % 10 < 3:
        ctx = {"first": first, "email": private or email_work, "phone": mobile}
        notes = N.DIRECTORY_NOTES[pick[6] % len(N.DIRECTORY_NOTES)].format(**ctx)
    photo = None if photos is None else _photo(photos, row_id, first, last, updated)
    return (row_id, first, last, display_name(first, last, pick[7] % 2), N.TITLES[pick[0] % 12],
            N.DEPARTMENTS[pick[1] % len(N.DEPARTMENTS)], company, work, mobile, home_value,
            email_work, private, street, postal, city, c.code, notes, photo, updated)


def _sample_entry(row_id: int, e: SampleEntry, photos: Path) -> Row:
    s = e.subject
    street, postal, city = SAMPLE_PLACES[s.key]
    updated = timestamps([e.updated])[0]
    photo = _photo(photos, row_id, s.first_name, s.last_name, updated)
    return (row_id, s.first_name, s.last_name, f"{s.first_name} {s.last_name}", e.title,
            e.department, e.company, None, e.phone_mobile, None, e.email_work, None, street,
            postal, city, s.country, f"Sample data subject ({s.key}) of the demo.", photo,
            updated)


def _photo(photos: Path, row_id: int, first: str, last: str, updated: str) -> str:
    """Write an entry's photo (its initials) into the store; return its path there."""
    path = dated_path(updated, f"{row_id}.png")
    write_file(photos, path, photo_png(N.ascii_fold(first[:1] + last[:1]).upper(), row_id))
    return path
