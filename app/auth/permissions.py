"""What each role may do. A role is held on an organization and reaches its whole subtree."""

from __future__ import annotations

import enum

from app.models.members import Role


class Permission(enum.StrEnum):
    SELF = "self"  # any signed-in account, on its own data only
    ORGS_READ = "orgs:read"
    ORGS_WRITE = "orgs:write"
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"
    MEMBERS_READ_SENSITIVE = "members:read_sensitive"
    MEMBERS_ERASE = "members:erase"  # PIPL erasure of a departed member's personal data
    ROLES_MANAGE = "roles:manage"
    ACTIVITIES_MANAGE = "activities:manage"
    ATTENDANCE_READ = "attendance:read"
    MINUTES_REVIEW = "minutes:review"
    NEWS_WRITE = "news:write"
    NOTIFY_MANAGE = "notify:manage"  # dead letters: see and retry
    STUDY_MANAGE = "study:manage"  # materials and study tasks
    STUDY_READ = "study:read"  # study and points figures of the subtree
    POINTS_MANAGE = "points:manage"  # the committee's point rules
    QA_ANSWER = "qa:answer"  # answer and reassign routed questions, publish them to the FAQ
    QA_REVIEW = "qa:review"  # the moderation queue: approve or reject held texts
    QA_READ = "qa:read"  # Q&A figures of the subtree
    QA_MANAGE = "qa:manage"  # the committee's Q&A settings and categories
    OVERSIGHT_READ = "oversight:read"  # coverage, rating cap, compliance of the subtree
    OVERSIGHT_MANAGE = "oversight:manage"  # the committee's norms, its 综合党委 designation
    TRANSFERS_MANAGE = "transfers:manage"  # start relation transfers, decide a branch's step
    TRANSFERS_COMMITTEE = "transfers:committee"  # decide a committee's step of a transfer
    VENUE_WRITE = "venue:write"  # the 六有 checklist of a venue and its photos
    HONOURS_NOMINATE = "honours:nominate"  # nominate a branch or member for an honour
    HONOURS_DECIDE = "honours:decide"  # the committee's decision on a nomination
    ANNUAL_REPORT_WRITE = "annual_report:write"  # notes of a social org's annual report


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SECRETARY: frozenset(
        {
            Permission.ORGS_READ,
            Permission.MEMBERS_READ,
            Permission.MEMBERS_WRITE,
            Permission.MEMBERS_READ_SENSITIVE,
            Permission.ACTIVITIES_MANAGE,
            Permission.ATTENDANCE_READ,
            Permission.STUDY_MANAGE,
            Permission.STUDY_READ,
            Permission.TRANSFERS_MANAGE,
            Permission.VENUE_WRITE,
            Permission.HONOURS_NOMINATE,
            Permission.ANNUAL_REPORT_WRITE,  # the annual report's notes (app/annual)
        }
    ),
    Role.INSTRUCTOR: frozenset(
        {
            Permission.ORGS_READ,
            Permission.MEMBERS_READ,
            Permission.ACTIVITIES_MANAGE,
            Permission.ATTENDANCE_READ,
            Permission.NEWS_WRITE,
            Permission.STUDY_MANAGE,
            Permission.STUDY_READ,
            Permission.QA_ANSWER,
            Permission.QA_REVIEW,
            Permission.QA_READ,
            # The oversight figures of the organizations they guide: which of their branches
            # meet the norms and which are hollow is what an instructor is sent to act on.
            Permission.OVERSIGHT_READ,
        }
    ),
    Role.COMMITTEE_ADMIN: frozenset(
        {
            Permission.ORGS_READ,
            Permission.ORGS_WRITE,
            Permission.MEMBERS_READ,
            Permission.MEMBERS_WRITE,
            Permission.MEMBERS_READ_SENSITIVE,
            Permission.MEMBERS_ERASE,
            Permission.ROLES_MANAGE,
            Permission.ACTIVITIES_MANAGE,
            Permission.ATTENDANCE_READ,
            Permission.MINUTES_REVIEW,
            Permission.NEWS_WRITE,
            Permission.NOTIFY_MANAGE,
            Permission.STUDY_MANAGE,
            Permission.STUDY_READ,
            Permission.POINTS_MANAGE,
            Permission.QA_ANSWER,
            Permission.QA_REVIEW,
            Permission.QA_READ,
            Permission.QA_MANAGE,
            Permission.OVERSIGHT_READ,
            Permission.OVERSIGHT_MANAGE,
            Permission.TRANSFERS_MANAGE,
            Permission.TRANSFERS_COMMITTEE,
            Permission.VENUE_WRITE,
            Permission.HONOURS_NOMINATE,
            Permission.HONOURS_DECIDE,
            Permission.ANNUAL_REPORT_WRITE,  # the annual report's notes (app/annual)
        }
    ),
    Role.SYSTEM_ADMIN: frozenset(Permission),
}
