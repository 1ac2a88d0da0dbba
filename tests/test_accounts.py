"""Web accounts: argon2 hashes, roles, login limit, sessions, ``lettergen users``."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lettergen import accounts
from lettergen.accounts import LoginRefused
from lettergen.cli.options import cli
from lettergen.config import DEFAULTS, Config
from lettergen.errors import LettergenError, RegisterError
from lettergen.register.entry import utcnow


@pytest.fixture
def config(register_url, tmp_path) -> Config:
    data = copy.deepcopy(DEFAULTS)
    data["register"]["url"] = register_url
    data["web"] = {"max_failed_logins": 3, "lockout_minutes": 10}
    return Config(data, tmp_path)


def test_password_is_stored_as_argon2_hash_and_login_opens_a_session(config):
    accounts.add_user("王芳", "manager", "correct horse", config)
    engine = sa.create_engine(config.register_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM web_users")).scalar()
    engine.dispose()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    session = accounts.login("王芳", "correct horse", config)
    assert session.user == accounts.User("王芳", "manager") and session.user.actor == "user:王芳"
    again = accounts.session_for(session.token, config)
    assert again.user.name == "王芳" and again.csrf_token == session.csrf_token
    assert accounts.csrf_ok(again, session.csrf_token)
    assert not accounts.csrf_ok(again, None) and not accounts.csrf_ok(again, session.csrf_token + "x")
    accounts.logout(session.token, config)
    assert accounts.session_for(session.token, config) is None
    assert accounts.session_for("made-up", config) is None


def test_wrong_password_unknown_user_and_bad_input_are_refused(config):
    accounts.add_user("li", "clerk", "password1", config)
    with pytest.raises(LoginRefused, match="用户名或密码错误"):
        accounts.login("li", "password2", config)
    with pytest.raises(LoginRefused, match="用户名或密码错误"):
        accounts.login("nobody", "password1", config)
    with pytest.raises(RegisterError, match="已存在"):
        accounts.add_user("li", "clerk", "password1", config)
    with pytest.raises(RegisterError, match="太短"):
        accounts.add_user("zhao", "clerk", "short", config)
    with pytest.raises(RegisterError, match="未知的角色"):
        accounts.add_user("zhao", "boss", "password1", config)
    with pytest.raises(RegisterError, match="无效"):
        accounts.add_user("a b", "clerk", "password1", config)


def test_failed_logins_lock_the_account_for_a_while(config):
    accounts.add_user("li", "clerk", "password1", config)
    for _ in range(2):
        with pytest.raises(LoginRefused, match="用户名或密码错误"):
            accounts.login("li", "nope", config)
    with pytest.raises(LoginRefused, match="锁定 10 分钟"):
        accounts.login("li", "nope", config)
    with pytest.raises(LoginRefused, match="锁定"):  # even the right password, while locked
        accounts.login("li", "password1", config)
    later = utcnow() + timedelta(minutes=11)
    assert accounts.login("li", "password1", config, now=later).user.name == "li"


def test_a_successful_login_resets_the_count(config):
    accounts.add_user("li", "clerk", "password1", config)
    for _ in range(2):
        with pytest.raises(LoginRefused):
            accounts.login("li", "nope", config)
    accounts.login("li", "password1", config)
    for _ in range(2):
        with pytest.raises(LoginRefused, match="用户名或密码错误"):
            accounts.login("li", "nope", config)


def test_disabling_ends_sessions_and_refuses_login(config):
    accounts.add_user("li", "clerk", "password1", config)
    session = accounts.login("li", "password1", config)
    accounts.disable_user("li", config)
    assert accounts.session_for(session.token, config) is None
    with pytest.raises(LoginRefused, match="用户名或密码错误"):
        accounts.login("li", "password1", config)
    with pytest.raises(RegisterError, match="没有用户"):
        accounts.disable_user("ghost", config)


def test_roles_grant_rights_cumulatively():
    clerk, manager, admin = (accounts.User("x", r) for r in accounts.ROLES)
    assert clerk.may("issue") and not clerk.may("void") and not clerk.may("export")
    assert manager.may("void") and manager.may("correct") and manager.may("export") and not manager.may("users")
    assert admin.may("users") and admin.may("keys") and admin.may("void")


def test_users_commands(register_url, tmp_path):
    (tmp_path / "lettergen.toml").write_text("", encoding="utf-8")

    def run(*args: str, stdin: str | None = None):
        result = CliRunner().invoke(cli, ["--config", str(tmp_path / "lettergen.toml"), "users", *args], input=stdin,
                                    env={"LETTERGEN_REGISTER_URL": register_url})
        if result.exception and not isinstance(result.exception, (LettergenError, SystemExit)):
            raise result.exception
        return result

    assert "已添加用户 王芳（主管）" in run("add", "王芳", "--role", "manager", stdin="s3cret-pw\n").output
    assert isinstance(run("add", "王芳", "--role", "clerk", stdin="s3cret-pw\n").exception, RegisterError)
    listed = run("list").output
    assert "王芳" in listed and "manager（主管）" in listed and "启用" in listed
    assert "已更新用户 王芳 的密码" in run("password", "王芳", stdin="new-pass-2\n").output
    config = Config({**copy.deepcopy(DEFAULTS), "register": {"url": register_url}}, tmp_path)
    assert accounts.login("王芳", "new-pass-2", config).user.role == "manager"
    with pytest.raises(LoginRefused):
        accounts.login("王芳", "s3cret-pw", config)
    assert "已停用用户 王芳" in run("disable", "王芳").output
    assert "已停用" in run("list").output
    assert "--role" in run("add", "--help").output
