"""The audit log opened on a thread of its own, while the caller does other work.

A command-line search opens the installation's databases and its audit log; the
two do not depend on each other, so :meth:`Workbench.open` (``audit_ahead``)
opens the log on a thread of its own meanwhile. An error opening it is kept and
raised where the log is first used, so a command that records nothing is not
failed by a log it never needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .log import AuditLog


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
