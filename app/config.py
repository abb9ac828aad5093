"""Settings, read once from the environment (prefix ``APP_``) or a ``.env`` file."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.kit.outbound import check_host, check_url

# Development-only secrets: good enough for `make run` on a laptop, refused in production.
_DEV_JWT_KEYS = {"dev-1": "dev-only-jwt-secret-change-me-0123456789abcdef"}
_DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="  # 32 bytes, base64
_DEV_HASH_KEY = "dev-only-lookup-hash-key-change-me"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class StorageBackend(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///./data/app.db"
    database_echo: bool = False
    database_pool_size: int = 20
    redis_url: str | None = None

    log_level: str = "INFO"
    log_json: bool = True
    # /metrics answers only `Authorization: Bearer <token>`; unset, it answers 404.
    metrics_token: str | None = None
    # /docs, /redoc and /openapi.json; production may turn them off.
    docs_enabled: bool = True
    default_language: str = "zh"

    jwt_keys: dict[str, str] = Field(default_factory=lambda: dict(_DEV_JWT_KEYS))
    jwt_signing_kid: str = "dev-1"
    jwt_issuer: str = "dangjian-api"
    jwt_audience: str = "dangjian-miniprogram"
    access_token_minutes: int = 15
    refresh_token_days: int = 30

    data_encryption_key: str = _DEV_DATA_KEY
    lookup_hash_key: str = _DEV_HASH_KEY

    wechat_fake: bool = True
    wechat_appid: str = "wx-dev-appid"
    wechat_secret: str = "wx-dev-secret"  # noqa: S105 - refused in production
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_timeout_seconds: float = 5.0
    wechat_token_refresh_margin_seconds: int = 300
    wechat_checkin_page: str = "pages/checkin/index"
    wechat_env_version: str = "release"

    rate_limit_login: str = "20/minute"
    rate_limit_login_per_openid: str = "10/minute"
    # A refresh token is a secret worth guessing at: per IP, like sign-in.
    rate_limit_refresh: str = "30/minute"
    trust_forwarded_for: bool = False

    checkin_opens_minutes_before: int = 30
    checkin_closes_minutes_after: int = 30
    checkin_late_grace_minutes: int = 5
    checkin_step_seconds: int = 30
    checkin_max_accuracy_m: float = 100.0
    rate_limit_checkin: str = "12/minute"
    # A whole branch may check in over the venue's one Wi-Fi: generous, but bounded.
    rate_limit_checkin_per_ip: str = "600/minute"
    activity_reminder_minutes_before: int = 60
    # Questions asked (POST /api/v1/qa/questions) per member, and per client IP.
    rate_limit_question: str = "10/hour"
    rate_limit_question_per_ip: str = "300/hour"

    page_size_default: int = 20
    page_size_max: int = 100

    # Minutes attachments: a folder here, or any S3-compatible store (path-style URLs).
    storage_backend: StorageBackend = StorageBackend.LOCAL
    storage_dir: str = "./data/uploads"
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_timeout_seconds: float = 30.0
    # A store on a private address (MinIO beside the app): allowed in production too, since
    # the operator names it; every other outbound target must be public.
    s3_allow_private: bool = False
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # A study video's MP4 or a document's PDF, held whole while it is stored.
    study_file_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1)

    # Notifications (the outbox and its worker).
    # Member channels in use; inbox is always on. Production adds wechat, sms, email.
    notify_channels: list[str] = Field(default_factory=lambda: ["inbox", "console"])
    # Channels a member must turn on for themselves (the rest are on until turned off).
    notify_opt_in_channels: list[str] = Field(default_factory=lambda: ["sms", "email"])
    # Group channels (bots, webhooks) that get one delivery per notification.
    notify_group_channels: list[str] = Field(default_factory=list)
    notify_max_attempts: int = Field(default=8, ge=1)
    notify_backoff_base_seconds: float = Field(default=10.0, gt=0)
    notify_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    notify_lease_seconds: float = Field(default=60.0, gt=0)
    notify_batch_size: int = Field(default=100, ge=1)
    notify_poll_seconds: float = Field(default=1.0, gt=0)
    # Bulk notifications (news pushes) an organization may send a day.
    notify_org_daily_bulk_cap: int = Field(default=20, ge=0)
    # `serve` runs one dispatcher in-process on SQLite (a second process would only wait on
    # the file lock); on PostgreSQL run `python -m app worker` instead. None: decide by database.
    notify_worker_in_process: bool | None = None

    # News: reading time is reported by the client, so it is capped per report and in total.
    news_read_report_max_seconds: int = Field(default=300, ge=1)
    news_read_total_max_seconds: int = Field(default=7200, ge=1)
    # An effective read (积分: 有效阅读新闻): this many reported seconds, and as long on the
    # server's clock since the first open, so one large report cannot claim it.
    news_read_points_seconds: int = Field(default=60, ge=1)
    # Scheduled articles the worker publishes per transaction.
    news_publish_batch_size: int = Field(default=20, ge=1)

    # Content check (moderation) of what users write: WeChat's msg_sec_check, or a local word
    # list for development and offline use (production may use it too; a warning says so).
    content_check_backend: Literal["wechat", "wordlist"] = "wordlist"
    # Added to the word list's few built-in words; matched ignoring case, width and spaces.
    content_check_risky_words: list[str] = Field(default_factory=list)
    content_check_review_words: list[str] = Field(default_factory=list)

    # --- notification channels (adapters): their settings go below this line ---

    # WeChat subscribe messages, per notification kind: {"activity_changed": {"template_id":
    # "…", "thing1": "title", "time2": "starts_at", "phrase3": "=已变更"}}. A field takes the
    # message's title, body or created_at, a key of its data, or "=literal".
    wechat_templates: dict[str, dict[str, str]] = Field(default_factory=dict)
    wechat_miniprogram_state: Literal["formal", "trial", "developer"] = "formal"
    wechat_message_lang: str = "zh_CN"

    # Group bots: the webhook URL carries the bot's key, so it is a secret.
    wecom_webhook_url: str | None = None
    wecom_msgtype: Literal["markdown", "text"] = "markdown"
    dingtalk_webhook_url: str | None = None
    dingtalk_secret: str | None = None  # the "加签" secret, SEC…
    dingtalk_msgtype: Literal["markdown", "text"] = "markdown"

    # SMS through Aliyun dysmsapi SendSms; template variables map like wechat_templates.
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com"
    sms_access_key_id: str | None = None
    sms_access_key_secret: str | None = None
    sms_sign_name: str | None = None
    sms_template_code: str | None = None
    sms_template_params: dict[str, str] = Field(default_factory=lambda: {"title": "title"})

    smtp_host: str | None = None
    smtp_port: int = 465
    smtp_security: Literal["ssl", "starttls", "none"] = "ssl"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

    webhook_url: str | None = None
    webhook_secret: str | None = None
    # Lets the bots, the webhook, SMS and e-mail reach private and loopback addresses:
    # development only (local fakes).
    outbound_allow_private: bool = False

    # Per request, for the bots, SMS and the webhook.
    notify_http_timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator(
        "wechat_base_url",
        "s3_endpoint",
        "wecom_webhook_url",
        "dingtalk_webhook_url",
        "sms_endpoint",
        "webhook_url",
    )
    @classmethod
    def _plain_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        # httpx would raise deep inside a channel at start (octal), or the C resolver
        # would read a spelling no reviewer does (127.1, 2130706433): say so here.
        if value is None:
            return None
        try:
            return check_url(value)
        except ValueError as exc:
            raise ValueError(f"APP_{str(info.field_name).upper()}: {exc}") from None

    @field_validator("smtp_host")
    @classmethod
    def _plain_host(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_host(value)
        except ValueError as exc:
            raise ValueError(f"APP_SMTP_HOST: {exc}") from None

    @model_validator(mode="after")
    def _private_targets_only_in_development(self) -> Settings:
        if self.outbound_allow_private and self.env is Environment.PRODUCTION:
            raise ValueError("APP_OUTBOUND_ALLOW_PRIVATE is for development only")
        return self

    @model_validator(mode="after")
    def _wechat_templates_are_complete(self) -> Settings:
        for kind, template in self.wechat_templates.items():
            if not template.get("template_id"):
                raise ValueError(f"APP_WECHAT_TEMPLATES[{kind}] needs a template_id")
        return self

    @model_validator(mode="after")
    def _s3_needs_its_settings(self) -> Settings:
        if self.storage_backend is StorageBackend.S3:
            missing = [
                f"APP_{name.upper()}"
                for name in ("s3_endpoint", "s3_bucket", "s3_access_key", "s3_secret_key")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"APP_STORAGE_BACKEND=s3 needs: {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> Settings:
        if self.jwt_signing_kid not in self.jwt_keys:
            raise ValueError("APP_JWT_SIGNING_KID must name one of APP_JWT_KEYS")
        if self.env is Environment.PRODUCTION:
            leaked = [
                name
                for name, unsafe in (
                    ("APP_JWT_KEYS", self.jwt_keys == _DEV_JWT_KEYS),
                    ("APP_DATA_ENCRYPTION_KEY", self.data_encryption_key == _DEV_DATA_KEY),
                    ("APP_LOOKUP_HASH_KEY", self.lookup_hash_key == _DEV_HASH_KEY),
                    ("APP_WECHAT_FAKE", self.wechat_fake),
                )
                if unsafe
            ]
            if leaked:
                raise ValueError(f"production refuses development values for: {', '.join(leaked)}")
        return self

    @property  # not cached: model_copy(update=…) would carry a stale answer over
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


settings = Settings()
