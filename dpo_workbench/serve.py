"""Serve the DPO dashboard: the web server of :mod:`dpo_workbench.web`, configured safely.

Run it as::

    python -m dpo_workbench.serve --config FILE [--ip 127.0.0.1] [--port 8866]
        [--certfile CERT --keyfile KEY] [--hostname NAME ...] [--pool-size 1]
        [--max-kernels 6] [--max-kernels-per-user 2] [--log-file FILE]

What it sets up, and why:

- The server (Voila with log-on in front of every kernel, ``python -m
  dpo_workbench.web``) listens on ``127.0.0.1`` unless told otherwise (``--ip`` or
  ``dashboard: {ip:}``). With ``--certfile``/``--keyfile`` it speaks HTTPS with the
  server's own certificate; without them, serve other machines only through a TLS
  reverse proxy.
- Only the host names it serves are answered (``--hostname`` adds names besides
  the address): a DNS-rebinding page gets nothing.
- ``--Voila.port_retries=0``: a port in use is an error, not a silent move to
  another port.
- Kernels exist only for logged-on sessions: at most ``--max-kernels`` at once, and
  ``--max-kernels-per-user`` per user, plus ``--pool-size`` warm ones. A session's
  kernel is shut down at log off, after the idle time-out (``auth: {idle_minutes:}``)
  and shortly after its window closes; a kernel busy without a window is left to
  finish for at most ``dashboard: {cull_idle_minutes:}`` without output.
- No file is served from the notebook's folder; reports and files travel inside the
  kernel's widget messages only.
- Tracebacks stay out of the page: ``show_tracebacks`` is off, the kernel logs to a
  file (:func:`dpo_workbench.ui.app.protect_kernel`) and the server drops every
  ``stream`` and ``error`` message on the way to the page.
- Jupyter's config, data and runtime folders are private to this server (a new
  temporary folder, mode 0700), so no stray configuration or extension is loaded.
- The settings path reaches the server and the kernels in ``DPO_WORKBENCH_CONFIG``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, WorkbenchError, exit_status
from .extras import require
from .settings import Settings, load_settings
from .ui import CONFIG_ENV

LOG_ENV = "DPO_WORKBENCH_LOG"  # the same name as dpo_workbench.ui.app.LOG_ENV (no widgets here)
NOTEBOOK_NAME = "dpo_dashboard.ipynb"
#: The dashboard notebook, for installs without the repository's notebooks folder.
_NOTEBOOK = {
    "cells": [{
        "cell_type": "code", "execution_count": None, "id": "dashboard", "metadata": {},
        "outputs": [],
        "source": ["import os\n", "\n", "from dpo_workbench.ui import dashboard\n", "\n",
                   "dashboard(os.environ.get(\"DPO_WORKBENCH_CONFIG\", "
                   "\"../demo-install/workbench.yaml\"))"],
    }],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def find_notebook(private: Path) -> Path:
    """The dashboard notebook: the repository's, else a copy written into ``private``."""
    repo = Path(__file__).resolve().parents[1] / "notebooks" / NOTEBOOK_NAME
    if repo.is_file():
        return repo
    folder = private / "app"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NOTEBOOK_NAME
    path.write_text(json.dumps(_NOTEBOOK, indent=1), encoding="utf-8")
    return path


def voila_config() -> dict[str, Any]:
    """The Voila configuration written into the private config folder."""
    return {
        "VoilaConfiguration": {
            "file_allowlist": [],
            "file_denylist": [".*"],
            "show_tracebacks": False,
            "strip_sources": True,
        },
    }


@dataclass(frozen=True)
class Options:
    """How the server is to run (the command line's options, with their defaults)."""

    certfile: Path | None = None
    keyfile: Path | None = None
    hostnames: tuple[str, ...] = ()
    pool_size: int = 1
    max_kernels: int = 6
    max_kernels_per_user: int = 2


def voila_command(notebook: Path, ip: str, port: int, cull_seconds: int,
                  connection_dir: Path, options: Options = Options()) -> list[str]:
    """The web server's command line (the settings of :func:`voila_config` too, for priority)."""
    command = [
        sys.executable, "-m", "dpo_workbench.web", str(notebook),
        "--no-browser",
        f"--Voila.ip={ip}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        f"--Voila.connection_dir_root={connection_dir}",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        f"--DpoVoila.busy_limit={cull_seconds}",
        f"--DpoKernelManager.pool_size={options.pool_size}",
        f"--DpoKernelManager.max_kernels={options.max_kernels}",
        f"--DpoKernelManager.max_kernels_per_user={options.max_kernels_per_user}",
    ]
    if options.certfile is not None:
        command.append(f"--DpoVoila.certfile={options.certfile}")
    if options.keyfile is not None:
        command.append(f"--DpoVoila.keyfile={options.keyfile}")
    if options.hostnames:
        command.append(f"--DpoVoila.hostnames={json.dumps(list(options.hostnames))}")
    return command


@dataclass(frozen=True)
class Serving:
    """How to start Voila for an installation: command, environment, address."""

    command: list[str]
    env: dict[str, str]
    ip: str
    url: str
    settings: Settings
    tls: bool = False


def prepare(settings_path: Path, ip: str | None, port: int | None, private: Path,
            log_file: Path | None = None, options: Options = Options()) -> Serving:
    """The command, its environment and the URL to serve an installation's dashboard.

    ``private`` is the folder for Jupyter's config, data and runtime files.

    Raises
    ------
    WorkbenchError
        The settings file is missing or wrong, or a certificate or key file is missing.
    """
    for label, path in (("certificate", options.certfile), ("key", options.keyfile)):
        if path is not None and not path.is_file():
            raise ConfigError(f"The TLS {label} file {path} does not exist.")
    if options.keyfile is not None and options.certfile is None:
        raise ConfigError("--keyfile needs --certfile.")
    settings = load_settings(settings_path)
    dashboard = settings.dashboard
    ip = ip or dashboard.ip
    port = port or dashboard.port
    cull = max(60, round(dashboard.cull_idle_minutes * 60))
    for sub in ("config", "data", "runtime", "connections"):
        (private / sub).mkdir(parents=True, exist_ok=True)
    (private / "config" / "voila.json").write_text(json.dumps(voila_config(), indent=1),
                                                   encoding="utf-8")
    notebook = find_notebook(private)
    log_path = log_file or settings.folder / "state" / "dashboard.log"
    env = dict(os.environ)
    env.update({
        "JUPYTER_CONFIG_DIR": str(private / "config"),
        "JUPYTER_DATA_DIR": str(private / "data"),
        "JUPYTER_RUNTIME_DIR": str(private / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        CONFIG_ENV: str(settings.path),
        LOG_ENV: str(log_path),
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("JUPYTER_CONFIG_PATH", None)  # no configuration from elsewhere
    host = options.hostnames[0] if options.hostnames else (f"[{ip}]" if ":" in ip else ip)
    url = f"{'https' if options.certfile else 'http'}://{host}:{port}/"
    return Serving(voila_command(notebook, ip, port, cull, private / "connections", options),
                   env, ip, url, settings, tls=options.certfile is not None)


def _is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def _wait_stopped(proc: subprocess.Popen[bytes]) -> int:
    for sig, timeout in ((None, 3.0), (signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        if sig is not None and proc.poll() is None:
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
    return proc.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the dashboard until interrupted; return Voila's exit status.

    Examples
    --------
    >>> main(["--config", "demo-install/workbench.yaml"])    # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(prog="python -m dpo_workbench.serve",
                                     description="Serve the DPO dashboard with Voila.")
    parser.add_argument("--config", "-c", required=True, metavar="FILE",
                        help="the installation's settings file")
    parser.add_argument("--ip", default=None,
                        help="address to listen on (default: dashboard.ip, else 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None,
                        help="port (default: dashboard.port, else 8866)")
    parser.add_argument("--log-file", type=Path, default=None,
                        help="the dashboard's error log (default: <settings folder>/state/"
                             "dashboard.log)")
    parser.add_argument("--certfile", type=Path, default=None,
                        help="TLS certificate (PEM) of this server: serve HTTPS")
    parser.add_argument("--keyfile", type=Path, default=None,
                        help="the certificate's private key (PEM)")
    parser.add_argument("--hostname", action="append", default=[], metavar="NAME",
                        help="a host name clients use to reach the server (repeatable); "
                             "other Host headers are refused")
    parser.add_argument("--pool-size", type=int, default=1, metavar="N",
                        help="kernels kept started for the next log-ons (default 1)")
    parser.add_argument("--max-kernels", type=int, default=6, metavar="N",
                        help="most dashboard windows (kernels) at once (default 6)")
    parser.add_argument("--max-kernels-per-user", type=int, default=2, metavar="N",
                        help="most dashboard windows of one user at once (default 2)")
    args = parser.parse_args(argv)
    try:
        require("dashboard", "The dashboard")
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_status(exc)
    options = Options(args.certfile, args.keyfile, tuple(args.hostname),
                      max(0, args.pool_size), max(1, args.max_kernels),
                      max(1, args.max_kernels_per_user))

    private = Path(tempfile.mkdtemp(prefix="dpo-workbench-jupyter-"))
    os.chmod(private, 0o700)
    try:
        try:
            serving = prepare(Path(args.config), args.ip, args.port, private, args.log_file,
                              options)
        except WorkbenchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exit_status(exc)
        settings = serving.settings
        print(f"DPO dashboard of {settings.name}: {serving.url}", flush=True)
        if not _is_loopback(serving.ip) and not serving.tls:
            print(f"warning: listening on {serving.ip}, reachable from other machines over plain "
                  "HTTP. Give --certfile and --keyfile, or put a TLS reverse proxy in front of "
                  "it.", file=sys.stderr, flush=True)
        if settings.demo is not None:
            print("Demo logins: dpo / dpo-demo (DPO right), agent / agent-demo (refused: "
                  "no DPO right). Stop with Ctrl+C.", flush=True)
        proc = subprocess.Popen(serving.command, env=serving.env, cwd=private)

        def stop(signum: int, _frame: Any) -> None:
            proc.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            # Ctrl+C reached Voila too (same process group); it shuts its kernels down.
            return _wait_stopped(proc)
    finally:
        shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
