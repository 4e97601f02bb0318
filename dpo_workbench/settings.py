"""The workbench settings file: where the installation's databases and files are.

A settings file is YAML::

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

``${VAR}`` and ``${VAR:-default}`` are replaced from the environment, so that
passwords stay out of the file. Relative SQLite paths and folders are relative
to the settings file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .criteria import DEFAULT_DIGITS, MAX_DIGITS, MIN_DIGITS
from .errors import ConfigError

_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_TOP_KEYS = {"name", "datamap", "databases", "files", "state", "search", "auth", "dashboard",
             "demo", "audit", "access"}


@dataclass(frozen=True)
class SearchSettings:
    """Defaults of the search."""

    digits: int = DEFAULT_DIGITS
    too_many: int = 1000


@dataclass(frozen=True)
class AccessSettings:
    """Rules for reading the data subject's files."""

    require_listen_reason: bool = False  # a reason is recorded before a recording plays


@dataclass(frozen=True)
class Settings:
    """A parsed settings file. Build it with :func:`load_settings`."""

    path: Path
    name: str
    datamap_path: Path
    databases: Mapping[str, URL]
    files: Mapping[str, Path]
    state_url: URL
    search: SearchSettings = SearchSettings()
    access: AccessSettings = AccessSettings()
    extra: Mapping[str, Any] = field(default_factory=dict)

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
    except ArgumentError as exc:
        raise ConfigError(
            f"{where} is not a database URL ({exc}). Write it like "
            "sqlite:///operative.sqlite or postgresql+psycopg://user@host/db.") from None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        if not db.is_absolute():
            url = url.set(database=str((folder / db).resolve()))
    if url.get_backend_name() in ("mysql", "mariadb") and "charset" not in url.query:
        # Personal names need four-byte UTF-8; the drivers' default is narrower.
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read and check a settings file.

    Raises :class:`~dpo_workbench.errors.ConfigError` naming the file and the key
    when something is missing or malformed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {op: sqlite:///op.sqlite}\\n")
    >>> s = load_settings(d / "w.yaml")
    >>> s.databases["op"].database == str((d / "op.sqlite").resolve())
    True
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"Settings file {p} does not exist. Give the path of the installation's "
                          "settings file (the demo writes workbench.yaml into its folder).")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must be a YAML mapping with keys such as datamap and databases.")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{p}: unknown key(s) {', '.join(unknown)}; valid keys are "
                          f"{', '.join(sorted(_TOP_KEYS))}.")
    folder = p.resolve().parent

    if "datamap" not in data:
        raise ConfigError(f"{p}: the key 'datamap' (path of the datamap file) is missing.")
    datamap_path = (folder / str(data["datamap"])).resolve()

    dbs = data.get("databases")
    if not isinstance(dbs, dict) or not dbs:
        raise ConfigError(f"{p}: 'databases' must map each logical database name to a URL.")
    databases = {str(name): resolve_url(url, folder, f"{p}: databases.{name}")
                 for name, url in dbs.items()}

    files_raw = data.get("files") or {}
    if not isinstance(files_raw, dict):
        raise ConfigError(f"{p}: 'files' must map each file store name to a folder.")
    files = {str(name): (folder / expand_env(str(f), f"{p}: files.{name}")).resolve()
             for name, f in files_raw.items()}

    state_url = resolve_url(data.get("state", "sqlite:///state/workbench.sqlite"), folder,
                            f"{p}: state")

    search_raw = data.get("search") or {}
    if not isinstance(search_raw, dict):
        raise ConfigError(f"{p}: 'search' must be a mapping (digits, too_many).")
    unknown = sorted(set(search_raw) - {"digits", "too_many"})
    if unknown:
        raise ConfigError(f"{p}: unknown key(s) search.{', search.'.join(unknown)}; valid keys are "
                          "search.digits and search.too_many.")
    try:
        search = SearchSettings(digits=int(search_raw.get("digits", DEFAULT_DIGITS)),
                                too_many=int(search_raw.get("too_many", 1000)))
    except (TypeError, ValueError):
        raise ConfigError(
            f"{p}: search.digits and search.too_many must be whole numbers.") from None
    if not MIN_DIGITS <= search.digits <= MAX_DIGITS:
        raise ConfigError(f"{p}: search.digits must be between {MIN_DIGITS} and {MAX_DIGITS}.")

    access_raw = data.get("access") or {}
    dashboard_raw = data.get("dashboard") or {}
    # Older settings files keep the rule under dashboard: (the dashboard was its only face).
    legacy = dashboard_raw.get("require_listen_reason") if isinstance(dashboard_raw, dict) \
        else None
    if not isinstance(access_raw, dict) or set(access_raw) - {"require_listen_reason"}:
        raise ConfigError(f"{p}: 'access' must be a mapping with the key require_listen_reason.")
    access = AccessSettings(require_listen_reason=bool(access_raw.get(
        "require_listen_reason", legacy or False)))

    extra = {k: v for k, v in data.items()
             if k not in {"name", "datamap", "databases", "files", "state", "search", "access"}}
    return Settings(path=p.resolve(), name=str(data.get("name", p.stem)),
                    datamap_path=datamap_path, databases=databases, files=files,
                    state_url=state_url, search=search, access=access, extra=extra)
