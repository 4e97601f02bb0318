"""The ``dpo-workbench`` process: the command line, started and ended for a shell loop.

A command-line search does its work in tens of milliseconds; most of the process's
time is Python importing the modules it needs and, at exit, tearing them down. Two
things of that are pure cost here, and :func:`run` leaves them out:

- the cyclic garbage collector running *while the process starts*: importing the
  modules, and then opening the installation (its database dialects and drivers are
  imported when its engines are made, its kept schema is read back), create
  hundreds of thousands of objects, none of them garbage, and every collection
  walks them all again. The collector is off while the command line is imported;
  the imported objects are then set aside (:func:`gc.freeze`) and the collector
  runs rarely (every :data:`START_THRESHOLD` new objects) until the command has
  opened what it works on and calls :func:`started`: what the opening made is set
  aside too and the collector is back to its usual pace for the command's own
  work, so a long report or a batch frees its garbage as always. A command that
  never calls :func:`started` still collects, only less often;
- the last collection at exit, which walks every object only to free what the
  process is about to give back anyway. Before exiting, everything is set aside
  again. Nothing depends on it: files, reports and database transactions are
  closed by the commands themselves, and standard output is flushed at exit.

``tests/test_cli_start.py`` checks that the process behaves as ``main`` does;
``bench/clistart.py`` measures the start against ``python -c "import sqlalchemy,
yaml"``.
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

#: New objects between two collections while the command opens its installation.
START_THRESHOLD = 100_000

#: The collector's thresholds to go back to once the command has started.
_usual: tuple[int, int, int] | None = None


def run() -> NoReturn:
    """Run ``dpo-workbench`` with the process's arguments and exit with its status."""
    global _usual
    gc.disable()
    try:
        from .cli import main
    finally:
        gc.freeze()
        _usual = gc.get_threshold()
        gc.set_threshold(START_THRESHOLD, *_usual[1:])
        gc.enable()
    status = main()
    gc.freeze()
    sys.exit(status)


def started() -> None:
    """The command has opened what it works on: set that aside, collect as usual again.

    Does nothing outside the ``dpo-workbench`` process (:func:`run`), e.g. when
    :func:`dpo_workbench.cli.main` is called from Python.
    """
    global _usual
    if _usual is not None:
        gc.freeze()
        gc.set_threshold(*_usual)
        _usual = None
