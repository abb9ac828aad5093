"""The codes of granting and revoking roles."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, NotFound, Unprocessable


class RoleNotFound(NotFound):
    """No such assignment, or one on an organization outside the caller's scope (a system
    admin's, held on no organization, is never found here)."""

    code = "role.not_found"
    message_zh = "角色任命不存在"
    message_en = "Role assignment not found"


class RoleNotGrantable(Unprocessable):
    code = "role.not_grantable"
    message_zh = "系统管理员只能通过命令行设置"
    message_en = "System admins are made with the CLI"


class InvalidOrgKind(Unprocessable):
    """details.role, details.org_kind."""

    code = "role.invalid_org_kind"
    message_zh = "该角色不能设在此类组织上"
    message_en = "This role cannot be held on this kind of organization"


class RoleAlreadyHeld(Conflict):
    code = "role.already_held"
    message_zh = "该成员已担任此角色"
    message_en = "The member already holds this role"


class OwnLastManagingRole(Forbidden):
    """Revoking one's own role when no other secretary, committee-admin or system-admin role
    is left: the caller would lock themselves out; the organization above does it."""

    code = "role.own_last_managing"
    message_zh = "不能免去本人最后一个管理职务，请由上级组织办理"
    message_en = "You cannot revoke your own last managing role; ask the organization above"
