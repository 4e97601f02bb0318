"""The workbench settings file: where the installation's databases and files are.

A settings file is YAML; every section is typed and checked when it is loaded::

    name: Demo contact centre
    datamap: datamap.yaml              # relative to this file
    databases:                         # logical name -> SQLAlchemy URL
      operative: sqlite:///operative.sqlite
      outbound: postgresql+psycopg://dpo@db1.example.com/outbound
      monitoring1: mysql+pymysql://dpo:${MON_PASSWORD}@db2.example.com/mon1?charset=utf8mb4
    files:                             # file store name -> folder
      recordings: /srv/cc/recordings
    state: sqlite:///state/workbench.sqlite
    search:
      digits: 7                        # default "digits used in search"
      too_many: 1000                   # above this many items the DPO is advised to narrow
    access:
      require_listen_reason: false     # a reason is recorded before a recording plays
    audit:
      key_file: state/audit.key        # the audit key (default: state/audit.key)
    erasure:
      lock_timeout_seconds: 10         # longest wait for another session's lock
    auth: ...                          # where the users are (dpo_workbench.auth)
    dashboard: ...                     # how the dashboard is served (docs/dashboard.md)

Database URLs are SQLAlchemy's. PostgreSQL has two drivers installed:
``postgresql+psycopg2://`` connects with psycopg2, ``postgresql+psycopg://`` with
psycopg 3, and a plain ``postgresql://`` with SQLAlchemy's default (psycopg 3 from
SQLAlchemy 2.1 on, psycopg2 before). They read and write the same; psycopg2 starts
a process about 60 ms sooner, which counts when a shell loop runs one command per
request. MariaDB and MySQL take ``mysql+pymysql://``.

``${VAR}`` and ``${VAR:-default}`` are replaced from the environment, so that
passwords stay out of the file. **Relative paths** (SQLite files, file stores, the
datamap, the audit key) **are relative to the folder of the settings file**, not
to the folder the command runs in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from msgspec import Meta
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .criteria import DEFAULT_DIGITS, MAX_DIGITS, MIN_DIGITS
from .errors import ConfigError
from .typedyaml import Model, convert, dotted, load_yaml, problems

#: The environment variable naming the settings file, for every face: the command
#: line's default ``--config``, the dashboard, the notebooks.
CONFIG_ENV = "DPO_WORKBENCH_CONFIG"

_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

Name = Annotated[str, Meta(min_length=1)]
Minutes = Annotated[float, Meta(ge=0)]


class SearchSettings(Model):
    """Defaults of the search."""

    digits: Annotated[int, Meta(ge=MIN_DIGITS, le=MAX_DIGITS)] = DEFAULT_DIGITS
    too_many: Annotated[int, Meta(ge=1)] = 1000


class AccessSettings(Model):
    """Rules for reading the data subject's files."""

    require_listen_reason: bool = False


class UsersTable(Model):
    """Where the users are: a table and the names of its columns (None: no such column)."""

    table: Name = "users"
    id: Name = "id"
    username: Name = "username"
    password_hash: Name = "password_hash"
    active: Name | None = "active"
    display_name: Name | None = "display_name"


class RightsTable(Model):
    """Where the users' rights are: one row per user, module and permission."""

    table: Name = "user_rights"
    user_id: Name = "user_id"
    module: Name = "module"
    permission: Name = "permission"


class RequiredRight(Model):
    """The right a user needs to use the workbench."""

    module: Name = "DPO"
    permission: Name = "Use"


class AuthSettings(Model):
    """The ``auth:`` section: the installation's users and the right they need.

    See :mod:`dpo_workbench.auth` for how log-on and throttling use it.
    """

    database: Name = "configuration"
    users: UsersTable = UsersTable()
    rights: RightsTable = RightsTable()
    require: RequiredRight = RequiredRight()
    idle_minutes: Minutes = 15.0
    failure_delay_seconds: Minutes = 1.0
    max_delay_seconds: Minutes = 60.0
    forget_failures_after_minutes: Minutes = 15.0

    @property
    def module(self) -> str:
        return self.require.module

    @property
    def permission(self) -> str:
        return self.require.permission


class DashboardSettings(Model):
    """The ``dashboard:`` section: how the DPO dashboard is served and shown."""

    ip: Name = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535)] = 8866
    page_size: Annotated[int, Meta(ge=1, le=500)] = 50
    cull_idle_minutes: Annotated[float, Meta(gt=0)] = 20.0
    #: Read into ``access.require_listen_reason`` (where older files kept it).
    require_listen_reason: bool | None = None


class ErasureSettings(Model):
    """The ``erasure:`` section: how long erasure waits for others."""

    #: Longest wait for a row or table lock held by another session, per database.
    lock_timeout_seconds: Annotated[float, Meta(gt=0)] = 10.0
    #: Longest run of one erasure statement.
    statement_timeout_seconds: Annotated[float, Meta(gt=0)] = 600.0
    #: How long SQLite's write-ahead log is retried before a checkpoint is reported pending.
    checkpoint_seconds: Annotated[float, Meta(ge=0)] = 10.0


class AuditSettings(Model):
    """The ``audit:`` section."""

    key_file: Name | None = None


class DemoSettings(Model):
    """The ``demo:`` section, written by ``dpo-workbench demo build``."""

    events: int = 0
    seed: int = 0


class SettingsFile(Model, kw_only=True):
    """The settings file as written (see the module notes)."""

    name: Name | None = None
    datamap: Annotated[Name, Meta(extra={"missing": "give the path of the datamap file."})]
    databases: Annotated[dict[str, Name], Meta(min_length=1, extra={
        "missing": "map each logical database name to a URL."})]
    files: dict[str, Name] = {}
    state: Name = "sqlite:///state/workbench.sqlite"
    search: SearchSettings = SearchSettings()
    access: AccessSettings = AccessSettings()
    auth: AuthSettings = AuthSettings()
    dashboard: DashboardSettings = DashboardSettings()
    audit: AuditSettings = AuditSettings()
    erasure: ErasureSettings = ErasureSettings()
    demo: DemoSettings | None = None


@dataclass(frozen=True)
class Settings:
    """A loaded settings file, paths resolved. Build it with :func:`load_settings`."""

    path: Path
    name: str
    datamap_path: Path
    databases: Mapping[str, URL]
    files: Mapping[str, Path]
    state_url: URL
    search: SearchSettings = SearchSettings()
    access: AccessSettings = AccessSettings()
    auth: AuthSettings = AuthSettings()
    dashboard: DashboardSettings = DashboardSettings()
    erasure: ErasureSettings = ErasureSettings()
    audit_key_file: Path | None = None
    demo: DemoSettings | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent

    def describe_url(self, database: str) -> str:
        """The URL of ``database`` with its password hidden, for messages."""
        return self.databases[database].render_as_string(hide_password=True)


def expand_env(value: str, where: str) -> str:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in ``value`` from the environment."""

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{where} uses the environment variable {name}, which is not set. "
                          f"Set it, or write ${{{name}:-default}} to give a default.")

    return _VAR_RE.sub(sub, value)


def resolve_url(raw: str, folder: Path, where: str) -> URL:
    """Parse a database URL; make a relative SQLite path relative to ``folder``."""
    try:
        url = make_url(expand_env(str(raw), where))
        url.get_backend_name()
        _ = url.port  # a malformed port fails here, not at connect time
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            f"{where} is not a database URL ({type(exc).__name__}). Write it like "
            "sqlite:///operative.sqlite or postgresql+psycopg2://user@host:5432/db.") from None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        if not db.is_absolute():
            url = url.set(database=str((folder / db).resolve()))
    if url.get_backend_name() in ("mysql", "mariadb") and "charset" not in url.query:
        # Personal names need four-byte UTF-8; the drivers' default is narrower.
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def read_settings_yaml(p: Path) -> Any:
    if not p.is_file():
        raise ConfigError(f"Settings file {p} does not exist. Give the path of the installation's "
                          "settings file (the demo writes workbench.yaml into its folder).")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{p} is not UTF-8 text. Save it as UTF-8.") from None
    except OSError as exc:
        raise ConfigError(f"{p} cannot be read ({exc.strerror}). Check its permissions.") \
            from None
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from None


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read and check a settings file, every section.

    Raises :class:`~dpo_workbench.errors.ConfigError` naming the file and each key
    that is missing, unknown or malformed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {op: sqlite:///op.sqlite}\\n")
    >>> s = load_settings(d / "w.yaml")
    >>> s.databases["op"].database == str((d / "op.sqlite").resolve())
    True
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {op: x}\\n"
    ...                               "search: {digit: 7}\\n")
    >>> load_settings(d / "w.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.ConfigError: .../w.yaml: search: unknown key 'digit' (valid keys: ...).
    """
    p = Path(path)
    data = read_settings_yaml(p)
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must be a YAML mapping with keys such as datamap and databases.")
    found = problems(data, SettingsFile, dotted)
    if found:
        raise ConfigError("\n".join(f"{p}: {problem}" for problem in found))
    raw: SettingsFile = convert(data, SettingsFile)
    folder = p.resolve().parent

    databases = {name: resolve_url(url, folder, f"{p}: databases.{name}")
                 for name, url in raw.databases.items()}
    files = {name: (folder / expand_env(f, f"{p}: files.{name}")).resolve()
             for name, f in raw.files.items()}
    if "auth" in data and raw.auth.database not in databases:
        raise ConfigError(f"{p}: auth.database must name a database of 'databases:' "
                          f"({', '.join(databases)}); it is '{raw.auth.database}'.")
    access = raw.access
    if "access" not in data and raw.dashboard.require_listen_reason is not None:
        access = AccessSettings(require_listen_reason=raw.dashboard.require_listen_reason)
    key_file = None
    if raw.audit.key_file is not None:
        key_file = (folder / expand_env(raw.audit.key_file, f"{p}: audit.key_file")).resolve()
    return Settings(
        path=p.resolve(), name=raw.name or p.stem,
        datamap_path=(folder / expand_env(raw.datamap, f"{p}: datamap")).resolve(),
        databases=databases, files=files,
        state_url=resolve_url(raw.state, folder, f"{p}: state"),
        search=raw.search, access=access, auth=raw.auth, dashboard=raw.dashboard,
        erasure=raw.erasure, audit_key_file=key_file, demo=raw.demo)
