"""Logging on to the workbench: the installation's own users, their password hashes and rights.

The users live in the contact centre's configuration database. Where exactly is
declared under ``auth:`` in the settings file; every key is optional and the
defaults fit the demo installation::

    auth:
      database: configuration          # logical database holding the users
      users:                           # table and its columns
        table: users
        id: id
        username: username
        password_hash: password_hash   # pbkdf2_sha256$... (dpo_workbench.passwords)
        active: active                 # null: no such column, every user is active
        display_name: display_name     # null: show the user name
      rights:
        table: user_rights
        user_id: user_id
        module: module
        permission: permission
      require: {module: DPO, permission: Use}
      idle_minutes: 15                 # an idle dashboard session logs off
      failure_delay_seconds: 1         # first delay after a failed log-on, doubled per failure
      max_delay_seconds: 60            # the delay's cap
      forget_failures_after_minutes: 15

Only users holding the required right get in. Failed attempts slow down: after
*n* failures for a user name **from one client address**, or from one client
address for any user names, the next attempt is refused until
``min(failure_delay * 2**(n-1), max_delay)`` seconds have passed. Failures are
never counted per user name alone: an attacker elsewhere, however many names
and passwords it tries, cannot keep the real DPO out (the DPO's own address has
no failures). The counts are kept in the workbench's state database (names and
addresses stored only as hashes, entries forgotten after
``forget_failures_after_minutes``), so a restart of the web server does not
reset them. Messages never tell whether a user name exists: a wrong name and a
wrong password give the same answer after the same work.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from .engines import database_engine, state_engine
from .errors import ConfigError, DatabaseError, LogonError
from .passwords import hash_password, verify_password
from .settings import AuthSettings, Settings

Clock = Callable[[], float]

#: What a refused log-on says, whatever went wrong (unknown name, wrong password,
#: inactive account): the answer must not tell which.
WRONG_CREDENTIALS = "The user name or the password is not right."


def auth_settings(settings: Settings) -> AuthSettings:
    """The ``auth:`` section of ``settings`` (defaults fit the demo; checked at load).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dpo_workbench.settings import load_settings
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {configuration: "
    ...                               "sqlite:///c.sqlite}\\nauth: {idle_minutes: 5}\\n")
    >>> a = auth_settings(load_settings(d / "w.yaml"))
    >>> a.users.table, a.module, a.permission, a.idle_minutes
    ('users', 'DPO', 'Use', 5.0)
    """
    return settings.auth


# -- throttling -------------------------------------------------------------------------


class FailureStore(Protocol):
    """Where failed attempts are counted: ``(failures, time of the last)`` per key."""

    def get(self, key: str) -> tuple[int, float]: ...

    def add(self, key: str, now: float) -> None: ...

    def clear(self, key: str) -> None: ...

    def purge(self, before: float) -> None: ...


class MemoryStore:
    """Failures counted in this process (tests, or a store that need not persist)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[int, float]:
        with self._lock:
            return self._data.get(key, (0, 0.0))

    def add(self, key: str, now: float) -> None:
        with self._lock:
            n, _ = self._data.get(key, (0, 0.0))
            self._data[key] = (n + 1, now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def purge(self, before: float) -> None:
        with self._lock:
            for key in [k for k, (_, last) in self._data.items() if last < before]:
                del self._data[key]


_md = MetaData()
_failures = Table(
    "auth_failures", _md,
    Column("key_hash", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", Float, nullable=False),
)


class DatabaseStore:
    """Failures counted in the state database: they outlive a restart of the web server.

    Keys are stored as SHA-256 hashes: a typed user name may be anything.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        try:
            _md.create_all(engine)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"the state database is not writable ({type(exc).__name__}).") \
                from None

    @staticmethod
    def _hash(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def get(self, key: str) -> tuple[int, float]:
        with self.engine.connect() as conn:
            row = conn.execute(select(_failures.c.failures, _failures.c.last_at)
                               .where(_failures.c.key_hash == self._hash(key))).first()
        return (int(row[0]), float(row[1])) if row else (0, 0.0)

    def add(self, key: str, now: float) -> None:
        h = self._hash(key)
        with self.engine.begin() as conn:
            changed = conn.execute(update(_failures).where(_failures.c.key_hash == h).values(
                failures=_failures.c.failures + 1, last_at=now)).rowcount
            if not changed:
                conn.execute(insert(_failures).values(key_hash=h, failures=1, last_at=now))

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_failures).where(_failures.c.key_hash == self._hash(key)))

    def purge(self, before: float) -> None:
        """Forget every entry whose last failure is older than ``before``."""
        with self.engine.begin() as conn:
            conn.execute(delete(_failures).where(_failures.c.last_at < before))


class Throttle:
    """Exponential delay after failed attempts, per key, capped.

    Examples
    --------
    >>> now = [100.0]
    >>> t = Throttle(MemoryStore(), base=1, cap=4, clock=lambda: now[0])
    >>> t.failed("user:x"); t.failed("user:x"); t.wait("user:x")
    2.0
    >>> now[0] += 2; t.wait("user:x")
    0.0
    """

    def __init__(self, store: FailureStore, *, base: float = 1.0, cap: float = 60.0,
                 forget_after: float = 900.0, clock: Clock = time.time):
        self.store = store
        self.base = base
        self.cap = cap
        self.forget_after = forget_after
        self.clock = clock

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed attempts."""
        if failures <= 0:
            return 0.0
        return float(min(self.base * 2 ** min(failures - 1, 30), self.cap))

    def wait(self, key: str) -> float:
        """Seconds before the next attempt for ``key`` is allowed (0 when allowed now)."""
        n, last = self.store.get(key)
        now = self.clock()
        if n and now - last > max(self.forget_after, self.cap):
            self.store.clear(key)
            return 0.0
        return max(0.0, last + self.delay(n) - now)

    def failed(self, *keys: str) -> None:
        """Count a failure for each of ``keys``; forget entries too old to matter."""
        now = self.clock()
        self.store.purge(now - max(self.forget_after, self.cap))
        for key in keys:
            self.store.add(key, now)

    def reset(self, key: str) -> None:
        self.store.clear(key)


# -- users ------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A workbench user who logged on."""

    username: str
    display_name: str


@dataclass(frozen=True)
class _Found:
    id: Any
    password_hash: str | None
    active: bool
    display_name: str


# A hash to check typed passwords against when the user name is unknown, so that an
# unknown name costs the same time as a known one.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not a password of anyone")
    return _DUMMY_HASH


class Authenticator:
    """Checks user names, passwords and the DPO right against the installation's users.

    Parameters
    ----------
    settings : Settings
        The installation's settings (``auth:`` and ``databases:``).
    engine : Engine, optional
        An engine for the users' database (made from the settings by default).
    failures : FailureStore, optional
        Where failures per user name and client address are counted; by default
        the state database.
    clock : callable, optional
        Wall-clock seconds (tests pass a fake one).

    Examples
    --------
    >>> auth = Authenticator(inst.settings)  # load_settings("demo-install/workbench.yaml")
    >>> auth.log_on("dpo", "dpo-demo", client="127.0.0.1")
    User(username='dpo', display_name='Demo DPO')
    >>> auth.log_on("agent", "agent-demo", client="127.0.0.1")
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.LogonError: You are not allowed to use the DPO workbench: it needs ...
    >>> auth.close()
    """

    def __init__(self, settings: Settings, *, engine: Engine | None = None,
                 failures: FailureStore | None = None, clock: Clock = time.time):
        self.settings = settings
        self.config = auth_settings(settings)
        self._own_engines: list[Engine] = []
        if engine is None:
            engine = database_engine(self.config.database,
                                     settings.databases[self.config.database], settings.path)
            self._own_engines.append(engine)
        self.engine = engine
        if failures is None:
            state = state_engine(settings.state_url)
            self._own_engines.append(state)
            failures = DatabaseStore(state)
        c = self.config
        self.throttle = Throttle(failures, base=c.failure_delay_seconds,
                                 cap=c.max_delay_seconds,
                                 forget_after=c.forget_failures_after_minutes * 60,
                                 clock=clock)
        self._tables: tuple[Table, Table] | None = None

    def close(self) -> None:
        """Release the connections this authenticator opened."""
        for e in self._own_engines:
            e.dispose()

    # -- the tables ----------------------------------------------------------------------

    def prepare(self) -> None:
        """Read the users' and rights' tables now (otherwise at the first check)."""
        self._reflect()

    def _reflect(self) -> tuple[Table, Table]:
        if self._tables is not None:
            return self._tables
        c = self.config
        md = MetaData()
        where = f"{self.settings.path}: auth"
        try:
            users = Table(c.users.table, md, autoload_with=self.engine)
            rights = Table(c.rights.table, md, autoload_with=self.engine)
        except SQLAlchemyError as exc:
            raise ConfigError(
                f"{where}: the tables {c.users.table} and {c.rights.table} of database "
                f"'{c.database}' could not be read ({type(exc).__name__}). Check auth.users.table "
                "and auth.rights.table.") from None
        for label, table, spec in (("users", users, c.users), ("rights", rights, c.rights)):
            for attr in spec.__struct_fields__:
                col = getattr(spec, attr)
                if attr == "table" or col is None:
                    continue
                if col not in table.c:
                    raise ConfigError(f"{where}.{label}.{attr}: table {table.name} of database "
                                      f"'{c.database}' has no column {col}.")
        self._tables = (users, rights)
        return self._tables

    def _find(self, username: str) -> _Found | None:
        users, _ = self._reflect()
        c = self.config.users
        cols = [users.c[c.id], users.c[c.password_hash]]
        cols.append(users.c[c.active] if c.active else None)
        cols.append(users.c[c.display_name] if c.display_name else None)
        stmt = select(*[x for x in cols if x is not None]).where(users.c[c.username] == username)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
        except SQLAlchemyError as exc:
            raise DatabaseError(f"reading the users failed ({type(exc).__name__}).") from None
        if len(rows) != 1:
            return None
        row = list(rows[0])
        uid, pw = row[0], row[1]
        active = bool(row[2]) if c.active else True
        display = (row[-1] if c.display_name else None) or username
        return _Found(uid, pw, active, str(display))

    def has_right(self, username: str) -> bool:
        """True when ``username`` is an active user holding the required right (now)."""
        found = self._find(username)
        return found is not None and found.active and self._holds_right(found.id)

    def _holds_right(self, user_id: Any) -> bool:
        _, rights = self._reflect()
        r = self.config.rights
        stmt = select(func.count()).select_from(rights).where(and_(
            rights.c[r.user_id] == user_id, rights.c[r.module] == self.config.module,
            rights.c[r.permission] == self.config.permission))
        try:
            with self.engine.connect() as conn:
                return bool(conn.execute(stmt).scalar())
        except SQLAlchemyError as exc:
            raise DatabaseError(f"reading the user rights failed ({type(exc).__name__}).") \
                from None

    def user_exists(self, username: str) -> bool:
        """For the audit log only: whether a failed log-on named a real user."""
        return self._find(username) is not None

    def user(self, username: str) -> User | None:
        """The active user ``username`` holding the required right now, else ``None``.

        For a session the web server has already logged on (no password here).
        """
        found = self._find(username)
        if found is None or not found.active or not self._holds_right(found.id):
            return None
        return User(username=username, display_name=found.display_name)

    # -- log on ---------------------------------------------------------------------------

    def log_on(self, username: str, password: str, *, client: str) -> User:
        """Check a user name and password; return the user, or raise :class:`LogonError`.

        Parameters
        ----------
        username, password : str
            As typed.
        client : str
            The client's address as the web server sees it: failures are counted
            per user name and address, and per address.

        Raises
        ------
        LogonError
            Refused; the message can be shown to whoever typed the credentials.
        """
        username = username.strip()
        user_key, client_key = f"user+client:{username.casefold()}|{client}", f"client:{client}"
        wait = max(self.throttle.wait(user_key), self.throttle.wait(client_key))
        if wait > 0:
            seconds = math.ceil(wait)
            raise LogonError(f"Too many failed log-on attempts. Wait {seconds} second"
                             f"{'s' if seconds != 1 else ''} and try again.", "throttled",
                             retry_after=wait)
        if not username or not password:
            raise LogonError("Enter your user name and password.", "empty")
        found = self._find(username)
        ok = verify_password(password, found.password_hash if found else _dummy_hash())
        if not (ok and found is not None and found.active):
            self.throttle.failed(user_key, client_key)
            raise LogonError(WRONG_CREDENTIALS, "credentials")
        if not self._holds_right(found.id):
            raise LogonError(
                f"You are not allowed to use the DPO workbench: it needs the right "
                f"'{self.config.permission}' in module '{self.config.module}'. Ask your "
                "administrator for it.", "no_right")
        self.throttle.reset(user_key)
        self.throttle.reset(client_key)
        return User(username=username, display_name=found.display_name)
