"""``dpo-workbench datamap draft``: a commented draft datamap from the live schema.

It needs only the settings file's databases (and file stores): the datamap it
drafts is what the settings file will name. The draft goes to standard output
(also with ``--out -``), or to ``--out FILE`` (never over an existing file without
``--force``); what was drafted, and what to do next, goes to standard error.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from ..errors import EXIT_OK, UsageError
from .emit import STDOUT


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run a parsed ``datamap`` command; return the exit status."""
    from ..datamap.draft import draft_datamap
    from ..report.output import atomic_file

    target = Path(args.out) if args.out and args.out != STDOUT else None
    if target is not None:  # refused before any database is read
        if target.exists() and not args.force:
            raise UsageError(f"{target} exists; give --force to replace it (nothing was "
                             "written).")
        if not target.parent.is_dir():
            raise UsageError(f"The folder {target.parent} does not exist: create it, or write "
                             "the draft elsewhere.")
    draft = draft_datamap(args.config)
    text = draft.text()
    if target is None:
        out.write(text)
    else:
        with atomic_file(target) as f:
            f.write(text.encode("utf-8"))
    children = sum(len(t.children) for t in draft.tables)
    print(f"Drafted {len(draft.tables)} table(s) with {children} child table(s) from "
          f"{len(draft.databases)} database(s); {len(draft.left_out)} table(s) left out; "
          f"{draft.reviews} review note(s)" + (f", written to {target}." if target else "."),
          file=err)
    where = os.path.relpath(target.resolve(), draft.settings.parent) if target else "FILE"
    if draft.datamap is None:
        print(f"Next: review every '# review:' note, add 'datamap: {where}' to {draft.settings}, "
              "then run `dpo-workbench check`.", file=err)
    else:
        print(f"Next: review every '# review:' note, then run `dpo-workbench check` with the "
              f"draft as the settings file's datamap (now: {draft.datamap}).", file=err)
    return EXIT_OK
