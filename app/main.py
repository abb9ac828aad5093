"""create_app(): settings, middleware, error handlers, one router per feature."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import health
from app.activities import notifications as activities_notifications
from app.activities.router import router as activities_router
from app.annual.router import router as annual_router
from app.api_docs import install_openapi, operation_id
from app.attendance.router import router as attendance_router
from app.auth.router import router as auth_router
from app.checkin.router import router as checkin_router
from app.config import Settings
from app.config import settings as default_settings
from app.db import create_engine, create_read_sessionmaker, create_sessionmaker, read_engine
from app.errors import install_error_handlers
from app.groups.router import router as groups_router
from app.honours.router import router as honours_router
from app.idempotency import store as idempotency_store
from app.integrations.content_check import build_content_check
from app.integrations.wechat import WeChatClient
from app.integrations.wechat.fake import fake_transport
from app.integrations.wechat.token_store import (
    DatabaseTokenStore,
    MemoryTokenStore,
    RedisTokenStore,
    TokenStore,
)
from app.kit.clock import Clock
from app.kit.crypto import FieldCipher
from app.kit.gc_tuning import tune_for_serving
from app.kit.outbound import GuardedTransport
from app.kit.ratelimit import RateLimiter
from app.kit.storage import LocalStorage, S3Storage, Storage
from app.leave.router import router as leave_router
from app.me.router import router as me_router
from app.members.router import router as members_router
from app.minutes.router import router as minutes_router
from app.news import notifications as news_notifications
from app.news.router import router as news_router
from app.notify.registry import NotifyRegistry
from app.notify.router import router as notify_router
from app.notify.setup import build_channels, worker_in_process
from app.notify.subscriptions_router import router as subscriptions_router
from app.notify.worker import Worker
from app.observability import Metrics, RequestContextMiddleware, configure_logging
from app.orgs.router import router as orgs_router
from app.oversight.compliance_router import router as oversight_compliance_router
from app.oversight.headcount_router import router as oversight_headcount_router
from app.oversight.router import router as oversight_router
from app.points.router import router as points_router
from app.qa import reminders as qa_reminders
from app.qa.faq_router import router as qa_faq_router
from app.qa.figures_router import router as qa_figures_router
from app.qa.review_router import router as qa_review_router
from app.qa.router import router as qa_router
from app.qa.search_router import router as qa_search_router
from app.qa.settings_router import router as qa_settings_router
from app.roles.router import router as roles_router
from app.roster.router import router as roster_router
from app.runtime import Runtime
from app.study.figures_router import router as study_figures_router
from app.study.router import router as study_router
from app.study.tasks_router import router as study_tasks_router
from app.transfers import reminders as transfers_reminders
from app.transfers.router import router as transfers_router
from app.venue.router import router as venue_router

# Every router the app serves; the route-matrix test walks these. A request is matched
# against the routes in this order, each miss a regex and some bookkeeping: the probes and
# the two paths under load at once (check-in at a meeting, the feed after a push) go
# first. No path of one router matches a path of another, so the order decides nothing else.
ROUTERS = (
    health.router,
    checkin_router,
    study_router,  # heartbeats: every 30 s from every member studying
    news_router,
    qa_router,  # asking and reading questions: members, any time
    qa_search_router,
    auth_router,
    me_router,
    orgs_router,
    members_router,
    roles_router,
    groups_router,
    activities_router,
    leave_router,
    minutes_router,
    attendance_router,
    notify_router,
    subscriptions_router,
    study_figures_router,
    study_tasks_router,
    points_router,
    qa_review_router,
    qa_settings_router,
    qa_figures_router,
    oversight_router,
    oversight_compliance_router,
    oversight_headcount_router,
    annual_router,  # issue 13 item 8: the annual report's party-building section
    qa_faq_router,
    transfers_router,
    venue_router,
    honours_router,
    roster_router,
)


def register_notifications(registry: NotifyRegistry) -> None:
    """Every feature's scheduled notify work. Notify imports no feature: they register here,
    once per process, for the server's in-process worker and `python -m app worker` alike."""
    activities_notifications.register(registry)
    news_notifications.register(registry)
    qa_reminders.register(registry)
    transfers_reminders.register(registry)
    registry.register_job("idempotency.purge", idempotency_store.purge_expired)


def _token_store(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> TokenStore:
    margin = timedelta(seconds=settings.wechat_token_refresh_margin_seconds)
    if settings.redis_url:
        return RedisTokenStore(
            Redis.from_url(settings.redis_url),
            appid=settings.wechat_appid,
            clock=clock,
            refresh_margin=margin,
        )
    if settings.is_sqlite:
        return MemoryTokenStore(clock=clock, refresh_margin=margin)
    return DatabaseTokenStore(
        sessionmaker, appid=settings.wechat_appid, clock=clock, refresh_margin=margin
    )


def _storage(settings: Settings, clock: Clock) -> Storage:
    if settings.storage_backend == "s3":
        # Checked by Settings; the asserts tell mypy.
        assert settings.s3_endpoint
        assert settings.s3_bucket
        assert settings.s3_access_key
        assert settings.s3_secret_key
        guarded = GuardedTransport(
            httpx.AsyncHTTPTransport(), allow_private=settings.s3_allow_private
        )
        return S3Storage(
            httpx.AsyncClient(timeout=settings.s3_timeout_seconds, transport=guarded),
            endpoint=settings.s3_endpoint,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            clock=clock,
        )
    return LocalStorage(settings.storage_dir)


def create_app(
    settings: Settings | None = None,
    *,
    wechat_transport: httpx.AsyncBaseTransport | None = None,
    notify_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    settings = settings or default_settings
    if configure_logs:
        configure_logging(settings.log_level, settings.log_json)
    clock = clock or Clock()
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    reader = read_engine(engine)
    if wechat_transport is None and settings.wechat_fake:
        wechat_transport = fake_transport()
    http = httpx.AsyncClient(
        base_url=settings.wechat_base_url,
        timeout=settings.wechat_timeout_seconds,
        transport=wechat_transport,
    )
    token_store = _token_store(settings, sessionmaker, clock)
    # Bots, webhook and SMS: URLs from settings, each request to a checked public address.
    notify_http = httpx.AsyncClient(
        timeout=settings.notify_http_timeout_seconds,
        transport=GuardedTransport(
            notify_transport or httpx.AsyncHTTPTransport(),
            allow_private=settings.outbound_allow_private,
        ),
    )
    metrics = Metrics()
    wechat = WeChatClient(
        http,
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        token_store=token_store,
    )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        read_engine=reader,
        read_sessionmaker=create_read_sessionmaker(reader),
        clock=clock,
        wechat=wechat,
        content_check=build_content_check(settings, wechat),
        token_store=token_store,
        notify_http=notify_http,
        limiter=RateLimiter(settings.redis_url),
        cipher=FieldCipher(settings.data_encryption_key, settings.lookup_hash_key),
        metrics=metrics,
        storage=_storage(settings, clock),
    )

    notify = NotifyRegistry(
        build_channels(
            settings,
            sessionmaker=sessionmaker,
            http=notify_http,
            wechat=runtime.wechat,
            clock=clock,
        )
    )
    register_notifications(notify)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tune_for_serving()
        worker = Worker(sessionmaker, notify, settings, clock)
        task = asyncio.create_task(worker.run()) if worker_in_process(settings) else None
        yield
        if task is not None:
            worker.stop()
            await task
        await runtime.aclose()

    app = FastAPI(
        title="社会组织党建 API",
        version="1.0.0",
        description="Backend of the WeChat mini-program for party members' organizational life "
        'in social organizations. Errors: `{"error": {"code", "message", "details"}}`.',
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # Production may hide the API's map; `python -m app openapi` still writes it.
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
    )
    app.state.runtime = runtime
    app.state.notify = notify
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app)
    return app
