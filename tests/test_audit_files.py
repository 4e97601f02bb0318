"""The audit log's files outside the state database.

The security review's finding 3 with a test named for it: key files other
accounts may read are refused; and the files the workbench creates are
owner-only. Real files, the command line as an operator runs it.
"""

from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import Any

import pytest

from dpo_workbench.audit import Action, audit_key_path, open_audit_log
from dpo_workbench.cli import main
from dpo_workbench.errors import ConfigError
from dpo_workbench.settings import load_settings


def _settings_file(folder: Path, state: str, extra: str = "") -> Path:
    path = folder / "workbench.yaml"
    path.write_text(f"datamap: dm.yaml\ndatabases: {{x: sqlite:///x.sqlite}}\n"
                    f"state: {state}\n{extra}", encoding="utf-8")
    return path


def _key_file(config: Path) -> Path:
    return audit_key_path(load_settings(config))


def _record(config: Path, n: int, user: str = "dpo") -> list[Any]:
    with open_audit_log(load_settings(config)) as log:
        return [log.record(user, Action.SEARCH, tables={"operative.contacts": i})
                for i in range(n)]


def _verify(config: Path) -> tuple[int, list[str], str]:
    """``dpo-workbench audit verify``: exit status, the report's lines, the error output."""
    out, err = io.StringIO(), io.StringIO()
    status = main(["audit", "verify", "--config", str(config)], out, err)
    return status, out.getvalue().splitlines(), err.getvalue()


# -- finding 3 and owner-only files -----------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660], ids=oct)
def test_key_file_readable_or_writable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    config = _settings_file(tmp_path, "sqlite:///state/workbench.sqlite")
    _record(config, 1)
    key_file = _key_file(config)
    key_file.chmod(mode)

    with pytest.raises(ConfigError) as info:
        open_audit_log(load_settings(config))
    message = str(info.value)
    assert str(key_file) in message
    assert f"mode {mode:04o}" in message
    assert message.endswith(f"chmod 600 {key_file}")

    status, _, err = _verify(config)
    assert status == 3 and f"chmod 600 {key_file}" in err

    key_file.chmod(0o600)  # the fix the message gives
    assert _verify(config)[0] == 0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_created_owner_only(tmp_path: Path) -> None:
    config = _settings_file(tmp_path, "sqlite:///state/workbench.sqlite",
                            "audit: {key_file: keys/audit.key}\n")
    with open_audit_log(load_settings(config)) as log:
        log.record("dpo", Action.LOGIN)
        # The write-ahead log and its index exist while a connection is open.
        state = tmp_path / "state"
        files = {p.name: _mode(p) for p in state.iterdir()}
        assert files == {"workbench.sqlite": 0o600, "workbench.sqlite-wal": 0o600,
                         "workbench.sqlite-shm": 0o600}
    keys = tmp_path / "keys"
    assert {p.name: _mode(p) for p in keys.iterdir()} == {"audit.key": 0o600}
    assert (_mode(state), _mode(keys)) == (0o700, 0o700)
