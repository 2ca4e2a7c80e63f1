"""Where staff hear about their work: email and phone on an account, a department's group robot — each
checked, with the problem beside its field in Chinese; and `lintel user add --email --phone`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from crm.models import Department, User
from crm.platform import Platform
from tests.webapp.pages_support import login, text
from webapp.cli import main

DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=abc"


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _save_user(client, platform: Platform, **values: str):  # type: ignore[no-untyped-def]
    user = platform.directory.user("eng")
    assert user is not None
    form = {
        "display_name": user.display_name,
        "roles": ["handler", "inspector"],
        "departments": ["engineering"],
    }
    return client.post(f"/admin/users/{user.id}", data={**form, **values}), user


def test_an_administrator_gives_a_handler_an_email_and_a_mobile(client, platform: Platform) -> None:
    login(client, "admin")
    response, user = _save_user(client, platform, email=" zhao.gong@example.com ", phone="+86 139-1234-5678")
    assert response.status_code == 302
    platform.session.expire_all()
    assert (user.email, user.phone) == ("zhao.gong@example.com", "13912345678")
    html = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="zhao.gong@example.com"' in html and 'value="13912345678"' in html


def test_a_bad_email_or_phone_is_refused_beside_its_field(client, platform: Platform) -> None:
    login(client, "admin")
    response, user = _save_user(client, platform, email="zhao.gong", phone="12345")
    assert response.status_code == 422
    page = text(response)
    assert "请填写有效的电子邮箱" in page and "请填写有效的手机号或带区号的固定电话" in page
    html = response.get_data(as_text=True)
    assert 'value="zhao.gong"' in html  # what was typed stays to be corrected
    platform.session.expire_all()
    assert user.email == "eng@example.com"


def test_emptying_both_leaves_the_bell_only(client, platform: Platform) -> None:
    login(client, "admin")
    response, user = _save_user(client, platform, email="", phone="")
    assert response.status_code == 302
    platform.session.expire_all()
    assert (user.email, user.phone) == (None, None)


def _save_department(client, **values: str):  # type: ignore[no-untyped-def]
    form = {"name": "工程部", "manager": "eng_mgr"}
    return client.post("/admin/departments/engineering", data={**form, **values})


def test_a_department_gets_its_dingtalk_robot_with_a_secret_kept_out_of_sight(
    client, platform: Platform
) -> None:
    login(client, "admin")
    saved = _save_department(client, robot_kind="dingtalk", robot_url=DINGTALK, robot_secret="SEC123")
    assert saved.status_code == 302
    department = platform.session.get(Department, "engineering")
    assert department is not None
    platform.session.refresh(department)
    assert (department.robot_kind, department.robot_url, department.robot_secret) == (
        "dingtalk",
        DINGTALK,
        "SEC123",
    )
    html = client.get("/admin/departments").get_data(as_text=True)
    assert DINGTALK in html and "SEC123" not in html and "已设置；留空则保持不变" in html
    # Saved again without the secret: it is kept; the robot removed: the secret goes with it.
    _save_department(client, robot_kind="dingtalk", robot_url=DINGTALK, robot_secret="")
    platform.session.refresh(department)
    assert department.robot_secret == "SEC123"
    _save_department(client, robot_kind="", robot_url="", robot_secret="")
    platform.session.refresh(department)
    assert (department.robot_kind, department.robot_url, department.robot_secret) == (None, None, None)


def test_a_robot_address_must_be_https_and_of_a_chosen_kind(client, platform: Platform) -> None:
    login(client, "admin")
    response = _save_department(client, robot_kind="wecom", robot_url="http://qyapi.weixin.qq.com/x")
    assert response.status_code == 422 and "须为加密连接（https）的网址" in text(response)
    response = _save_department(client, robot_kind="", robot_url=DINGTALK)
    assert response.status_code == 422 and "请选择群机器人类型" in text(response)
    response = _save_department(client, robot_kind="slack", robot_url="")
    assert response.status_code == 422 and "请选择企业微信或钉钉" in text(response)


def test_lintel_user_add_takes_an_email_and_a_phone(tmp_path: Path) -> None:
    env = {"LINTEL_INSTANCE_PATH": str(tmp_path), "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env, catch_exceptions=False).exit_code == 0
    base = ["user", "add", "liu", "--department", "engineering", "--password", "s3cret!"]
    bad = runner.invoke(main, [*base, "--email", "liu", "--phone", "12"], env=env)
    assert bad.exit_code == 1 and "--email: not an email address" in bad.output
    assert "--phone: not a valid Chinese mobile or landline number" in bad.output
    assert "Traceback" not in bad.output
    added = runner.invoke(main, [*base, "--email", "liu@example.com", "--phone", "13912345678"], env=env)
    assert added.exit_code == 0, added.output
    engine = create_engine(env["LINTEL_DATABASE_URL"])
    with Session(engine) as session:
        liu = session.scalars(select(User).where(User.username == "liu")).one()
        assert (liu.email, liu.phone) == ("liu@example.com", "13912345678")
    engine.dispose()
