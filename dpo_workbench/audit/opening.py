"""Opening the installation's audit log: at once, or on a thread of its own.

:func:`open_audit_log` opens it from the settings.

A command-line search opens the installation's databases and its audit log; the
two do not depend on each other, so :meth:`Workbench.open` (``audit_ahead``)
opens the log on a thread of its own meanwhile. An error opening it is kept and
raised where the log is first used, so a command that records nothing is not
failed by a log it never needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .headfile import head_file_path
from .keys import audit_key_path, log_key
from .log import AuditLog

if TYPE_CHECKING:
    from ..settings import Settings


class AuditOpening:
    """The audit log being opened on a thread of its own (see :meth:`Workbench.open`).

    Examples
    --------
    >>> AuditOpening(lambda: 42).result()
    42
    >>> AuditOpening(lambda: 1 / 0).result()
    Traceback (most recent call last):
    ...
    ZeroDivisionError: division by zero
    """

    def __init__(self, make: Callable[[], AuditLog]):
        self._value: AuditLog | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = make()
            except BaseException as exc:  # handed to whoever asks for the log
                self._error = exc

        self._thread = threading.Thread(target=run, name="dpo-audit-open", daemon=True)
        self._thread.start()

    def result(self) -> AuditLog:
        """The opened log, once opened; the error of opening it, if that failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value

    def discard(self) -> None:
        """Wait for the opening to end and close what it opened (its error is dropped)."""
        self._thread.join()
        if self._value is not None:
            self._value.close()


def open_audit_log(settings: Settings) -> AuditLog:
    """Open the installation's audit log (state database, key file, head file beside it).

    Needs neither the datamap nor the installation's databases. A missing key
    file is a ConfigError unless the log is new (:func:`.keys.log_key`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dpo_workbench.settings import load_settings
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {x: sqlite:///x.sqlite}\\n")
    >>> with open_audit_log(load_settings(d / "w.yaml")) as log:
    ...     log.verify().ok
    True
    """
    return AuditLog(settings.state_url, log_key(settings),
                    head_file_path(audit_key_path(settings)))
