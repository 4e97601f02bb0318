"""How ``python -m dpo_workbench.serve`` starts Voila (without starting it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixed_install import build_fixed_install

from dpo_workbench.errors import ConfigError
from dpo_workbench.serve import Options, main, prepare


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
    assert cmd[1:3] == ["-m", "dpo_workbench.web"]  # Voila with log-on in front of kernels
    assert "--DpoVoila.busy_limit=1200" in cmd  # dashboard: {cull_idle_minutes: 20}
    assert "--DpoKernelManager.max_kernels=6" in cmd
    assert "--DpoKernelManager.max_kernels_per_user=2" in cmd
    assert "--DpoKernelManager.pool_size=1" in cmd
    assert not any("certfile" in c for c in cmd)
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
    assert "--DpoVoila.busy_limit=300" in serving.command
    serving = prepare(install, "127.0.0.1", 8123, tmp_path / "p2")
    assert serving.url == "http://127.0.0.1:8123/"


def test_a_missing_settings_file_is_an_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "missing.yaml")]) == 3
    assert "does not exist" in capsys.readouterr().err


def test_tls_and_host_names(install: Path, tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x"), key.write_text("y")
    options = Options(certfile=cert, keyfile=key, hostnames=("dpo.example.org",))
    serving = prepare(install, None, 8443, tmp_path / "p", options=options)
    assert serving.url == "https://dpo.example.org:8443/" and serving.tls
    assert f"--DpoVoila.certfile={cert}" in serving.command
    assert f"--DpoVoila.keyfile={key}" in serving.command
    assert '--DpoVoila.hostnames=["dpo.example.org"]' in serving.command
    with pytest.raises(ConfigError, match="does not exist"):
        prepare(install, None, None, tmp_path / "q", options=Options(certfile=tmp_path / "no"))


def test_every_option_is_documented() -> None:
    """``python -m dpo_workbench.serve`` is no dpo-workbench command: docs/dashboard.md
    documents its options."""
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "dashboard.md").read_text(
        encoding="utf-8")
    source = Path(main.__code__.co_filename).read_text(encoding="utf-8")
    options = set(re.findall(r'add_argument\("(--[a-z-]+)"', source))
    assert {"--config", "--certfile", "--hostname", "--max-kernels"} <= options
    missing = [o for o in options if not re.search(rf"`{o}\b", doc)]
    assert not missing, missing
