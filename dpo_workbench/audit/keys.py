"""The audit key file: the secret behind the criteria fingerprints and the chain's MACs.

The search criteria are stored only as a keyed hash (see :mod:`.events`). The
key matters: a phone search compares the last seven digits, and the ten
million possible suffixes are hashed in seconds, so an *unkeyed* hash of the
criteria could be reversed by anyone who can read the state database. The key
is therefore kept apart from the database, in a file only the workbench's
account can read (:func:`load_or_create_key`, mode 0600, default
``<settings folder>/state/audit.key``; move it elsewhere with
``audit: {key_file: ...}`` in the settings file). Back it up with the database:
without it, :meth:`AuditLog.verify` cannot check the log and repeated searches
can no longer be recognised.

Two rules guard the key (:func:`log_key`): a key file that other accounts may
read or write is refused, and a missing key file is created only for a log that
has never recorded anything; for any other, a new key would make every event
look edited, so the workbench stops and asks for the backup.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from ..engines import describe_url, private_folder, state_engine
from ..errors import ConfigError, DatabaseError
from .headfile import head_file_path
from .tables import holds_events

if TYPE_CHECKING:
    from ..settings import Settings

#: Length of the audit key in bytes.
KEY_BYTES = 32
#: Where the key file goes, relative to the settings file's folder, by default.
DEFAULT_KEY_FILE = Path("state") / "audit.key"


def check_private(path: Path) -> None:
    """A ConfigError when accounts other than the owner may read or write the key file ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "audit.key"
    >>> _ = p.write_text("x"); p.chmod(0o640)
    >>> check_private(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.ConfigError: The audit key file ... has mode 0640: ... chmod 600 ...
    """
    mode = stat.S_IMODE(path.stat().st_mode)
    # Windows has no such mode bits; elsewhere a readable key lets anyone who can read
    # the state database recompute a search's fingerprint from a guessed phone number.
    if os.name == "posix" and mode & 0o077:
        raise ConfigError(f"The audit key file {path} has mode {mode:04o}: other accounts than "
                          "its owner may read or write it, so the workbench refuses it. Make it "
                          f"owner-only with: chmod 600 {path}")


def _read_key(path: Path) -> bytes:
    """The key held in the file at ``path``, or a ConfigError saying to restore it."""
    try:
        check_private(path)
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError):
        raise ConfigError(f"The audit key file {path} is unreadable or not {KEY_BYTES * 2} "
                          "hexadecimal digits. Restore it from the backup.") from None
    if len(key) != KEY_BYTES:
        raise ConfigError(f"The audit key file {path} does not hold a {KEY_BYTES}-byte key. "
                          "Restore it from the backup.")
    return key


def load_or_create_key(path: str | os.PathLike[str]) -> bytes:
    """Read the audit key from ``path``, creating a random one the first time.

    The file (and any missing folder) is created readable by the owner only
    (mode 0600, folders 0700); it holds the key as hexadecimal text. Two
    processes creating it at once end up with the same key: the file appears
    atomically, complete, and the loser reads the winner's.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "state" / "audit.key"
    >>> k = load_or_create_key(p)
    >>> len(k), load_or_create_key(p) == k, oct(p.stat().st_mode & 0o777)
    (32, True, '0o600')
    """
    p = Path(path)
    if p.exists():
        return _read_key(p)
    try:
        private_folder(p.parent)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".audit-key-")  # mode 0600
    except OSError as exc:
        raise ConfigError(f"Cannot create the audit key file {p}: {exc.strerror}. Make its "
                          "folder writable or set audit.key_file in the settings.") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
            f.flush()
            os.fsync(f.fileno())
        # A hard link never replaces an existing file, so a concurrent creator's key wins.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, p)
    finally:
        os.unlink(tmp)
    return _read_key(p)


def log_key(settings: Settings) -> bytes:
    """The audit key of an installation's log; a new one only for a log that never recorded.

    A missing key file is created (:func:`load_or_create_key`) only when
    neither the head file beside it nor the state database shows that the log
    has recorded events; otherwise a ConfigError says to restore it from the
    backup, for a new key would make every event look edited, for ever.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dpo_workbench.settings import load_settings
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {x: sqlite:///x.sqlite}\\n")
    >>> len(log_key(load_settings(d / "w.yaml")))
    32
    """
    path = audit_key_path(settings)
    if not path.exists():
        trace = _log_trace(settings, head_file_path(path))
        if trace:
            raise ConfigError(f"The audit key file {path} is missing, but {trace}. Restore the "
                              "key file from the backup: with a new key every event would look "
                              "edited.")
    return load_or_create_key(path)


def _log_trace(settings: Settings, head_file: Path) -> str | None:
    """What shows that the installation's log has recorded events, or ``None``."""
    if head_file.exists():
        return f"the audit head file {head_file} shows that the log has recorded events"
    engine = state_engine(settings.state_url)
    try:
        if holds_events(engine):
            return (f"the state database {describe_url(settings.state_url)} holds audit "
                    "events")
    except SQLAlchemyError as exc:
        raise DatabaseError(f"Cannot read the audit log in {describe_url(settings.state_url)} "
                            f"({type(getattr(exc, 'orig', exc)).__name__}). Check that the "
                            "state database is reachable.") from None
    finally:
        engine.dispose()
    return None


def audit_key_path(settings: Settings) -> Path:
    """The audit key file of an installation.

    ``audit: {key_file: ...}`` in the settings file, relative to its folder;
    by default ``state/audit.key`` next to the settings file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dpo_workbench.settings import load_settings
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {x: sqlite:///x.sqlite}\\n")
    >>> audit_key_path(load_settings(d / "w.yaml")) == d.resolve() / "state" / "audit.key"
    True
    """
    return settings.audit_key_file or settings.folder / DEFAULT_KEY_FILE
