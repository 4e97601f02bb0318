"""The audit log's files outside the state database: the key file and the head file.

The security review's findings 1 to 3, each with a test named for it: a wiped or
cut log is reported through the head file, a missing key is never re-created for
a log that has recorded events, and key files other accounts may read are
refused. Real files, real databases (SQLite, PostgreSQL, MariaDB), the command
line as an operator runs it.
"""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dbservers
import pytest
from sqlalchemy import create_engine, text

from dpo_workbench.audit import (
    GENESIS_HASH,
    Action,
    AuditLog,
    ChainHead,
    audit_key_path,
    head_file_path,
    open_audit_log,
)
from dpo_workbench.audit.chain import chain_key
from dpo_workbench.audit.headfile import advance_head_file, read_head_file, write_head_file
from dpo_workbench.cli import main
from dpo_workbench.errors import ConfigError
from dpo_workbench.settings import load_settings

KEY = bytes(range(32))


def _settings_file(folder: Path, state: str, extra: str = "") -> Path:
    path = folder / "workbench.yaml"
    path.write_text(f"datamap: dm.yaml\ndatabases: {{x: sqlite:///x.sqlite}}\n"
                    f"state: {state}\n{extra}", encoding="utf-8")
    return path


@pytest.fixture
def config(engine: str, tmp_path: Path) -> Iterator[Path]:
    """A settings file whose state database is new and empty, on each engine."""
    if engine == "sqlite":
        yield _settings_file(tmp_path, "sqlite:///state/workbench.sqlite")
        return
    with dbservers.server_database(engine) as url:
        yield _settings_file(tmp_path, url)


def _state_url(config: Path) -> str:
    return load_settings(config).state_url.render_as_string(hide_password=False)


def _key_file(config: Path) -> Path:
    return audit_key_path(load_settings(config))


def _head_file(config: Path) -> Path:
    return head_file_path(_key_file(config))


def _key(config: Path) -> bytes:
    return bytes.fromhex(_key_file(config).read_text().strip())


def _sql(config: Path, *statements: str, **params: Any) -> None:
    """Tamper with the state database behind the workbench's back."""
    engine = create_engine(_state_url(config))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), params)
    finally:
        engine.dispose()


def _record(config: Path, n: int, user: str = "dpo") -> list[Any]:
    with open_audit_log(load_settings(config)) as log:
        return [log.record(user, Action.SEARCH, tables={"operative.contacts": i})
                for i in range(n)]


def _verify(config: Path) -> tuple[int, list[str], str]:
    """``dpo-workbench audit verify``: exit status, the report's lines, the error output."""
    out, err = io.StringIO(), io.StringIO()
    status = main(["audit", "verify", "--config", str(config)], out, err)
    return status, out.getvalue().splitlines(), err.getvalue()


# -- finding 1: a wiped or cut log ------------------------------------------------------


@pytest.mark.engines
def test_wiped_log_and_head_row_is_reported_as_tampering(config: Path) -> None:
    # The review deleted every event and the head record: verify said "intact: 0 events".
    _record(config, 3)
    _sql(config, "DELETE FROM audit_events", "DELETE FROM audit_head")

    status, lines, _ = _verify(config)

    assert status == 4
    assert lines == [
        "Audit log TAMPERED: 1 problem in 0 events checked:",
        f"  - Events 1 to 3 are missing: the head file {_head_file(config)} records event 3 as "
        "written, so the end of the log was deleted.",
    ]
    # The next event chains on the head file, so the gap stays in the chain for good.
    assert _record(config, 1)[0].id == 4
    status, lines, _ = _verify(config)
    assert status == 4
    assert lines[1:] == ["  - Events 1 to 3 are missing: deleted from the log."]


@pytest.mark.engines
def test_cut_tail_together_with_the_head_row_is_reported(config: Path) -> None:
    _record(config, 3)
    _sql(config, "DELETE FROM audit_events WHERE id = 3", "DELETE FROM audit_head")

    status, lines, _ = _verify(config)

    assert status == 4
    assert lines[1:] == [
        "  - the head record (id and hash of the last event) is missing: it was deleted, so "
        "events at the end of the log may have been deleted too.",
        f"  - Event 3 is missing: the head file {_head_file(config)} records event 3 as "
        "written, so the end of the log was deleted.",
    ]
    # Before the head file, the next append re-anchored the chain on event 2 and the
    # cut was gone; now it chains on the head file and the gap stays.
    assert _record(config, 1)[0].id == 4
    status, lines, _ = _verify(config)
    assert (status, lines[1:]) == (4, ["  - Event 3 is missing: deleted from the log."])


@pytest.mark.engines
def test_old_head_row_put_back_after_cutting_the_tail_is_reported(config: Path) -> None:
    _record(config, 2)
    engine = create_engine(_state_url(config))
    with engine.connect() as conn:
        saved = dict(conn.execute(text(
            "SELECT last_id, last_hash, mac FROM audit_head WHERE name = 'chain'")).one()._mapping)
    engine.dispose()
    _record(config, 1)
    # Delete event 3 and put back the head row as it was after event 2: the database
    # alone is consistent again.
    _sql(config, "DELETE FROM audit_events WHERE id = 3",
         "UPDATE audit_head SET last_id = :last_id, last_hash = :last_hash, mac = :mac "
         "WHERE name = 'chain'", **saved)

    status, lines, _ = _verify(config)

    assert status == 4
    assert lines[1:] == [f"  - Event 3 is missing: the head file {_head_file(config)} records "
                         "event 3 as written, so the end of the log was deleted."]


@pytest.mark.engines
def test_head_file_lagging_behind_after_a_crash_is_not_tampering(config: Path) -> None:
    # A crash between the database commit and the head file update leaves the file
    # behind: the events after it are not covered, but nothing was tampered with.
    _record(config, 1)
    after_first = _head_file(config).read_bytes()
    _record(config, 2)
    _head_file(config).write_bytes(after_first)

    status, lines, _ = _verify(config)
    assert (status, lines[0][:33]) == (0, "Audit log intact: 3 events checke")

    # The next append moves it to the end again.
    fourth = _record(config, 1)[0]
    head = read_head_file(_head_file(config), chain_key(_key(config)))
    assert head is not None and (head.last_id, head.last_hash) == (4, fourth.hash)


@pytest.mark.engines
def test_head_file_of_another_log_is_reported(config: Path, tmp_path: Path) -> None:
    # A log rewritten from the start under the same key (someone holding the key and the
    # database) no longer matches the hash the head file recorded.
    _record(config, 2)
    other = tmp_path / "other"
    other.mkdir()
    with AuditLog(f"sqlite:///{other}/s.sqlite", _key(config), other / "h") as log:
        log.record("ann", Action.LOGIN)
        log.record("ann", Action.LOGOUT)
    _head_file(config).write_bytes((other / "h").read_bytes())

    status, lines, _ = _verify(config)

    assert status == 4
    assert lines[1:] == [f"  - event 2: its hash is not the one in the head file "
                         f"{_head_file(config)}: it was replaced."]


@pytest.mark.engines
def test_missing_head_file_is_reported_until_restored_from_the_backup(config: Path) -> None:
    _record(config, 1)
    backup = _head_file(config).read_bytes()
    _record(config, 1)
    _head_file(config).unlink()

    status, lines, _ = _verify(config)
    assert status == 4
    assert lines[1:] == [f"  - the head file {_head_file(config)} is missing: it was deleted, "
                         "so events at the end of the log may have been deleted too. Restore it "
                         "from the backup."]
    # Neither opening the log nor appending re-creates it: the evidence stays.
    _record(config, 1)
    assert not _head_file(config).exists()

    _head_file(config).write_bytes(backup)  # an older copy: it lags, which is fine
    assert _verify(config)[0] == 0
    _record(config, 1)
    assert read_head_file(_head_file(config), chain_key(_key(config))).last_id == 4


@pytest.mark.engines
def test_edited_head_file_is_reported_and_kept(config: Path) -> None:
    _record(config, 2)
    path = _head_file(config)
    path.write_text(path.read_text().replace('"last_id":2', '"last_id":1'))
    edited = path.read_bytes()

    status, lines, _ = _verify(config)
    assert status == 4
    assert lines[1:] == [f"  - the head file {path} was edited or is damaged: events at the end "
                         "of the log may have been deleted. Restore it from the backup."]
    _record(config, 1)
    assert path.read_bytes() == edited  # an append does not overwrite the evidence


@pytest.mark.engines
def test_log_written_before_head_files_gets_one_when_opened(config: Path) -> None:
    # An installation upgraded from a version without head files: no false alarm, and
    # from then on the head file protects it.
    key_file = _key_file(config)
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_file.write_text(KEY.hex() + "\n")
    key_file.chmod(0o600)
    with AuditLog(_state_url(config), KEY) as log:  # no head file, as the old version
        last = [log.record("dpo", Action.LOGIN) for _ in range(3)][-1]

    assert _verify(config)[0] == 0
    assert read_head_file(_head_file(config), chain_key(KEY)).last_hash == last.hash

    _sql(config, "DELETE FROM audit_events WHERE id = 3", "DELETE FROM audit_head")
    assert _verify(config)[0] == 4


@pytest.mark.engines
def test_head_gives_the_last_id_and_hash(config: Path) -> None:
    with open_audit_log(load_settings(config)) as log:
        assert log.head() == ChainHead(0, GENESIS_HASH)
        events = [log.record("dpo", Action.LOGIN) for _ in range(3)]
        assert log.head() == ChainHead(3, events[-1].hash)
        assert (log.head().last_id, log.head().last_hash) == (log.verify().last_id,
                                                              log.verify().last_hash)
    # After a wipe the head is still the last event written (from the head file).
    _sql(config, "DELETE FROM audit_events", "DELETE FROM audit_head")
    with open_audit_log(load_settings(config)) as log:
        assert log.head() == ChainHead(3, events[-1].hash)


def test_head_file_only_moves_forward(tmp_path: Path) -> None:
    path, key = tmp_path / "audit.key.head", chain_key(KEY)
    assert not advance_head_file(path, key, 1, "ab" * 32)  # never created by an append
    assert not path.exists()
    write_head_file(path, key, 0, GENESIS_HASH)

    assert advance_head_file(path, key, 5, "ab" * 32)
    # A slower appender that committed event 4 before event 5 arrives late: dropped.
    assert not advance_head_file(path, key, 4, "cd" * 32)
    assert not advance_head_file(path, key, 5, "ef" * 32)
    head = read_head_file(path, key)
    assert head is not None and (head.last_id, head.last_hash, head.valid) == (5, "ab" * 32, True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.key.head",
                                                          "audit.key.head.lock"]


# -- finding 2: a missing key file ------------------------------------------------------


@pytest.mark.engines
def test_missing_key_file_is_not_recreated_for_a_log_with_events(config: Path) -> None:
    # The review deleted the key file: verify made a new key and called every event edited.
    _record(config, 2)
    key_file = _key_file(config)
    key_file.unlink()

    with pytest.raises(ConfigError) as info:
        open_audit_log(load_settings(config))
    assert f"The audit key file {key_file} is missing" in str(info.value)
    assert "Restore the key file from the backup" in str(info.value)
    assert not key_file.exists()

    status, lines, err = _verify(config)
    assert (status, lines) == (3, [])
    assert f"The audit key file {key_file} is missing" in err
    assert not key_file.exists()

    # The head file alone is enough: a log whose database was wiped as well.
    _sql(config, "DELETE FROM audit_events", "DELETE FROM audit_head")
    with pytest.raises(ConfigError, match="head file .* shows that the log has recorded events"):
        open_audit_log(load_settings(config))
    assert not key_file.exists()


@pytest.mark.engines
def test_missing_key_file_with_only_the_database_left_is_refused(config: Path) -> None:
    _record(config, 1)
    _key_file(config).unlink()
    _head_file(config).unlink()

    with pytest.raises(ConfigError, match="the state database .* holds audit events"):
        open_audit_log(load_settings(config))


def test_brand_new_log_gets_a_new_key(tmp_path: Path) -> None:
    config = _settings_file(tmp_path, "sqlite:///state/workbench.sqlite")
    with open_audit_log(load_settings(config)) as log:
        assert log.verify().ok and len(log.key) == 32
    assert _key_file(config).exists() and _head_file(config).exists()


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
    assert {p.name: _mode(p) for p in keys.iterdir()} == {
        "audit.key": 0o600, "audit.key.head": 0o600, "audit.key.head.lock": 0o600}
    assert (_mode(state), _mode(keys)) == (0o700, 0o700)


def test_demo_rebuilt_with_replace_starts_a_new_audit_log(tmp_path: Path) -> None:
    # `demo build --replace` deletes the state database; its head file must go with it,
    # or the new, empty log would be reported as wiped.
    from dpo_workbench.demo.build import build_demo

    config = build_demo(tmp_path, events=1500, max_files=2)
    _record(config, 2)
    key = _key_file(config).read_bytes()

    build_demo(tmp_path, events=1500, max_files=2, replace=True)

    assert _verify(config)[:2] == (0, ["Audit log intact: 0 events checked; last event 0, "
                                       "hash 000000000000."])
    assert _record(config, 1)[0].id == 1
    assert _key_file(config).read_bytes() == key  # the key stays
