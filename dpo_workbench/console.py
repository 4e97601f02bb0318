"""The ``dpo-workbench`` process: the command line, started and ended for a shell loop.

A command-line search does its work in tens of milliseconds; most of the process's
time is Python importing the modules it needs and, at exit, tearing them down. Two
things of that are pure cost here, and :func:`run` leaves them out:

- the cyclic garbage collector running *while the modules are imported*: imports
  create hundreds of thousands of objects, none of them garbage, and every
  collection walks them all again. The collector is off while the command line is
  imported, the imported objects are then set aside (:func:`gc.freeze`) and the
  collector is on again for the command's own work, so a long report or a batch
  frees its garbage as always;
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


def run() -> NoReturn:
    """Run ``dpo-workbench`` with the process's arguments and exit with its status."""
    gc.disable()
    try:
        from .cli import main
    finally:
        gc.freeze()
        gc.enable()
    status = main()
    gc.freeze()
    sys.exit(status)
