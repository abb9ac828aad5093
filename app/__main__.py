"""python -m app: serve, worker, migrate, seed-demo, openapi, create-admin."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from pydantic import ValidationError

try:
    from app.config import settings
except ValidationError as invalid:
    # A wrong setting is the operator's to fix: say which and why, without a traceback.
    problems = "\n".join(f"  {error['msg']}" for error in invalid.errors())
    raise SystemExit(f"配置有误 (invalid settings):\n{problems}") from None

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def _openapi_text() -> str:
    from app.main import create_app

    spec = create_app(configure_logs=False).openapi()
    return json.dumps(spec, ensure_ascii=False, indent=2) + "\n"


def cmd_openapi(args: argparse.Namespace) -> int:
    text = _openapi_text()
    target = Path(args.output) if args.output else OPENAPI_PATH
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is stale: run `python -m app openapi`", file=sys.stderr)
            return 1
        print(f"{target} matches the app")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from app.migrate import downgrade, upgrade

    if args.revision.startswith("-") or args.down:
        downgrade(settings.database_url, args.revision)
    else:
        upgrade(settings.database_url, args.revision)
    return 0


def cmd_seed_demo(_: argparse.Namespace) -> int:
    from app.seed.demo import DEMO_LOGINS, run_seed

    created = asyncio.run(run_seed(settings))
    print("demo data loaded" if created else "demo data already present; nothing changed")
    for role, code in DEMO_LOGINS.items():
        print(f"  {role:<16} login code: {code}")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from app.seed.admin import create_admin

    member_id = asyncio.run(create_admin(settings, name=args.name, openid=args.openid))
    print(f"system admin ready: member {member_id}, WeChat openid {args.openid}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.banner:
        from app.seed.demo import DEMO_LOGINS

        base = f"http://{args.host}:{args.port}"
        print(f"\n  API docs: {base}/docs")
        if settings.wechat_fake:
            print('  Fake WeChat is on. Sign in: POST /api/v1/auth/wechat/login {"code": "<code>"}')
            for role, code in DEMO_LOGINS.items():
                print(f"    {role:<16} code: {code}")
        print()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        proxy_headers=settings.trust_forwarded_for,
    )
    return 0


def cmd_worker(_: argparse.Namespace) -> int:
    """Dispatch notifications until SIGTERM or Ctrl-C; run several on PostgreSQL."""
    import signal

    from app.main import create_app
    from app.notify.registry import registry_of
    from app.notify.worker import Worker

    async def run() -> None:
        app = create_app()
        runtime = app.state.runtime
        worker = Worker(runtime.sessionmaker, registry_of(app), settings, runtime.clock)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        try:
            await worker.run()
        finally:
            await runtime.aclose()

    asyncio.run(run())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--banner", action="store_true", help="print the docs URL and demo logins")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="dispatch notifications and run scheduled work")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply migrations (default: to head)")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.add_argument("--down", action="store_true", help="downgrade to the revision")
    migrate.set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed-demo", help="load the demo city (idempotent)")
    seed.set_defaults(func=cmd_seed_demo)

    openapi = sub.add_parser("openapi", help="write openapi/openapi.json")
    openapi.add_argument("--output", help="write here instead")
    openapi.add_argument("--check", action="store_true", help="fail when the file is stale")
    openapi.set_defaults(func=cmd_openapi)

    admin = sub.add_parser("create-admin", help="make a WeChat account a system admin")
    admin.add_argument("--openid", required=True)
    admin.add_argument("--name", required=True)
    admin.set_defaults(func=cmd_create_admin)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
