"""How ``python -m dpo_workbench.serve`` starts Voila (without starting it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixed_install import build_fixed_install

from dpo_workbench.serve import main, prepare


@pytest.fixture
def install(tmp_path: Path) -> Path:
    return build_fixed_install(tmp_path / "install")


def test_safe_defaults(install: Path, tmp_path: Path) -> None:
    private = tmp_path / "private"
    serving = prepare(install, None, None, private)
    cmd = serving.command
    assert "--Voila.ip=127.0.0.1" in cmd and "--Voila.port=8866" in cmd
    assert "--Voila.port_retries=0" in cmd
    assert "--VoilaConfiguration.show_tracebacks=False" in cmd
    assert "--MappingKernelManager.cull_idle_timeout=1200" in cmd
    assert any(c.startswith("--MappingKernelManager.cull_interval=") for c in cmd)
    assert cmd[3].endswith("dpo_dashboard.ipynb") and Path(cmd[3]).is_file()
    assert serving.url == "http://127.0.0.1:8866/"
    config = json.loads((private / "config" / "voila.json").read_text(encoding="utf-8"))
    # Voila's static file route serves nothing.
    assert config["VoilaConfiguration"]["file_allowlist"] == []
    assert config["VoilaConfiguration"]["file_denylist"] == [".*"]
    env = serving.env
    assert env["DPO_WORKBENCH_CONFIG"] == str(install.resolve())
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime")):
        assert env[var] == str(private / sub)
    assert env["DPO_WORKBENCH_LOG"] == str(install.parent.resolve() / "state" / "dashboard.log")


def test_address_from_flags_and_settings(install: Path, tmp_path: Path) -> None:
    install.write_text(install.read_text(encoding="utf-8")
                       + "dashboard:\n  ip: 10.0.0.5\n  port: 9000\n  cull_idle_minutes: 5\n",
                       encoding="utf-8")
    serving = prepare(install, None, None, tmp_path / "p1")
    assert "--Voila.ip=10.0.0.5" in serving.command and serving.url == "http://10.0.0.5:9000/"
    assert "--MappingKernelManager.cull_idle_timeout=300" in serving.command
    serving = prepare(install, "127.0.0.1", 8123, tmp_path / "p2")
    assert serving.url == "http://127.0.0.1:8123/"


def test_a_missing_settings_file_is_an_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "missing.yaml")]) == 3
    assert "does not exist" in capsys.readouterr().err
