"""The route matrix (reliability.md 6): every route declares who may call it, and no object
of another organization can be read or changed through any route that takes an id.

Adding a route with an ``{..._id}`` path parameter? Add it to ``OBJECT_ROUTES`` below: a
function that, given a scene (the caller's side and a sibling side), builds the request aimed
at the sibling's object. The completeness tests fail until you do.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import select

from app.auth.dependencies import Requires, public
from app.auth.permissions import ROLE_PERMISSIONS, Permission
from app.kit.clock import Clock
from app.main import ROUTERS
from app.models import (
    Base,
    Channel,
    ContentReview,
    Delivery,
    DeliveryStatus,
    InboxMessage,
    Member,
    Notification,
    NotificationKind,
    Organization,
    QaCategory,
    Role,
    RoleAssignment,
    VenueItem,
    VenuePhoto,
)
from tests.factories import Actor, Factory, World, build_world
from tests.fixtures.apps import client_of, running_app
from tests.fixtures.database import empty_all_tables
from tests.fixtures.settings import settings_for
from tests.fixtures.wechat import FakeWeChat
from tests.qa.faq_helpers import add_faq, add_question
from tests.study.task_helpers import add_material

Operation = tuple[str, str]  # (method, path template)


def api_routes() -> Iterator[tuple[Operation, APIRoute]]:
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute), (
                f"{route!r}: only API routes belong in the feature routers"
            )
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                yield (method, route.path), route


def dependency_calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from dependency_calls(sub)


def declared_permissions(route: APIRoute) -> set[Permission]:
    return {
        call.permission for call in dependency_calls(route.dependant) if isinstance(call, Requires)
    }


def is_public(route: APIRoute) -> bool:
    return any(call is public for call in dependency_calls(route.dependant))


ROUTES = dict(api_routes())
ROUTER_OF = {
    (method, route.path): router
    for router in ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
}


# --- (a) every route declares its permission, and no route escapes the matrix ------------


@pytest.mark.parametrize("operation", sorted(ROUTES), ids=lambda op: f"{op[0]} {op[1]}")
def test_route_declares_public_or_a_permission(operation: Operation) -> None:
    route = ROUTES[operation]
    permissions = declared_permissions(route)
    assert is_public(route) or permissions, (
        f"{operation}: declare Depends(public) or a Requires(permission) dependency"
    )
    assert not (is_public(route) and permissions), f"{operation}: both public and {permissions}"


async def test_routers_hold_every_served_operation(matrix_app: FastAPI) -> None:
    served = {
        (method.upper(), path)
        for path, operations in matrix_app.openapi()["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert served == set(ROUTES)


@pytest.mark.parametrize("operation", sorted(ROUTES), ids=lambda op: f"{op[0]} {op[1]}")
def test_no_other_route_catches_a_routes_path(operation: Operation) -> None:
    # Requests are matched in ROUTERS order, the busiest routers first (app/main.py); that
    # order must decide nothing, so no route of another router may match a path that is
    # this one's. (Within a router its own order decides: /orgs/tree before /orgs/{org_id}.)
    method, path = operation
    sample = re.sub(r"\{[^}]+\}", "1", path)
    catching = [
        other
        for other, route in ROUTES.items()
        if other[0] == method
        and ROUTER_OF[other] is not ROUTER_OF[operation]
        and route.path_regex.fullmatch(sample)
    ]
    assert catching == []


# --- (b) a sibling organization's objects are not found, and nothing changes --------------


@dataclass
class Side:
    """One organization's objects: a branch, a social org, a member, a role, activities."""

    branch: Organization
    social: Organization
    member: Member
    role_id: int
    draft_activity_id: int
    published_activity_id: int
    draft_article_id: int
    published_article_id: int
    inbox_message_id: int
    dead_delivery_id: int
    party_group_id: int
    draft_material_id: int
    published_material_id: int
    study_task_id: int
    qa_category_id: int  # of the committee above the branch
    question_id: int  # the member's, answered by an admin
    answer_id: int
    qa_review_id: int  # of the member's question held for review
    faq_question_id: int  # a question of the branch with an accepted answer
    faq_entry_id: int  # an FAQ entry of the branch
    transfer_id: int  # the member's transfer out of the system, pending the branch's approval
    venue_photo_id: int  # a photo of the branch's 六有 checklist
    nomination_id: int  # a pending nomination of the branch for 双强党支部


@dataclass
class Scene:
    world: World
    caller: Actor
    role: Role
    own: Side
    other: Side


Call = tuple[str, dict[str, Any] | None]  # (url, json body)
V1 = "/api/v1"


def annual_report(org: Organization) -> str:
    """The annual report of ``org`` for this year (Beijing time)."""
    return f"{V1}/orgs/{org.id}/annual-report/{(datetime.now(UTC) + timedelta(hours=8)).year}"


OBJECT_ROUTES: dict[Operation, Callable[[Scene], Call]] = {
    # organizations
    ("GET", "/api/v1/orgs/{org_id}"): lambda s: (f"{V1}/orgs/{s.other.branch.id}", None),
    ("PATCH", "/api/v1/orgs/{org_id}"): lambda s: (
        f"{V1}/orgs/{s.other.social.id}",
        {"name": "越权改名", "rating": "5A", "staff_count": 1},
    ),
    ("DELETE", "/api/v1/orgs/{org_id}"): lambda s: (f"{V1}/orgs/{s.other.social.id}", None),
    # members
    ("GET", "/api/v1/members/{member_id}"): lambda s: (f"{V1}/members/{s.other.member.id}", None),
    ("GET", "/api/v1/members/{member_id}/sensitive"): lambda s: (
        f"{V1}/members/{s.other.member.id}/sensitive",
        None,
    ),
    ("PATCH", "/api/v1/members/{member_id}"): lambda s: (
        f"{V1}/members/{s.other.member.id}",
        {"name": "越权改名", "party_status": "masses", "phone": "13900000000"},
    ),
    ("POST", "/api/v1/members/{member_id}/departure"): lambda s: (
        f"{V1}/members/{s.other.member.id}/departure",
        {"reason": "transferred_out", "left_on": "2025-01-01"},
    ),
    ("POST", "/api/v1/members/{member_id}/erasure"): lambda s: (
        f"{V1}/members/{s.other.member.id}/erasure",
        None,
    ),
    # attendance
    ("GET", "/api/v1/activities/{activity_id}/attendance"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/attendance",
        None,
    ),
    ("GET", "/api/v1/activities/{activity_id}/sign-in-sheet.xlsx"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/sign-in-sheet.xlsx",
        None,
    ),
    ("GET", "/api/v1/members/{member_id}/attendance"): lambda s: (
        f"{V1}/members/{s.other.member.id}/attendance",
        None,
    ),
    ("GET", "/api/v1/orgs/{org_id}/attendance"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/attendance",
        None,
    ),
    # notifications
    ("POST", "/api/v1/me/inbox/{message_id}/read"): lambda s: (
        f"{V1}/me/inbox/{s.other.inbox_message_id}/read",
        None,
    ),
    ("POST", "/api/v1/notify/deliveries/{delivery_id}/retry"): lambda s: (
        f"{V1}/notify/deliveries/{s.other.dead_delivery_id}/retry",
        None,
    ),
    # The committee above the other side's branch (the sibling street).
    ("GET", "/api/v1/notify/committees/{org_id}/settings"): lambda s: (
        f"{V1}/notify/committees/{s.other.branch.parent_id}/settings",
        None,
    ),
    ("PUT", "/api/v1/notify/committees/{org_id}/settings"): lambda s: (
        f"{V1}/notify/committees/{s.other.branch.parent_id}/settings",
        {"absence_reminders": False},
    ),
    # points: the rules of the committee above the other side's branch
    ("GET", "/api/v1/points/committees/{org_id}/rules"): lambda s: (
        f"{V1}/points/committees/{s.other.branch.parent_id}/rules",
        None,
    ),
    ("PUT", "/api/v1/points/committees/{org_id}/rules/{kind}"): lambda s: (
        f"{V1}/points/committees/{s.other.branch.parent_id}/rules/news_read",
        {"points": 5},
    ),
    ("DELETE", "/api/v1/points/committees/{org_id}/rules/{kind}"): lambda s: (
        f"{V1}/points/committees/{s.other.branch.parent_id}/rules/news_read",
        None,
    ),
    # roles
    ("GET", "/api/v1/orgs/{org_id}/roles"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/roles",
        None,
    ),
    ("POST", "/api/v1/orgs/{org_id}/roles"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/roles",
        {"member_id": s.own.member.id, "role": "secretary"},
    ),
    ("DELETE", "/api/v1/roles/{role_id}"): lambda s: (f"{V1}/roles/{s.other.role_id}", None),
    # activities
    ("GET", "/api/v1/activities/{activity_id}"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}",
        None,
    ),
    ("PATCH", "/api/v1/activities/{activity_id}"): lambda s: (
        f"{V1}/activities/{s.other.draft_activity_id}",
        {"title": "越权改名", "venue_name": "别处"},
    ),
    ("POST", "/api/v1/activities/{activity_id}/publish"): lambda s: (
        f"{V1}/activities/{s.other.draft_activity_id}/publish",
        None,
    ),
    ("POST", "/api/v1/activities/{activity_id}/cancel"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/cancel",
        {"reason": "越权取消"},
    ),
    ("GET", "/api/v1/activities/{activity_id}/expected"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/expected",
        None,
    ),
    ("POST", "/api/v1/activities/{activity_id}/expected"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/expected",
        {"member_ids": [s.own.member.id]},
    ),
    ("DELETE", "/api/v1/activities/{activity_id}/expected/{member_id}"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/expected/{s.other.member.id}",
        None,
    ),
    ("GET", "/api/v1/activities/{activity_id}/checkin-code"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/checkin-code",
        None,
    ),
    ("GET", "/api/v1/activities/{activity_id}/checkin-poster"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/checkin-poster",
        None,
    ),
    ("POST", "/api/v1/activities/{activity_id}/check-ins"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/check-ins",
        {"client_nonce": "bola-nonce-0001", "latitude": 32.06, "longitude": 118.78, "accuracy": 10},
    ),
    ("POST", "/api/v1/activities/{activity_id}/check-out"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/check-out",
        None,
    ),
    ("POST", "/api/v1/activities/{activity_id}/check-ins/manual"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/check-ins/manual",
        {"member_id": s.other.member.id, "reason": "越权补签"},
    ),
    ("GET", "/api/v1/activities/{activity_id}/attendances/flagged"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/attendances/flagged",
        None,
    ),
    ("POST", "/api/v1/activities/{activity_id}/attendances/{attendance_id}/review"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/attendances/1/review",
        {"decision": "reject", "reason": "越权驳回"},
    ),
    # leave
    ("POST", "/api/v1/activities/{activity_id}/leave"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/leave",
        {"reason": "越权请假"},
    ),
    ("DELETE", "/api/v1/activities/{activity_id}/leave"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/leave",
        None,
    ),
    ("GET", "/api/v1/activities/{activity_id}/leave-requests"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/leave-requests",
        None,
    ),
    ("POST", "/api/v1/activities/{activity_id}/leave-requests/{leave_id}/decision"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/leave-requests/1/decision",
        {"approve": True, "note": "越权批准"},
    ),
    # minutes and attachments
    ("GET", "/api/v1/activities/{activity_id}/minutes"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/minutes",
        None,
    ),
    ("PUT", "/api/v1/activities/{activity_id}/minutes"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/minutes",
        {"content": "越权改写"},
    ),
    ("POST", "/api/v1/activities/{activity_id}/minutes/review"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/minutes/review",
        None,
    ),
    ("POST", "/api/v1/activities/{activity_id}/attachments"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/attachments",
        None,
    ),
    ("GET", "/api/v1/activities/{activity_id}/attachments"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/attachments",
        None,
    ),
    ("GET", "/api/v1/activities/{activity_id}/attachments/{attachment_id}"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/attachments/1",
        None,
    ),
    ("DELETE", "/api/v1/activities/{activity_id}/attachments/{attachment_id}"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/attachments/1",
        None,
    ),
    # party groups and the branch committee
    ("GET", "/api/v1/orgs/{branch_id}/party-groups"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/party-groups",
        None,
    ),
    ("POST", "/api/v1/orgs/{branch_id}/party-groups"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/party-groups",
        {"name": "越权党小组", "member_ids": [s.other.member.id]},
    ),
    ("GET", "/api/v1/orgs/{branch_id}/party-groups/{group_id}"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/party-groups/{s.other.party_group_id}",
        None,
    ),
    ("PATCH", "/api/v1/orgs/{branch_id}/party-groups/{group_id}"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/party-groups/{s.other.party_group_id}",
        {"name": "越权改名", "leader_member_id": None},
    ),
    ("DELETE", "/api/v1/orgs/{branch_id}/party-groups/{group_id}"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/party-groups/{s.other.party_group_id}",
        None,
    ),
    ("GET", "/api/v1/orgs/{branch_id}/party-groups/{group_id}/members"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/party-groups/{s.other.party_group_id}/members",
        None,
    ),
    ("POST", "/api/v1/orgs/{branch_id}/party-groups/{group_id}/members"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/party-groups/{s.other.party_group_id}/members",
        {"member_ids": [s.other.member.id]},
    ),
    (
        "DELETE",
        "/api/v1/orgs/{branch_id}/party-groups/{group_id}/members/{member_id}",
    ): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/party-groups/{s.other.party_group_id}"
        f"/members/{s.other.member.id}",
        None,
    ),
    ("GET", "/api/v1/orgs/{branch_id}/committee"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/committee",
        None,
    ),
    ("PUT", "/api/v1/orgs/{branch_id}/committee"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/committee",
        {"seats": [{"member_id": s.other.member.id, "post": "secretary"}]},
    ),
    # RSVP
    ("PUT", "/api/v1/activities/{activity_id}/rsvp"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/rsvp",
        {"answer": "attending"},
    ),
    ("GET", "/api/v1/activities/{activity_id}/rsvp"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/rsvp",
        None,
    ),
    ("DELETE", "/api/v1/activities/{activity_id}/rsvp"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/rsvp",
        None,
    ),
    ("GET", "/api/v1/activities/{activity_id}/rsvp-summary"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/rsvp-summary",
        None,
    ),
    # news
    ("GET", "/api/v1/news/articles/{article_id}"): lambda s: (
        f"{V1}/news/articles/{s.other.published_article_id}",
        None,
    ),
    ("PATCH", "/api/v1/news/articles/{article_id}"): lambda s: (
        f"{V1}/news/articles/{s.other.draft_article_id}",
        {"title": "越权改名", "audience_org_ids": [s.own.branch.id]},
    ),
    ("DELETE", "/api/v1/news/articles/{article_id}"): lambda s: (
        f"{V1}/news/articles/{s.other.draft_article_id}",
        None,
    ),
    ("POST", "/api/v1/news/articles/{article_id}/publish"): lambda s: (
        f"{V1}/news/articles/{s.other.draft_article_id}/publish",
        None,
    ),
    ("POST", "/api/v1/news/articles/{article_id}/retract"): lambda s: (
        f"{V1}/news/articles/{s.other.published_article_id}/retract",
        None,
    ),
    ("POST", "/api/v1/news/articles/{article_id}/pin"): lambda s: (
        f"{V1}/news/articles/{s.other.published_article_id}/pin",
        None,
    ),
    ("POST", "/api/v1/news/articles/{article_id}/unpin"): lambda s: (
        f"{V1}/news/articles/{s.other.published_article_id}/unpin",
        None,
    ),
    ("POST", "/api/v1/news/articles/{article_id}/reads"): lambda s: (
        f"{V1}/news/articles/{s.other.published_article_id}/reads",
        {"seconds": 30},
    ),
    ("GET", "/api/v1/news/articles/{article_id}/stats"): lambda s: (
        f"{V1}/news/articles/{s.other.published_article_id}/stats",
        None,
    ),
    # study materials, heartbeats and the materials a session names
    ("GET", "/api/v1/study/materials/{material_id}"): lambda s: (
        f"{V1}/study/materials/{s.other.published_material_id}",
        None,
    ),
    ("PATCH", "/api/v1/study/materials/{material_id}"): lambda s: (
        f"{V1}/study/materials/{s.other.draft_material_id}",
        {"title": "越权改名", "length_seconds": 60, "required_seconds": 30},
    ),
    ("DELETE", "/api/v1/study/materials/{material_id}"): lambda s: (
        f"{V1}/study/materials/{s.other.draft_material_id}",
        None,
    ),
    ("POST", "/api/v1/study/materials/{material_id}/publish"): lambda s: (
        f"{V1}/study/materials/{s.other.draft_material_id}/publish",
        None,
    ),
    ("POST", "/api/v1/study/materials/{material_id}/archive"): lambda s: (
        f"{V1}/study/materials/{s.other.published_material_id}/archive",
        None,
    ),
    ("POST", "/api/v1/study/materials/{material_id}/file"): lambda s: (
        f"{V1}/study/materials/{s.other.draft_material_id}/file",
        None,
    ),
    ("GET", "/api/v1/study/materials/{material_id}/file"): lambda s: (
        f"{V1}/study/materials/{s.other.published_material_id}/file",
        None,
    ),
    ("POST", "/api/v1/study/materials/{material_id}/heartbeats"): lambda s: (
        f"{V1}/study/materials/{s.other.published_material_id}/heartbeats",
        {"position_seconds": 1},
    ),
    ("PUT", "/api/v1/activities/{activity_id}/study-materials"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/study-materials",
        {"material_ids": [s.own.published_material_id]},
    ),
    ("GET", "/api/v1/activities/{activity_id}/study-materials"): lambda s: (
        f"{V1}/activities/{s.other.published_activity_id}/study-materials",
        None,
    ),
    # study tasks
    ("GET", "/api/v1/study/tasks/{task_id}"): lambda s: (
        f"{V1}/study/tasks/{s.other.study_task_id}",
        None,
    ),
    ("PATCH", "/api/v1/study/tasks/{task_id}"): lambda s: (
        f"{V1}/study/tasks/{s.other.study_task_id}",
        {"title": "越权改名", "audience_org_ids": [s.own.branch.id]},
    ),
    ("POST", "/api/v1/study/tasks/{task_id}/cancel"): lambda s: (
        f"{V1}/study/tasks/{s.other.study_task_id}/cancel",
        None,
    ),
    ("GET", "/api/v1/study/tasks/{task_id}/completion"): lambda s: (
        f"{V1}/study/tasks/{s.other.study_task_id}/completion",
        None,
    ),
    ("GET", "/api/v1/study/tasks/{task_id}/completion/pending"): lambda s: (
        f"{V1}/study/tasks/{s.other.study_task_id}/completion/pending",
        None,
    ),
    ("GET", "/api/v1/study/tasks/{task_id}/completion.xlsx"): lambda s: (
        f"{V1}/study/tasks/{s.other.study_task_id}/completion.xlsx",
        None,
    ),
    ("POST", "/api/v1/study/tasks/{task_id}/reminders"): lambda s: (
        f"{V1}/study/tasks/{s.other.study_task_id}/reminders",
        None,
    ),
    ("GET", "/api/v1/me/study-tasks/{task_id}"): lambda s: (
        f"{V1}/me/study-tasks/{s.other.study_task_id}",
        None,
    ),
    # Q&A: the other side's member's question, its answer and held review; the settings of
    # the committee above the other side's branch
    ("GET", "/api/v1/qa/questions/{question_id}"): lambda s: (
        f"{V1}/qa/questions/{s.other.question_id}",
        None,
    ),
    ("POST", "/api/v1/qa/questions/{question_id}/answers"): lambda s: (
        f"{V1}/qa/questions/{s.other.question_id}/answers",
        {"body": "越权回答"},
    ),
    ("POST", "/api/v1/qa/questions/{question_id}/follow-ups"): lambda s: (
        f"{V1}/qa/questions/{s.other.question_id}/follow-ups",
        {"body": "越权追问"},
    ),
    ("POST", "/api/v1/qa/questions/{question_id}/answers/{message_id}/accept"): lambda s: (
        f"{V1}/qa/questions/{s.other.question_id}/answers/{s.other.answer_id}/accept",
        None,
    ),
    ("POST", "/api/v1/qa/questions/{question_id}/close"): lambda s: (
        f"{V1}/qa/questions/{s.other.question_id}/close",
        None,
    ),
    ("POST", "/api/v1/qa/questions/{question_id}/reassign"): lambda s: (
        f"{V1}/qa/questions/{s.other.question_id}/reassign",
        {"org_id": s.own.branch.id, "reason": "越权转交"},
    ),
    ("POST", "/api/v1/qa/reviews/{review_id}/decision"): lambda s: (
        f"{V1}/qa/reviews/{s.other.qa_review_id}/decision",
        {"decision": "approved"},
    ),
    ("GET", "/api/v1/qa/settings/{org_id}"): lambda s: (
        f"{V1}/qa/settings/{s.other.branch.parent_id}",
        None,
    ),
    ("PUT", "/api/v1/qa/settings/{org_id}"): lambda s: (
        f"{V1}/qa/settings/{s.other.branch.parent_id}",
        {"members_may_answer": True},
    ),
    # oversight: a branch's activities behind its compliance; the committee above the other
    # side's branch (its norms, its 综合党委 designation)
    ("GET", "/api/v1/oversight/compliance/{branch_id}/activities"): lambda s: (
        f"{V1}/oversight/compliance/{s.other.branch.id}/activities",
        None,
    ),
    ("GET", "/api/v1/oversight/norms/{committee_id}"): lambda s: (
        f"{V1}/oversight/norms/{s.other.branch.parent_id}",
        None,
    ),
    ("PUT", "/api/v1/oversight/norms/{committee_id}"): lambda s: (
        f"{V1}/oversight/norms/{s.other.branch.parent_id}",
        {"branch_committee": 1},
    ),
    ("PUT", "/api/v1/oversight/comprehensive-committees/{committee_id}"): lambda s: (
        f"{V1}/oversight/comprehensive-committees/{s.other.branch.parent_id}",
        None,
    ),
    ("DELETE", "/api/v1/oversight/comprehensive-committees/{committee_id}"): lambda s: (
        f"{V1}/oversight/comprehensive-committees/{s.other.branch.parent_id}",
        None,
    ),
    # the annual report of a social organization (issue 13 item 8), this year in Beijing
    ("GET", "/api/v1/orgs/{org_id}/annual-report/{year}"): lambda s: (
        annual_report(s.other.social),
        None,
    ),
    ("GET", "/api/v1/orgs/{org_id}/annual-report/{year}.xlsx"): lambda s: (
        annual_report(s.other.social) + ".xlsx",
        None,
    ),
    ("PUT", "/api/v1/orgs/{org_id}/annual-report/{year}/notes"): lambda s: (
        annual_report(s.other.social) + "/notes",
        {"highlights": "越权备注", "version": 0},
    ),
    # the FAQ
    ("POST", "/api/v1/qa/questions/{question_id}/faq"): lambda s: (
        f"{V1}/qa/questions/{s.other.faq_question_id}/faq",
        {"org_id": s.own.branch.id},
    ),
    ("GET", "/api/v1/qa/faq/{faq_id}"): lambda s: (
        f"{V1}/qa/faq/{s.other.faq_entry_id}",
        None,
    ),
    ("PATCH", "/api/v1/qa/faq/{faq_id}"): lambda s: (
        f"{V1}/qa/faq/{s.other.faq_entry_id}",
        {"title": "越权改名", "answer_text": "越权改写"},
    ),
    ("DELETE", "/api/v1/qa/faq/{faq_id}"): lambda s: (
        f"{V1}/qa/faq/{s.other.faq_entry_id}",
        None,
    ),
    # relation transfers
    ("GET", "/api/v1/transfers/{transfer_id}"): lambda s: (
        f"{V1}/transfers/{s.other.transfer_id}",
        None,
    ),
    ("POST", "/api/v1/transfers/{transfer_id}/approve"): lambda s: (
        f"{V1}/transfers/{s.other.transfer_id}/approve",
        {"step": "out_branch"},
    ),
    ("POST", "/api/v1/transfers/{transfer_id}/reject"): lambda s: (
        f"{V1}/transfers/{s.other.transfer_id}/reject",
        {"step": "out_branch", "reason": "越权"},
    ),
    ("POST", "/api/v1/transfers/{transfer_id}/return"): lambda s: (
        f"{V1}/transfers/{s.other.transfer_id}/return",
        {"step": "out_branch", "reason": "越权"},
    ),
    ("POST", "/api/v1/transfers/{transfer_id}/withdraw"): lambda s: (
        f"{V1}/transfers/{s.other.transfer_id}/withdraw",
        {},
    ),
    ("POST", "/api/v1/transfers/{transfer_id}/resubmit"): lambda s: (
        f"{V1}/transfers/{s.other.transfer_id}/resubmit",
        {"letter_number": "越权"},
    ),
    # the 六有 checklist of the other side's branch, and its nomination
    ("GET", "/api/v1/orgs/{org_id}/venue"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/venue",
        None,
    ),
    ("PUT", "/api/v1/orgs/{org_id}/venue/items/{item}"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/venue/items/site",
        {"met": True, "note": "越权检查"},
    ),
    ("POST", "/api/v1/orgs/{org_id}/venue/items/{item}/photos"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/venue/items/site/photos",
        None,
    ),
    ("GET", "/api/v1/orgs/{org_id}/venue/photos/{photo_id}"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/venue/photos/{s.other.venue_photo_id}",
        None,
    ),
    ("DELETE", "/api/v1/orgs/{org_id}/venue/photos/{photo_id}"): lambda s: (
        f"{V1}/orgs/{s.other.branch.id}/venue/photos/{s.other.venue_photo_id}",
        None,
    ),
    ("GET", "/api/v1/honours/nominations/{nomination_id}"): lambda s: (
        f"{V1}/honours/nominations/{s.other.nomination_id}",
        None,
    ),
    ("POST", "/api/v1/honours/nominations/{nomination_id}/decision"): lambda s: (
        f"{V1}/honours/nominations/{s.other.nomination_id}/decision",
        {"decision": "approved", "reason": "越权决定"},
    ),
}

# Entries whose refusal is known to differ from 404, each with the reason; strict, so the
# entry must be removed once the route is fixed.
KNOWN_GAPS: dict[Operation, str] = {}

# Callers holding a role on one side of build_world's tree, aimed at the sibling side.
ATTACKERS = {
    "secretary_of_sibling_branch": Role.SECRETARY,
    "committee_admin_of_sibling_street": Role.COMMITTEE_ADMIN,
    "instructor_of_sibling_street": Role.INSTRUCTOR,
}

ID_PARAMETER = re.compile(r"\{\w*_id\}")


def object_routes() -> set[Operation]:
    return {operation for operation in ROUTES if ID_PARAMETER.search(operation[1])}


def test_every_object_route_has_a_matrix_entry() -> None:
    missing = object_routes() - set(OBJECT_ROUTES)
    assert not missing, (
        f"add these to OBJECT_ROUTES in tests/test_route_matrix.py: {sorted(missing)}"
    )


def test_matrix_entries_name_existing_routes() -> None:
    stale = set(OBJECT_ROUTES) - object_routes()
    assert not stale, f"no such routes any more; remove them from OBJECT_ROUTES: {sorted(stale)}"
    assert set(KNOWN_GAPS) <= set(OBJECT_ROUTES)


def holds(role: Role, operation: Operation) -> bool:
    needed = declared_permissions(ROUTES[operation]) - {Permission.SELF}
    return needed <= ROLE_PERMISSIONS[role]


def test_every_object_route_is_probed_by_a_caller_who_may_use_it() -> None:
    unprobed = [
        operation
        for operation in OBJECT_ROUTES
        if operation in ROUTES and not any(holds(role, operation) for role in ATTACKERS.values())
    ]
    assert not unprobed, f"no attacker holds the permission of {unprobed}: add one to ATTACKERS"


async def snapshot(app: FastAPI) -> dict[str, list[str]]:
    """Every row of every table, as text, in a stable order."""
    tables: dict[str, list[str]] = {}
    async with app.state.runtime.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    return tables


async def create_activity(
    client: httpx.AsyncClient, headers: dict[str, str], org: Organization, *, publish: bool
) -> int:
    start = datetime.now(UTC) + timedelta(minutes=10)
    created = await client.post(
        f"{V1}/activities",
        json={
            "org_id": org.id,
            "type": "themed_party_day",
            "title": f"{org.name}主题党日",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "venue_name": "党群服务中心",
            "venue_latitude": 32.06,
            "venue_longitude": 118.78,
            "geofence_radius_m": 5000,
            "walk_in_policy": "accept_flagged",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    activity_id: int = created.json()["id"]
    if publish:
        published = await client.post(f"{V1}/activities/{activity_id}/publish", headers=headers)
        assert published.status_code == 200, published.text
    return activity_id


async def create_article(
    client: httpx.AsyncClient, headers: dict[str, str], org: Organization, *, publish: bool
) -> int:
    created = await client.post(
        f"{V1}/news/articles",
        json={
            "title": f"{org.name}要闻",
            "summary": "摘要",
            "body": "正文",
            "category": "key_news",
            "audience_org_ids": [org.id],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    article_id: int = created.json()["id"]
    if publish:
        published = await client.post(f"{V1}/news/articles/{article_id}/publish", headers=headers)
        assert published.status_code == 200, published.text
    return article_id


async def arrange_side(
    client: httpx.AsyncClient,
    factory: Factory,
    admin: Actor,
    branch: Organization,
    social: Organization,
) -> Side:
    member = await factory.member(branch, social, phone="13812345678", id_number=None)
    role_holder = await factory.member(branch)
    await factory.grant(role_holder, Role.SECRETARY, branch)
    async with factory.runtime.sessionmaker() as session:
        role_id = await session.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.member_id == role_holder.id, RoleAssignment.org_id == branch.id
            )
        )
    assert role_id is not None
    inbox_message_id, dead_delivery_id = await arrange_outbox(factory, branch, member)
    return Side(
        branch=branch,
        social=social,
        member=member,
        role_id=role_id,
        draft_activity_id=await create_activity(client, admin.headers, branch, publish=False),
        published_activity_id=await create_activity(client, admin.headers, branch, publish=True),
        draft_article_id=await create_article(client, admin.headers, branch, publish=False),
        published_article_id=await create_article(client, admin.headers, branch, publish=True),
        inbox_message_id=inbox_message_id,
        dead_delivery_id=dead_delivery_id,
        party_group_id=await create_party_group(client, admin.headers, branch, member),
        draft_material_id=await create_material(client, admin.headers, branch, publish=False),
        published_material_id=await create_material(client, admin.headers, branch, publish=True),
        study_task_id=await create_study_task(client, factory, admin.headers, branch),
        **await arrange_questions(client, factory, admin, branch, member),
        faq_question_id=await add_question(
            factory.app,
            asker_id=member.id,
            org_id=branch.id,
            routed_org_id=branch.id,
            title=f"{branch.name}的党费问题",
            body="党费怎么交？",
            answer="按月交纳。",
        ),
        faq_entry_id=await add_faq(
            factory.app,
            org_id=branch.id,
            title=f"{branch.name}常见问题",
            question_text="党费怎么交？",
            answer_text="按月交纳。",
        ),
        transfer_id=await create_transfer(client, admin.headers, member),
        **await arrange_venue_and_honours(client, factory, admin, branch),
    )


async def create_transfer(
    client: httpx.AsyncClient, headers: dict[str, str], member: Member
) -> int:
    """The member's transfer out of the system: it involves no other branch of the tree."""
    outside = {"to_outside_name": "外省协会党支部", "letter_number": "转字001"}
    created = await client.post(
        f"{V1}/transfers",
        json={"member_id": member.id, **outside},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    transfer_id: int = created.json()["id"]
    return transfer_id


async def arrange_venue_and_honours(
    client: httpx.AsyncClient, factory: Factory, admin: Actor, branch: Organization
) -> dict[str, int]:
    """A photo row of the branch's checklist (its file is never read: the probes stop at
    scope) and a pending nomination of the branch."""
    async with factory.runtime.sessionmaker.begin() as session:
        photo = VenuePhoto(
            org_id=branch.id,
            item=VenueItem.PARTY_FLAG,
            filename="党旗.png",
            content_type="image/png",
            size_bytes=8,
            storage_key=f"venues/{branch.id}/matrix",
            created_at=datetime.now(UTC),
        )
        session.add(photo)
        await session.flush()
        photo_id = photo.id
    nominated = await client.post(
        f"{V1}/honours/nominations",
        json={
            "kind": "double_strong_branch",
            "year": 2026,
            "org_id": branch.id,
            "reason": "党建引领发展",
        },
        headers=admin.headers,
    )
    assert nominated.status_code == 201, nominated.text
    return {"venue_photo_id": photo_id, "nomination_id": nominated.json()["id"]}


async def arrange_questions(
    client: httpx.AsyncClient, factory: Factory, admin: Actor, branch: Organization, member: Member
) -> dict[str, int]:
    """The branch's committee's Q&A category, and two questions of the member: one open
    with the admin's answer, one held for review (the word list holds 游行示威 back)."""
    assert branch.parent_id is not None
    category = await client.post(
        f"{V1}/qa/categories",
        json={"org_id": branch.parent_id, "name": f"{branch.name}专题"},
        headers=admin.headers,
    )
    assert category.status_code == 201, category.text
    headers = factory.headers_for(await factory.account(member))
    async with factory.runtime.sessionmaker() as session:
        everyones = await session.scalar(select(QaCategory.id).where(QaCategory.name == "党费"))
    asked = []
    for body in ("党费交到哪里？", "关于游行示威的规定"):
        response = await client.post(
            f"{V1}/qa/questions",
            json={"category_id": everyones, "title": f"{branch.name}的问题", "body": body},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        asked.append(response.json())
    question, held = asked
    assert held["status"] == "pending_review"
    answer = await client.post(
        f"{V1}/qa/questions/{question['id']}/answers",
        json={"body": "交到组织关系所在支部"},
        headers=admin.headers,
    )
    assert answer.status_code == 201, answer.text
    async with factory.runtime.sessionmaker() as session:
        review_id = await session.scalar(
            select(ContentReview.id).where(ContentReview.subject_id == held["id"])
        )
    assert review_id is not None
    return {
        "qa_category_id": category.json()["id"],
        "question_id": question["id"],
        "answer_id": answer.json()["id"],
        "qa_review_id": review_id,
    }


async def create_material(
    client: httpx.AsyncClient, headers: dict[str, str], org: Organization, *, publish: bool
) -> int:
    created = await client.post(
        f"{V1}/study/materials",
        json={
            "kind": "article",
            "org_id": org.id,
            "title": f"{org.name}学习资料",
            "category": "党章党规",
            "body": "<p>正文</p>",
            "length_seconds": 600,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    material_id: int = created.json()["id"]
    if publish:
        published = await client.post(
            f"{V1}/study/materials/{material_id}/publish", headers=headers
        )
        assert published.status_code == 200, published.text
    return material_id


async def create_study_task(
    client: httpx.AsyncClient, factory: Factory, headers: dict[str, str], branch: Organization
) -> int:
    """A task over a published material of the branch (made directly: the materials
    routes are another slice's), aimed at the branch."""
    material_id = await add_material(factory.app, branch, f"{branch.name}学习资料")
    created = await client.post(
        f"{V1}/study/tasks",
        json={
            "title": f"{branch.name}学习任务",
            "due_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
            "material_ids": [material_id],
            "audience_org_ids": [branch.id],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    task_id: int = created.json()["id"]
    return task_id


async def create_party_group(
    client: httpx.AsyncClient, headers: dict[str, str], branch: Organization, member: Member
) -> int:
    created = await client.post(
        f"{V1}/orgs/{branch.id}/party-groups",
        json={"name": f"{branch.name}党小组", "leader_member_id": member.id},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    group_id: int = created.json()["id"]
    return group_id


async def arrange_outbox(factory: Factory, branch: Organization, member: Member) -> tuple[int, int]:
    """A message in the member's inbox and a dead delivery of the branch's notification."""
    now = datetime.now(UTC)
    async with factory.runtime.sessionmaker.begin() as session:
        notification = Notification(
            kind=NotificationKind.ACTIVITY_PUBLISHED,
            source=f"matrix:{branch.id}",
            org_id=branch.id,
            title="活动通知",
            body="正文",
            created_at=now,
        )
        session.add(notification)
        await session.flush()
        message = InboxMessage(member_id=member.id, notification_id=notification.id, created_at=now)
        dead = Delivery(
            notification_id=notification.id,
            member_id=member.id,
            channel=Channel.CONSOLE,
            dedupe_key=f"n{notification.id}:console:{member.id}",
            status=DeliveryStatus.DEAD,
            attempts=8,
            next_attempt_at=now,
            created_at=now,
        )
        session.add_all([message, dead])
        await session.flush()
        return message.id, dead.id


@dataclass
class Sides:
    """build_world's tree with the objects of three of its branches, arranged by an admin."""

    world: World
    a1: Side
    a2: Side
    b: Side


async def arrange_sides(client: httpx.AsyncClient, factory: Factory) -> Sides:
    world = await build_world(factory)
    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    return Sides(
        world,
        a1=await arrange_side(client, factory, system, world.branch_a1, world.social_a1),
        a2=await arrange_side(client, factory, system, world.branch_a2, world.social_a2),
        b=await arrange_side(client, factory, system, world.joint_b, world.social_b),
    )


async def arrange_caller(factory: Factory, sides: Sides, attacker: str) -> Scene:
    world = sides.world
    role = ATTACKERS[attacker]
    if role is Role.SECRETARY:
        # Same street, sibling branch.
        caller = await factory.actor(role, world.branch_a1)
        return Scene(world, caller, role, own=sides.a1, other=sides.a2)
    # Sibling street; the caller also holds a membership in their own street.
    caller = await factory.actor(role, world.street_a, relation=world.branch_a1)
    return Scene(world, caller, role, own=sides.a1, other=sides.b)


async def arrange_scene(client: httpx.AsyncClient, factory: Factory, attacker: str) -> Scene:
    return await arrange_caller(factory, await arrange_sides(client, factory), attacker)


# One app, one world and one caller per attacker for the whole module (rebuilt if the module's
# tests are split between runs, as xdist may): every probe asserts that it changed no row, so
# the probes can share what they find. The function-scoped ``app`` would empty the tables under
# them, so no test of this module uses it.


@pytest.fixture(scope="module")
async def matrix_app(database_url: str) -> AsyncIterator[FastAPI]:
    async with running_app(settings_for(database_url), FakeWeChat(), Clock()) as app:
        await empty_all_tables(app.state.runtime.engine)
        yield app


@pytest.fixture(scope="module")
async def matrix_client(matrix_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(matrix_app) as client:
        yield client


@pytest.fixture(scope="module")
async def scenes(matrix_app: FastAPI, matrix_client: httpx.AsyncClient) -> dict[str, Scene]:
    factory = Factory(matrix_app)
    sides = await arrange_sides(matrix_client, factory)
    return {attacker: await arrange_caller(factory, sides, attacker) for attacker in ATTACKERS}


def matrix_cases() -> Iterator[Any]:
    for operation in sorted(OBJECT_ROUTES):
        for attacker in ATTACKERS:
            marks = []
            if operation in KNOWN_GAPS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[operation]))
            yield pytest.param(
                operation, attacker, id=f"{operation[0]} {operation[1]} as {attacker}", marks=marks
            )


@pytest.mark.parametrize(("operation", "attacker"), list(matrix_cases()))
async def test_sibling_objects_are_not_found_and_nothing_changes(
    matrix_client: httpx.AsyncClient,
    matrix_app: FastAPI,
    scenes: dict[str, Scene],
    operation: Operation,
    attacker: str,
) -> None:
    if operation not in ROUTES:
        pytest.skip("stale entry: see test_matrix_entries_name_existing_routes")
    scene = scenes[attacker]
    url, body = OBJECT_ROUTES[operation](scene)
    method = operation[0]

    before = await snapshot(matrix_app)
    response = await matrix_client.request(method, url, json=body, headers=scene.caller.headers)
    after = await snapshot(matrix_app)

    changed = {name for name in before if before[name] != after[name]}
    assert not changed, f"{method} {url} changed {sorted(changed)}"
    error = response.json().get("error", {}) if response.content else {}
    if holds(scene.role, operation):
        assert response.status_code == 404, response.text
        assert error.get("code", "").endswith("not_found"), response.text
    else:
        assert response.status_code == 403, response.text
        assert error.get("code") == "auth.forbidden"


async def test_the_same_requests_reach_the_callers_own_objects(
    matrix_app: FastAPI, matrix_client: httpx.AsyncClient
) -> None:
    """A control: the matrix's 404s come from scope, not from malformed requests. It writes,
    so it arranges a world of its own beside the shared one and probes only that."""
    scene = await arrange_scene(
        matrix_client, Factory(matrix_app), "committee_admin_of_sibling_street"
    )
    own_view = Scene(scene.world, scene.caller, scene.role, own=scene.own, other=scene.own)
    for operation in (
        ("GET", "/api/v1/orgs/{org_id}"),
        ("PATCH", "/api/v1/orgs/{org_id}"),
        ("GET", "/api/v1/members/{member_id}"),
        ("GET", "/api/v1/members/{member_id}/sensitive"),
        ("PATCH", "/api/v1/members/{member_id}"),
        ("GET", "/api/v1/orgs/{org_id}/roles"),
        ("GET", "/api/v1/activities/{activity_id}"),
        ("PATCH", "/api/v1/activities/{activity_id}"),
        ("GET", "/api/v1/activities/{activity_id}/expected"),
        ("GET", "/api/v1/orgs/{branch_id}/party-groups/{group_id}"),
        ("GET", "/api/v1/orgs/{branch_id}/party-groups/{group_id}/members"),
        ("GET", "/api/v1/orgs/{branch_id}/committee"),
        ("GET", "/api/v1/activities/{activity_id}/rsvp-summary"),
        ("GET", "/api/v1/study/materials/{material_id}"),
        ("PATCH", "/api/v1/study/materials/{material_id}"),
        ("GET", "/api/v1/qa/questions/{question_id}"),
        ("GET", "/api/v1/qa/settings/{org_id}"),
        ("GET", "/api/v1/oversight/compliance/{branch_id}/activities"),
        ("GET", "/api/v1/oversight/norms/{committee_id}"),
        ("GET", "/api/v1/qa/faq/{faq_id}"),
        ("PATCH", "/api/v1/qa/faq/{faq_id}"),
        ("GET", "/api/v1/transfers/{transfer_id}"),
        ("GET", "/api/v1/orgs/{org_id}/venue"),
        ("PUT", "/api/v1/orgs/{org_id}/venue/items/{item}"),
        ("GET", "/api/v1/honours/nominations/{nomination_id}"),
        ("POST", "/api/v1/honours/nominations/{nomination_id}/decision"),
        ("GET", "/api/v1/orgs/{org_id}/annual-report/{year}"),
        ("GET", "/api/v1/orgs/{org_id}/annual-report/{year}.xlsx"),
    ):
        if operation not in ROUTES:
            continue
        url, body = OBJECT_ROUTES[operation](own_view)
        response = await matrix_client.request(
            operation[0], url, json=body, headers=scene.caller.headers
        )
        assert response.status_code == 200, (operation, response.text)


# --- ids in queries and bodies: the same rule ---------------------------------------------

REFERENCES: list[tuple[str, Callable[[Scene], tuple[str, str, dict[str, Any] | None]]]] = [
    ("members by another org", lambda s: ("GET", f"{V1}/members?org_id={s.other.branch.id}", None)),
    ("tree of another org", lambda s: ("GET", f"{V1}/orgs/tree?root_id={s.other.branch.id}", None)),
    (
        "member placed in another branch",
        lambda s: (
            "POST",
            f"{V1}/members",
            {"name": "越权", "party_status": "masses", "relation_org_id": s.other.branch.id},
        ),
    ),
    (
        "member working at another social org",
        lambda s: (
            "POST",
            f"{V1}/members",
            {"name": "越权", "party_status": "masses", "workplace_org_id": s.other.social.id},
        ),
    ),
    (
        "own member moved to another branch",
        lambda s: (
            "PATCH",
            f"{V1}/members/{s.own.member.id}",
            {"relation_org_id": s.other.branch.id},
        ),
    ),
    (
        "org created under another org",
        lambda s: (
            "POST",
            f"{V1}/orgs",
            {"kind": "branch", "name": "越权支部", "parent_id": s.world.street_b.id},
        ),
    ),
    (
        "own org moved under another org",
        lambda s: ("PATCH", f"{V1}/orgs/{s.own.social.id}", {"parent_id": s.other.branch.id}),
    ),
    *(
        (
            f"study figures {path} of another org",
            lambda s, path=path: (
                "GET",
                f"{V1}/study/figures/{path}?org_id={s.other.branch.id}",
                None,
            ),
        )
        for path in ("members", "members.xlsx", "orgs", "orgs.xlsx", "points.xlsx")
    ),
    *(
        (
            f"qa {path} of another org",
            lambda s, path=path: ("GET", f"{V1}/qa/{path}?org_id={s.other.branch.id}", None),
        )
        for path in ("figures", "figures.xlsx")
    ),
    (
        "Q&A categories of another org",
        lambda s: ("GET", f"{V1}/qa/categories?org_id={s.other.branch.id}", None),
    ),
    (
        "Q&A category for another committee",
        lambda s: (
            "POST",
            f"{V1}/qa/categories",
            {"org_id": s.world.street_b.id, "name": "越权分类"},
        ),
    ),
    (
        "question in another committee's category",
        lambda s: (
            "POST",
            f"{V1}/qa/questions",
            {"category_id": s.other.qa_category_id, "title": "越权", "body": "越权提问"},
        ),
    ),
    (
        "own question passed to another org",
        lambda s: (
            "POST",
            f"{V1}/qa/questions/{s.own.question_id}/reassign",
            {"org_id": s.other.branch.id, "reason": "越权转交"},
        ),
    ),
    (
        "own question passed to another org's member",
        lambda s: (
            "POST",
            f"{V1}/qa/questions/{s.own.question_id}/reassign",
            {"member_id": s.other.member.id, "reason": "越权转交"},
        ),
    ),
    *(
        (
            f"oversight {path} of another org",
            lambda s, path=path: ("GET", f"{V1}/oversight/{path}?org_id={s.other.branch.id}", None),
        )
        for path in (
            "coverage",
            "coverage/orgs",
            "coverage/orgs.xlsx",
            "coverage/affiliation",
            "coverage/affiliation.xlsx",
            "rating-cap",
            "rating-cap.xlsx",
            "compliance",
            "compliance.xlsx",
            # issue 13 item 3: head counts, the trend, the roster ledger
            "headcount",
            "headcount.xlsx",
            "headcount/trend",
            "headcount/trend.xlsx",
            "roster-changes",
            "roster-changes.xlsx",
        )
    ),
    (
        "annual reports of another org",
        lambda s: (
            "GET",
            f"{V1}/annual-reports?org_id={s.other.branch.id}"
            f"&year={(datetime.now(UTC) + timedelta(hours=8)).year}",
            None,
        ),
    ),
    (
        "own question published to another org's FAQ",
        lambda s: (
            "POST",
            f"{V1}/qa/questions/{s.own.faq_question_id}/faq",
            {"org_id": s.other.branch.id},
        ),
    ),
    ("FAQ of another org", lambda s: ("GET", f"{V1}/qa/faq?org_id={s.other.branch.id}", None)),
    *(
        (
            f"{path} of another org",
            lambda s, path=path: ("GET", f"{V1}/{path}org_id={s.other.branch.id}", None),
        )
        for path in (
            "venue/checklists?",
            "venue/checklists.xlsx?",
            "honours/nominations?year=2026&",
            "honours/nominations.xlsx?year=2026&",
        )
    ),
    (
        "another org's branch nominated",
        lambda s: (
            "POST",
            f"{V1}/honours/nominations",
            {
                "kind": "double_strong_branch",
                "year": 2025,
                "org_id": s.other.branch.id,
                "reason": "越权",
            },
        ),
    ),
    (
        "another org's member nominated",
        lambda s: (
            "POST",
            f"{V1}/honours/nominations",
            {"kind": "model_post", "year": 2026, "member_id": s.other.member.id, "reason": "越权"},
        ),
    ),
    (
        "activity backfilled into another org",
        lambda s: (
            "POST",
            f"{V1}/activities/backfill",
            {
                "org_id": s.other.branch.id,
                "type": "branch_general_meeting",
                "title": "越权补录",
                "starts_at": (datetime.now(UTC) - timedelta(days=3, hours=2)).isoformat(),
                "ends_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
                "reason": "越权补录",
                "attendance": [],
                "minutes": {"content": "越权补录"},
            },
        ),
    ),
    *(
        (
            f"roster {method} {path} of another org",
            lambda s, method=method, path=path: (
                method,
                f"{V1}/roster/{path}?org_id={s.other.branch.id}&dry_run=false",
                None,
            ),
        )
        for method, path in (
            ("GET", "template.xlsx"),
            ("POST", "imports"),
            ("POST", "imports/errors.xlsx"),
        )
    ),
    (
        "role on own org for another org's member",
        lambda s: (
            "POST",
            f"{V1}/orgs/{s.own.branch.id}/roles",
            {"member_id": s.other.member.id, "role": "instructor"},
        ),
    ),
    (
        "transfer into own branch of another org's member",
        lambda s: (
            "POST",
            f"{V1}/transfers",
            {"member_id": s.other.member.id, "to_org_id": s.own.branch.id},
        ),
    ),
]


@pytest.mark.parametrize("case", [name for name, _ in REFERENCES])
async def test_ids_in_queries_and_bodies_are_scoped(
    matrix_client: httpx.AsyncClient, matrix_app: FastAPI, scenes: dict[str, Scene], case: str
) -> None:
    scene = scenes["committee_admin_of_sibling_street"]
    method, url, body = dict(REFERENCES)[case](scene)
    before = await snapshot(matrix_app)
    response = await matrix_client.request(method, url, json=body, headers=scene.caller.headers)
    assert await snapshot(matrix_app) == before
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"].endswith("not_found")
