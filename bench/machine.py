"""A description of the machine and software versions, for the results."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from typing import Any

import pandas as pd
import sqlalchemy
from sqlalchemy import create_engine, text


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return float("nan")


def _os_name() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    name = line.split("=", 1)[1].strip().strip('"')
                    return f"{name} (kernel {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def postgres_info(admin_url: str) -> dict[str, str]:
    """Server version and the settings that matter for these measurements."""
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            out = {"version": conn.execute(text("SHOW server_version")).scalar_one()}
            for name in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit",
                         "plan_cache_mode"):
                out[name] = conn.execute(text(f"SHOW {name}")).scalar_one()
            return out
    except Exception as exc:  # the server is optional
        return {"version": f"not reachable ({type(exc).__name__})"}
    finally:
        engine.dispose()


def mariadb_info(admin_url: str) -> dict[str, str]:
    """MariaDB's version and the settings that matter for these measurements."""
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            out = {"version": conn.execute(text("SELECT version()")).scalar_one()}
            for name in ("innodb_buffer_pool_size", "optimizer_switch"):
                value = conn.execute(text(f"SELECT @@{name}")).scalar_one()
                if name == "innodb_buffer_pool_size":
                    value = f"{int(value) // 2**20}MB"
                elif name == "optimizer_switch":
                    name, value = "index_merge_union", "on" if "index_merge_union=on" in value \
                        else "off"
                out[name] = str(value)
            return out
    except Exception as exc:  # the server is optional
        return {"version": f"not reachable ({type(exc).__name__})"}
    finally:
        engine.dispose()


def describe(admin_url: str | None, mariadb_admin_url: str | None = None) -> dict[str, Any]:
    import psycopg
    import pymysql

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(_ram_gib(), 1),
        "os": _os_name(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_info(admin_url) if admin_url else None,
        "pandas": pd.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "mariadb": mariadb_info(mariadb_admin_url) if mariadb_admin_url else None,
        "pymysql": pymysql.__version__,
        "load_average_at_start": os.getloadavg(),
    }
