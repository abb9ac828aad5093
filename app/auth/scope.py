"""Where a caller may act: the subtrees of the organizations their roles are held on."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from app.auth.permissions import ROLE_PERMISSIONS, Permission
from app.models import OrgClosure
from app.models.members import Role


@dataclass(frozen=True)
class Scope:
    everywhere: bool = False
    roots: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not self.everywhere and not self.roots

    def covers(
        self, org_column: InstrumentedAttribute[int | None] | ColumnElement[int]
    ) -> ColumnElement[bool]:
        """A SQL condition: the organization in ``org_column`` lies in one of the subtrees."""
        if self.everywhere:
            return true()
        if not self.roots:
            return false()
        return org_column.in_(
            select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id.in_(self.roots))
        )


@dataclass(frozen=True)
class Principal:
    account_id: int
    member_id: int | None
    roles: tuple[tuple[Role, int | None], ...]

    def scope(self, permission: Permission) -> Scope:
        roots: set[int] = set()
        for role, org_id in self.roles:
            if permission not in ROLE_PERMISSIONS[role]:
                continue
            if org_id is None:  # system admin
                return Scope(everywhere=True)
            roots.add(org_id)
        return Scope(roots=frozenset(roots))

    def has_role(self, role: Role) -> bool:
        return any(held == role for held, _ in self.roles)


@dataclass(frozen=True)
class MemberPrincipal(Principal):
    """A caller whose account is linked to a member record (``CurrentMember``)."""

    member_id: int
