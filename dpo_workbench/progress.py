"""Progress of long work: one callback type for every step, and where it is shown.

A step that takes time (a search over many databases, a report of many items,
an erasure, building indexes, a batch of requests) accepts
``progress(message, done, total)`` and calls it as it goes; messages name
databases, tables and indexes, never personal data.

:func:`progress_display` turns those calls into what suits the place the work
runs in:

- a **terminal** (the stream is a TTY): a bar with the rate and the time left
  (tqdm), one per stage, redrawn in place;
- a **log or a pipe** (not a TTY): plain lines, no carriage returns, at most one
  every :data:`LINE_INTERVAL` seconds besides the end of each stage, each with
  the rate and the time left, so a log file reads line by line;
- a **notebook** (Jupyter, with ipywidgets installed): a progress widget.

A *stage* is a run of calls with the same ``total`` whose ``done`` does not go
back; a new total, or ``done`` going back, starts the next stage (a demo build
reports its databases and tables one stage after another). tqdm and ipywidgets
are imported only when a display is made, so a command that shows no progress
(a JSON search) loads neither.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

#: ``progress(message, done, total)``.
Progress = Callable[[str, int, int], None]

#: Least seconds between two plain progress lines (the end of a stage is always written).
LINE_INTERVAL = 2.0


def duration_text(seconds: float) -> str:
    """``seconds`` as ``M:SS`` or ``H:MM:SS``.

    >>> duration_text(5), duration_text(75.4), duration_text(3725)
    ('0:05', '1:15', '1:02:05')
    """
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressDisplay:
    """Shows ``progress(message, done, total)`` calls; a base that shows nothing.

    Call it as a :data:`Progress` callback; :meth:`close` (or leaving a ``with``
    block) ends the current stage's display.
    """

    def __init__(self) -> None:
        self._total: int | None = None
        self._done = 0

    def __call__(self, message: str, done: int, total: int) -> None:
        if total <= 0:  # nothing to do in this stage: nothing to show
            self.close()
            self._total = None
            return
        finished = self._total is not None and self._done >= self._total
        if self._total is None or total != self._total or done < self._done or finished:
            self.close()
            self._total = total
            self.start(message, done, total)
        self._done = done
        self.step(message, done, total)
        if done >= total:
            self.close()

    def start(self, message: str, done: int, total: int) -> None:
        """A new stage begins."""

    def step(self, message: str, done: int, total: int) -> None:
        """The current stage reached ``done`` of ``total``."""

    def close(self) -> None:
        """End the current stage's display (idempotent)."""

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LineProgress(ProgressDisplay):
    """Plain lines for a log: no ``\\r``, rate-limited, the end of every stage written.

    The first step is written at once (the log shows the work began), then at most
    one line every ``interval`` seconds, and the end of each stage.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> show = LineProgress(out, interval=3600)
    >>> for i in range(1, 1001):
    ...     show("searching", i, 1000)
    >>> print(out.getvalue().replace("0:00", "M:SS"), end="")
    searching: 1/1000 (0%)
    searching: 1000/1000 (100%) in M:SS
    """

    def __init__(self, stream: TextIO, *, interval: float = LINE_INTERVAL):
        super().__init__()
        self._stream = stream
        self._interval = interval
        self._last_line = -float("inf")
        self._started = time.monotonic()
        self._first = 0

    def start(self, message: str, done: int, total: int) -> None:
        self._started, self._first = time.monotonic(), done

    def step(self, message: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last_line < self._interval:
            return
        self._last_line = now
        elapsed = now - self._started
        pct = f" ({100 * done // total}%)" if total > 0 else ""
        line = f"{message}: {done}/{total}{pct}"
        if done >= total:
            line += f" in {duration_text(elapsed)}"
        elif done > self._first and elapsed > 0:
            rate = (done - self._first) / elapsed
            speed = f"{rate:,.1f}/s" if rate >= 1 else f"{rate * 60:,.1f}/min"
            line += f", {speed}, about {duration_text((total - done) / rate)} left"
        print(line, file=self._stream, flush=True)


class BarProgress(ProgressDisplay):
    """A tqdm bar per stage, with the rate and the time left (terminal or notebook)."""

    def __init__(self, bar: Callable[..., Any], **options: Any):
        super().__init__()
        self._make = bar
        self._options = options
        self._bar: Any = None

    def start(self, message: str, done: int, total: int) -> None:
        self._bar = self._make(total=total, desc=message, **self._options)

    def step(self, message: str, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.set_description_str(message, refresh=False)
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel that can show ipywidgets.

    Looks only at modules already loaded (and whether ipywidgets is installed),
    so a command line process never imports IPython or ipywidgets for it.

    >>> in_notebook()
    False
    """
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    kernel = get() if get else None
    return (type(kernel).__name__ == "ZMQInteractiveShell"
            and ("ipywidgets" in sys.modules or importlib.util.find_spec("ipywidgets") is not None))


def progress_display(stream: TextIO | None = None, *, quiet: bool = False,
                     interval: float = LINE_INTERVAL) -> ProgressDisplay:
    """A display of progress that suits where the work runs (see the module docstring).

    Parameters
    ----------
    stream
        Where to write; default standard error. A stream that is not a TTY gets
        plain lines; in a Jupyter notebook without a stream, a widget.
    quiet
        Show nothing.
    interval
        Least seconds between two plain lines.

    Examples
    --------
    >>> import io
    >>> type(progress_display(io.StringIO())).__name__
    'LineProgress'
    >>> with progress_display(io.StringIO(), quiet=True) as show:
    ...     show("nothing shown", 1, 2)
    """
    if quiet:
        return ProgressDisplay()
    if stream is None and in_notebook():
        from tqdm.notebook import tqdm as notebook_bar

        return BarProgress(notebook_bar, leave=True)
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        from tqdm import tqdm

        # smoothing=0: the rate over the whole stage, steadier for the time left than
        # the latest steps' (a demo stage reports in blocks).
        return BarProgress(tqdm, file=stream, leave=True, dynamic_ncols=True, mininterval=0.2,
                           smoothing=0)
    return LineProgress(stream, interval=interval)


def as_progress(progress: Progress | bool | None) -> tuple[Progress | None, Callable[[], None]]:
    """A callback and its closer from what an API call was given.

    ``True`` shows progress where the work runs (:func:`progress_display`);
    ``None`` or ``False`` nothing; a callable is used as it is (and not closed).

    >>> callback, close = as_progress(None); callback is None
    True
    """
    if progress is True:
        display = progress_display()
        return display, display.close
    if not progress:
        return None, _nothing
    return progress, _nothing


def _nothing() -> None:
    return None
