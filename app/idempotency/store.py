"""The keys' table: claim a key before the request runs, keep its answer after.

Each step is a short transaction of its own on the writer, committed before the request's
own transaction begins: the claim must be visible to a concurrent retry while the first
request is still running (it answers 409), and a request holds one connection at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.idempotency.errors import IdempotencyInFlight, IdempotencyKeyReused
from app.kit.sql import insert_on_conflict
from app.models import IdempotencyKey

# A retry within a day replays the first answer (Stripe keeps keys 24 hours too).
RETENTION = timedelta(hours=24)
# A claim whose request never came back (the process died between its commit and the
# answer being kept) is taken over after this; no request of ours runs anywhere near it.
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Claim:
    """The key is ours: run the request, then ``complete`` or ``release`` it."""

    id: int
    claimed_at: datetime


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    account_id: int,
    key: str,
    fingerprint: str,
    now: datetime,
) -> Claim | StoredResponse:
    """Ours to run, or the first answer to replay; 422 for another request under the same
    key, 409 while the first is still running."""
    async with sessionmaker.begin() as session:
        inserted = await session.scalar(
            insert_on_conflict(session, IdempotencyKey)
            .values(account_id=account_id, key=key, fingerprint=fingerprint, created_at=now)
            .on_conflict_do_nothing(index_elements=["account_id", "key"])
            .returning(IdempotencyKey.id)
        )
        if inserted is not None:
            return Claim(id=inserted, claimed_at=now)
        # FOR UPDATE: of two retries taking over a stale claim, the second sees the first's.
        row = await session.scalar(
            select(IdempotencyKey)
            .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
            .with_for_update()
        )
        if row is None:  # purged between the two statements: as if still held
            raise IdempotencyInFlight(headers={"Retry-After": "1"})
        abandoned = row.status_code is None and row.created_at <= now - LEASE
        if row.created_at <= now - RETENTION or abandoned:
            row.fingerprint = fingerprint
            row.created_at = now
            row.status_code = None
            row.response_headers = None
            row.response_body = None
            return Claim(id=row.id, claimed_at=now)
        if row.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if row.status_code is None:
            raise IdempotencyInFlight(headers={"Retry-After": "1"})
        return StoredResponse(
            status_code=row.status_code,
            headers=[(name, value) for name, value in row.response_headers or ()],
            body=row.response_body or b"",
        )


async def complete(
    sessionmaker: async_sessionmaker[AsyncSession], held: Claim, response: StoredResponse
) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == held.id, IdempotencyKey.created_at == held.claimed_at)
            .values(
                status_code=response.status_code,
                response_headers=[list(header) for header in response.headers],
                response_body=response.body,
            )
        )


async def release(sessionmaker: async_sessionmaker[AsyncSession], held: Claim) -> None:
    """The request failed and changed nothing: the key may be used again at once."""
    async with sessionmaker.begin() as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == held.id,
                IdempotencyKey.created_at == held.claimed_at,
                IdempotencyKey.status_code.is_(None),
            )
        )


async def purge_expired(session: AsyncSession, _settings: Settings, now: datetime) -> int:
    """A scheduled job of the worker: keys past their retention answer nothing any more."""
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - RETENTION)
    )
    return int(getattr(result, "rowcount", 0) or 0)
