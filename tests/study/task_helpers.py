"""Rows the materials and heartbeat routes would write, made directly: published materials
and a member's progress on them."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from app.models import MaterialKind, MaterialStatus, Organization, StudyMaterial, StudyProgress


async def add_material(
    app: FastAPI,
    org: Organization,
    title: str = "学习资料",
    *,
    status: MaterialStatus = MaterialStatus.PUBLISHED,
    required_seconds: int = 480,
) -> int:
    now = app.state.runtime.clock.now()
    async with app.state.runtime.sessionmaker.begin() as session:
        material = StudyMaterial(
            org_id=org.id,
            kind=MaterialKind.ARTICLE,
            title=title,
            category="理论学习",
            body="正文",
            body_html="<p>正文</p>",
            length_seconds=600,
            required_seconds=required_seconds,
            status=status,
            published_at=now if status is MaterialStatus.PUBLISHED else None,
            created_at=now,
            updated_at=now,
        )
        session.add(material)
        await session.flush()
        return material.id


async def add_progress(
    app: FastAPI,
    member_id: int,
    material_id: int,
    seconds: int,
    *,
    completed_at: datetime | None = None,
) -> None:
    now = app.state.runtime.clock.now()
    async with app.state.runtime.sessionmaker.begin() as session:
        session.add(
            StudyProgress(
                member_id=member_id,
                material_id=material_id,
                credited_seconds=seconds,
                first_studied_at=now,
                last_credited_at=now,
                completed_at=completed_at,
            )
        )
