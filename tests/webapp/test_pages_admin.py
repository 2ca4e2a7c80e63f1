"""The administrator's pages: accounts, roles, departments — and nobody else may use them."""

from __future__ import annotations

import pytest

from tests.webapp.pages_support import login, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.mark.parametrize("username", ["crc", "eng", "crc_sup"])
def test_admin_pages_refuse_everyone_but_administrators(client, platform, username) -> None:
    login(client, username)
    for path in ("/admin/users", "/admin/departments", "/admin/users/1"):
        response = client.get(path)
        assert response.status_code == 403 and "此页面只对具有相应角色的用户开放" in text(response)
    created = client.post(
        "/admin/users", data={"username": "mallory", "password": "12345678", "roles": "administrator"}
    )
    assert created.status_code == 403
    assert client.post("/admin/departments", data={"code": "evil", "name": "坏部门"}).status_code == 403
    assert platform.directory.user("mallory") is None


def test_an_administrator_creates_an_account_that_can_sign_in_and_work(client, platform) -> None:
    login(client, "admin")
    response = client.post(
        "/admin/users",
        data={
            "username": "eng2",
            "display_name": "钱工",
            "password": "correct-horse",
            "roles": ["handler"],
            "departments": ["engineering"],
        },
    )
    assert response.status_code == 302
    assert "钱工" in text(client.get("/admin/users"))
    client.post("/logout")
    login(client, "eng2", "correct-horse")
    assert "钱工" in text(client.get("/inbox"))
    user = platform.directory.user("eng2")
    assert user.role_set == {"handler"} and user.department_codes == {"engineering"}


def test_a_refused_account_shows_what_is_wrong_beside_each_field(client) -> None:
    login(client, "admin")
    response = client.post(
        "/admin/users",
        data={"username": "Crc!", "password": "short", "roles": ["king"], "departments": ["nowhere"]},
    )
    assert response.status_code == 422
    page = text(response)
    assert "以字母开头" in page and "至少 8 个字符" in page and "未知角色：king" in page
    assert "未知部门：nowhere" in page
    taken = client.post("/admin/users", data={"username": "crc", "password": "long-enough"})
    assert taken.status_code == 422 and "用户名已被使用" in text(taken)


def test_roles_and_departments_are_edited_and_an_administrator_keeps_their_own_role(client, platform) -> None:
    login(client, "admin")
    eng = platform.directory.user("eng")
    response = client.post(
        f"/admin/users/{eng.id}",
        data={
            "display_name": "赵工",
            "roles": ["handler", "manager"],
            "departments": ["engineering", "design"],
        },
    )
    assert response.status_code == 302
    platform.session.expire_all()
    eng = platform.directory.user("eng")
    assert eng.role_set == {"handler", "manager"} and eng.department_codes == {"engineering", "design"}

    admin = platform.directory.user("admin")
    refused = client.post(f"/admin/users/{admin.id}", data={"display_name": "x", "roles": ["handler"]})
    assert refused.status_code == 422 and "不能取消自己的管理员角色" in text(refused)


def test_a_deactivated_account_is_signed_out_and_cannot_sign_in(app, client, platform) -> None:
    other = app.test_client()
    login(other, "eng")
    login(client, "admin")
    eng = platform.directory.user("eng")
    assert client.post(f"/admin/users/{eng.id}/active", data={"active": "0"}).status_code == 302
    assert other.get("/inbox").status_code == 302  # its open session ends
    assert other.post("/login", data={"username": "eng", "password": "demo"}).status_code == 401
    admin = platform.directory.user("admin")
    refused = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"})
    assert refused.status_code == 422 and "不能停用自己的账号" in text(refused)


def test_a_password_reset_takes_effect_and_is_checked(app, client, platform) -> None:
    login(client, "admin")
    eng = platform.directory.user("eng")
    short = client.post(f"/admin/users/{eng.id}/password", data={"password": "abc"})
    assert short.status_code == 422 and "至少 8 个字符" in text(short)
    assert client.post(f"/admin/users/{eng.id}/password", data={"password": "a-long-one"}).status_code == 302
    other = app.test_client()
    assert other.post("/login", data={"username": "eng", "password": "demo"}).status_code == 401
    login(other, "eng", "a-long-one")


def test_departments_are_created_renamed_and_given_a_manager(client, platform) -> None:
    login(client, "admin")
    assert (
        client.post(
            "/admin/departments", data={"code": "contractor", "name": "承建商", "manager": "eng"}
        ).status_code
        == 302
    )
    assert "承建商" in text(client.get("/admin/departments"))
    renamed = client.post(
        "/admin/departments/contractor", data={"name": "承建商（总包）", "manager": "eng_mgr"}
    )
    assert renamed.status_code == 302
    department = platform.staff.department("contractor")
    platform.session.refresh(department)
    assert (department.name, department.manager_username) == ("承建商（总包）", "eng_mgr")

    duplicate = client.post("/admin/departments", data={"code": "dup", "name": "工程部"})
    assert duplicate.status_code == 422 and "已有同名部门" in text(duplicate)
    bad = client.post("/admin/departments", data={"code": "Bad Code", "name": "x", "manager": "ghost"})
    assert bad.status_code == 422 and "没有此用户名的在职用户" in text(bad) and "以字母开头" in text(bad)
    assert client.post("/admin/departments/nowhere", data={"name": "x"}).status_code == 404
