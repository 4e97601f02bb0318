"""The outbound database: campaigns, their customers, the customers' fields and calls.

Four in ten random customers also contact the centre; the others come from a pool
half the size of the list, so that some are customers of two campaigns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..progress import Progress
from . import names as N
from .centre import CAMPAIGN_STARTS
from .common import (
    BLOCK,
    DAY,
    S_OUTBOUND,
    cap,
    dated_path,
    group_cumsum,
    random_stream,
    timestamps,
)
from .draw import Draw
from .files import wav_bytes, write_file
from .loaders import Row, Sink
from .people import FIRST, LAST, context, draw_numbers, phone_text, place
from .sample_rows import SampleCustomer

CUSTOMER_COLUMNS: tuple[str, ...] = (
    "id", "campaign_id", "first_name", "last_name", "phone1", "phone2", "email", "language",
    "customer_status", "imported_at", "last_called_at")
FIELD_COLUMNS: tuple[str, ...] = ("id", "customer_id", "field_name", "field_value")
CALL_COLUMNS: tuple[str, ...] = ("id", "customer_id", "agent_id", "started_at", "dialled_number",
                                 "call_result", "talk_seconds", "recording_file")


def load_outbound(sink: Sink, plan: Draw, recordings: Path, report: Progress) -> None:
    """Write the campaigns and their customers, fields and calls (recordings into the store)."""
    sink.insert("campaigns", ["id", "name", "status", "created_at"],
                [(i + 1, name, status, f"{created} 08:00:00.000000")
                 for i, (name, status, created) in enumerate(N.CAMPAIGNS)])
    customers, fields, calls = _sample_customers(plan.samples.customers, recordings)
    _insert(sink, customers, fields, calls)
    ids = {"customer": len(customers) + 1, "field": len(fields) + 1, "call": len(calls) + 1}
    total = plan.events // 10
    draw = _draw_customers(plan, total)
    for lo in range(0, total, BLOCK):
        hi = min(lo + BLOCK, total)
        _insert(sink, *_customer_block(plan, draw, lo, hi, ids, recordings))
        report("outbound: campaign customers", hi, total)


def _insert(sink: Sink, customers: list[Row], fields: list[Row], calls: list[Row]) -> None:
    sink.insert("campaign_customers", CUSTOMER_COLUMNS, customers)
    sink.insert("customer_fields", FIELD_COLUMNS, fields)
    sink.insert("outbound_calls", CALL_COLUMNS, calls)


def _recording(recordings: Path, when: str, call_id: int) -> str:
    """Write the recording of outbound call ``call_id`` into the store; return its path there."""
    path = dated_path(when, f"ob-{call_id}.wav")
    write_file(recordings, path, wav_bytes(10_000_000 + call_id))
    return path


def _sample_customers(customers: Sequence[SampleCustomer],
                      recordings: Path) -> tuple[list[Row], list[Row], list[Row]]:
    rows: list[Row] = []
    fields: list[Row] = []
    calls: list[Row] = []
    for cid, c in enumerate(customers, start=1):
        s = c.subject
        last_call = max(call[1] for call in c.calls)
        rows.append((cid, c.campaign, s.first_name, s.last_name, c.phone1, c.phone2, c.email,
                     N.COUNTRIES[N.COUNTRY_CODES.index(s.country)].language, c.status,
                     *timestamps([c.imported, last_call])))
        for name, value in c.fields:
            fields.append((len(fields) + 1, cid, name, value))
        for agent, start, number, result, talk, rec in c.calls:
            call_id = len(calls) + 1
            when = timestamps([start])[0]
            path = _recording(recordings, when, call_id) if rec else None
            calls.append((call_id, cid, agent, when, number, result, talk, path))
    return rows, fields, calls


@dataclass(frozen=True)
class _Customers:
    """Drawn attributes of the random campaign customers and (flat) of their calls."""

    person: np.ndarray
    campaign: np.ndarray
    imported: np.ndarray
    n_calls: np.ndarray
    phone2: np.ndarray  # 0 none, 1 a second number, 2 junk
    plan2: np.ndarray
    rest2: np.ndarray
    call_start: np.ndarray  # per call, customers' calls one after another
    call_result: np.ndarray
    call_recorded: np.ndarray


def _draw_customers(plan: Draw, total: int) -> _Customers:
    rng = random_stream(plan.seed, S_OUTBOUND)
    extra0 = plan.contact_people + max(200, plan.events // 40)
    from_contacts = rng.random(total) < 0.4
    # Outside the contacts, people come from a pool half the size of the list, so
    # that some of them are customers of two campaigns.
    person = np.where(from_contacts, rng.integers(0, plan.contact_people, total),
                      extra0 + rng.integers(0, max(1, total // 2), total))
    person = np.minimum(person, len(plan.people) - 1)
    campaign = rng.integers(0, len(N.CAMPAIGNS), total)
    imported = CAMPAIGN_STARTS[campaign] + rng.integers(DAY, 60 * DAY, total)
    n_calls = rng.choice(4, size=total, p=[0.2, 0.4, 0.25, 0.15])
    calls = int(n_calls.sum())
    gaps = rng.integers(DAY, 9 * DAY, calls) + rng.integers(0, 30_000, calls)
    start = np.repeat(imported, n_calls) + group_cumsum(gaps, n_calls)
    result = rng.choice(len(N.CALL_RESULTS), size=calls, p=[0.45, 0.3, 0.08, 0.12, 0.05])
    recorded = cap(rng, result == 0, plan.max_files // 10)
    phone2 = rng.choice(3, size=total, p=[0.65, 0.3, 0.05])
    plan2, rest2 = draw_numbers(rng, plan.people.country[person], np.ones(total, dtype=bool))
    return _Customers(person, campaign, imported, n_calls, phone2, plan2, rest2, start, result,
                      recorded)


def _customer_block(plan: Draw, draw: _Customers, lo: int, hi: int, ids: dict[str, int],
                    recordings: Path) -> tuple[list[Row], list[Row], list[Row]]:
    rng = random_stream(plan.seed, S_OUTBOUND, 1, lo)
    people = plan.people
    first_call = int(draw.n_calls[:lo].sum())
    n_calls = draw.n_calls[lo:hi].tolist()
    flat = slice(first_call, first_call + sum(n_calls))
    call_times = timestamps(draw.call_start[flat])
    call_result = draw.call_result[flat].tolist()
    call_recorded = draw.call_recorded[flat].tolist()
    person = draw.person[lo:hi]
    columns = zip(person.tolist(), people.first[person].tolist(), people.last[person].tolist(),
                  people.country[person].tolist(), people.plan[person].tolist(),
                  people.rest[person].tolist(), draw.phone2[lo:hi].tolist(),
                  draw.plan2[lo:hi].tolist(), draw.rest2[lo:hi].tolist(),
                  (draw.campaign[lo:hi] + 1).tolist(), timestamps(draw.imported[lo:hi]),
                  n_calls, strict=True)
    picks = rng.integers(0, 1 << 20, (hi - lo, 12)).tolist()
    field_order = np.argsort(rng.random((hi - lo, len(N.FIELD_NAMES))), axis=1).tolist()
    customers: list[Row] = []
    fields: list[Row] = []
    calls: list[Row] = []
    c_idx = 0
    for k, (p, f, la, ci, pl, rs, kind2, pl2, rs2, campaign, imported, count) in \
            enumerate(columns):
        pick, cid = picks[k], ids["customer"] + k
        first, last, country = FIRST[f], LAST[la], N.COUNTRIES[ci]
        phone1 = phone_text(pl, rs, pick[0] % 12)
        phone2 = phone_text(pl2, rs2, pick[1] % 12) if kind2 == 1 else \
            N.JUNK_NUMBERS[pick[1] % 3] if kind2 == 2 else None
        email = N.email_case(people.email[p], pick[2] % 4) if pick[2] % 10 < 7 else None
        ctx = context(first, last, "", cid, phone_text(pl, rs, pick[3] % 12), people.email[p],
                      place(ci, p))
        for j in field_order[k][: 2 + pick[4] % 3]:
            name = N.FIELD_NAMES[j]
            fields.append((ids["field"], cid, name, _field_value(name, ctx, country, pick)))
            ids["field"] += 1
        last_call = None
        for j in range(count):
            when = last_call = call_times[c_idx]
            result = N.CALL_RESULTS[call_result[c_idx]]
            path = _recording(recordings, when, ids["call"]) if call_recorded[c_idx] else None
            c_idx += 1
            # Agents dial the second number now and then, spelled as the list gave it.
            number = phone2 if j % 2 == 1 and kind2 == 1 else \
                phone_text(pl, rs, (pick[0] + j) % 12)
            calls.append((ids["call"], cid, plan.agents[pick[5 + j] % len(plan.agents)].id, when,
                          number, result, 60 + pick[9] % 600 if result == "answered" else 0,
                          path))
            ids["call"] += 1
        status = "new" if last_call is None else N.CUSTOMER_STATUSES[1 + pick[11] % 4]
        customers.append((cid, campaign, first, last, phone1, phone2, email, country.language,
                          status, imported, last_call))
    ids["customer"] += hi - lo
    return customers, fields, calls


def _field_value(name: str, ctx: Mapping[str, str], country: N.Country, pick: list[int]) -> str:
    if name == "contract_id":
        return f"K-{ctx['invoice']}"
    if name == "customer_number":
        return f"C-{ctx['order']}"
    if name == "preferred_time":
        return N.PREFERRED_TIMES[pick[6] % len(N.PREFERRED_TIMES)]
    if name == "alt_phone":
        return ctx["phone"]
    if name == "alt_email":
        return N.email_case(ctx["email"], pick[7] % 4)
    if name == "address":
        return f"{ctx['street']}, {ctx['city']}"
    if name == "birth_year":
        return str(1940 + pick[10] % 65)
    if name == "product":
        return N.PRODUCTS[pick[6] % len(N.PRODUCTS)]
    comment = N.COMMENTS[pick[7] % len(N.COMMENTS)]
    return comment.format(language_name=N.LANGUAGE_NAMES[country.language], **ctx)
