"""``dpo-workbench demo``: build the generated demo installation, list its samples."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..errors import EXIT_CONFIG, EXIT_OK, EXIT_USAGE
from ..progress import progress_display


def demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``demo build`` and ``demo samples``."""
    from ..demo.samples import SAMPLES

    if args.demo_command == "samples":
        if args.format == "json":
            from .emit import emit_json

            emit_json({"samples": [{"key": s.key, "first_name": s.first_name,
                                    "last_name": s.last_name, "country": s.country,
                                    "phone": s.phone, "email": s.email, "notes": list(s.notes)}
                                   for s in SAMPLES]}, out)
            return EXIT_OK
        for s in SAMPLES:
            print(f"{s.first_name} {s.last_name} ({s.country}): phone {s.phone}, "
                  f"e-mail {s.email}", file=out)
            for note in s.notes:
                print(f"    {note}", file=out)
        return EXIT_OK
    from ..demo.build import build_demo

    urls = {}
    for item in args.database:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            print(f"error: --database takes NAME=URL, e.g. operative=postgresql+psycopg2://"
                  f"user@host/db (got {item.split('=')[0]!r}...)", file=err)
            return EXIT_USAGE
        urls[name] = url

    # A bar with rate and time left on a terminal, plain lines in a log.
    with progress_display(err, quiet=args.quiet) as progress:
        try:
            settings_path = build_demo(Path(args.folder), events=args.events, seed=args.seed,
                                       urls=urls, max_files=args.max_files, progress=progress,
                                       replace=args.replace)
        except FileExistsError as exc:
            progress.close()
            print(f"error: {exc}", file=err)
            return EXIT_CONFIG
        except ValueError as exc:
            progress.close()
            print(f"error: {exc}", file=err)
            return EXIT_USAGE
        if not args.no_indexes:
            from ..workbench import open_workbench

            with open_workbench(settings_path) as wb:
                wb.create_indexes(progress=progress)
    print(f"Demo installation written: settings file {settings_path}", file=out)
    print(f"Try: dpo-workbench search --config {settings_path} --phone '+358 40 123 4567'",
          file=out)
    return EXIT_OK
