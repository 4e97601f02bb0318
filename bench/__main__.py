"""``python -m bench``: build demo installations and measure them (see bench/README.md)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from . import builds, machine, render
from .run import Options, bench_installation, clistart_only, overhead_only, sweep_only

HERE = Path(__file__).parent
ENGINES = ("sqlite", "postgresql", "mariadb")
#: ``--only`` parts: each measured alone on kept installations, stored in its own list
#: of RESULTS.json (the full run fills all of them).
PARTS = ("sweep", "overhead", "clistart")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Build demo installations of several sizes on SQLite, PostgreSQL and "
                    "MariaDB and measure search (indexed, full scan, pandas), report, erasure, "
                    "indexes, memory, the API's overhead over its SQL and the command line's "
                    "start. Results go to bench/RESULTS.md (and a .json beside it).")
    p.add_argument("--sizes", default="100k,1m",
                   help="contact events per installation, comma-separated (default 100k,1m; "
                        "e.g. 100k,1m,10m)")
    p.add_argument("--engines", default="sqlite,postgresql",
                   help="sqlite, postgresql and/or mariadb, comma-separated (default "
                        "sqlite,postgresql)")
    p.add_argument("--runs", type=int, default=7,
                   help="measured runs of each indexed search, after one warm-up (default 7)")
    p.add_argument("--naive-runs", type=int, default=3,
                   help="measured runs of each full-scan and pandas search (default 3)")
    p.add_argument("--report-runs", type=int, default=3,
                   help="measured runs of the report of 1,000 items (default 3)")
    p.add_argument("--pandas-max", default="1m",
                   help="largest size measured the pandas way (default 1m; larger sizes are "
                        "skipped and marked so)")
    p.add_argument("--full-scan-max", default="1m",
                   help="above this size the full scan runs for three searches only (phone "
                        "N=7, e-mail, all combined with a span), without warm-up (default 1m)")
    p.add_argument("--sweep-runs", type=int, default=3,
                   help="measured runs of the deep sweep, as the library does it and with one "
                        "thread, per subject (default 3)")
    p.add_argument("--sweep-naive-max", default="1m",
                   help="largest size swept in Python alone, for comparison (default 1m)")
    p.add_argument("--cli-runs", type=int, default=15,
                   help="measured rounds of the command-line start, after one warm-up round "
                        "(default 15)")
    p.add_argument("--only", choices=("all", *PARTS), default="all",
                   help="measure only one part, reusing kept installations and keeping the "
                        "earlier runs' other figures: sweep (the deep sweep and an erasure "
                        "with it), overhead (the API search against its SQL alone), clistart "
                        "(the command line's start) (default all)")
    p.add_argument("--clean", action="store_true",
                   help="delete the work folder and drop every dpo_bench_* database on the "
                        "servers of --engines, then stop (nothing is measured)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-files", type=int, default=2000,
                   help="files per file store of the demo (default 2000)")
    p.add_argument("--keep", action="store_true",
                   help="keep the installations under bench/work/ (and reuse them next time)")
    p.add_argument("--work", type=Path, default=HERE / "work",
                   help="where installations are built (default bench/work)")
    p.add_argument("--out", type=Path, default=HERE / "RESULTS.md",
                   help="the results file (default bench/RESULTS.md); a .json beside it "
                        "keeps the raw numbers, merged with earlier runs of other sizes")
    p.add_argument("--fresh", action="store_true",
                   help="forget the results of earlier runs instead of merging with them")
    p.add_argument("--pg-admin-url", default=builds.DEFAULT_PG_ADMIN_URL,
                   help="PostgreSQL URL allowed to create databases (env DPO_BENCH_PG_ADMIN_URL)")
    p.add_argument("--mariadb-admin-url", default=builds.DEFAULT_MARIADB_ADMIN_URL,
                   help="MariaDB URL allowed to create databases (env "
                        "DPO_BENCH_MARIADB_ADMIN_URL)")
    args = p.parse_args(argv)
    args.sizes = [builds.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = sorted(set(args.engines) - set(ENGINES))
    if bad:
        p.error(f"unknown engine(s) {', '.join(bad)}; use {', '.join(ENGINES)}")
    if min(args.runs, args.naive_runs, args.report_runs, args.sweep_runs, args.cli_runs) < 1:
        p.error("runs must be at least 1")
    args.pandas_max = builds.parse_size(args.pandas_max)
    args.full_scan_max = builds.parse_size(args.full_scan_max)
    args.sweep_naive_max = builds.parse_size(args.sweep_naive_max)
    return args


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("results", [])
    return data


def _write(path: Path, text: str) -> None:
    """Replace ``path`` at once: a run reading it meanwhile sees the old or the new text."""
    part = path.with_name(f".{path.name}.{os.getpid()}")
    part.write_text(text)
    os.replace(part, path)


#: The list of RESULTS.json each ``--only`` part is kept in.
LISTS = {"sweep": "sweeps", "overhead": "overheads", "clistart": "clistarts"}


def _store(data: dict[str, Any], name: str, entry: dict[str, Any]) -> None:
    """Put ``entry`` in list ``name``, in place of the same installation's earlier entry."""
    key = (entry["engine"], entry["events"], entry["seed"])
    data[name] = [r for r in data.get(name, [])
                  if (r["engine"], r["events"], r["seed"]) != key] + [entry]


def clean(args: argparse.Namespace) -> int:
    """``--clean``: the work folder and the servers' ``dpo_bench_*`` databases, gone."""
    servers = builds.Servers(args.pg_admin_url, args.mariadb_admin_url)
    for engine in args.engines:
        if engine in builds.SERVERS:
            names = builds.bench_databases(servers.admin_url(engine))
            builds.server_drop(servers.admin_url(engine), names)
            print(f"{engine}: dropped {len(names)} dpo_bench_* databases", file=sys.stderr)
    shutil.rmtree(args.work, ignore_errors=True)
    print(f"deleted {args.work}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.clean:
        return clean(args)
    command = "python -m bench" + ("" if not argv else " " + shlex.join(argv))
    servers = builds.Servers(args.pg_admin_url, args.mariadb_admin_url)
    opts = Options(runs=args.runs, naive_runs=args.naive_runs, report_runs=args.report_runs,
                   pandas_max=args.pandas_max, full_scan_max=args.full_scan_max,
                   keep=args.keep, servers=servers, sweep_runs=args.sweep_runs,
                   sweep_naive_max=args.sweep_naive_max, cli_runs=args.cli_runs)
    json_path = args.out.with_suffix(".json")
    fresh = args.fresh
    info = machine.describe(args.pg_admin_url if "postgresql" in args.engines else None,
                            args.mariadb_admin_url if "mariadb" in args.engines else None)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    args.work.mkdir(parents=True, exist_ok=True)
    ignore = args.work / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# demo installations built by python -m bench\n*\n")
    print(f"{command}\n{info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB; "
          f"sizes {', '.join(builds.size_label(s) for s in args.sizes)}; "
          f"engines {', '.join(args.engines)}", file=sys.stderr)
    part_options = {
        "sweep": {"sweep_runs": args.sweep_runs, "sweep_naive_max": args.sweep_naive_max},
        "overhead": {"runs": args.runs},
        "clistart": {"cli_runs": args.cli_runs},
    }
    for events in args.sizes:
        for engine in args.engines:
            label = f"{engine} {builds.size_label(events)}"
            print(f"[{label}] installation ...", file=sys.stderr)
            inst = builds.obtain(engine, events, args.seed, args.work, servers,
                                 args.max_files)
            how = "reused" if inst.reused else "built"
            print(f"[{label}] {how} ({inst.build_seconds:.0f} s build)", file=sys.stderr)
            result: dict[str, Any] = {}
            try:
                if args.only == "sweep":
                    parts = {"sweep": sweep_only(inst, opts)}
                elif args.only == "overhead":
                    parts = {"overhead": overhead_only(inst, opts)}
                elif args.only == "clistart":
                    parts = {"clistart": clistart_only(inst, opts)}
                else:
                    result = bench_installation(inst, opts)
                    parts = {"sweep": {"sweep": result.pop("sweep"),
                                       "erasure": result["erasure"], "rows": result["rows"]},
                             "overhead": {"overhead": result.pop("overhead")},
                             "clistart": {"clistart": result.pop("clistart")}}
            finally:
                if not args.keep and not inst.reused:
                    builds.remove(inst, servers)
            stamp = {"engine": engine, "events": events, "seed": args.seed, "command": command,
                     "started": started, "machine": info}
            # Read again before writing: another run (of another part or engine) may have
            # written since; --fresh forgets only what was there before this run.
            data = {"results": []} if fresh else _load(json_path)
            fresh = False
            for part, entry in parts.items():
                _store(data, LISTS[part], {**entry, **stamp, "options": part_options[part]})
            if result:
                result.update(stamp, options={"runs": args.runs, "naive_runs": args.naive_runs,
                                              "report_runs": args.report_runs,
                                              "pandas_max": args.pandas_max,
                                              "full_scan_max": args.full_scan_max,
                                              "max_files": args.max_files})
                _store(data, "results", result)
            _write(json_path, json.dumps(data, indent=1, default=str) + "\n")
            _write(args.out, render.markdown(data))
            print(f"[{label}] done; results in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
