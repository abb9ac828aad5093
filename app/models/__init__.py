"""Every table in one package so Alembic sees them all with one import."""

from app.models.activities import (
    Activity,
    ActivityCoHost,
    ActivityEvent,
    ActivityEventKind,
    ActivityStatus,
    ActivityType,
    Attendance,
    CheckInMethod,
    ExpectedAttendee,
    LeaveRequest,
    LeaveStatus,
    MassOrg,
    Minutes,
    MinutesAttachment,
    WalkInPolicy,
)
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.identity import Account, RefreshToken, WechatAccessToken
from app.models.members import Gender, Member, PartyStatus, Role, RoleAssignment
from app.models.orgs import (
    AffiliationMode,
    Organization,
    OrgClosure,
    OrgKind,
    Rating,
    SocialOrgType,
)

__all__ = [
    "Account",
    "Activity",
    "ActivityCoHost",
    "ActivityEvent",
    "ActivityEventKind",
    "ActivityStatus",
    "ActivityType",
    "AffiliationMode",
    "Attendance",
    "AuditEvent",
    "Base",
    "CheckInMethod",
    "ExpectedAttendee",
    "Gender",
    "LeaveRequest",
    "LeaveStatus",
    "MassOrg",
    "Member",
    "Minutes",
    "MinutesAttachment",
    "OrgClosure",
    "OrgKind",
    "Organization",
    "PartyStatus",
    "Rating",
    "RefreshToken",
    "Role",
    "RoleAssignment",
    "SocialOrgType",
    "WalkInPolicy",
    "WechatAccessToken",
]
