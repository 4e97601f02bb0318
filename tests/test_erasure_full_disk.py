"""A full disk under the state database stops an erasure in words, never with a traceback.

The state folder of the small fixed installation is a tiny tmpfs; a filler file takes
all its space but a few kilobytes, so the erasure's journal or audit writes fail at
some step. For every amount of space left: the command exits with a documented status
and says how to go on, `--status` tells the truth, and once space is freed a resume
ends in a verified receipt with the person gone.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixed_install import EMAIL, PHONE, build_fixed_install

from dpo_workbench.cli import main
from dpo_workbench.errors import EXIT_CONFIG, EXIT_INCOMPLETE, EXIT_INTERNAL, EXIT_OK

FREE_KIB = (8, 24, 40, 56, 72, 88, 104, 120, 160, 240)


def _mount_tmpfs(folder: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_state(tmp_path: Path) -> Iterator[Path]:
    """A fixed installation whose state folder is a 2 MiB tmpfs."""
    install = build_fixed_install(tmp_path / "install")
    state = install.parent / "state"
    if not _mount_tmpfs(state):
        pytest.skip("needs root and tmpfs mounts to fill a disk")
    try:
        yield install
    finally:
        subprocess.run(["umount", "-l", str(state)], check=False)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def _fill(folder: Path, leave_kib: int) -> Path:
    filler = folder / "filler"
    free = shutil.disk_usage(folder).free // 1024
    with filler.open("wb") as f:
        f.write(b"\0" * max(free - leave_kib, 0) * 1024)
    return filler


@pytest.mark.parametrize("free_kib", FREE_KIB)
def test_a_full_disk_under_the_state_database_stops_in_words_and_resumes_true(
        small_state: Path, free_kib: int):
    cfg = str(small_state)
    criteria = ("--phone", PHONE, "--email", EMAIL)
    status, out, _ = _run("erase", "-c", cfg, *criteria, "--format", "json")
    assert status == EXIT_OK
    token = json.loads(out)["plan"]["token"]

    filler = _fill(small_state.parent / "state", free_kib)
    confirmed, out, err = _run("erase", "-c", cfg, *criteria, "--confirm", token)
    status = confirmed
    assert status != EXIT_INTERNAL and "Traceback" not in err, err
    assert status in (EXIT_OK, EXIT_CONFIG, EXIT_INCOMPLETE), err
    if status == EXIT_INCOMPLETE:
        assert "--resume" in err and "could not be" in err
    assert PHONE not in err and EMAIL not in err
    filler.unlink()

    status, out, err = _run("erase", "-c", cfg, "--status", "--format", "json")
    assert status == EXIT_OK, err
    runs = [r["run_id"] for r in json.loads(out)["runs"]]
    for run_id in runs:  # whatever stopped, a resume completes it
        status, out, err = _run("erase", "-c", cfg, "--resume", run_id)
        assert status == EXIT_OK, err
        assert "verified" in out
    if not runs and confirmed != EXIT_OK:  # stopped before anything was recorded: again
        status, out, err = _run("erase", "-c", cfg, *criteria, "--confirm", token)
        assert status == EXIT_OK, err
    status, out, _ = _run("search", "-c", cfg, *criteria, "--format", "json")
    assert status == EXIT_OK
    assert json.loads(out)["total"] == 0
    status, _, err = _run("audit", "verify", "-c", cfg)
    assert status == EXIT_OK, err
