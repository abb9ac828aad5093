"""Subscribe messages WeChat accepts (issue 10.12): every kind of notification, made the way
production makes it, carries the values its templates name, and every template field
renders within WeChat's rule for its kind (the one table in wechat_fields.py). The
README's own example is sent through the adapter to a WeChat that refuses like the real
one (47003)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.integrations.wechat.client import SUBSCRIBE_SEND_PATH
from app.kit.clock import FrozenClock
from app.models import (
    Attendance,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationKind,
    QaCategory,
    Role,
    SubscriptionCredit,
)
from app.notify.catalogue import KIND_VALUES, Value, values_of
from app.notify.channels.base import Message
from app.notify.channels.wechat_fields import RULES
from app.notify.channels.wechat_templates import parse_templates, render, render_field
from tests.factories import Actor, Factory
from tests.fixtures.wechat import FakeWeChat
from tests.notify.helpers import frozen, worker
from tests.notify.scenes import Month, after_the_meeting, call, until_the_meeting
from tests.study.task_helpers import add_material
from tests.transfers.notify_flow import a_transfer_decided_and_reminded

ZONE = ZoneInfo("Asia/Shanghai")
README = Path(__file__).resolve().parents[2] / "README.md"


HELD = "[审核]"  # the word list holds a text with this for review


def readme_example() -> dict[str, dict[str, str]]:
    """The APP_WECHAT_TEMPLATES example exactly as the README gives it."""
    row = next(line for line in README.read_text().splitlines() if "`APP_WECHAT_TEMPLATES`" in line)
    found = re.search(r"e\.g\. `(\{.*?\}\})`", row)
    assert found, row
    example: dict[str, dict[str, str]] = json.loads(found.group(1))
    return example


# A template for every kind, each naming every value the kind carries in fields of every
# kind WeChat has that the value may fill (times in time and date fields, text elsewhere).
def full_configuration() -> dict[str, dict[str, str]]:
    configuration = {}
    for kind in NotificationKind:
        fields: dict[str, str] = {}
        n = 0
        for source, value in values_of(kind).items():
            for rule in RULES.values():
                if rule.moment and value is not Value.MOMENT:
                    continue
                n += 1
                fields[f"{rule.kind}{n}"] = source
        fields[f"phrase{n + 1}"] = "=通知"
        configuration[kind.value] = {"template_id": f"t-{kind.value}", **fields}
    return configuration


@pytest.fixture
def clock() -> FrozenClock:
    return frozen()


def message_of(notification: Notification) -> Message:
    return Message(
        notification_id=notification.id,
        kind=notification.kind,
        title=notification.title,
        body=notification.body,
        page=notification.page,
        data=notification.data,
        created_at=notification.created_at,
        org_id=notification.org_id,
    )


def refusals(data: dict[str, str]) -> list[str]:
    """What WeChat would name in a 47003: the fields outside their kind's rule."""
    return [key for key, value in data.items() if not RULES[re.sub(r"\d+$", "", key)].valid(value)]


async def test_every_template_of_every_kind_renders_fields_wechat_accepts(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    month = await until_the_meeting(app, client, factory, clock)
    await after_the_meeting(app, clock, month)
    async with app.state.runtime.sessionmaker() as session:
        attendance_id = await session.scalar(
            select(Attendance.id).where(Attendance.member_id == month.came.member.id)
        )
    await call(
        client,
        "POST",
        f"/activities/{month.meeting_id}/attendances/{attendance_id}/review",
        month.secretary,
        json={"decision": "reject", "reason": "补签对象记错了"},
    )
    await a_study_task_assigned_and_reminded(app, client, clock, month)
    await a_question_asked_held_answered_and_reminded(app, client, factory, clock, month)
    await a_transfer_decided_and_reminded(app, client, factory, clock)
    async with app.state.runtime.sessionmaker() as session:
        made = (await session.scalars(select(Notification).order_by(Notification.id))).all()
    messages = [message_of(n) for n in made]
    assert {m.kind for m in messages} == set(NotificationKind)

    templates = parse_templates({**full_configuration(), **readme_example()})
    for message in messages:
        # The notification carries every value its kind promises templates.
        assert set(KIND_VALUES[message.kind]) <= set(message.data), message
        rendered = render(templates[message.kind], message, ZONE)
        assert refusals(rendered) == [], (message.kind, rendered)
        # Every value in every field kind it may fill, not only the configured ones.
        for source, value in values_of(message.kind).items():
            for rule in RULES.values():
                if rule.moment and value is not Value.MOMENT:
                    continue
                shown = render_field(f"{rule.kind}1", _source(message, source), message, ZONE)
                assert rule.valid(shown), (message.kind, source, rule.kind, shown)
    for rule in RULES.values():
        assert rule.moment or rule.valid(rule.fallback), rule.kind


async def a_study_task_assigned_and_reminded(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, month: Month
) -> None:
    material_id = await add_material(app, month.world.branch_a1, "中国共产党章程")
    task = await call(
        client,
        "POST",
        "/study/tasks",
        month.secretary,
        json={
            "title": "学习党章",
            "due_at": (clock.now() + timedelta(days=7)).isoformat(),
            "material_ids": [material_id],
            "audience_org_ids": [month.world.branch_a1.id],
        },
    )
    await call(client, "POST", f"/study/tasks/{task['id']}/reminders", month.secretary)


async def a_question_asked_held_answered_and_reminded(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock, month: Month
) -> None:
    """One question routed to the branch's instructor and answered; another held for review,
    approved, and left a day unanswered."""
    instructor = await factory.actor(Role.INSTRUCTOR, month.world.branch_a1)
    async with app.state.runtime.sessionmaker() as session:
        category_id = await session.scalar(select(QaCategory.id).where(QaCategory.name == "党费"))
    asked = await call(
        client,
        "POST",
        "/qa/questions",
        month.came,
        json={"category_id": category_id, "title": "党费怎么交", "body": "流动期间交到哪里？"},
    )
    answer = {"body": "交到组织关系所在的支部。"}
    await call(client, "POST", f"/qa/questions/{asked['id']}/answers", instructor, json=answer)
    held = {"category_id": category_id, "title": "转接组织关系", "body": f"{HELD}需要什么材料？"}
    await call(client, "POST", "/qa/questions", month.came, json=held)
    (review,) = (await call(client, "GET", "/qa/reviews", instructor))["items"]
    decision = {"decision": "approved", "reason": "政策咨询"}
    await call(client, "POST", f"/qa/reviews/{review['id']}/decision", instructor, json=decision)
    clock.advance(hours=25)
    await worker(app).tick()


def _source(message: Message, source: str) -> Any:
    return (
        getattr(message, source)
        if source in ("title", "body", "created_at")
        else (message.data[source])
    )


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"time2": "activity_title"}, "needs a time"),
        ({"time2": "place"}, "carries no 'place'"),
        ({"phrase3": "=已经被变更了"}, "WeChat refuses"),
        ({"thing1": "=" + "长" * 21}, "WeChat refuses"),
    ],
)
def test_a_template_wechat_would_refuse_stops_the_start(
    fields: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_templates({"activity_changed": {"template_id": "t", **fields}})


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.content_check_review_words = [HELD]
    settings.notify_channels = ["inbox", "wechat"]
    settings.wechat_templates = readme_example()
    return settings


def refusing_like_wechat(request: httpx.Request) -> httpx.Response:
    data = {key: value["value"] for key, value in json.loads(request.content)["data"].items()}
    refused = refusals(data)
    if refused:
        errmsg = f"argument invalid! data.{refused[0]}.value invalid"
        return httpx.Response(200, json={"errcode": 47003, "errmsg": errmsg})
    return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})


async def test_the_readme_example_is_sent_with_the_new_time_in_beijing_time(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    clock: FrozenClock,
    wechat: FakeWeChat,
) -> None:
    wechat.overrides[SUBSCRIBE_SEND_PATH] = refusing_like_wechat
    [(kind, spec)] = readme_example().items()

    async def accepted(members: list[Actor]) -> None:
        async with app.state.runtime.sessionmaker.begin() as session:
            session.add_all(
                SubscriptionCredit(
                    member_id=m.member.id,
                    template_id=spec["template_id"],
                    credits=5,
                    updated_at=clock.now(),
                )
                for m in members
            )

    month = await until_the_meeting(app, client, factory, clock, with_members=accepted)

    sent = [json.loads(r.content) for r in wechat.calls_to(SUBSCRIBE_SEND_PATH)]
    assert kind == NotificationKind.ACTIVITY_CHANGED
    assert len(sent) == len(month.members)  # one per member, for the one change
    for body in sent:
        assert {key: value["value"] for key, value in body["data"].items()} == {
            "thing1": "七月支部党员大会",
            "time2": "2025年06月03日 14:00",  # the new start, 06:00 UTC, in Beijing
            "thing3": "党群服务中心",
            "phrase4": "已变更",
        }
    async with app.state.runtime.sessionmaker() as session:
        statuses = set(
            await session.scalars(select(Delivery.status).where(Delivery.channel == Channel.WECHAT))
        )
    assert DeliveryStatus.DEAD not in statuses
