"""Build the demo installation: five databases, three file stores and a settings file.

:func:`build_demo` writes a contact centre's data for a made-up population: contact
events on six channels with their details, a company directory, outbound
campaigns, customer consents and a monitoring copy of recent contact events, plus
real recordings, attachments and photos. The sample data subjects of
:mod:`dpo_workbench.demo.samples` are always in it, spelled in all their ways.

The generator is vectorised with numpy (one seeded ``Generator`` per stream) and
streams contact events in blocks, so memory stays flat and a million events take
a minute or two on SQLite. The same ``events`` and ``seed`` give the same rows.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..errors import DatabaseError
from ..passwords import hash_password
from . import names as N
from .files import ATTACHMENT_TYPES, attachment_bytes, photo_png, wav_bytes, write_file
from .loaders import Row, Sink, open_sink
from .samples import SAMPLES, SampleSubject, reserved_suffixes
from .schema import DATABASES, metadata_for

Progress = Callable[[str, int, int], None]

SETTINGS_FILE = "workbench.yaml"
STORES: tuple[str, ...] = ("recordings", "attachments", "photos")
#: Slots (contact events and monitoring-only rows) materialised at a time.
BLOCK = 50_000

EPOCH = np.datetime64("2024-01-01T00:00:00", "s")
SPAN_DAYS = 1035  # 2024-01-01 .. 2026-10-31
DAY = 86_400
DEMO_PASSWORDS = {"dpo": "dpo-demo", "agent": "agent-demo"}
FIXED_STREAM = 7_919  # seeds what must not depend on ``seed`` (agents, sample subjects)

# Random streams: each part of the data draws from its own generator, so that
# changing one part does not shift the others.
_S_PEOPLE, _S_EVENTS, _S_BLOCK, _S_DIRECTORY, _S_OUTBOUND, _S_AGENTS = range(1, 7)


def build_demo(target: str | os.PathLike[str], *, events: int = 20_000, seed: int = 42,
               urls: Mapping[str, str] | None = None, max_files: int = 2_000,
               progress: Progress | None = None, replace: bool = False) -> Path:
    """Build the demo installation into folder ``target``; return the path of its settings file.

    Parameters
    ----------
    target
        Folder of the installation; created if missing.
    events
        Number of rows of ``operative.contact_events``, the sample subjects' included.
        Below :data:`MIN_EXACT_EVENTS` the sample subjects' 1,141 events are kept
        whole and ``min(events, 200)`` random ones are added.
    seed
        Seed of the random data (non-negative). The sample subjects' rows do not
        depend on it.
    urls
        Logical database name -> SQLAlchemy URL for databases on a server
        (PostgreSQL or MariaDB). Their demo tables are dropped and created again;
        the databases must exist. Every other database is ``<target>/<name>.sqlite``.
    max_files
        Most files per file store beyond the sample subjects' own files; rows beyond
        it get no file.
    progress
        Called as ``progress(stage, done, total)`` while building.
    replace
        Replace an installation already in ``target``; without it that is an error.

    Returns
    -------
    Path
        ``<target>/workbench.yaml``.

    Raises
    ------
    FileExistsError
        ``target`` holds an installation and ``replace`` is false.
    ValueError
        An argument is out of range or ``urls`` names an unknown database.
    DatabaseError
        A database in ``urls`` cannot be reached or its tables not be created.

    Examples
    --------
    >>> import tempfile
    >>> settings = build_demo(tempfile.mkdtemp(), events=1500, max_files=5)
    >>> settings.name
    'workbench.yaml'
    """
    target = Path(target)
    urls = dict(urls or {})
    _check_arguments(events, seed, urls, max_files)
    _prepare_target(target, replace)
    report = progress or _no_progress
    sinks = _open_sinks(target, urls, report)  # first, so that a bad URL fails at once
    try:
        report("plan", 0, 1)
        plan = _make_plan(events, seed, max_files)
        report("plan", 1, 1)
        _load_configuration(sinks["configuration"], plan, report)
        _load_directory(sinks["directory"], plan, target / "files" / "photos", report)
        _load_outbound(sinks["outbound"], plan, target / "files" / "recordings", report)
        _load_contacts(sinks["operative"], sinks["monitoring1"], plan, target / "files", report)
        for name in DATABASES:
            report(f"{name}: indexes", 0, 1)
            sinks[name].finish()
            report(f"{name}: indexes", 1, 1)
    finally:
        for sink in sinks.values():
            sink.close()
    return _write_settings(target, urls, events, seed)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


# ======================================================================================
# Arguments and the target folder


def _check_arguments(events: int, seed: int, urls: Mapping[str, str], max_files: int) -> None:
    if not isinstance(events, int | np.integer) or events < 1:
        raise ValueError(f"events must be a positive whole number, not {events!r}")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, not {seed!r}")
    if not isinstance(max_files, int | np.integer) or max_files < 0:
        raise ValueError(f"max_files must be zero or more, not {max_files!r}")
    unknown = sorted(set(urls) - set(DATABASES))
    if unknown:
        raise ValueError(f"urls names unknown database(s) {', '.join(unknown)}; the demo's "
                         f"databases are {', '.join(DATABASES)}")


def _prepare_target(target: Path, replace: bool) -> None:
    settings = target / SETTINGS_FILE
    if settings.exists() and not replace:
        raise FileExistsError(
            f"{target} already holds a demo installation ({SETTINGS_FILE}). Choose another "
            "folder, or pass replace=True (--replace) to build it again from scratch.")
    target.mkdir(parents=True, exist_ok=True)
    # The settings file goes first and comes back last: a failed build leaves no
    # installation that looks complete.
    settings.unlink(missing_ok=True)
    for name in DATABASES:
        for suffix in ("", "-wal", "-shm", "-journal"):
            (target / f"{name}.sqlite{suffix}").unlink(missing_ok=True)
    for store in STORES:
        shutil.rmtree(target / "files" / store, ignore_errors=True)
        (target / "files" / store).mkdir(parents=True)
    state = target / "state"
    if state.exists():
        for suffix in ("", "-wal", "-shm", "-journal"):
            (state / f"workbench.sqlite{suffix}").unlink(missing_ok=True)
    state.mkdir(exist_ok=True)


def _open_sinks(target: Path, urls: Mapping[str, str], report: Progress) -> dict[str, Sink]:
    sinks: dict[str, Sink] = {}
    try:
        for name in DATABASES:
            report(f"{name}: tables", 0, 1)
            url = urls.get(name)
            if url is None:
                sinks[name] = open_sink(metadata_for(name), path=target / f"{name}.sqlite")
            elif make_url(url).get_backend_name() == "sqlite":
                database = make_url(url).database or f"{name}.sqlite"
                sinks[name] = open_sink(metadata_for(name), path=target / database)
            else:
                sinks[name] = _open_server(name, url)
            report(f"{name}: tables", 1, 1)
    except BaseException:
        for sink in sinks.values():
            sink.close()
        raise
    return sinks


def _open_server(name: str, url: str) -> Sink:
    try:
        return open_sink(metadata_for(name), url=url)
    except SQLAlchemyError as exc:
        where = make_url(url).render_as_string(hide_password=True)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"The demo could not create its tables of database {name} at "
                            f"{where}: {reason}. Check that the server runs and the database "
                            "exists.") from exc


def _write_settings(target: Path, urls: Mapping[str, str], events: int, seed: int) -> Path:
    shutil.copyfile(Path(__file__).with_name("datamap.yaml"), target / "datamap.yaml")
    lines = ["# dpo-workbench settings of the demo installation "
             "(generated by `dpo-workbench demo build`)",
             "name: Demo contact centre", "datamap: datamap.yaml", "databases:"]
    lines += [f"  {name}: {_yaml_scalar(urls.get(name, f'sqlite:///{name}.sqlite'))}"
              for name in DATABASES]
    lines += ["files:"] + [f"  {store}: files/{store}" for store in STORES]
    lines += ["state: sqlite:///state/workbench.sqlite", "demo:", f"  events: {int(events)}",
              f"  seed: {int(seed)}"]
    path = target / SETTINGS_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _yaml_scalar(value: str) -> str:
    """``value`` as a plain YAML scalar when that reads back unchanged, else quoted."""
    try:
        plain = yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        plain = False
    return value if plain else json.dumps(value, ensure_ascii=False)


# ======================================================================================
# Lookup tables derived from names.py

_C = N.COUNTRIES
FIRST = tuple(n for c in _C for n in c.first_names)
LAST = tuple(n for c in _C for n in c.last_names)
_FIRST_OFF = np.cumsum([0] + [len(c.first_names) for c in _C])[:-1]
_FIRST_LEN = np.array([len(c.first_names) for c in _C])
_LAST_OFF = np.cumsum([0] + [len(c.last_names) for c in _C])[:-1]
_LAST_LEN = np.array([len(c.last_names) for c in _C])
_COUNTRY_P = np.array([c.weight for c in _C]) / sum(c.weight for c in _C)

# Every numbering plan of every country, flat: (country index, landline?, plan).
_PLANS = tuple((ci, kind, p) for ci, c in enumerate(_C)
               for kind, plans in enumerate((c.mobile, c.landline)) for p in plans)
_PLAN_AREA = np.array([int(p.area) for _, _, p in _PLANS], dtype=np.int64)
_PLAN_REST = np.array([p.rest_len for _, _, p in _PLANS], dtype=np.int64)
_PLAN_TEXT = tuple((_C[ci].calling_code, _C[ci].trunk, p.area, p.rest_len, p.groups)
                   for ci, _, p in _PLANS)
_FORMAT_P = np.array(N.PHONE_FORMAT_WEIGHTS) / sum(N.PHONE_FORMAT_WEIGHTS)
_RESERVED = np.array(sorted(int(s) for s in reserved_suffixes(7)), dtype=np.int64)
_FORBIDDEN_EMAILS = frozenset(e.casefold() for s in SAMPLES for e in (s.email, *s.email_spellings))
_FORBIDDEN_NAMES = tuple((s.first_name, s.last_name) for s in SAMPLES)

_CH = {name: i for i, name in enumerate(N.CHANNELS)}
_OUTCOMES = tuple(o for ch in N.CHANNELS for o, _ in N.OUTCOMES[ch])
_OUTCOME_ARR = np.array(_OUTCOMES, dtype=object)


def _outcome_codes(*names: str) -> list[int]:
    """Indexes into _OUTCOMES of every outcome called one of ``names``."""
    return [i for i, o in enumerate(_OUTCOMES) if o in names]

_CHANNEL_ARR = np.array(N.CHANNELS, dtype=object)
_DIRECTION_ARR = np.array(N.DIRECTIONS, dtype=object)
_QUEUE_ID = {name: i + 1 for i, (name, _, _) in enumerate(N.QUEUES)}
_COUNTRY_QUEUE = np.array([_QUEUE_ID[q] for q in (
    "Customer service FI", "Kundtjänst SE", "Kundeservice DK", "Kundenservice DE",
    "Customer service UK", "Service client FR", "Klienditeenindus EE")])
_PHONE_CHANNELS = np.array([True, True, False, False, True, False])  # call voicemail sms


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *stream])


def timestamps(seconds: np.ndarray | Sequence[int]) -> list[str]:
    """Seconds since 2024-01-01 as SQLAlchemy's SQLite datetime text.

    Examples
    --------
    >>> timestamps([0, 86_400 + 3_661])
    ['2024-01-01 00:00:00.000000', '2024-01-02 01:01:01.000000']
    """
    text = np.datetime_as_string(EPOCH + np.asarray(seconds, dtype=np.int64)
                                 .astype("timedelta64[s]"), unit="s")
    return [f"{s[:10]} {s[11:]}.000000" for s in text.tolist()]


def _seconds(text: str) -> int:
    """Seconds since 2024-01-01 of ``YYYY-MM-DD HH:MM[:SS]``."""
    value = np.datetime64(text.replace(" ", "T"), "s") - EPOCH
    return int(value.astype(np.int64))


def _scatter(n: int, positions: np.ndarray, values: Sequence[Any]) -> list[Any]:
    out: list[Any] = [None] * n
    for i, v in zip(positions.tolist(), values, strict=True):
        out[i] = v
    return out


def phone_text(plan: int, rest: int, fmt: int) -> str:
    """One spelling of a number given as numbering plan and subscriber part.

    ``plan`` indexes the flat list of every country's numbering plans, ``fmt``
    :data:`names.PHONE_FORMATS`.

    Examples
    --------
    >>> phone_text(0, 1234567, 0), phone_text(0, 1234567, 6), phone_text(0, 1234567, 5)
    ('+358 40 123 4567', '(040) 1234567', '00358401234567')
    """
    cc, trunk, area, rest_len, groups = _PLAN_TEXT[plan]
    return N.PHONE_FORMATS[fmt](cc, trunk, area, f"{rest:0{rest_len}d}", groups)


# ======================================================================================
# People


@dataclass(frozen=True)
class People:
    """A population: country, name, phone number (plan + subscriber part), e-mail."""

    country: np.ndarray
    first: np.ndarray
    last: np.ndarray
    plan: np.ndarray
    rest: np.ndarray
    email: list[str]

    def __len__(self) -> int:
        return len(self.country)


def _draw_numbers(rng: np.random.Generator, country: np.ndarray,
                 landline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Random (plan, subscriber part) per row, never ending with a sample subject's digits."""
    plan = np.zeros(len(country), dtype=np.int64)
    for ci in range(len(_C)):
        for kind in (0, 1):
            mask = (country == ci) & (landline == bool(kind))
            ids = [i for i, (pc, pk, _) in enumerate(_PLANS) if pc == ci and pk == kind]
            if mask.any():
                w = np.array([_PLANS[i][2].weight for i in ids])
                plan[mask] = rng.choice(ids, size=int(mask.sum()), p=w / w.sum())
    rest = _draw_rest(rng, plan)
    while True:
        tail = (_PLAN_AREA[plan] * 10 ** _PLAN_REST[plan] + rest) % 10**7
        bad = np.isin(tail, _RESERVED)
        if not bad.any():
            return plan, rest
        rest[bad] = _draw_rest(rng, plan[bad])


def _draw_rest(rng: np.random.Generator, plan: np.ndarray) -> np.ndarray:
    return (rng.random(len(plan)) * 10.0 ** _PLAN_REST[plan]).astype(np.int64)


def _draw_people(rng: np.random.Generator, n: int) -> People:
    """``n`` random people; none shares a sample subject's name, e-mail or number suffix."""
    country = rng.choice(len(_C), size=n, p=_COUNTRY_P)
    first = _FIRST_OFF[country] + (rng.random(n) * _FIRST_LEN[country]).astype(np.int64)
    last = _LAST_OFF[country] + (rng.random(n) * _LAST_LEN[country]).astype(np.int64)
    for f_name, l_name in _FORBIDDEN_NAMES:
        for fi in (i for i, x in enumerate(FIRST) if x == f_name):
            for li in (i for i, x in enumerate(LAST) if x == l_name):
                clash = (first == fi) & (last == li)
                ci = country[clash]
                last[clash] = _LAST_OFF[ci] + (li - _LAST_OFF[ci] + 1) % _LAST_LEN[ci]
    plan, rest = _draw_numbers(rng, country, rng.random(n) < 0.12)
    return People(country, first, last, plan, rest, _emails(rng, country, first, last))


def _emails(rng: np.random.Generator, country: np.ndarray, first: np.ndarray,
            last: np.ndarray) -> list[str]:
    n = len(country)
    pattern = rng.choice(N.EMAIL_PATTERNS, size=n, p=[0.4, 0.15, 0.12, 0.13, 0.08, 0.12])
    number = rng.integers(1, 100, n)
    keep = rng.random(n) < 0.03  # some people keep their letters: zoë.müller@...
    domain = rng.integers(0, 1 << 20, n)
    out = []
    for c, f, l_, p, num, k, d in zip(country.tolist(), first.tolist(), last.tolist(),
                                      pattern.tolist(), number.tolist(), keep.tolist(),
                                      domain.tolist(), strict=True):
        doms = _C[c].domains
        address = f"{N.email_local(FIRST[f], LAST[l_], p, num, k)}@{doms[d % len(doms)]}"
        if address.casefold() in _FORBIDDEN_EMAILS:
            address = f"{N.email_local(FIRST[f], LAST[l_], 3, num + 100, k)}@{doms[0]}"
        out.append(address)
    return out


def _display(first: str, last: str, style: int) -> str:
    if style == 1:
        return f"{last}, {first}"
    if style == 2:
        return f"{last.upper()} {first}"
    if style == 3:
        return first
    return f"{first} {last}"


def _nickname(first: str, last: str, style: int) -> str:
    if style == 1:
        return f"{N.ascii_fold(first).lower()}{style * 17 + len(last) * 3}"
    if style == 2:
        return f"{first} {last[0]}."
    if style == 3:
        return f"{first} {last}"
    return first


# ======================================================================================
# Text with placeholders


def _place(country: int, key: int) -> tuple[str, str, str]:
    """(street address, postal code, city) of a person, derived from its key."""
    c = _C[country]
    street = c.streets[key % len(c.streets)]
    number = key % 89 + 1
    address = f"{number} {street}" if c.number_first else f"{street} {number}"
    city, postal = c.cities[(key // 7) % len(c.cities)]
    return address, postal, city


_DATES = tuple(str(d) for d in np.datetime64("2024-01-01") + np.arange(SPAN_DAYS + 400))


def _context(first: str, last: str, agent: str, key: int, phone: str, email: str,
             place: tuple[str, str, str]) -> dict[str, str]:
    return {
        "first": first, "last": last, "agent": agent, "phone": phone, "email": email,
        "order": f"{100000 + (key * 7919) % 900000}",
        "invoice": f"{2024 + key % 3}-{(key * 104729) % 1000000:06d}",
        "amount": f"{(key * 37) % 300 + 9.9:.2f}",
        "date": _DATES[(key * 37) % SPAN_DAYS],
        "street": place[0], "city": place[2],
    }


def _email_body(ctx: Mapping[str, str], greeting: str, topic: str, picks: Sequence[int],
                sign: int, outgoing: bool) -> str:
    if outgoing:
        reply = N.AGENT_REPLIES[picks[0] % len(N.AGENT_REPLIES)].format(**ctx)
        return (f"{greeting} {ctx['first']},\n\n{reply}\n\n{N.SIGN_OFFS[sign]},\n"
                f"{ctx['agent']}\nDemo contact centre")
    pool = N.SENTENCES[topic]
    lines = [pool[p % len(pool)].format(**ctx) for p in picks]
    middle = " ".join(lines[:2]) + ("\n" + "\n".join(lines[2:]) if len(lines) > 2 else "")
    return f"{greeting},\n\n{middle}\n\n{N.SIGN_OFFS[sign]},\n{ctx['first']} {ctx['last']}"


# ======================================================================================
# Sample subjects: fixed rows, independent of ``events`` and ``seed``


@dataclass(frozen=True)
class SampleEvent:
    """One contact event of a sample subject, with everything attached to it."""

    subject: str
    channel: str
    direction: str
    started: int  # seconds since 2024-01-01
    wait: int
    handling: int
    outcome: str
    agent: int | None  # user id
    queue: int
    remote_number: str | None
    remote_address: str | None
    remote_name: str | None
    subject_line: str | None
    body: str | None
    recording: bool
    attachments: tuple[tuple[str, str], ...] = ()  # (file name, extension)
    transcript: tuple[tuple[str, str | None, str], ...] = ()  # (sender, name, message)
    notes: tuple[str, ...] = ()
    call_data: tuple[tuple[str, str], ...] = ()
    script: tuple[tuple[str, str], ...] = ()
    consents: tuple[tuple[str, str, int], ...] = ()  # (phone, consent type, value)
    copied: bool = True  # has a monitoring copy
    monitoring_only: bool = False  # the original is gone from operative


@dataclass(frozen=True)
class SampleCustomer:
    """A campaign customer row of a sample subject, with its fields and calls."""

    campaign: int
    subject: SampleSubject
    phone1: str
    phone2: str | None
    email: str
    status: str
    imported: int
    fields: tuple[tuple[str, str], ...]
    # (agent, start, dialled number, result, talk seconds, recorded)
    calls: tuple[tuple[int, int, str, str, int, bool], ...]


@dataclass(frozen=True)
class SampleEntry:
    """A directory entry of a sample subject."""

    subject: SampleSubject
    phone_mobile: str
    email_work: str
    company: str
    title: str
    department: str
    updated: int


@dataclass(frozen=True)
class SampleRows:
    """Everything the sample subjects contribute to the demo."""

    events: tuple[SampleEvent, ...]
    customers: tuple[SampleCustomer, ...]
    entries: tuple[SampleEntry, ...]


_SAMPLE_PLACES: dict[str, tuple[str, str, str]] = {
    "aino": ("Mannerheimintie 5 A 12", "00100", "Helsinki"),
    "soren": ("Østergade 14, 2. tv", "1050", "København K"),
    "zoe": ("Schloßallee 7", "80331", "München"),
    "aino_namesake": ("Hämeenkatu 22 B 5", "33100", "Tampere"),
    "neighbour": ("Koulukatu 3", "90100", "Oulu"),
    "switchboard": ("Aleksanterinkatu 1", "00100", "Helsinki"),
}
_SAMPLE_JOBS: dict[str, tuple[str, str, str]] = {
    "aino": ("Esimerkki Oy", "Purchasing Manager", "Purchasing"),
    "soren": ("Eksempel A/S", "Sales Director", "Sales"),
    "zoe": ("Beispiel GmbH", "Project Manager", "Projects"),
    "aino_namesake": ("Pohjolan Kauppa Oy", "Accountant", "Finance"),
}
# Mixes channels so that even two or three events hold a phone and an e-mail row.
_SAMPLE_PATTERN = ("call", "email", "voicemail", "chat", "sms", "call", "email", "call", "chat",
                   "sms", "messenger", "call")
_XSS_BODY = ('Hello,\n\nplease see my order below.\n<img src=x onerror="window.__xss=1">\n'
             '<script>window.__xss=2</script>\n\nBest regards,\nAino')


class _Cycle:
    """Hands out a subject's spellings in turn, so that each one gets used."""

    def __init__(self, values: Sequence[str]):
        self._values, self._next = tuple(values), 0

    def __call__(self) -> str:
        value = self._values[self._next % len(self._values)]
        self._next += 1
        return value


def sample_rows() -> SampleRows:
    """The rows of every sample subject (the same in every build).

    Examples
    --------
    >>> rows = sample_rows()
    >>> sum(not e.monitoring_only for e in rows.events)
    1141
    """
    events: list[SampleEvent] = []
    customers: list[SampleCustomer] = []
    entries: list[SampleEntry] = []
    for number, subject in enumerate(SAMPLES):
        phones, emails = _Cycle(subject.spellings), _Cycle(subject.email_spellings)
        mine = _subject_events(number, subject, phones, emails)
        events += _with_consents(number, subject, mine, phones)
        customers += _subject_customers(number, subject, phones, emails)
        if subject.directory_entry:
            company, title, department = _SAMPLE_JOBS.get(subject.key, _SAMPLE_JOBS["aino"])
            entries.append(SampleEntry(subject, phones(), emails(), company, title, department,
                                       _seconds("2025-02-03 10:00") + number * 86_400 * 40))
    return SampleRows(tuple(events), tuple(customers), tuple(entries))


def _subject_channels(subject: SampleSubject) -> list[str]:
    n = subject.contact_events
    if subject.key != "switchboard":
        return [_SAMPLE_PATTERN[i % len(_SAMPLE_PATTERN)] for i in range(n)]
    # A switchboard mostly calls; a few SMS, voicemails and e-mails.
    return ["email" if i % 50 == 7 else "sms" if i % 25 == 3 else
            "voicemail" if i % 100 == 11 else "call" for i in range(n)]


def _subject_times(number: int, n: int) -> list[int]:
    rng = np.random.default_rng([FIXED_STREAM, number])
    frac = (np.arange(n) + 0.2 + 0.6 * rng.random(n)) / n
    days = (frac * (SPAN_DAYS - 1)).astype(np.int64)
    secs = rng.integers(8 * 3600, 18 * 3600, n)
    return (days * DAY + secs).tolist()


def _subject_events(number: int, subject: SampleSubject, phones: _Cycle,
                    emails: _Cycle) -> list[SampleEvent]:
    channels = _subject_channels(subject)
    n_only = subject.monitoring_only_events
    total = len(channels) + n_only
    only_at = {int((j + 0.5) * total / n_only) for j in range(n_only)} if n_only else set()
    times = _subject_times(number, total)
    place = _SAMPLE_PLACES[subject.key]
    out: list[SampleEvent] = []
    operative = [i for i in range(total) if i not in only_at]
    counters = {"call": 0, "email": 0}
    for k, i in enumerate(operative):
        out.append(_subject_event(number, subject, channels[k], k, times[i], phones, emails,
                                  place, counters))
    for i in sorted(only_at):  # rows whose originals were deleted from operative
        agent = 3 + (number * 5 + i) % 20
        out.append(SampleEvent(subject.key, "call", "in", times[i], 12, 95, "answered", agent,
                               int(_COUNTRY_QUEUE[0]), phones(), None, None, None, None, False,
                               copied=True, monitoring_only=True))
    return out


def _subject_event(number: int, subject: SampleSubject, channel: str, k: int, start: int,
                   phones: _Cycle, emails: _Cycle, place: tuple[str, str, str],
                   counters: dict[str, int]) -> SampleEvent:
    agent = 3 + (number * 7 + k * 3) % 20
    agent_name = _fixed_agents()[agent - 3][1]
    country = N.COUNTRY_CODES.index(subject.country)
    queue = int(_COUNTRY_QUEUE[country])
    ctx = _context(subject.first_name, subject.last_name, agent_name, 1000 * number + k,
                   subject.spellings[0], subject.email_spellings[0], place)
    copied = k % 4 != 3
    full = f"{subject.first_name} {subject.last_name}"
    common = {"subject": subject.key, "started": start, "agent": agent, "copied": copied}
    if channel in ("call", "voicemail"):
        calls = counters["call"]
        counters["call"] += channel == "call"
        record = channel == "voicemail" or subject.key != "switchboard" or calls < 3
        if channel == "voicemail":
            return SampleEvent(**common | {"agent": None}, channel="voicemail", direction="in",
                               wait=0, handling=20 + k % 30, outcome="voicemail_left",
                               queue=_QUEUE_ID["Voicemail"], remote_number=phones(),
                               remote_address=None, remote_name=None, subject_line=None,
                               body=None, recording=True)
        return SampleEvent(
            **common, channel="call", direction="out" if k % 5 == 4 else "in", wait=8 + k % 40,
            handling=60 + (k * 37) % 600, outcome="answered", queue=queue,
            remote_number=phones(), remote_address=None,
            remote_name=full.upper() if k % 3 == 0 and subject.key != "switchboard" else None,
            subject_line=None, body=None, recording=record,
            notes=(N.NOTES[k % len(N.NOTES)].format(**ctx),) if k % 2 == 0 else (),
            call_data=(("customer_number", f"C-{900001 + number}"),
                       ("callback_number", subject.spellings[-1]),
                       ("order_id", ctx["order"])),
            script=(("Reason for contact", f"Order {ctx['order']} missing"),) if k < 2 else ())
    if channel == "email":
        nth = counters["email"]
        counters["email"] += 1
        topic = N.TOPICS[(number + nth) % len(N.TOPICS)]
        xss = subject.key == "aino" and nth == 1
        line = "<b>Re: order</b>" if xss else N.SUBJECTS[topic][0].format(**ctx)
        body = _XSS_BODY if xss else _email_body(
            ctx, _C[country].greeting, topic, (0, 1, 3), nth % len(N.SIGN_OFFS), False)
        attach = ((f"invoice_{ctx['invoice']}.pdf", "pdf"), ("damage_photo.png", "png")) \
            if nth == 0 else ((f"order_{ctx['order']}.csv", "csv"),) if nth == 1 else ()
        if subject.key == "switchboard":
            attach = ()
        return SampleEvent(**common, channel="email", direction="in", wait=3600 + k * 60,
                           handling=240, outcome="replied", queue=_QUEUE_ID["E-mail service"],
                           remote_number=None, remote_address=emails(), remote_name=full,
                           subject_line=line, body=body, recording=False, attachments=attach)
    if channel == "chat":
        address = emails()
        script = (("system", None, "Chat started"),
                  ("customer", subject.first_name, f"Hi, it's {full} here."),
                  ("agent", agent_name, N.CHAT_AGENT[0].format(**ctx)),
                  ("customer", subject.first_name,
                   f"My number is {subject.spellings[0]} and e-mail {address}."),
                  ("agent", agent_name, N.CHAT_AGENT[6].format(**ctx)))
        return SampleEvent(**common, channel="chat", direction="in", wait=25, handling=300,
                           outcome="completed", queue=_QUEUE_ID["Web chat"], remote_number=None,
                           remote_address=address, remote_name=subject.first_name,
                           subject_line="Chat: order question", body=None, recording=False,
                           transcript=script)
    # sms / messenger: the number in the subject's next spelling
    number_text = phones()
    script = (("customer", number_text if channel == "sms" else subject.first_name,
               f"Hello, this is {subject.first_name}. Please call me back."),
              ("agent", agent_name, N.CHAT_AGENT[7].format(**ctx)),
              ("customer", number_text if channel == "sms" else subject.first_name,
               f"Yes, or e-mail {subject.email_spellings[0]}"))
    return SampleEvent(**common, channel=channel, direction="in", wait=120, handling=90,
                       outcome="replied" if channel == "sms" else "completed",
                       queue=_QUEUE_ID["SMS service" if channel == "sms" else "Messenger"],
                       remote_number=number_text, remote_address=None,
                       remote_name=None if channel == "sms" else subject.first_name,
                       subject_line=None, body=None, recording=False, transcript=script)


def _with_consents(number: int, subject: SampleSubject, mine: list[SampleEvent],
                   phones: _Cycle) -> list[SampleEvent]:
    """Attach the subject's consents to its first phone events."""
    out, given = [], 0
    kinds = ("recording", "marketing", "survey")
    for event in mine:
        if given < subject.consents and not event.monitoring_only and event.remote_number:
            consent = (phones(), kinds[given % 3], (given + number + 1) % 2)
            event = SampleEvent(**{**event.__dict__, "consents": (consent,)})
            given += 1
        out.append(event)
    if given < subject.consents:
        raise RuntimeError(f"sample subject {subject.key} has too few phone events for its "
                           "consents; fix samples.py")
    return out


def _subject_customers(number: int, subject: SampleSubject, phones: _Cycle,
                       emails: _Cycle) -> list[SampleCustomer]:
    out = []
    place = _SAMPLE_PLACES[subject.key]
    for i in range(subject.campaign_customers):
        campaign = 1 + (number * 2 + i * 3) % len(N.CAMPAIGNS)
        created = _seconds(N.CAMPAIGNS[campaign - 1][2] + " 09:00")
        phone1, email = phones(), emails()
        phone2 = phones() if i % 2 == 1 else None
        fields = (("contract_id", f"K-2025-{4711 + number * 10 + i:05d}"),
                  ("alt_email", emails()),
                  ("address", f"{place[0]}, {place[1]} {place[2]}"),
                  ("comment", f"Call the mobile {subject.spellings[0]}"))[: 2 + (i + number) % 3]
        agent = 3 + (number + i) % 20
        calls = ((agent, created + 5 * DAY + 3600, phone1, "no_answer", 0, False),
                 (agent, created + 9 * DAY + 7200, phones(), "answered", 180 + 20 * i, True))
        out.append(SampleCustomer(campaign, subject, phone1, phone2, email, "completed",
                                  created + DAY, fields, calls))
    return out


# ======================================================================================
# Agents and the configuration database


@dataclass(frozen=True)
class Agent:
    """A user of the contact centre."""

    id: int
    display_name: str
    username: str


@functools.lru_cache(maxsize=8)
def _fixed_agents(count: int = 20) -> list[tuple[int, str, str]]:
    """(id, display name, user name) of the first ``count`` agents, independent of the seed."""
    blocks = [_rng(FIXED_STREAM, _S_AGENTS, b) for b in range((count + 19) // 20)]
    country = np.concatenate([r.choice(len(_C), size=20, p=[0.6, 0.1, 0.05, 0.1, 0.1, 0.03, 0.02])
                              for r in blocks])[:count]
    u = np.concatenate([r.random((2, 20)) for r in blocks], axis=1)[:, :count]
    first = _FIRST_OFF[country] + (u[0] * _FIRST_LEN[country]).astype(np.int64)
    last = _LAST_OFF[country] + (u[1] * _LAST_LEN[country]).astype(np.int64)
    out, seen = [], set(DEMO_PASSWORDS)
    for i, (f, l_) in enumerate(zip(first.tolist(), last.tolist(), strict=True)):
        if (FIRST[f], LAST[l_]) in _FORBIDDEN_NAMES:
            l_ = _LAST_OFF[country[i]] + (l_ - _LAST_OFF[country[i]] + 1) % _LAST_LEN[country[i]]
        base = f"{N.ascii_fold(FIRST[f])}.{N.ascii_fold(LAST[l_])}".lower()
        user, k = base, 1
        while user in seen:
            k += 1
            user = f"{base}{k}"
        seen.add(user)
        out.append((3 + i, f"{FIRST[f]} {LAST[l_]}", user))
    return out


def _agents(events: int) -> list[Agent]:
    count = max(20, events // 2000)
    return [Agent(i, name, user) for i, name, user in _fixed_agents(count)]


def _load_configuration(sink: Sink, plan: Plan, report: Progress) -> None:
    report("configuration", 0, 3)
    sink.insert("queues", ["id", "name", "channel", "phone_number"],
                [(i + 1, name, ch, phone) for i, (name, ch, phone) in enumerate(N.QUEUES)])
    hashes = {pw: hash_password(pw) for pw in sorted(set(DEMO_PASSWORDS.values()))}
    users: list[Row] = [
        (1, "dpo", "Demo DPO", "dpo@contactcentre.example.com", hashes["dpo-demo"], 1,
         "2023-11-01 09:00:00.000000"),
        (2, "agent", "Demo Agent", "agent@contactcentre.example.com", hashes["agent-demo"], 1,
         "2023-11-01 09:00:00.000000"),
    ]
    created = timestamps([-DAY * (400 - (a.id * 13) % 380) for a in plan.agents])
    users += [(a.id, a.username, a.display_name, f"{a.username}@contactcentre.example.com",
               hashes["agent-demo"], int(a.id % 17 != 0), c)
              for a, c in zip(plan.agents, created, strict=True)]
    report("configuration", 1, 3)
    sink.insert("users", ["id", "username", "display_name", "email", "password_hash", "active",
                          "created_at"], users)
    rights: list[tuple[int, str, str]] = [(1, "DPO", "Use"), (2, "Reporting", "Use"),
                                          (2, "Agent Desktop", "Use")]
    for a in plan.agents:
        rights.append((a.id, "Agent Desktop", "Use"))
        if a.id % 10 == 0:
            rights.append((a.id, "Reporting", "Use"))
    rights.append((plan.agents[0].id, "Administration", "Admin"))
    sink.insert("user_rights", ["id", "user_id", "module", "permission"],
                [(i + 1, *r) for i, r in enumerate(rights)])
    report("configuration", 3, 3)


# ======================================================================================
# The plan: who exists and which random contact events happen when


@dataclass(frozen=True)
class Events:
    """Per random event (including monitoring-only "orphans") its drawn attributes."""

    t: np.ndarray
    ch: np.ndarray
    direction: np.ndarray
    person: np.ndarray
    queue: np.ndarray
    agent: np.ndarray  # user id, 0 for none
    wait: np.ndarray
    handling: np.ndarray
    outcome: np.ndarray  # index into _OUTCOMES
    fmt: np.ndarray
    junk: np.ndarray
    case: np.ndarray
    named: np.ndarray
    contact: np.ndarray  # chat: left an e-mail address; messenger: shows a number
    topic: np.ndarray
    recorded: np.ndarray
    attachments: np.ndarray  # number of attachment files
    consent: np.ndarray
    orphan: np.ndarray  # only in monitoring: the original was deleted
    monitored: np.ndarray  # has a monitoring copy (or is an orphan)


@dataclass(frozen=True)
class Plan:
    """Everything drawn before rows are written."""

    seed: int
    events: int
    max_files: int
    people: People
    contact_people: int  # people[:contact_people] contact the centre
    agents: list[Agent]
    random: Events
    samples: SampleRows
    order: np.ndarray  # slot codes in time order: < len(random.t) random, else sample index

    @property
    def slots(self) -> int:
        return len(self.order)

    @property
    def operative_events(self) -> int:
        return int((~self.random.orphan).sum()) + sum(
            not e.monitoring_only for e in self.samples.events)


#: Below this many events the sample subjects do not leave room for 200 random ones.
MIN_EXACT_EVENTS = 1_141 + 200


def _make_plan(events: int, seed: int, max_files: int) -> Plan:
    samples = sample_rows()
    in_operative = sum(not e.monitoring_only for e in samples.events)
    n_random = max(events - in_operative, min(events, 200))
    n_orphans = max(3, n_random // 2000)
    n_people = max(50, n_random // 8)
    extra = max(200, events // 40) + events // 10
    people = _draw_people(_rng(seed, _S_PEOPLE), n_people + extra)
    agents = _agents(events)
    rnd = _draw_events(_rng(seed, _S_EVENTS), n_random, n_orphans, n_people, agents,
                       people, max_files, events // 20)
    sample_t = np.array([e.started for e in samples.events], dtype=np.int64)
    order = np.argsort(np.concatenate([rnd.t, sample_t]), kind="stable")
    return Plan(seed, events, max_files, people, n_people, agents, rnd, samples, order)


def _draw_times(rng: np.random.Generator, n: int) -> np.ndarray:
    day = np.arange(SPAN_DAYS)
    weekday = day % 7  # 2024-01-01 was a Monday
    w = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.35, 0.2)) * (1 + 0.6 * day / SPAN_DAYS)
    hours = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 2, 5, 7, 7, 6, 5, 6, 6, 5, 4, 3, 2, 1.5,
                      1.2, 1, 0.6, 0.3])
    days = rng.choice(SPAN_DAYS, size=n, p=w / w.sum())
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    return np.sort(days * DAY + hour * 3600 + rng.integers(0, 3600, n))


def _by_channel(rng: np.random.Generator, ch: np.ndarray,
                table: Mapping[str, Sequence[float]]) -> np.ndarray:
    out = np.zeros(len(ch), dtype=np.int64)
    for name, probs in table.items():
        mask = ch == _CH[name]
        p = np.asarray(probs, dtype=float)
        out[mask] = rng.choice(len(p), size=int(mask.sum()), p=p / p.sum())
    return out


def _draw_events(rng: np.random.Generator, n_random: int, n_orphans: int, n_people: int,
                 agents: list[Agent], people: People, max_files: int,
                 consent_target: int) -> Events:
    n = n_random + n_orphans
    t = _draw_times(rng, n)
    ch = rng.choice(len(N.CHANNELS), size=n, p=np.array(N.CHANNEL_WEIGHTS) / sum(N.CHANNEL_WEIGHTS))
    direction = _by_channel(rng, ch, {"call": (0.7, 0.25, 0.05), "voicemail": (1, 0, 0),
                                      "email": (0.8, 0.2, 0), "chat": (1, 0, 0),
                                      "sms": (0.6, 0.4, 0), "messenger": (1, 0, 0)})
    # A few people contact the centre often, most once or twice.
    weight = rng.lognormal(0.0, 1.2, n_people)
    person = rng.choice(n_people, size=n, p=weight / weight.sum())
    outcome = np.zeros(n, dtype=np.int64)
    offset = 0
    for name in N.CHANNELS:
        probs = np.array([p for _, p in N.OUTCOMES[name]])
        mask = ch == _CH[name]
        outcome[mask] = offset + rng.choice(len(probs), size=int(mask.sum()), p=probs / probs.sum())
        offset += len(probs)
    out_call = (ch == _CH["call"]) & (direction == 1)
    outcome[out_call & np.isin(outcome, _outcome_codes("abandoned", "transferred"))] = \
        _OUTCOMES.index("no_answer")
    unhandled = np.isin(outcome, _outcome_codes(*N.UNHANDLED))
    agent_ids = np.array([a.id for a in agents])
    agent = np.where(unhandled, 0, agent_ids[rng.integers(0, len(agent_ids), n)])
    wait, handling = _durations(rng, ch, direction, outcome)
    orphan = np.zeros(n, dtype=bool)
    cutoff = t[int(0.4 * n)] if n else 0
    monitored = t >= cutoff
    orphan[rng.choice(np.flatnonzero(monitored), size=n_orphans, replace=False)] = True
    fmt = rng.choice(len(N.PHONE_FORMATS), size=n, p=_FORMAT_P)
    junk = rng.random(n) < 0.03
    internal = direction == 2
    recorded = _cap(rng, ~orphan & (((ch == _CH["call"]) & ~internal
                                     & np.isin(outcome, _outcome_codes("answered", "transferred"))
                                     & (rng.random(n) < 0.85)) | (ch == _CH["voicemail"])),
                    max_files - max_files // 10)
    attachments = _cap_counts(rng, np.where(~orphan & (ch == _CH["email"]) & (direction == 0)
                                            & (rng.random(n) < 0.4),
                                            1 + (rng.random(n) < 0.3), 0), max_files)
    eligible = ~orphan & ~junk & ~internal & _PHONE_CHANNELS[ch]
    consent = _cap(rng, eligible, consent_target)
    # Narrow types keep ten million events in a few hundred megabytes.
    return Events(
        t=t, ch=ch.astype(np.int8), direction=direction.astype(np.int8),
        person=person.astype(np.int32),
        queue=_queues(rng, ch, direction, people.country[person]).astype(np.int16),
        agent=agent.astype(np.int32), wait=wait.astype(np.int32),
        handling=handling.astype(np.int32), outcome=outcome.astype(np.int8),
        fmt=fmt.astype(np.int8), junk=junk,
        case=rng.choice(4, size=n, p=[0.7, 0.12, 0.1, 0.08]).astype(np.int8),
        named=_by_channel(rng, ch, {"call": (0.85, 0.15), "email": (0.1, 0.9),
                                    "chat": (0, 1), "messenger": (0, 1),
                                    "voicemail": (1, 0), "sms": (1, 0)}).astype(bool),
        contact=rng.random(n) < np.where(ch == _CH["chat"], 0.7, 0.5),
        topic=rng.integers(0, len(N.TOPICS), n, dtype=np.int8), recorded=recorded,
        attachments=attachments.astype(np.int8),
        consent=consent, orphan=orphan, monitored=monitored)


def _durations(rng: np.random.Generator, ch: np.ndarray, direction: np.ndarray,
               outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(ch)
    mean_wait = np.array([45, 0, 6 * 3600, 30, 600, 300])[ch]
    wait = np.where(direction == 0, rng.exponential(1.0, n) * mean_wait, 0).astype(np.int64)
    low = np.array([30, 10, 60, 120, 20, 60])[ch]
    handling = (low + rng.lognormal(5.0, 0.8, n) * np.array([1.2, 0.1, 1, 1.5, 0.2, 1])[ch])
    idle = np.isin(outcome, _outcome_codes("abandoned", "no_answer", "busy", "no_reply"))
    return wait, np.where(idle, 0, handling).astype(np.int64)


def _queues(rng: np.random.Generator, ch: np.ndarray, direction: np.ndarray,
            country: np.ndarray) -> np.ndarray:
    n = len(ch)
    call = np.where(rng.random(n) < 0.75, _COUNTRY_QUEUE[country],
                    np.where(rng.random(n) < 0.5, _QUEUE_ID["Billing"],
                             _QUEUE_ID["Technical support"]))
    call = np.where(direction == 1, _QUEUE_ID["Sales outbound"], call)
    email = np.where(rng.random(n) < 0.8, _QUEUE_ID["E-mail service"], _QUEUE_ID["E-mail billing"])
    queue = np.where(ch == _CH["call"], call, email)
    for channel, name in (("voicemail", "Voicemail"), ("chat", "Web chat"),
                          ("sms", "SMS service"), ("messenger", "Messenger")):
        queue[ch == _CH[channel]] = _QUEUE_ID[name]
    return queue


def _cap(rng: np.random.Generator, candidates: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of the ``candidates`` (chosen at random) stay True."""
    idx = np.flatnonzero(candidates)
    out = np.zeros(len(candidates), dtype=bool)
    out[rng.choice(idx, size=min(limit, len(idx)), replace=False) if len(idx) else idx] = True
    return out


def _cap_counts(rng: np.random.Generator, counts: np.ndarray, limit: int) -> np.ndarray:
    """Keep whole rows of ``counts`` (in random order) while their sum stays within ``limit``."""
    idx = rng.permutation(np.flatnonzero(counts))
    keep = idx[np.cumsum(counts[idx]) <= limit]
    out = np.zeros(len(counts), dtype=np.int64)
    out[keep] = counts[keep]
    return out


# ======================================================================================
# Contact events: operative and monitoring, streamed in blocks

CONTACT_COLUMNS: tuple[str, ...] = (
    "id", "channel", "direction", "queue_id", "agent_id", "started_at", "ended_at",
    "wait_seconds", "handling_seconds", "outcome", "remote_number", "remote_address",
    "remote_name", "subject", "body", "recording_file")
SHARED = 14  # the first columns are shared by the monitoring copy
CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "email_attachments": ("id", "contact_id", "file_name", "content_type", "size_bytes",
                          "storage_path"),
    "transcript_messages": ("id", "contact_id", "seq", "sent_at", "sender", "sender_name",
                            "message"),
    "contact_notes": ("id", "contact_id", "author_id", "created_at", "note_text"),
    "call_data": ("id", "contact_id", "data_key", "data_value"),
    "script_answers": ("id", "contact_id", "question", "answer_text"),
    "customer_consents": ("id", "phone_number", "consent_type", "given_at", "consent_value",
                          "contact_id"),
}


class _Children:
    """Child rows of one block, numbered on from the previous blocks."""

    def __init__(self, next_ids: dict[str, int]):
        self.next_ids = next_ids
        self.rows: dict[str, list[Row]] = {name: [] for name in CHILD_COLUMNS}

    def add(self, table: str, *values: Any) -> int:
        row_id = self.next_ids[table]
        self.next_ids[table] = row_id + 1
        self.rows[table].append((row_id, *values))
        return row_id


def _load_contacts(operative: Sink, monitoring: Sink, plan: Plan, files: Path,
                   report: Progress) -> None:
    next_ids = dict.fromkeys(CHILD_COLUMNS, 1)
    agents = {a.id: a.display_name for a in plan.agents}
    done = 0
    for lo in range(0, plan.slots, BLOCK):
        hi = min(lo + BLOCK, plan.slots)
        children = _Children(next_ids)
        rows, mon = _contact_block(plan, lo, hi, agents, children, files)
        operative.insert("contact_events", CONTACT_COLUMNS, rows)
        for table, columns in CHILD_COLUMNS.items():
            operative.insert(table, columns, children.rows[table])
        monitoring.insert("contact_events", CONTACT_COLUMNS[:SHARED], mon)
        done += len(rows)
        report("operative: contact events", done, plan.operative_events)


def _contact_block(plan: Plan, lo: int, hi: int, agents: Mapping[int, str],
                   children: _Children, files: Path) -> tuple[list[Row], list[Row]]:
    slots = plan.order[lo:hi]
    ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
    n_random = len(plan.random.t)
    rpos = np.flatnonzero(slots < n_random)
    rng = _rng(plan.seed, _S_BLOCK, lo)
    rows, mon = _random_rows(plan, slots[rpos], ids[rpos], agents, children, files, rng)
    for pos in np.flatnonzero(slots >= n_random).tolist():
        event = plan.samples.events[int(slots[pos]) - n_random]
        row = _sample_row(event, int(ids[pos]), agents, children, files)
        if not event.monitoring_only:
            rows.append(row)
        if event.copied or event.monitoring_only:
            mon.append(row[:SHARED])
    return rows, mon


def _random_rows(plan: Plan, idx: np.ndarray, ids: np.ndarray, agents: Mapping[int, str],
                 children: _Children, files: Path,
                 rng: np.random.Generator) -> tuple[list[Row], list[Row]]:
    ev = plan.random
    n = len(idx)
    ch = ev.ch[idx]
    started = timestamps(ev.t[idx])
    ended = timestamps(ev.t[idx] + ev.wait[idx] + ev.handling[idx])
    texts = _event_texts(plan, idx, ids, agents, rng)
    recorded = np.flatnonzero(ev.recorded[idx])
    recording = _scatter(n, recorded, [f"{started[i][:4]}/{started[i][5:7]}/{ids[i]}.wav"
                                       for i in recorded.tolist()])
    for i in recorded.tolist():
        write_file(files / "recordings", recording[i], wav_bytes(int(ids[i])))
    agent = [a or None for a in ev.agent[idx].tolist()]
    rows = list(zip(ids.tolist(), _CHANNEL_ARR[ch].tolist(),
                    _DIRECTION_ARR[ev.direction[idx]].tolist(), ev.queue[idx].tolist(), agent,
                    started, ended, ev.wait[idx].tolist(), ev.handling[idx].tolist(),
                    _OUTCOME_ARR[ev.outcome[idx]].tolist(), texts["number"], texts["address"],
                    texts["name"], texts["subject"], texts["body"], recording, strict=True))
    keep = ~ev.orphan[idx]
    mon = [r[:SHARED] for r, m in zip(rows, ev.monitored[idx].tolist(), strict=True) if m]
    rows = [r for r, k in zip(rows, keep.tolist(), strict=True) if k]
    kept = keep.tolist()
    started_kept = [s for s, k in zip(started, kept, strict=True) if k]
    ctx_kept = [c for c, k in zip(texts["ctx"], kept, strict=True) if k]
    _random_children(plan, idx[keep], ids[keep], started_kept, ctx_kept, children, files, rng)
    return rows, mon


def _event_texts(plan: Plan, idx: np.ndarray, ids: np.ndarray, agents: Mapping[int, str],
                 rng: np.random.Generator) -> dict[str, list[Any]]:
    """remote_number/address/name, subject and body of random events, and their contexts."""
    ev, people = plan.random, plan.people
    n = len(idx)
    ch, person, direction = ev.ch[idx], ev.person[idx], ev.direction[idx]
    plan_, rest = people.plan[person], people.rest[person]
    numbers: list[str | None] = [None] * n
    phone_rows = np.flatnonzero(_PHONE_CHANNELS[ch] | ((ch == _CH["messenger"]) & ev.contact[idx]))
    for i, p, r, f in zip(phone_rows.tolist(), plan_[phone_rows].tolist(),
                          rest[phone_rows].tolist(), ev.fmt[idx][phone_rows].tolist(), strict=True):
        numbers[i] = phone_text(p, r, f)
    junk = np.flatnonzero(ev.junk[idx] & _PHONE_CHANNELS[ch])
    for i, j in zip(junk.tolist(), rng.integers(0, len(N.JUNK_NUMBERS), len(junk)).tolist(),
                    strict=True):
        numbers[i] = N.JUNK_NUMBERS[j]
    for i in np.flatnonzero(direction == 2).tolist():  # internal calls show an extension
        numbers[i] = str(2000 + (int(ids[i]) * 37) % 800)
    address: list[str | None] = [None] * n
    mail_rows = np.flatnonzero((ch == _CH["email"]) | ((ch == _CH["chat"]) & ev.contact[idx]))
    for i, p, c in zip(mail_rows.tolist(), person[mail_rows].tolist(),
                       ev.case[idx][mail_rows].tolist(), strict=True):
        address[i] = N.email_case(people.email[p], c)
    first = [FIRST[f] for f in people.first[person].tolist()]
    last = [LAST[x] for x in people.last[person].tolist()]
    name: list[str | None] = [None] * n
    styles = rng.integers(0, 4, n).tolist()
    for i in np.flatnonzero(ev.named[idx]).tolist():
        c = int(ch[i])
        if c in (_CH["chat"], _CH["messenger"]):
            name[i] = _nickname(first[i], last[i], styles[i])
        elif c == _CH["call"]:  # the caller name the operator network sends
            name[i] = f"{last[i].upper()} {first[i].upper()}"
        else:
            name[i] = _display(first[i], last[i], styles[i])
    for i in np.flatnonzero(direction == 2).tolist():  # internal calls: a colleague
        name[i] = agents.get(3 + int(ids[i]) % len(agents))
    ctx = _contexts(plan, idx, ids, person, first, last, agents)
    subject, body = _subjects_and_bodies(plan, idx, ch, direction, ctx, rng)
    return {"number": numbers, "address": address, "name": name, "subject": subject,
            "body": body, "ctx": ctx}


def _contexts(plan: Plan, idx: np.ndarray, ids: np.ndarray, person: np.ndarray,
              first: list[str], last: list[str],
              agents: Mapping[int, str]) -> list[dict[str, str]]:
    """Placeholder values of the texts of each event ({first}, {order}, {phone}...)."""
    ev, people = plan.random, plan.people
    fmts = ((ev.fmt[idx] + 3) % len(N.PHONE_FORMATS)).tolist()
    return [_context(f, la, agents.get(a, "the agent"), i, phone_text(pl, r, fm),
                     people.email[p], _place(c, p))
            for f, la, a, i, pl, r, fm, p, c in zip(
                first, last, ev.agent[idx].tolist(), ids.tolist(),
                people.plan[person].tolist(), people.rest[person].tolist(), fmts,
                person.tolist(), people.country[person].tolist(), strict=True)]


def _subjects_and_bodies(plan: Plan, idx: np.ndarray, ch: np.ndarray, direction: np.ndarray,
                         ctx: list[dict[str, str]],
                         rng: np.random.Generator) -> tuple[list[str | None], list[str | None]]:
    ev, people = plan.random, plan.people
    n = len(idx)
    subject: list[str | None] = [None] * n
    body: list[str | None] = [None] * n
    picks = rng.integers(0, 4, (n, 3))
    sign = rng.integers(0, len(N.SIGN_OFFS), n)
    for i in np.flatnonzero(ch == _CH["email"]).tolist():
        topic = N.TOPICS[int(ev.topic[idx[i]])]
        c = ctx[i]
        line = N.SUBJECTS[topic][int(picks[i, 0]) % 3].format(**c)
        outgoing = bool(direction[i] == 1)
        subject[i] = f"Re: {line}" if outgoing else line
        greeting = _C[int(people.country[ev.person[idx[i]]])].greeting
        count = 2 + int(picks[i, 2]) % 2
        body[i] = _email_body(c, greeting, topic, sorted(set(picks[i, :count].tolist())) or [0],
                              int(sign[i]), outgoing)
    chats = np.flatnonzero((ch == _CH["chat"]) & (picks[:, 1] < 2))
    for i in chats.tolist():
        subject[i] = f"Chat: {N.TOPICS[int(ev.topic[idx[i]])]}"
    return subject, body


def _random_children(plan: Plan, idx: np.ndarray, ids: np.ndarray, started: list[str],
                     ctx: list[dict[str, str]], children: _Children, files: Path,
                     rng: np.random.Generator) -> None:
    ev = plan.random
    _attachments(plan, idx, ids, started, ctx, children, files)
    _transcripts(plan, idx, ids, ctx, children, rng)
    _notes_and_data(plan, idx, ids, ctx, children, rng)
    rows = np.flatnonzero(ev.consent[idx])
    given = timestamps(ev.t[idx[rows]] + ev.wait[idx[rows]] + 5 + rows % 40)
    for i, when in zip(rows.tolist(), given, strict=True):
        p = int(ev.person[idx[i]])
        # The consent system stores the number its own way, not as the switch saw it.
        phone = phone_text(int(plan.people.plan[p]), int(plan.people.rest[p]),
                           (int(ev.fmt[idx[i]]) + i) % len(N.PHONE_FORMATS))
        kind = ("recording", "recording", "marketing", "survey")[int(ids[i]) % 4]
        children.add("customer_consents", phone, kind, when, int(ids[i] % 10 < 7), int(ids[i]))


_ATTACH_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "invoice": (("invoice_{invoice}.pdf", "pdf"), ("payment_receipt.pdf", "pdf")),
    "delivery": (("order_{order}.csv", "csv"), ("tracking_screenshot.png", "png")),
    "address": (("moving_notice.txt", "txt"), ("lease_agreement.pdf", "pdf")),
    "cancel": (("cancellation.pdf", "pdf"), ("notes.txt", "txt")),
    "complaint": (("damage_{order}.png", "png"), ("order_{order}.csv", "csv")),
    "appointment": (("directions.txt", "txt"), ("floor_plan.png", "png")),
    "login": (("error_message.png", "png"), ("browser_log.txt", "txt")),
    "product": (("offer_request.pdf", "pdf"), ("current_contract.pdf", "pdf")),
}


def _attachments(plan: Plan, idx: np.ndarray, ids: np.ndarray, started: list[str],
                 ctx: list[dict[str, str]], children: _Children, files: Path) -> None:
    ev = plan.random
    for i in np.flatnonzero(ev.attachments[idx]).tolist():
        c = ctx[i]
        kinds = _ATTACH_KINDS[N.TOPICS[int(ev.topic[idx[i]])]]
        for j in range(int(ev.attachments[idx[i]])):
            pattern, ext = kinds[j]
            _add_attachment(children, files, int(ids[i]), started[i], pattern.format(**c), ext,
                            c)


def _add_attachment(children: _Children, files: Path, contact_id: int, started: str,
                    file_name: str, ext: str, ctx: Mapping[str, str]) -> None:
    att_id = children.next_ids["email_attachments"]
    path = f"{started[:4]}/{started[5:7]}/{att_id}.{ext}"
    lines = [f"Customer: {ctx['first']} {ctx['last']}", f"Order: {ctx['order']}",
             f"Invoice: {ctx['invoice']}", f"Amount: {ctx['amount']} EUR",
             f"Address: {ctx['street']}, {ctx['city']}"]
    size = write_file(files / "attachments", path,
                      attachment_bytes(ext, att_id, file_name.rsplit(".", 1)[0], lines))
    children.add("email_attachments", contact_id, file_name, ATTACHMENT_TYPES[ext], size, path)


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sums of ``values`` restarting at every group of ``counts`` rows."""
    total = np.cumsum(values)
    starts = (np.cumsum(counts) - counts)[counts > 0]
    return total - np.repeat(total[starts] - values[starts], counts[counts > 0])


def _transcripts(plan: Plan, idx: np.ndarray, ids: np.ndarray, ctx: list[dict[str, str]],
                 children: _Children, rng: np.random.Generator) -> None:
    ev = plan.random
    ch = ev.ch[idx]
    rows = np.flatnonzero(np.isin(ch, [_CH["chat"], _CH["sms"], _CH["messenger"]]))
    low = np.array([0, 0, 0, 3, 1, 2])[ch[rows]]
    high = np.array([1, 1, 1, 9, 3, 6])[ch[rows]]
    counts = low + (rng.random(len(rows)) * (high - low + 1)).astype(np.int64)
    picks = rng.integers(0, 1 << 20, int(counts.sum())).tolist()
    start = np.repeat(ev.t[idx[rows]] + ev.wait[idx[rows]], counts)
    sent = timestamps(start + _group_cumsum(rng.integers(15, 120, len(start)), counts))
    numbers = _contact_numbers(plan, idx[rows])
    m = 0
    for r, (i, count) in enumerate(zip(rows.tolist(), counts.tolist(), strict=True)):
        c = ctx[i]
        e = idx[i]
        chat = int(ch[i]) == _CH["chat"]
        unhandled = int(ev.agent[e]) == 0
        customer_name = numbers[r] if int(ch[i]) == _CH["sms"] else c["first"]
        for k in range(count):
            if chat and k == 0:
                sender, name, text = "system", None, N.SYSTEM_MESSAGES[picks[m] % 2].format(**c)
            elif not unhandled and k % 2 == (0 if chat else 1):
                sender, name = "agent", c["agent"]
                text = N.CHAT_AGENT[0 if k <= 2 else picks[m] % len(N.CHAT_AGENT)].format(**c)
            else:
                sender, name = "customer", customer_name
                pool = N.CHAT_OPENERS if k <= int(chat) else N.CHAT_CUSTOMER
                text = pool[picks[m] % len(pool)].format(**c)
            children.add("transcript_messages", int(ids[i]), k + 1, sent[m], sender, name, text)
            m += 1


def _contact_numbers(plan: Plan, idx: np.ndarray) -> list[str]:  # idx: random event indices
    """The person's number as an SMS gateway shows it (international, compact)."""
    p = plan.people
    person = plan.random.person[idx]
    return [f"+{_PLAN_TEXT[pl][0]}{_PLAN_TEXT[pl][2]}{r:0{_PLAN_TEXT[pl][3]}d}"
            for pl, r in zip(p.plan[person].tolist(), p.rest[person].tolist(), strict=True)]


def _notes_and_data(plan: Plan, idx: np.ndarray, ids: np.ndarray,
                    ctx: list[dict[str, str]], children: _Children,
                    rng: np.random.Generator) -> None:
    ev, people = plan.random, plan.people
    n = len(idx)
    ch, agent = ev.ch[idx], ev.agent[idx]
    ended = ev.t[idx] + ev.wait[idx] + ev.handling[idx]
    note_rows = np.flatnonzero((agent > 0) & (rng.random(n) < 0.12))
    note_times = timestamps(ended[note_rows])
    picks = rng.integers(0, 1 << 20, (n, 4)).tolist()
    for i, when in zip(note_rows.tolist(), note_times, strict=True):
        c = ctx[i]
        children.add("contact_notes", int(ids[i]), int(agent[i]), when,
                     N.NOTES[picks[i][0] % len(N.NOTES)].format(**c))
    data_rows = np.flatnonzero(np.isin(ch, [_CH["call"], _CH["voicemail"], _CH["chat"]]))
    count = rng.choice(4, size=len(data_rows), p=[0.25, 0.3, 0.27, 0.18]).tolist()
    for i, k in zip(data_rows.tolist(), count, strict=True):
        c = ctx[i]
        p = int(ev.person[idx[i]])
        for j in range(k):
            key = N.CALL_DATA_KEYS[(picks[i][1] + j * 3) % len(N.CALL_DATA_KEYS)]
            children.add("call_data", int(ids[i]), key,
                         _call_data_value(key, c, p, int(people.country[p]), picks[i][2] + j))
    script_rows = np.flatnonzero((ch == _CH["call"]) & (agent > 0) & (rng.random(n) < 0.1))
    for i in script_rows.tolist():
        c = ctx[i]
        for j in range(1 + picks[i][3] % 2):
            question, answers = N.SCRIPT_QUESTIONS[(picks[i][3] + j) % len(N.SCRIPT_QUESTIONS)]
            children.add("script_answers", int(ids[i]), question,
                         answers[picks[i][2] % len(answers)].format(**c))


def _call_data_value(key: str, ctx: Mapping[str, str], person: int, country: int,
                     pick: int) -> str:
    if key == "customer_number":
        return f"C-{100000 + person}"
    if key == "order_id":
        return ctx["order"]
    if key == "caller_email":
        return N.email_case(ctx["email"], pick % 4)
    if key == "callback_number":
        return ctx["phone"]
    if key == "language":
        return _C[country].language
    if key == "ivr_path":
        return f"{1 + pick % 3}-{1 + pick % 4}-{1 + pick % 2}"
    return f"CASE-{ctx['invoice']}"


def _sample_row(event: SampleEvent, row_id: int, agents: Mapping[int, str],
                children: _Children, files: Path) -> Row:
    start, end = timestamps([event.started, event.started + event.wait + event.handling])
    recording = f"{start[:4]}/{start[5:7]}/{row_id}.wav" if event.recording else None
    row = (row_id, event.channel, event.direction, event.queue, event.agent, start, end,
           event.wait, event.handling, event.outcome, event.remote_number, event.remote_address,
           event.remote_name, event.subject_line, event.body, recording)
    if event.monitoring_only:
        return row
    if recording:
        write_file(files / "recordings", recording, wav_bytes(row_id))
    subject = next(s for s in SAMPLES if s.key == event.subject)
    ctx = _context(subject.first_name, subject.last_name, agents.get(event.agent or 0, ""),
                   row_id, subject.spellings[0], subject.email_spellings[0],
                   _SAMPLE_PLACES[subject.key])
    for file_name, ext in event.attachments:
        _add_attachment(children, files, row_id, start, file_name, ext, ctx)
    sent = timestamps([event.started + event.wait + 30 * (k + 1)
                       for k in range(len(event.transcript))])
    for k, (sender, name, message) in enumerate(event.transcript):
        children.add("transcript_messages", row_id, k + 1, sent[k], sender, name, message)
    for note in event.notes:
        children.add("contact_notes", row_id, event.agent, end, note)
    for key, value in event.call_data:
        children.add("call_data", row_id, key, value)
    for question, answer in event.script:
        children.add("script_answers", row_id, question, answer)
    for phone, kind, value in event.consents:
        given = timestamps([event.started + event.wait + 10])[0]
        children.add("customer_consents", phone, kind, given, value, row_id)
    return row


# ======================================================================================
# Directory


DIRECTORY_COLUMNS: tuple[str, ...] = (
    "id", "first_name", "last_name", "display_name", "title", "department", "company",
    "phone_work", "phone_mobile", "phone_home", "email_work", "email_private", "street",
    "postal_code", "city", "country", "notes", "photo_file", "updated_at")


def _company_domain(company: str) -> str:
    slug = "".join(ch for ch in N.ascii_fold(company).lower() if ch.isalnum())[:16]
    return f"{slug}.example.com"


def _load_directory(sink: Sink, plan: Plan, photos: Path, report: Progress) -> None:
    rows: list[Row] = [_sample_entry(i + 1, e, photos) for i, e in enumerate(plan.samples.entries)]
    sink.insert("directory_entries", DIRECTORY_COLUMNS, rows)
    total = max(200, plan.events // 40)
    rng = _rng(plan.seed, _S_DIRECTORY)
    people = plan.people
    from_contacts = rng.random(total) < 0.3
    person = np.where(from_contacts, rng.integers(0, plan.contact_people, total),
                      plan.contact_people + rng.permutation(total))
    photo = _cap(rng, np.ones(total, dtype=bool), plan.max_files)
    work_plan, work_rest = _draw_numbers(rng, people.country[person], np.ones(total, dtype=bool))
    home_plan, home_rest = _draw_numbers(rng, people.country[person], np.ones(total, dtype=bool))
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
    c = _C[int(people.country[p])]
    first, last = FIRST[int(people.first[p])], LAST[int(people.last[p])]
    company = c.companies[pick[2] % len(c.companies)]
    mobile = phone_text(int(people.plan[p]), int(people.rest[p]), pick[3] % 12)
    email_work = (f"{N.email_local(first, last, 0, 0, False)}@{_company_domain(company)}")
    private = N.email_case(people.email[p], pick[4] % 4) if pick[4] % 5 < 2 else None
    street, postal, city = _place(int(people.country[p]), p)
    home_value = home if pick[5] % 4 == 0 else ("-" if pick[5] % 23 == 1 else None)
    notes = None
    if pick[6] % 10 < 3:
        ctx = {"first": first, "email": private or email_work, "phone": mobile}
        notes = N.DIRECTORY_NOTES[pick[6] % len(N.DIRECTORY_NOTES)].format(**ctx)
    photo = None
    if photos is not None:
        photo = f"{updated[:4]}/{updated[5:7]}/{row_id}.png"
        initials = N.ascii_fold(first[:1] + last[:1]).upper()
        write_file(photos, photo, photo_png(initials, row_id))
    return (row_id, first, last, _display(first, last, pick[7] % 2), N.TITLES[pick[0] % 12],
            N.DEPARTMENTS[pick[1] % len(N.DEPARTMENTS)], company, work, mobile, home_value,
            email_work, private, street, postal, city, c.code, notes, photo, updated)


def _sample_entry(row_id: int, e: SampleEntry, photos: Path) -> Row:
    s = e.subject
    street, postal, city = _SAMPLE_PLACES[s.key]
    updated = timestamps([e.updated])[0]
    photo = f"{updated[:4]}/{updated[5:7]}/{row_id}.png"
    write_file(photos, photo, photo_png(N.ascii_fold(s.first_name[0] + s.last_name[0]), row_id))
    return (row_id, s.first_name, s.last_name, f"{s.first_name} {s.last_name}", e.title,
            e.department, e.company, None, e.phone_mobile, None, e.email_work, None, street,
            postal, city, s.country, f"Sample data subject ({s.key}) of the demo.", photo,
            updated)


# ======================================================================================
# Outbound campaigns


CUSTOMER_COLUMNS: tuple[str, ...] = (
    "id", "campaign_id", "first_name", "last_name", "phone1", "phone2", "email", "language",
    "customer_status", "imported_at", "last_called_at")
FIELD_COLUMNS: tuple[str, ...] = ("id", "customer_id", "field_name", "field_value")
CALL_COLUMNS: tuple[str, ...] = ("id", "customer_id", "agent_id", "started_at", "dialled_number",
                                 "call_result", "talk_seconds", "recording_file")


def _load_outbound(sink: Sink, plan: Plan, recordings: Path, report: Progress) -> None:
    sink.insert("campaigns", ["id", "name", "status", "created_at"],
                [(i + 1, name, status, f"{created} 08:00:00.000000")
                 for i, (name, status, created) in enumerate(N.CAMPAIGNS)])
    customers, fields, calls = _sample_customers(plan.samples.customers, recordings)
    sink.insert("campaign_customers", CUSTOMER_COLUMNS, customers)
    sink.insert("customer_fields", FIELD_COLUMNS, fields)
    sink.insert("outbound_calls", CALL_COLUMNS, calls)
    ids = {"customer": len(customers) + 1, "field": len(fields) + 1, "call": len(calls) + 1}
    total = plan.events // 10
    draw = _draw_customers(plan, total)
    for lo in range(0, total, BLOCK):
        hi = min(lo + BLOCK, total)
        customers, fields, calls = _customer_block(plan, draw, lo, hi, ids, recordings)
        sink.insert("campaign_customers", CUSTOMER_COLUMNS, customers)
        sink.insert("customer_fields", FIELD_COLUMNS, fields)
        sink.insert("outbound_calls", CALL_COLUMNS, calls)
        report("outbound: campaign customers", hi, total)


def _sample_customers(customers: Sequence[SampleCustomer],
                      recordings: Path) -> tuple[list[Row], list[Row], list[Row]]:
    rows: list[Row] = []
    fields: list[Row] = []
    calls: list[Row] = []
    for cid, c in enumerate(customers, start=1):
        s = c.subject
        last_call = max(call[1] for call in c.calls)
        rows.append((cid, c.campaign, s.first_name, s.last_name, c.phone1, c.phone2, c.email,
                     _C[N.COUNTRY_CODES.index(s.country)].language, c.status,
                     *timestamps([c.imported, last_call])))
        for name, value in c.fields:
            fields.append((len(fields) + 1, cid, name, value))
        for agent, start, number, result, talk, rec in c.calls:
            call_id = len(calls) + 1
            when = timestamps([start])[0]
            path = f"{when[:4]}/{when[5:7]}/ob-{call_id}.wav" if rec else None
            if path:
                write_file(recordings, path, wav_bytes(10_000_000 + call_id))
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


def _draw_customers(plan: Plan, total: int) -> _Customers:
    rng = _rng(plan.seed, _S_OUTBOUND)
    extra0 = plan.contact_people + max(200, plan.events // 40)
    from_contacts = rng.random(total) < 0.4
    # Outside the contacts, people come from a pool half the size of the list, so
    # that some of them are customers of two campaigns.
    person = np.where(from_contacts, rng.integers(0, plan.contact_people, total),
                      extra0 + rng.integers(0, max(1, total // 2), total))
    person = np.minimum(person, len(plan.people) - 1)
    campaign = rng.integers(0, len(N.CAMPAIGNS), total)
    created = np.array([_seconds(f"{c} 09:00") for _, _, c in N.CAMPAIGNS])
    imported = created[campaign] + rng.integers(DAY, 60 * DAY, total)
    n_calls = rng.choice(4, size=total, p=[0.2, 0.4, 0.25, 0.15])
    calls = int(n_calls.sum())
    gaps = rng.integers(DAY, 9 * DAY, calls) + rng.integers(0, 30_000, calls)
    start = np.repeat(imported, n_calls) + _group_cumsum(gaps, n_calls)
    result = rng.choice(len(N.CALL_RESULTS), size=calls, p=[0.45, 0.3, 0.08, 0.12, 0.05])
    recorded = _cap(rng, result == 0, plan.max_files // 10)
    phone2 = rng.choice(3, size=total, p=[0.65, 0.3, 0.05])
    plan2, rest2 = _draw_numbers(rng, plan.people.country[person], np.ones(total, dtype=bool))
    return _Customers(person, campaign, imported, n_calls, phone2, plan2, rest2, start, result,
                      recorded)


def _customer_block(plan: Plan, draw: _Customers, lo: int, hi: int, ids: dict[str, int],
                    recordings: Path) -> tuple[list[Row], list[Row], list[Row]]:
    rng = _rng(plan.seed, _S_OUTBOUND, 1, lo)
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
        first, last, country = FIRST[f], LAST[la], _C[ci]
        phone1 = phone_text(pl, rs, pick[0] % 12)
        phone2 = phone_text(pl2, rs2, pick[1] % 12) if kind2 == 1 else \
            N.JUNK_NUMBERS[pick[1] % 3] if kind2 == 2 else None
        email = N.email_case(people.email[p], pick[2] % 4) if pick[2] % 10 < 7 else None
        ctx = _context(first, last, "", cid, phone_text(pl, rs, pick[3] % 12), people.email[p],
                       _place(ci, p))
        for j in field_order[k][: 2 + pick[4] % 3]:
            name = N.FIELD_NAMES[j]
            fields.append((ids["field"], cid, name, _field_value(name, ctx, country, pick)))
            ids["field"] += 1
        last_call = None
        for j in range(count):
            when = last_call = call_times[c_idx]
            result = N.CALL_RESULTS[call_result[c_idx]]
            path = None
            if call_recorded[c_idx]:
                path = f"{when[:4]}/{when[5:7]}/ob-{ids['call']}.wav"
                write_file(recordings, path, wav_bytes(10_000_000 + ids["call"]))
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

