"""The settings file: every section typed and checked at load, every problem at once."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

from dpo_workbench.cli import main
from dpo_workbench.errors import ConfigError
from dpo_workbench.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
BASE = "datamap: dm.yaml\ndatabases: {configuration: sqlite:///c.sqlite}\n"


def _settings(tmp_path: Path, extra: str = "", base: str = BASE) -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(base + textwrap.dedent(extra), encoding="utf-8")
    return path


# (section added to a valid file, words the error must contain)
SECTION_ERRORS = [
    # each section that was read only when first used is now checked at load
    ("auth: {idle: 5}\n", ["auth: unknown key 'idle'", "idle_minutes"]),
    ("auth: {users: {table: ''}}\n", ["auth.users.table must not be empty"]),
    ("auth: {database: crm}\n", ["auth.database must name a database", "configuration"]),
    ("dashboard: {port: 70000}\n", ["dashboard.port must be between 1 and 65535"]),
    ("dashboard: {page_size: many}\n", ["dashboard.page_size must be a whole number, not str"]),
    ("dashboard: {cull_idle_minutes: 0}\n", ["dashboard.cull_idle_minutes must be more than 0"]),
    ("audit: {key_file: 7}\n", []),  # a number is a name, as in YAML
    ("audit: {keyfile: k}\n", ["audit: unknown key 'keyfile' (valid keys: key_file)"]),
    ("access: {require_listen_reason: sure}\n",
     ["access.require_listen_reason must be true or false"]),
    ("search: {digits: 2}\n", ["search.digits must be between 3 and 20"]),
    ("colour: blue\n", ["top level: unknown key 'colour'"]),
]


@pytest.mark.parametrize(("extra", "words"), SECTION_ERRORS)
def test_every_section_is_checked_at_load(tmp_path, extra, words):
    path = _settings(tmp_path, extra)
    if not words:
        load_settings(path)
        return
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(path) in str(info.value)
    for w in words:
        assert w in str(info.value)


def test_every_problem_is_reported_in_one_run(tmp_path):
    path = _settings(tmp_path, """\
        search: {digits: 1, too_many: 0}
        dashboard: {port: 0, theme: dark}
        auth: {require: {modul: DPO}}
        """)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 5, lines


def test_check_reports_a_bad_dashboard_section_without_opening_a_database(tmp_path, capsys):
    path = _settings(tmp_path, "dashboard: {port: -1}\n")
    assert main(["check", "--config", str(path)]) == 3
    assert "dashboard.port" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["postgresql+psycopg://u@host:notaport/db",
                                 "not a url at all"])
def test_a_malformed_database_url_is_a_config_error(tmp_path, url):
    path = _settings(tmp_path, base=f"datamap: dm.yaml\ndatabases: {{x: '{url}'}}\n")
    with pytest.raises(ConfigError, match="databases.x is not a database URL"):
        load_settings(path)


def test_a_settings_file_that_is_not_utf8_is_a_config_error(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_bytes(BASE.encode() + b"name: Caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path)


def test_relative_paths_are_relative_to_the_settings_file_not_the_working_folder(
        tmp_path, monkeypatch):
    folder = tmp_path / "install"
    folder.mkdir()
    _settings(folder, """\
        files: {recordings: rec}
        state: sqlite:///state/s.sqlite
        audit: {key_file: keys/audit.key}
        """)
    monkeypatch.chdir(tmp_path)
    s = load_settings("install/w.yaml")
    assert s.datamap_path == folder.resolve() / "dm.yaml"
    assert s.databases["configuration"].database == str(folder.resolve() / "c.sqlite")
    assert s.files["recordings"] == folder.resolve() / "rec"
    assert s.state_url.database == str(folder.resolve() / "state" / "s.sqlite")
    assert s.audit_key_file == folder.resolve() / "keys" / "audit.key"


def test_the_listen_reason_rule_is_read_from_its_old_place_too(tmp_path):
    assert load_settings(_settings(tmp_path, "dashboard: {require_listen_reason: true}\n")
                         ).access.require_listen_reason
    assert not load_settings(_settings(tmp_path)).access.require_listen_reason


def test_the_published_json_schemas_match_the_models():
    spec = importlib.util.spec_from_file_location("regenerate",
                                                  ROOT / "docs" / "schema" / "regenerate.py")
    assert spec is not None and spec.loader is not None
    regenerate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerate)
    for name, (model, title) in regenerate.SCHEMAS.items():
        committed = (ROOT / "docs" / "schema" / name).read_text(encoding="utf-8")
        assert committed == regenerate.schema(model, title), \
            f"docs/schema/{name} is out of date: run python docs/schema/regenerate.py"
