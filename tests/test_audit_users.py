"""Who an audit event names: the declared user passes the personal-data guard (the
security review's finding 4)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fixed_install import PHONE, build_fixed_install

import dpo_workbench as dw
from dpo_workbench.audit import Action, AuditEvent, AuditLog
from dpo_workbench.cli import main
from dpo_workbench.errors import UsageError, exit_status

KEY = bytes(range(32))
SUBJECT_EMAIL = "aino.jarvinen@example.fi"
SUBJECT_PHONE = "+358 40 123 4567"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


# -- finding 4: personal data as the declared user --------------------------------------


@pytest.mark.parametrize("user", [SUBJECT_EMAIL, SUBJECT_PHONE, "040-123 4567"])
def test_personal_data_as_the_declared_user_is_refused_with_exit_2(tmp_path: Path,
                                                                  user: str) -> None:
    # The review ran a command with --user aino.jarvinen@example.fi: the address went
    # into the append-only log for good.
    config = build_fixed_install(tmp_path / "install")
    with dw.open_workbench(config, user="dpo") as wb:
        before = wb.audit.events()

    status, out, err = _run("search", "--config", str(config), "--user", user,
                            "--phone", PHONE)

    assert (status, out) == (2, "")
    assert "keeps no personal data" in err and "--user" in err
    assert user not in err and "aino" not in err.casefold()  # the value is not repeated
    with dw.open_workbench(config, user="dpo") as wb:
        assert wb.audit.events() == before  # nothing was written


@pytest.mark.parametrize("user", [SUBJECT_EMAIL, SUBJECT_PHONE])
def test_personal_data_as_user_is_refused_before_anything_is_written(tmp_path: Path,
                                                                     user: str) -> None:
    url = f"sqlite:///{tmp_path}/s.sqlite"
    with AuditLog(url, KEY) as log:
        with pytest.raises(UsageError) as info:
            log.record(user, Action.LOGIN)
        assert user not in str(info.value)
        assert exit_status(info.value) == 2
        with pytest.raises(ValueError):  # a UsageError is a ValueError, as before
            AuditEvent(user, Action.LOGIN)
        assert log.events() == [] and log.verify().ok

    config = build_fixed_install(tmp_path / "install")
    with pytest.raises(UsageError):
        dw.open_workbench(config, user=user)


def test_user_names_of_the_workbench_still_pass() -> None:
    for user in ("dpo", "ann.smith", "DPO-2", "(unknown)", "analyst_7"):
        assert AuditEvent(user, Action.LOGIN).user == user
