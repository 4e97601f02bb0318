"""How fast the command line starts, measured side by side in one run.

Four processes, run in interleaved rounds (one warm-up round, then ``runs`` rounds,
the order rotating from round to round so that no command always follows the
same one), each timed from ``fork`` to exit:

- ``python``: ``python -c pass``, the interpreter alone;
- ``baseline``: ``python -c "import sqlalchemy, yaml"``, the issue's yardstick;
- ``imports``: ``python -c "import ..."`` of every module a command-line search
  loads (listed by a probe process), so the import part of the start stands apart;
- ``driver``: the baseline and the installation's SQLAlchemy dialects with their
  database drivers (``psycopg``, ``pymysql``, ``sqlite3``), imported as the search
  imports them: the part of the start that any SQLAlchemy program on that engine pays;
- ``search``: the console script ``dpo-workbench search --format json`` of a real
  subject (AINO by phone and e-mail) on the installation, with its audit-log append.

On a PostgreSQL installation the driver, imports and search processes run a second
time in the same rounds with ``workbench-psycopg2.yaml``, a settings file beside the
installation's with its PostgreSQL URLs naming ``postgresql+psycopg2://`` (psycopg2
instead of psycopg 3; the same databases, datamap, files and state): the row
"(psycopg2)" of the table.

Bytecode is compiled first (``python -m compileall`` of the package and of the
environment's site-packages) and allowed (``PYTHONDONTWRITEBYTECODE`` is removed
from the children's environment): a shell that forbids writing bytecode would
otherwise make every process compile the modules it imports.

The breakdown: one process with ``-X importtime`` (the top-level modules that take
longest), and one that times the steps of the same search in turn (imports, opening
the installation, the search with its audit append, the JSON output).
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import sysconfig
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from dpo_workbench.demo.samples import AINO
from dpo_workbench.installation import Installation

from .searches import median_ms, timed

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import sqlalchemy, yaml"

#: Lists the modules a command-line search loads beyond the interpreter's own.
_MODULES_PROBE = """
import json, sys
before = set(sys.modules)
from dpo_workbench.cli import main
with open(sys.argv[1], "w") as out:
    status = main(sys.argv[2:], out=out)
print(json.dumps([m for m in sys.modules if m not in before and not m.startswith("_")]))
sys.exit(status)
"""

#: Imports the modules of a search, each once, in the order the search loaded them.
_IMPORTS = """
import importlib, json, os
for m in json.loads(os.environ["DPO_BENCH_MODULES"]):
    try:
        importlib.import_module(m)
    except Exception:
        pass
"""

#: The baseline and the dialects and drivers of the installation's databases.
_DRIVER = """
import json, os
import sqlalchemy, yaml
from sqlalchemy.engine import make_url
for url in json.loads(os.environ["DPO_BENCH_URLS"]):
    make_url(url).get_dialect().import_dbapi()
"""

#: The steps of the command-line search, timed in turn (as ``commands.search`` runs them).
_STEPS_PROBE = """
import io, json, sys, time
started = time.perf_counter()
from dpo_workbench.cli import parser
from dpo_workbench.cli import commands
from dpo_workbench.cli.emit import emit_json
t_imports = time.perf_counter()
args = parser.build_parser("search").parse_args(sys.argv[1:])
from dpo_workbench.installation import Installation
from dpo_workbench.workbench import Workbench
from dpo_workbench.audit import Action
from dpo_workbench.settings import load_settings
from dpo_workbench.datamap import load_datamap
from dpo_workbench.engines import database_engine
t0 = time.perf_counter()
settings = load_settings(args.config)
datamap = load_datamap(settings.datamap_path)
t1 = time.perf_counter()
engines = {db: database_engine(db, settings.databases[db], settings.path)
           for db in datamap.databases if db in settings.databases}
t2 = time.perf_counter()
inst = Installation(settings, datamap, engines)
t3 = time.perf_counter()
wb = Workbench(inst, user=args.user)
criteria = wb.criteria(**commands.criteria_fields(args))
plan = wb.plan(criteria)
t4 = time.perf_counter()
from dpo_workbench.search import execute_plan
result = execute_plan(plan, inst)
t5 = time.perf_counter()
audit = wb.audit
t6 = time.perf_counter()
wb.record(Action.SEARCH, criteria=plan.criteria, tables={}, detail={"items": result.total})
t7 = time.perf_counter()
emit_json(result.to_dict(), io.StringIO())
t8 = time.perf_counter()
wb.close()
t9 = time.perf_counter()
print(json.dumps({
    "imports (CLI and library)": t_imports - started,
    "settings and datamap": t1 - t0,
    "engines": t2 - t1,
    "reflection and schema check": t3 - t2,
    "criteria and plan": t4 - t3,
    "SQL and rows (execute_plan)": t5 - t4,
    "audit log opened": t6 - t5,
    "audit append": t7 - t6,
    "JSON output": t8 - t7,
    "close": t9 - t8,
    "argument parsing and further imports": t0 - t_imports,
}))
"""


def child_env() -> dict[str, str]:
    """The environment of the measured processes: bytecode allowed."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_bytecode() -> float:
    """Compile the package and the environment's site-packages; return the seconds."""
    started = time.perf_counter()
    folders = [str(ROOT / "dpo_workbench"), sysconfig.get_paths()["purelib"]]
    for folder in dict.fromkeys(folders):
        subprocess.run([sys.executable, "-m", "compileall", "-q", folder], env=child_env(),
                       capture_output=True, check=False)
    return time.perf_counter() - started


def console_script() -> list[str]:
    """The ``dpo-workbench`` console script of this environment (or ``-m`` without one)."""
    script = Path(sys.executable).parent / "dpo-workbench"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dpo_workbench.cli"]


def search_args(settings: Path) -> list[str]:
    return ["search", "--config", str(settings), "--user", "bench", "--phone", AINO.phone,
            "--email", AINO.email, "--format", "json"]


def search_modules(settings: Path) -> list[str]:
    """The modules a command-line search loads, in order (from a probe process)."""
    proc = subprocess.run([sys.executable, "-c", _MODULES_PROBE, os.devnull,
                           *search_args(settings)], capture_output=True, text=True,
                          env=child_env(), cwd=ROOT, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process: user + system) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   cwd=ROOT, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_times(settings: Path, top: int = 12) -> list[dict[str, Any]]:
    """``-X importtime`` of one search: the top-level imports that took longest."""
    code = "import sys; from dpo_workbench.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code,
                           *search_args(settings)], capture_output=True, text=True,
                          env=child_env(), cwd=ROOT, check=True)
    found = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.split(":", 1)[1].split("|")
        if name.startswith("   "):  # nested under another import: counted in its parent's
            continue
        found.append({"module": name.strip(), "ms": round(int(cumulative_us) / 1000, 1),
                      "self_ms": round(int(self_us) / 1000, 1)})
    return sorted(found, key=lambda m: -m["ms"])[:top]


def step_times(settings: Path, runs: int) -> dict[str, float]:
    """Median ms of each step of the search, over ``runs`` processes."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", _STEPS_PROBE, *search_args(settings)],
                              capture_output=True, text=True, env=child_env(), cwd=ROOT,
                              check=True)
        for step, seconds in json.loads(proc.stdout.strip().splitlines()[-1]).items():
            samples.setdefault(step, []).append(seconds)
    return {step: round(median_ms(values), 1) for step, values in samples.items()}


def reflection_timings(settings: Path, runs: int) -> dict[str, float]:
    """Median ms of reading the live schema: the databases at once (as the library does,
    on the installation's threads) and one after the other (one thread); each time on new
    connections, as in a new process."""
    times: dict[str, list[float]] = {"at once": [], "one after the other": []}
    with Installation.open(settings) as inst, ThreadPoolExecutor(max_workers=1) as one:
        own = inst.pool
        try:
            for _ in range(runs):
                for name, pool in (("at once", own), ("one after the other", one)):
                    for engine in inst.engines.values():
                        engine.dispose()
                    inst.pool = pool
                    times[name].append(timed(inst.reflect)[0])
        finally:
            inst.pool = own
    return {name: round(median_ms(values), 1) for name, values in times.items()}


def database_urls(settings: Path) -> list[str]:
    """The URLs of the installation's databases, each driver once (passwords hidden)."""
    from dpo_workbench.settings import load_settings

    urls = load_settings(settings).databases.values()
    return list({u.drivername: u.render_as_string(hide_password=True) for u in urls}.values())


#: The second PostgreSQL driver measured, and the settings file that names it.
PSYCOPG2 = ("psycopg2", "workbench-psycopg2.yaml")

#: A PostgreSQL URL's scheme, with or without a driver (``postgresql+psycopg://``).
_PG_SCHEME = re.compile(r"^postgresql(\+\w+)?://")


def driver_settings(settings: Path, scheme: str, name: str) -> Path | None:
    r"""Write ``name`` beside ``settings``: the same settings with every PostgreSQL URL
    (databases and state) starting ``scheme://`` (``postgresql+psycopg2``, or
    ``postgresql`` for SQLAlchemy's default driver); return its path, or ``None`` (and
    write nothing) when no database is on PostgreSQL.

    Everything else stays as written (relative paths are relative to the same
    folder, ``${VAR}`` placeholders are kept).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "workbench.yaml").write_text(
    ...     "datamap: datamap.yaml\n"
    ...     "databases: {a: 'postgresql+psycopg://u@h/a', b: 'sqlite:///b.sqlite'}\n")
    >>> alt = driver_settings(folder / "workbench.yaml", "postgresql+psycopg2",
    ...                       "workbench-2.yaml")
    >>> yaml.safe_load(alt.read_text())["databases"]
    {'a': 'postgresql+psycopg2://u@h/a', 'b': 'sqlite:///b.sqlite'}
    """
    raw = yaml.safe_load(settings.read_text(encoding="utf-8"))
    urls = dict(raw.get("databases") or {})
    if not any(_PG_SCHEME.match(str(u)) for u in urls.values()):
        return None

    def rewrite(url: Any) -> Any:
        return _PG_SCHEME.sub(f"{scheme}://", url) if isinstance(url, str) else url

    raw["databases"] = {db: rewrite(u) for db, u in urls.items()}
    if "state" in raw:
        raw["state"] = rewrite(raw["state"])
    out = settings.with_name(name)
    out.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def _processes(settings: Path, env: dict[str, str], suffix: str = ""
               ) -> tuple[dict[str, tuple[list[str], dict[str, str]]], list[str]]:
    """The driver, imports and search processes of one settings file (names + ``suffix``),
    and the modules its search loads."""
    modules = search_modules(settings)
    env_imports = dict(env, DPO_BENCH_MODULES=json.dumps(modules))
    env_driver = dict(env, DPO_BENCH_URLS=json.dumps(database_urls(settings)))
    return {
        f"driver{suffix}": ([sys.executable, "-c", _DRIVER], env_driver),
        f"imports{suffix}": ([sys.executable, "-c", _IMPORTS], env_imports),
        f"search{suffix}": ([*console_script(), *search_args(settings)], env),
    }, modules


def _summary(medians: dict[str, float], cpu: dict[str, float], modules: list[str]
             ) -> dict[str, Any]:
    """The ratios and loaded modules of one settings file's processes."""
    return {
        "ratio": round(medians["search"] / medians["baseline"], 3),
        "driver_ratio": round(medians["search"] / medians["driver"], 3),
        "imports_ratio": round(medians["imports"] / medians["baseline"], 3),
        # CPU time is less disturbed by other work on the machine than wall time, but
        # leaves out what a database server does for the search
        "cpu_medians_ms": cpu,
        "cpu_ratio": round(cpu["search"] / cpu["baseline"], 3) if cpu["baseline"] else None,
        "modules_loaded": len(modules),
        "heavy_loaded": [m for m in modules if m.split(".")[0] in ("pandas", "numpy",
                                                                    "ipywidgets", "voila")],
    }


def clistart_timings(settings: Path, runs: int) -> dict[str, Any]:
    """The processes, interleaved, ``runs`` rounds after one warm-up; the breakdown.

    On a PostgreSQL installation the result's ``drivers`` holds the same figures for
    psycopg2 (:data:`PSYCOPG2`), measured in the same rounds.
    """
    compiled_s = compile_bytecode()
    env = child_env()
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "python": ([sys.executable, "-c", "pass"], env),
        "baseline": ([sys.executable, "-c", BASELINE], env),
    }
    own, modules = _processes(settings, env)
    commands.update(own)
    driver, alt_name = PSYCOPG2
    alt = driver_settings(settings, f"postgresql+{driver}", alt_name)
    suffix = f" ({driver})"
    if alt is not None:
        other, alt_modules = _processes(alt, env, suffix)
        commands.update(other)
    names = list(commands)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu_times: dict[str, list[float]] = {name: [] for name in names}
    load_before = os.getloadavg()
    for round_ in range(runs + 1):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            took, cpu = _run(*commands[name])
            if round_:  # the first round warms the page cache
                times[name].append(took)
                cpu_times[name].append(cpu)
    load_after = os.getloadavg()
    all_medians = {name: round(median_ms(values), 1) for name, values in times.items()}
    all_cpu = {name: round(median_ms(values), 1) for name, values in cpu_times.items()}
    all_runs = {name: [round(t * 1000, 1) for t in values] for name, values in times.items()}
    shared = ("python", "baseline")

    def of(figures: dict[str, Any], end: str) -> dict[str, Any]:
        """The shared processes' figures and those named with ``end``, without it."""
        return {name.removesuffix(end): v for name, v in figures.items()
                if name in shared or (name.endswith(end) if end else " (" not in name)}

    medians, cpu = of(all_medians, ""), of(all_cpu, "")
    out = {
        "runs": runs,
        "medians_ms": medians,
        "runs_ms": of(all_runs, ""),
        **_summary(medians, cpu, modules),
        "search_command": "dpo-workbench " + " ".join(
            a if " " not in a else repr(a) for a in search_args(Path("SETTINGS"))),
        "baseline_command": f'python -c "{BASELINE}"',
        "bytecode": "compiled with python -m compileall (package and site-packages), "
                    "PYTHONDONTWRITEBYTECODE unset",
        "compile_seconds": round(compiled_s, 1),
        "steps_ms": step_times(settings, max(3, runs // 3)),
        "import_times": import_times(settings),
        "reflection_ms": reflection_timings(settings, runs),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }
    if alt is not None:
        medians, cpu = of(all_medians, suffix), of(all_cpu, suffix)
        out["drivers"] = {driver: {
            "settings": alt.name,
            "medians_ms": medians,
            "runs_ms": of(all_runs, suffix),
            **_summary(medians, cpu, alt_modules),
            "steps_ms": step_times(alt, max(3, runs // 3)),
            "import_times": import_times(alt),
        }}
    return out
