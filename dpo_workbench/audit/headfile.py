"""The head file: the chain's head kept outside the state database, beside the key file.

The head record in the state database (:mod:`.chain`) shows a deleted tail only
while it is there itself: whoever deletes the last events and the head row
together, or wipes the whole log, or puts back an old copy of the head row,
leaves a log that checks out. So the log also keeps its head in a small file
beside the key file (``<key file>.head``, e.g. ``state/audit.key.head``): one
line of JSON with the last event's id and hash and a MAC under the chain key.
:meth:`AuditLog.verify` compares the database with it.

Rules that keep the file truthful:

- It is only ever **advanced**: :func:`advance_head_file` takes an exclusive
  lock (``<head file>.lock``, :func:`locked`), reads the file and writes only a
  higher id. Two processes appending at once may finish their file updates in
  either order; the later, lower one is dropped.
- It is written after the database commit, so it may **lag** behind the
  database (a crash between the two, or a file that could not be written): the
  events after its id are then not covered by it, but nothing is reported, as
  long as the event at its id still has the recorded hash.
- An append does not wait for it: :class:`HeadFileKeeper` advances it on a
  thread of its own, to the newest event appended, so a burst of appends
  writes it once. The log waits for the thread when it verifies, when it
  closes and when the process exits; only a process killed in between leaves
  the file behind by the events of its last moments, as a crash between
  commit and file write always could.
- It is replaced atomically (a temporary file renamed over it), owner-only
  (mode 0600), so a reader never sees half a file.
- An append never creates it nor overwrites a damaged one: a head file that is
  missing or edited stays visible to ``verify`` until it is restored from the
  backup. Only opening a log that keeps none yet creates it (see
  :class:`AuditLog`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import ConfigError
from .chain import HEAD_FILE_NAME, Head, canonical, head_mac

#: What the head file's name adds to the key file's.
HEAD_FILE_SUFFIX = ".head"

_logger = logging.getLogger("dpo_workbench")


def head_file_path(key_path: str | os.PathLike[str]) -> Path:
    """The head file kept beside the key file ``key_path``.

    Examples
    --------
    >>> head_file_path("/srv/dpo/state/audit.key").as_posix()
    '/srv/dpo/state/audit.key.head'
    """
    p = Path(key_path)
    return p.with_name(p.name + HEAD_FILE_SUFFIX)


def read_head_file(path: str | os.PathLike[str], key: bytes) -> Head | None:
    """The head in the file at ``path`` under ``key`` (the chain key), or ``None`` if missing.

    A file that cannot be read or parsed is an invalid head (``valid`` false),
    like one whose MAC fails: both mean it was edited or damaged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dpo_workbench.audit.chain import chain_key
    >>> p, k = pathlib.Path(tempfile.mkdtemp()) / "audit.key.head", chain_key(b"k" * 32)
    >>> read_head_file(p, k) is None
    True
    >>> write_head_file(p, k, 3, "ab" * 32)
    >>> read_head_file(p, k) == Head(3, "ab" * 32, valid=True)
    True
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        last_id, last_hash, stored_mac = data["last_id"], data["last_hash"], data["mac"]
        if not (isinstance(last_id, int) and isinstance(last_hash, str)
                and isinstance(stored_mac, str)):
            raise TypeError("wrong field types")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError):
        return Head(0, "", valid=False)
    return Head.from_stored(key, last_id, last_hash, stored_mac, name=HEAD_FILE_NAME)


def write_head_file(path: str | os.PathLike[str], key: bytes, last_id: int,
                    last_hash: str) -> None:
    """Replace the file at ``path`` with a head on event ``last_id``, atomically, mode 0600.

    Call it holding :func:`locked`; :func:`advance_head_file` does.

    Examples
    --------
    >>> import tempfile, pathlib, stat
    >>> from dpo_workbench.audit.chain import chain_key
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "audit.key.head"
    >>> write_head_file(p, chain_key(b"k" * 32), 0, "0" * 64)
    >>> oct(stat.S_IMODE(p.stat().st_mode)), p.read_text()[:34]
    ('0o600', '{"head":"file","last_hash":"000000')
    """
    p = Path(path)
    text = canonical({"head": HEAD_FILE_NAME, "last_id": last_id, "last_hash": last_hash,
                      "mac": head_mac(key, last_id, last_hash, name=HEAD_FILE_NAME)})
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".audit-head-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)  # readers see the old file or the new one, never half of one
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the exclusive lock of the head file at ``path`` (a ``.lock`` file beside it).

    The lock is on a file of its own because the head file is replaced on
    every write, and a lock on a replaced file would lock nothing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "audit.key.head"
    >>> with locked(p):
    ...     pass
    >>> sorted(f.name for f in p.parent.iterdir())
    ['audit.key.head.lock']
    """
    import fcntl  # POSIX; imported here so that the package still imports elsewhere

    lock_path = Path(str(path) + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(f"Cannot open the audit head file's lock {lock_path}: {exc.strerror}. "
                          "Make its folder writable by the workbench's account.") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def advance_head_file(path: str | os.PathLike[str], key: bytes, last_id: int,
                      last_hash: str, *, read: Callable[[], Head | None] | None = None,
                      ) -> bool:
    """Move the head file at ``path`` forward to event ``last_id``; True if it moved.

    It never moves backwards, never creates a missing file and never
    overwrites one that is damaged or edited (the evidence stays for
    ``verify``). ``read`` reads the file as it is (default
    :func:`read_head_file`); it is called holding the lock.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dpo_workbench.audit.chain import chain_key
    >>> p, k = pathlib.Path(tempfile.mkdtemp()) / "audit.key.head", chain_key(b"k" * 32)
    >>> advance_head_file(p, k, 1, "ab" * 32)  # no file: not created
    False
    >>> write_head_file(p, k, 0, "0" * 64)
    >>> advance_head_file(p, k, 5, "ab" * 32), advance_head_file(p, k, 4, "cd" * 32)
    (True, False)
    >>> read_head_file(p, k).last_id
    5
    """
    with locked(path):
        current = read() if read is not None else read_head_file(path, key)
        if current is None or not current.valid or current.last_id >= last_id:
            return False
        write_head_file(path, key, last_id, last_hash)
        return True


class HeadFileKeeper:
    """The head file of one open log: read cheaply, advanced off the appender's path.

    :meth:`read` re-reads the file only when it changed (its inode, size or
    times); :meth:`advance` hands the new head to a thread that writes it as
    :func:`advance_head_file` does (a failure is logged: the event is stored
    already) and returns at once; :meth:`flush` waits for that
    thread. The thread ends after :data:`IDLE_SECONDS` with nothing to write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dpo_workbench.audit.chain import chain_key
    >>> p, k = pathlib.Path(tempfile.mkdtemp()) / "audit.key.head", chain_key(b"k" * 32)
    >>> write_head_file(p, k, 0, "0" * 64)
    >>> keeper = HeadFileKeeper(p, k)
    >>> keeper.advance(2, "ab" * 32); keeper.advance(1, "cd" * 32)
    >>> keeper.flush()
    True
    >>> keeper.read().last_id, keeper.appended.last_id
    (2, 2)
    """

    #: How long the writing thread waits for another head before it ends.
    IDLE_SECONDS = 2.0

    def __init__(self, path: Path, key: bytes):
        self.path = path
        self._key = key
        self._cond = threading.Condition()
        self._wanted: tuple[int, str] | None = None  # the newest head asked for
        self._written = 0  # the newest id the thread has handled
        self._thread: threading.Thread | None = None
        self._seen: tuple[tuple[int, int, int, int] | None, Head | None] = (None, None)
        _KEEPERS.add(self)

    @property
    def appended(self) -> Head | None:
        """The newest head this log appended, written to the file or not yet."""
        wanted = self._wanted
        return Head(wanted[0], wanted[1], valid=True) if wanted else None

    def read(self) -> Head | None:
        """The head in the file (:func:`read_head_file`), re-read only if the file changed."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError:
            return read_head_file(self.path, self._key)  # unreadable: say so
        signature = _signature(st)
        seen, head = self._seen
        if seen != signature:
            head = read_head_file(self.path, self._key)
            self._seen = (signature, head)
        return head

    def _advance(self, last_id: int, last_hash: str) -> None:
        """:func:`advance_head_file`, then the file read here, not by the next append."""
        advance_head_file(self.path, self._key, last_id, last_hash, read=self.read)
        self.read()

    def advance(self, last_id: int, last_hash: str) -> None:
        """Have the file moved forward to event ``last_id`` (committed), without waiting."""
        with self._cond:
            if self._wanted is None or last_id > self._wanted[0]:
                self._wanted = (last_id, last_hash)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="dpo-workbench audit head file")
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the file was advanced to every head asked for; False on timeout."""
        with self._cond:
            return self._cond.wait_for(self._caught_up, timeout)

    def _caught_up(self) -> bool:
        return self._wanted is None or self._written >= self._wanted[0]

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: not self._caught_up(), self.IDLE_SECONDS):
                    self._thread = None
                    return
                assert self._wanted is not None
                last_id, last_hash = self._wanted
            try:
                self._advance(last_id, last_hash)
            except (OSError, ConfigError) as exc:
                _logger.warning("audit event %d is stored, but the head file %s could not be "
                                "advanced: %s", last_id, self.path, exc)
            except Exception as exc:  # noqa: BLE001 - the thread must go on writing
                _logger.warning("audit event %d is stored, but the head file %s could not "
                                "be advanced (%s)", last_id, self.path, type(exc).__name__)
            finally:
                with self._cond:
                    self._written = max(self._written, last_id)
                    self._cond.notify_all()


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """What tells one state of the file from another."""
    # Every write replaces the file (a new inode); an edit in place changes its times.
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


#: Every keeper alive, flushed when the interpreter exits.
_KEEPERS: weakref.WeakSet[HeadFileKeeper] = weakref.WeakSet()


def _flush_all() -> None:
    for keeper in list(_KEEPERS):
        keeper.flush(timeout=10)


atexit.register(_flush_all)
