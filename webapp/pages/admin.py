"""The administrator's pages: staff accounts (roles, departments, deactivation, password reset) and
departments (create, rename, manager)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.policy import Permission
from crm.staff import MIN_PASSWORD, ROLES
from engine.errors import InvalidData
from webapp import platform
from webapp.access import allow
from webapp.i18n import N_, translate_fields
from webapp.pages.common import commit, credentials, current_user, ok

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMIN = "administrator"

ROLE_NAMES = {
    "administrator": N_("系统管理员"),
    "coordinator": N_("客服专员"),
    "supervisor": N_("客服中心主管"),
    "handler": N_("部门处理人"),
    "manager": N_("部门经理"),
    "inspector": N_("验房工程师"),
    "process_owner": N_("流程负责人"),
    "contractor": N_("承建商人员"),
    "group": N_("集团客户关系中心"),
}


def role_name(role: str) -> str:
    return _(ROLE_NAMES.get(role, role))


def _users_page(
    form: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    staff = platform().staff
    return (
        render_template(
            "admin/users.html",
            users=staff.users(),
            departments=staff.departments(),
            roles=ROLES,
            role_name=role_name,
            form=form or {"roles": [], "departments": []},
            errors=errors or {},
            min_password=MIN_PASSWORD,
        ),
        status,
    )


@bp.get("/users")
@allow(Permission.ADMINISTER_STAFF)
def users() -> Any:
    return _users_page()


@bp.post("/users")
@allow(Permission.ADMINISTER_STAFF)
def create_user() -> Any:
    form = {
        "username": request.form.get("username", ""),
        "display_name": request.form.get("display_name", ""),
        "roles": request.form.getlist("roles"),
        "departments": request.form.getlist("departments"),
        "email": request.form.get("email", ""),
        "phone": request.form.get("phone", ""),
    }
    try:
        user = platform().staff.create_user(password=request.form.get("password", ""), **form)
    except InvalidData as invalid:
        return _users_page(form, translate_fields(invalid.fields), 422)
    commit()
    ok(_("已创建账号 %(username)s。", username=user.username))
    return redirect(url_for("admin.users"))


def _user_page(user_id: int, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    staff = platform().staff
    account = staff.user(user_id)
    return (
        render_template(
            "admin/user.html",
            user=account,
            tokens=credentials().tokens_of(account),
            departments=staff.departments(),
            roles=ROLES,
            role_name=role_name,
            errors=errors or {},
            min_password=MIN_PASSWORD,
        ),
        status,
    )


@bp.get("/users/<int:user_id>")
@allow(Permission.ADMINISTER_STAFF)
def user(user_id: int) -> Any:
    return _user_page(user_id)


@bp.post("/users/<int:user_id>")
@allow(Permission.ADMINISTER_STAFF)
def update_user(user_id: int) -> Any:
    staff = platform().staff
    account = staff.user(user_id)
    acting = current_user()
    assert acting is not None
    try:
        staff.update_user(
            account,
            display_name=request.form.get("display_name", ""),
            roles=request.form.getlist("roles"),
            departments=request.form.getlist("departments"),
            acting=acting,
            email=request.form.get("email", ""),
            phone=request.form.get("phone", ""),
        )
    except InvalidData as invalid:
        return _user_page(user_id, translate_fields(invalid.fields), 422)
    commit()
    ok(_("已保存 %(username)s 的资料。", username=account.username))
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@allow(Permission.ADMINISTER_STAFF)
def reset_password(user_id: int) -> Any:
    staff = platform().staff
    account = staff.user(user_id)
    try:
        staff.set_password(account, request.form.get("password", ""))
    except InvalidData as invalid:
        return _user_page(user_id, translate_fields(invalid.fields), 422)
    commit()
    ok(_("已重置 %(username)s 的密码，其已登录的会话和 API 令牌全部失效。", username=account.username))
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/active")
@allow(Permission.ADMINISTER_STAFF)
def set_active(user_id: int) -> Any:
    staff = platform().staff
    account = staff.user(user_id)
    acting = current_user()
    assert acting is not None
    active = request.form.get("active") == "1"
    try:
        staff.set_active(account, active, acting=acting)
    except InvalidData as invalid:
        return _user_page(user_id, translate_fields(invalid.fields), 422)
    commit()
    ok(
        _("已启用 %(username)s。", username=account.username)
        if active
        else _("已停用 %(username)s。", username=account.username)
    )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@allow(Permission.ADMINISTER_STAFF)
def revoke_token(user_id: int, token_id: int) -> Any:
    account = platform().staff.user(user_id)
    revoked = credentials().revoke_token(account, token_id)
    commit()
    ok(_("已撤销令牌 %(name)s，它不能再使用。", name=revoked.name or f"#{revoked.id}"))
    return redirect(url_for("admin.user", user_id=user_id))


def _departments_page(
    form: dict[str, str] | None = None, errors: dict[str, dict[str, str]] | None = None, status: int = 200
) -> Any:
    staff = platform().staff
    return (
        render_template(
            "admin/departments.html",
            departments=staff.departments(),
            users=[u for u in staff.users() if u.active],
            form=form or {},
            errors=errors or {},
        ),
        status,
    )


@bp.get("/departments")
@allow(Permission.ADMINISTER_STAFF)
def departments() -> Any:
    return _departments_page()


@bp.post("/departments")
@allow(Permission.ADMINISTER_STAFF)
def create_department() -> Any:
    form = {name: request.form.get(name, "") for name in ("code", "name", "manager")}
    try:
        department = platform().staff.create_department(**form)
    except InvalidData as invalid:
        return _departments_page(form, {"": translate_fields(invalid.fields)}, 422)
    commit()
    ok(_("已创建部门 %(name)s。", name=department.name))
    return redirect(url_for("admin.departments"))


@bp.post("/departments/<code>")
@allow(Permission.ADMINISTER_STAFF)
def update_department(code: str) -> Any:
    staff = platform().staff
    department = staff.department(code)
    try:
        staff.update_department(
            department,
            name=request.form.get("name", ""),
            manager=request.form.get("manager", ""),
            robot_kind=request.form.get("robot_kind", ""),
            robot_url=request.form.get("robot_url", ""),
            robot_secret=request.form.get("robot_secret", ""),
        )
    except InvalidData as invalid:
        return _departments_page(None, {code: translate_fields(invalid.fields)}, 422)
    commit()
    ok(_("已保存部门 %(name)s。", name=department.name))
    return redirect(url_for("admin.departments"))
