"""Every table in one package so Alembic sees them all with one import."""

from sqlalchemy import Integer

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
from app.models.groups import (
    COMMITTEE_POST_LABELS,
    SINGLE_HOLDER_POSTS,
    ActivityRsvp,
    CommitteePost,
    CommitteeSeat,
    PartyGroup,
    PartyGroupMember,
    RsvpAnswer,
)
from app.models.idempotency import IdempotencyKey
from app.models.identity import Account, RefreshToken, WechatAccessToken
from app.models.members import (
    DepartureReason,
    Gender,
    Member,
    PartyStatus,
    Role,
    RoleAssignment,
)
from app.models.news import (
    ArticleStatus,
    BodyFormat,
    NewsArticle,
    NewsAudience,
    NewsCategory,
    ReadReceipt,
)
from app.models.notify import (
    CRITICAL_KINDS,
    GROUP_CHANNELS,
    Channel,
    CommitteeSettings,
    Delivery,
    DeliveryStatus,
    InboxMessage,
    Notification,
    NotificationKind,
    NotificationPreference,
    OrgDailySends,
    QuietHours,
    SubscriptionCredit,
)
from app.models.orgs import (
    AffiliationMode,
    Organization,
    OrgClosure,
    OrgKind,
    Rating,
    SocialOrgType,
)

# A table whose id is one integer says AUTOINCREMENT on SQLite, which otherwise hands out a
# deleted row's id again (migration 0010): new tables' migrations then say it too.
for _table in Base.metadata.tables.values():
    _key = list(_table.primary_key.columns)
    if len(_key) == 1 and isinstance(_key[0].type, Integer) and _key[0].autoincrement is not False:
        _table.dialect_kwargs["sqlite_autoincrement"] = True

__all__ = [
    "COMMITTEE_POST_LABELS",
    "CRITICAL_KINDS",
    "GROUP_CHANNELS",
    "SINGLE_HOLDER_POSTS",
    "Account",
    "Activity",
    "ActivityCoHost",
    "ActivityEvent",
    "ActivityEventKind",
    "ActivityRsvp",
    "ActivityStatus",
    "ActivityType",
    "AffiliationMode",
    "ArticleStatus",
    "Attendance",
    "AuditEvent",
    "Base",
    "BodyFormat",
    "Channel",
    "CheckInMethod",
    "CommitteePost",
    "CommitteeSeat",
    "CommitteeSettings",
    "Delivery",
    "DeliveryStatus",
    "DepartureReason",
    "ExpectedAttendee",
    "Gender",
    "IdempotencyKey",
    "InboxMessage",
    "LeaveRequest",
    "LeaveStatus",
    "MassOrg",
    "Member",
    "Minutes",
    "MinutesAttachment",
    "NewsArticle",
    "NewsAudience",
    "NewsCategory",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "OrgClosure",
    "OrgDailySends",
    "OrgKind",
    "Organization",
    "PartyGroup",
    "PartyGroupMember",
    "PartyStatus",
    "QuietHours",
    "Rating",
    "ReadReceipt",
    "RefreshToken",
    "Role",
    "RoleAssignment",
    "RsvpAnswer",
    "SocialOrgType",
    "SubscriptionCredit",
    "WalkInPolicy",
    "WechatAccessToken",
]
