"""Build the demo installation: five databases, three file stores and a settings file.

:func:`build_demo` writes a contact centre's data for a made-up population: contact
events on six channels with their details, a company directory, outbound
campaigns, customer consents and a monitoring copy of recent contact events, plus
real recordings, attachments and photos. The sample data subjects of
:mod:`dpo_workbench.demo.samples` are always in it, spelled in all their ways.

The generator is vectorised with numpy (one seeded ``Generator`` per stream) and
streams contact events in blocks, so memory stays flat and a million events take
a minute or two on SQLite. The same ``events`` and ``seed`` give the same rows.

This module checks the arguments, prepares the folder, opens the databases, runs
the parts below in order and writes the settings file. The parts:

===============  ======================================================================
``common``       the clock, the random streams, numpy helpers
``centre``       channels, outcomes, queues and campaigns as lookups
``people``       the population: names, phone numbers, e-mail addresses, places
``agents``       the contact centre's users; the configuration database
``sample_rows``  the sample subjects' fixed rows
``plan``         what is drawn before any row is written
``contacts``     operative and monitoring: contact events, their children, consents
``directory``    the directory database and its photos
``outbound``     campaigns, their customers, the customers' fields and calls
===============  ======================================================================
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..audit.headfile import head_file_path
from ..audit.keys import DEFAULT_KEY_FILE
from ..errors import DatabaseError
from ..progress import Progress
from .agents import DEMO_PASSWORDS, Agent, load_configuration
from .common import BLOCK, DAY, EPOCH, FIXED_STREAM, SPAN_DAYS, timestamps
from .contacts import CHILD_COLUMNS, CONTACT_COLUMNS, SHARED, load_contacts
from .directory import DIRECTORY_COLUMNS, load_directory
from .draw import MIN_EXACT_EVENTS, Draw, Events, make_draw
from .loaders import Sink, open_sink
from .outbound import CALL_COLUMNS, CUSTOMER_COLUMNS, FIELD_COLUMNS, load_outbound
from .people import FIRST, LAST, People, phone_text
from .sample_rows import SampleCustomer, SampleEntry, SampleEvent, SampleRows, sample_rows
from .schema import DATABASES, metadata_for

# Every public name of this module from before the split stays importable from it.
__all__ = [
    "BLOCK", "CALL_COLUMNS", "CHILD_COLUMNS", "CONTACT_COLUMNS", "CUSTOMER_COLUMNS", "DAY",
    "DEMO_PASSWORDS", "DIRECTORY_COLUMNS", "EPOCH", "FIELD_COLUMNS", "FIRST", "FIXED_STREAM",
    "LAST", "MIN_EXACT_EVENTS", "SETTINGS_FILE", "SHARED", "SPAN_DAYS", "STORES", "Agent",
    "Events", "People", "Draw", "Progress", "SampleCustomer", "SampleEntry", "SampleEvent",
    "SampleRows", "build_demo", "phone_text", "sample_rows", "timestamps",
]

SETTINGS_FILE = "workbench.yaml"
STORES: tuple[str, ...] = ("recordings", "attachments", "photos")


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
        plan = make_draw(events, seed, max_files)
        report("plan", 1, 1)
        load_configuration(sinks["configuration"], plan.agents, report)
        load_directory(sinks["directory"], plan, target / "files" / "photos", report)
        load_outbound(sinks["outbound"], plan, target / "files" / "recordings", report)
        load_contacts(sinks["operative"], sinks["monitoring1"], plan, target / "files", report)
        for name in DATABASES:
            sinks[name].finish(lambda done, total, name=name: report(f"{name}: indexes", done,
                                                                     total))
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
        # The audit log's head file goes with the state database, or the new, empty
        # log would look wiped; the key stays.
        head = head_file_path(target / DEFAULT_KEY_FILE)
        for path in (head, head.with_name(head.name + ".lock")):
            path.unlink(missing_ok=True)
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
