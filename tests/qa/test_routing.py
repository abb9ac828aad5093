"""Where a question goes: the instructors of the nearest node up the asker's tree that has
one, else the committee admins of the nearest committee that has one; only current members
hold a route, and an assignee takes the question from the rest."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI
from sqlalchemy import update

from app.models import Member, Question, QuestionStatus, Role
from app.qa.routing import Route, route_for, routed_members
from tests.factories import Factory, build_world


async def _route(app: FastAPI, org_id: int) -> Route:
    async with app.state.runtime.sessionmaker() as session:
        return await route_for(session, org_id)


async def test_the_nearest_instructor_up_the_tree_takes_the_question(
    app: FastAPI, factory: Factory
) -> None:
    world = await build_world(factory)
    await factory.actor(Role.INSTRUCTOR, world.street_a)
    await factory.actor(Role.INSTRUCTOR, world.branch_a2)

    assert await _route(app, world.social_a1.id) == Route(world.street_a.id, Role.INSTRUCTOR)
    assert await _route(app, world.branch_a2.id) == Route(world.branch_a2.id, Role.INSTRUCTOR)
    assert await _route(app, world.social_a2.id) == Route(world.branch_a2.id, Role.INSTRUCTOR)


async def test_without_an_instructor_the_nearest_committee_with_admins_takes_it(
    app: FastAPI, factory: Factory
) -> None:
    world = await build_world(factory)
    await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    # A secretary is not an answerer: the branch's secretary does not catch the question.
    await factory.actor(Role.SECRETARY, world.joint_b)

    assert await _route(app, world.social_b.id) == Route(world.city.id, Role.COMMITTEE_ADMIN)
    await factory.actor(Role.COMMITTEE_ADMIN, world.street_b)
    assert await _route(app, world.social_b.id) == Route(world.street_b.id, Role.COMMITTEE_ADMIN)


async def test_a_tree_with_nobody_routes_to_its_nearest_committee(
    app: FastAPI, factory: Factory
) -> None:
    world = await build_world(factory)
    assert await _route(app, world.branch_a1.id) == Route(world.street_a.id, Role.COMMITTEE_ADMIN)


async def test_an_instructor_who_left_routes_nothing(app: FastAPI, factory: Factory) -> None:
    world = await build_world(factory)
    gone = await factory.actor(Role.INSTRUCTOR, world.branch_a1)
    await factory.actor(Role.INSTRUCTOR, world.street_a)
    now = app.state.runtime.clock.now()
    async with app.state.runtime.sessionmaker.begin() as session:
        await session.execute(
            update(Member)
            .where(Member.id == gone.member.id)
            .values(departed_at=now, left_on=date(2026, 1, 1), departure_reason="moved_away")
        )
    assert await _route(app, world.social_a1.id) == Route(world.street_a.id, Role.INSTRUCTOR)


async def test_its_members_are_the_role_holders_of_its_node_or_its_assignee(
    app: FastAPI, factory: Factory
) -> None:
    world = await build_world(factory)
    first = await factory.actor(Role.INSTRUCTOR, world.branch_a1)
    second = await factory.actor(Role.INSTRUCTOR, world.branch_a1)
    await factory.actor(Role.INSTRUCTOR, world.street_a)  # above: not routed this one
    question = Question(
        asker_member_id=first.member.id,
        org_id=world.branch_a1.id,
        category_id=1,
        title="t",
        body="b",
        status=QuestionStatus.OPEN,
        routed_org_id=world.branch_a1.id,
        routed_role=Role.INSTRUCTOR,
    )
    async with app.state.runtime.sessionmaker() as session:
        shared = (await session.scalars(routed_members(question))).all()
        question.assignee_member_id = second.member.id
        assigned = (await session.scalars(routed_members(question))).all()
    assert shared == sorted([first.member.id, second.member.id])
    assert assigned == [second.member.id]
