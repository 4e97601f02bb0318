"""Log-on: users and rights from the configuration database, hashes, delays after failures."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from fixed_install import build_fixed_install
from sqlalchemy import create_engine, text

from dpo_workbench.auth import (
    WRONG_CREDENTIALS,
    Authenticator,
    LogonError,
    MemoryStore,
    Throttle,
    User,
    auth_settings,
)
from dpo_workbench.errors import ConfigError
from dpo_workbench.passwords import hash_password
from dpo_workbench.settings import load_settings


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def add_users(settings: Path) -> None:
    """Give the fixed installation a DPO, an agent without the right, and an inactive DPO.

    Cheap hashes (1000 iterations) keep the tests fast; verify_password reads the
    iteration count from the hash.
    """
    engine = create_engine(f"sqlite:///{settings.parent / 'configuration.sqlite'}")
    users = [
        (10, "dpo", "Demo DPO", hash_password("dpo-demo", iterations=1000), 1),
        (11, "agent", "Demo Agent", hash_password("agent-demo", iterations=1000), 1),
        (12, "former", "Former DPO", hash_password("former-pw", iterations=1000), 0),
    ]
    with engine.begin() as conn:
        for uid, name, display, pw, active in users:
            conn.execute(text("INSERT INTO users (id, username, display_name, password_hash, "
                              "active) VALUES (:i, :u, :d, :p, :a)"),
                         {"i": uid, "u": name, "d": display, "p": pw, "a": active})
        for i, (uid, module, perm) in enumerate([(10, "DPO", "Use"), (11, "Reporting", "Use"),
                                                 (11, "DPO", "Admin"), (12, "DPO", "Use")]):
            conn.execute(text("INSERT INTO user_rights (id, user_id, module, permission) "
                              "VALUES (:i, :u, :m, :p)"),
                         {"i": 100 + i, "u": uid, "m": module, "p": perm})
    engine.dispose()


@pytest.fixture
def install(tmp_path: Path) -> Path:
    settings = build_fixed_install(tmp_path / "install")
    add_users(settings)
    return settings


def authenticator(settings: Path, clock: Clock | None = None) -> Authenticator:
    return Authenticator(load_settings(settings), clock=clock or Clock())


def test_defaults_fit_the_demo(install: Path) -> None:
    a = auth_settings(load_settings(install))
    assert (a.database, a.users.table, a.users.password_hash, a.rights.table) == (
        "configuration", "users", "password_hash", "user_rights")
    assert (a.module, a.permission, a.idle_minutes) == ("DPO", "Use", 15.0)


def test_a_dpo_logs_on(install: Path) -> None:
    user = authenticator(install).log_on("dpo", "dpo-demo", client="10.0.0.1")
    assert (user.username, user.display_name) == ("dpo", "Demo DPO")


@pytest.mark.parametrize(("username", "password"), [
    ("dpo", "wrong"),            # wrong password
    ("nobody", "dpo-demo"),      # unknown user name: the same answer
    ("former", "former-pw"),     # inactive account: the same answer
    ("DPO", "dpo-demo"),         # user names are exact
    ("dpo' OR '1'='1", "x"),     # bound parameters: SQL in a name is just a name
])
def test_refusals_do_not_tell_whether_the_name_exists(install: Path, username: str,
                                                      password: str) -> None:
    with pytest.raises(LogonError) as exc:
        authenticator(install).log_on(username, password, client="10.0.0.1")
    assert str(exc.value) == WRONG_CREDENTIALS
    assert exc.value.reason == "credentials"


def test_a_user_without_the_dpo_right_is_told_so(install: Path) -> None:
    # The agent holds DPO "Admin" and Reporting "Use", but not DPO "Use".
    with pytest.raises(LogonError) as exc:
        authenticator(install).log_on("agent", "agent-demo", client="10.0.0.1")
    assert exc.value.reason == "no_right"
    assert "DPO" in str(exc.value) and "Use" in str(exc.value)


def test_empty_fields(install: Path) -> None:
    with pytest.raises(LogonError) as exc:
        authenticator(install).log_on("", "", client="10.0.0.1")
    assert exc.value.reason == "empty"


def test_repeated_failures_slow_down_and_success_resets(install: Path) -> None:
    clock = Clock()
    auth = authenticator(install, clock)
    for expected_wait in (1, 2, 4, 8):
        with pytest.raises(LogonError) as exc:
            auth.log_on("dpo", "wrong", client="10.0.0.1")
        assert exc.value.reason == "credentials"
        # Even the right password is refused until the delay has passed.
        with pytest.raises(LogonError) as exc:
            auth.log_on("dpo", "dpo-demo", client="10.0.0.1")
        assert exc.value.reason == "throttled"
        assert exc.value.retry_after == pytest.approx(expected_wait)
        assert f"Wait {expected_wait} second" in str(exc.value)
        clock.advance(expected_wait)
    assert auth.log_on("dpo", "dpo-demo", client="10.0.0.1").username == "dpo"
    # Success forgets the failures.
    with pytest.raises(LogonError):
        auth.log_on("dpo", "wrong", client="10.0.0.1")
    clock.advance(1)
    assert auth.log_on("dpo", "dpo-demo", client="10.0.0.1").username == "dpo"


def test_the_delay_is_capped(install: Path) -> None:
    t = Throttle(MemoryStore(), base=1, cap=60, clock=Clock())
    for _ in range(20):
        t.failed("k")
    assert t.wait("k") == 60


def test_failures_hold_across_authenticators(install: Path) -> None:
    """The counts live in the state database: a restarted web server keeps them."""
    clock = Clock()
    first, second = authenticator(install, clock), authenticator(install, clock)
    for _ in range(3):
        with pytest.raises(LogonError):
            first.log_on("dpo", "wrong", client="10.0.0.9")
        clock.advance(10)
    with pytest.raises(LogonError) as exc:
        second.log_on("dpo", "wrong", client="10.0.0.9")
    assert exc.value.reason == "credentials"
    with pytest.raises(LogonError) as exc:
        second.log_on("dpo", "dpo-demo", client="10.0.0.9")
    assert exc.value.reason == "throttled"
    # The state database keeps only hashes of the typed names and addresses.
    engine = create_engine(load_settings(install).state_url)
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT key_hash FROM auth_failures")).scalars().all()
    engine.dispose()
    assert keys and all(len(k) == 64 and "dpo" not in k and "10.0" not in k for k in keys)


def test_failures_per_client_address_hold_across_user_names(install: Path) -> None:
    """Trying many names from one address slows that address down."""
    clock = Clock()
    auth = authenticator(install, clock)
    for name in ("a", "b"):
        with pytest.raises(LogonError):
            auth.log_on(name, "x", client="10.0.0.9")
        clock.advance(1)
    with pytest.raises(LogonError) as exc:
        auth.log_on("c", "x", client="10.0.0.9")  # third name, same address: 2 s delay
    assert exc.value.reason == "throttled"


def test_an_attacker_cannot_keep_the_dpo_locked_out(install: Path) -> None:
    """Finding 5: failures were counted per user name only, so anyone failing on
    the DPO's name kept the real DPO refused. Now they are counted per name and
    client address (and per address): the DPO's own address is not slowed down."""
    clock = Clock()
    auth = authenticator(install, clock)
    for attempt in range(40):  # an attacker hammering the DPO's name from elsewhere
        clock.advance(61)  # waits out each delay (capped at 60 s) so every try counts
        with pytest.raises(LogonError):
            auth.log_on("dpo", f"guess-{attempt}", client="203.0.113.7")
    with pytest.raises(LogonError) as exc:
        auth.log_on("dpo", "guess-x", client="203.0.113.7")
    assert exc.value.reason == "throttled"  # the attacker is slowed down
    assert exc.value.retry_after == pytest.approx(60)  # capped
    assert auth.log_on("dpo", "dpo-demo", client="192.0.2.10").username == "dpo"
    # A typo of the DPO's own costs the DPO one second, not the attacker's minute.
    with pytest.raises(LogonError):
        auth.log_on("dpo", "typo", client="192.0.2.10")
    clock.advance(1)
    assert auth.log_on("dpo", "dpo-demo", client="192.0.2.10").username == "dpo"


def test_a_known_user_is_found_without_a_password(install: Path) -> None:
    auth = authenticator(install)
    assert auth.user("dpo") == User("dpo", "Demo DPO")
    assert auth.user("agent") is None and auth.user("former") is None
    assert auth.user("nobody") is None


def test_old_failures_are_forgotten(install: Path) -> None:
    clock = Clock()
    auth = authenticator(install, clock)
    for _ in range(6):
        with pytest.raises(LogonError):
            auth.log_on("dpo", "wrong", client="10.0.0.1")
        clock.advance(32)
    clock.advance(16 * 60)
    assert auth.log_on("dpo", "dpo-demo", client="10.0.0.1").username == "dpo"


def test_has_right_reads_the_database_now(install: Path) -> None:
    auth = authenticator(install)
    assert auth.has_right("dpo") and not auth.has_right("agent") and not auth.has_right("x")
    engine = create_engine(f"sqlite:///{install.parent / 'configuration.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM user_rights WHERE user_id = 10"))
    engine.dispose()
    assert not auth.has_right("dpo")


def _with_auth_section(settings: Path, section: str) -> Path:
    settings.write_text(settings.read_text(encoding="utf-8") + textwrap.dedent(section),
                        encoding="utf-8")
    return settings


def test_users_elsewhere_are_configurable(tmp_path: Path) -> None:
    """Another installation names its tables and columns otherwise."""
    settings = build_fixed_install(tmp_path / "install")
    engine = create_engine(f"sqlite:///{tmp_path / 'install' / 'configuration.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE operators (op_no INTEGER PRIMARY KEY, login TEXT, "
                          "pw TEXT)"))
        conn.execute(text("CREATE TABLE grants (op_no INTEGER, app TEXT, level TEXT)"))
        conn.execute(text("INSERT INTO operators VALUES (7, 'privacy', :pw)"),
                     {"pw": hash_password("s3cret", iterations=1000)})
        conn.execute(text("INSERT INTO grants VALUES (7, 'Privacy', 'Full')"))
    engine.dispose()
    _with_auth_section(settings, """\
        auth:
          users: {table: operators, id: op_no, username: login, password_hash: pw,
                  active: null, display_name: null}
          rights: {table: grants, user_id: op_no, module: app, permission: level}
          require: {module: Privacy, permission: Full}
        """)
    user = authenticator(settings).log_on("privacy", "s3cret", client="10.0.0.1")
    assert (user.username, user.display_name) == ("privacy", "privacy")


def test_a_wrong_column_is_named(tmp_path: Path) -> None:
    settings = _with_auth_section(build_fixed_install(tmp_path / "install"), """\
        auth:
          users: {password_hash: pwd_hash}
        """)
    with pytest.raises(ConfigError, match=r"auth\.users\.password_hash.*no column pwd_hash"):
        authenticator(settings).log_on("dpo", "x", client="10.0.0.1")


def test_an_unknown_auth_key_is_named(tmp_path: Path) -> None:
    settings = _with_auth_section(build_fixed_install(tmp_path / "install"), """\
        auth:
          idle: 5
        """)
    with pytest.raises(ConfigError, match="unknown key.*idle.*valid keys"):
        auth_settings(load_settings(settings))
