"""Settings from the environment (and `.env`), one class per concern.

Each concern has its own prefix so the variable names read naturally:
`LANEWAY_DATABASE_URL`, `LANEWAY_DATABASE_POOL_SIZE`, `LANEWAY_REDIS_URL`, ...
"""

from __future__ import annotations

import ipaddress
from email.utils import parseaddr
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends
from limits import parse
from pydantic import AfterValidator, AliasChoices, BeforeValidator, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import HTTPConnection

# Early versions signed with this published value when no key was set; it is refused everywhere.
PUBLISHED_SECRET_KEY = "laneway-development-secret-change-me"  # noqa: S105 - the refused value


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


class Registration(StrEnum):
    open = "open"  # anyone who reaches the server may sign up
    invite = "invite"  # only with an invitation code (POST /invitations, `laneway invite`)
    closed = "closed"  # accounts are made with `laneway create-user`


class DatabaseSettings(BaseSettings):
    model_config = _config("LANEWAY_DATABASE_")

    url: str | None = None
    pool_size: int = Field(default=20, ge=1)
    max_overflow: int = Field(default=30, ge=0)
    pool_timeout: float = Field(default=10.0, gt=0)
    pool_recycle: int = Field(default=1800, ge=-1)
    pool_pre_ping: bool = True
    # A database that accepts the connection but never answers must not hold a request long
    connect_timeout: float = Field(default=5.0, gt=0)
    # PostgreSQL ends a statement running longer than this (a stuck query frees its connection)
    statement_timeout_ms: int = Field(default=30_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    echo: bool = False
    # A connection out of the pool longer than this is logged with where its holder is
    held_warning_seconds: float = Field(default=10.0, gt=0)


class RedisSettings(BaseSettings):
    model_config = _config("LANEWAY_REDIS_")

    url: str | None = None
    # Namespaces keys and channels, so several deployments can share one Redis
    prefix: str = "laneway"
    # Each call's limit (connect and answer); one retry after a jittered pause
    timeout_seconds: float = Field(default=1.0, gt=0, le=30)
    # This many failed calls in a row open the circuit: Redis goes untried (and everything it
    # accelerates runs locally) for `breaker_open_seconds`, then one call tries it again
    breaker_failures: int = Field(default=3, ge=1)
    breaker_open_seconds: float = Field(default=5.0, gt=0)


def _rate(text: str) -> str:
    try:
        item = parse(text)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a rate like 600/minute") from error
    if item.amount < 1:
        raise ValueError(f"{text!r} allows nothing")
    return text


Rate = Annotated[str, AfterValidator(_rate)]


class RateLimitSettings(BaseSettings):
    model_config = _config("LANEWAY_RATE_LIMIT_")

    # Requests to /api/ per client in a moving window: without a token by address, with one
    # by account (every token of an account shares its tier's allowance)
    anonymous: Rate = "300/minute"
    session: Rate = "1200/minute"  # signed in through the web board
    token: Rate = "600/minute"  # noqa: S105 - a rate, not a secret; personal API tokens (scripts, integrations)
    admin: Rate = "3000/minute"  # instance admins, whatever their token
    # How often each process adds its hits to Redis and reads everyone's back (with Redis)
    sync_seconds: float = Field(default=0.2, gt=0, le=10)


class AuthSettings(BaseSettings):
    model_config = _config("LANEWAY_AUTH_")

    session_ttl_hours: int = Field(default=24 * 30, ge=1)
    # argon2id cost; tests lower these, production keeps the library's recommended values
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # Failed logins counted per (account, address) and per address; a correct password never
    # counts, so an attacker elsewhere cannot lock the owner out.
    login_per_account: str = "10/minute"
    login_per_ip: str = "30/minute"
    register_per_ip: str = "10/hour"
    personal_token_days: int = Field(default=90, ge=1, le=3650)
    invitation_days: int = Field(default=7, ge=1, le=365)


def _networks(text: str) -> str:
    for item in filter(None, (part.strip() for part in text.split(","))):
        if item == "*":  # trusted proxies only: every peer (where nothing else reaches it)
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as error:
            raise ValueError(f"{item!r} is not an IP address or network") from error
    return text


class HttpSettings(BaseSettings):
    model_config = _config("LANEWAY_HTTP_")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    public_url: str | None = None
    # Addresses or networks of reverse proxies whose X-Forwarded-For / -Proto are believed
    # (comma separated, e.g. `10.0.0.5,172.16.0.0/12`); empty: the peer's own address counts
    trusted_proxies: Annotated[str, AfterValidator(_networks)] = Field(
        default="",
        validation_alias=AliasChoices("LANEWAY_HTTP_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"),
    )


class LiveSettings(BaseSettings):
    model_config = _config("LANEWAY_LIVE_")

    queue_size: int = Field(default=1000, ge=1)
    # The kernel's send buffer of each live socket (SO_SNDBUF, which Linux doubles). A viewer
    # that stops reading holds at most this, the transport's own 64 KiB and its queue before it
    # is shed with RESUME; left to the kernel, the buffer grows to a few MiB per viewer first.
    send_buffer_bytes: int = Field(default=256 * 1024, ge=4096)
    max_backlog: int = Field(default=10_000, ge=1)
    ticket_ttl_seconds: int = Field(default=60, ge=5, le=3600)
    # Live sockets one account may hold open on one server process
    max_sockets_per_user: int = Field(default=20, ge=1)
    relay_interval_seconds: float = Field(default=1.0, gt=0)
    # How often each process re-checks the tokens of its open sockets (revoked, expired)
    credential_check_seconds: float = Field(default=1.0, gt=0)
    # Origins allowed to open live sockets besides the server's own (comma separated)
    allowed_origins: str = ""


class CacheSettings(BaseSettings):
    model_config = _config("LANEWAY_CACHE_")

    # The longest any process answers from its own copy of tokens, memberships and boards
    # after a change elsewhere (a revoked token, a removed member, another replica's write).
    # Changes seen by a process (its own commits, other replicas' through Redis) apply at once.
    # 0 turns the caches off.
    seconds: float = Field(default=1.0, ge=0, le=60)
    entries: int = Field(default=10_000, ge=1)  # tokens and memberships, each
    # rendered boards and cards, by their size in bytes (a description may be 100 KB)
    board_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    card_bytes: int = Field(default=16 * 1024 * 1024, ge=0)


def _cidrs(text: str) -> str:
    if "*" in text:
        raise ValueError("list the networks; '*' would let webhooks reach anything")
    return _networks(text)


def _schedule(text: str) -> str:
    try:
        delays = [float(part) for part in text.split(",")]
    except ValueError as error:
        raise ValueError(f"{text!r} is not a list of seconds like 0,5,300") from error
    if not delays or any(delay < 0 for delay in delays):
        raise ValueError(f"{text!r}: at least one attempt, no negative delay")
    return text


class WebhookSettings(BaseSettings):
    model_config = _config("LANEWAY_WEBHOOK_")

    # Networks deliveries may reach although private (comma-separated CIDRs); empty: only
    # public addresses, checked at registration and again at each delivery
    allowed_networks: Annotated[str, AfterValidator(_cidrs)] = ""
    # Seconds before each attempt: the first at once, the last gives up (then `failed`)
    retry_schedule: Annotated[str, AfterValidator(_schedule)] = "0,5,300,1800,7200,18000,36000"
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Delivery logs older than this are deleted by the housekeeping
    delivery_retention_days: int = Field(default=30, ge=1, le=3650)

    @property
    def delays(self) -> list[float]:
        return [float(part) for part in self.retry_schedule.split(",")]


class JobSettings(BaseSettings):
    model_config = _config("LANEWAY_JOBS_")

    # The serving process runs jobs itself (the embedded default); with `laneway worker`
    # processes running them, set false on the app replicas
    in_process: bool = True
    # ... and only one process of `laneway serve --workers N` does: whichever holds
    # {LANEWAY_DATA_DIR}/jobs-<database>.lock (another takes over within a poll once it
    # exits); false: every worker runs them
    one_process: bool = True
    # Deliveries in flight at once per process (one at a time per webhook, in event order)
    concurrency: int = Field(default=64, ge=1, le=1000)
    # How often a runner looks for due work besides being woken by its own process's commits
    poll_seconds: float = Field(default=0.5, gt=0, le=60)
    # A claimed delivery is leased for LANEWAY_WEBHOOK_TIMEOUT_SECONDS plus this: a runner that
    # dies mid-delivery holds it that long, then another sends it again
    lease_margin_seconds: float = Field(default=30.0, gt=0, le=3600)


class TransferSettings(BaseSettings):
    model_config = _config("LANEWAY_TRANSFER_")

    # The largest import one upload may carry (an archive, a Trello export or a CSV file);
    # every other request keeps LANEWAY_HTTP_MAX_BODY_BYTES
    max_upload_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024)
    # Finished exports and imports (with their files) are deleted this long after the end
    retention_days: int = Field(default=7, ge=1, le=3650)
    # Rows an import writes per transaction: each holds SQLite's write lock (every write of the
    # instance) this long, so other writers take turns between batches
    import_batch_rows: int = Field(default=1000, ge=10, le=100_000)


class AttachmentStore(StrEnum):
    auto = "auto"  # files on SQLite (the embedded default), the database on PostgreSQL
    files = "files"  # files under {LANEWAY_DATA_DIR}/attachments/
    database = "database"  # the bytes in the attachments table, which every replica reaches


class AttachmentSettings(BaseSettings):
    model_config = _config("LANEWAY_ATTACHMENTS_")

    # The largest file one upload may carry; the upload route's body limit is this plus room
    # for the multipart framing, every other request keeps LANEWAY_HTTP_MAX_BODY_BYTES
    max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024)
    # Where new uploads go (each attachment remembers its own, so a change applies to new ones)
    store: AttachmentStore = AttachmentStore.auto


class WorkerSettings(BaseSettings):
    model_config = _config("LANEWAY_WORKER_")

    # `laneway worker` runs every housekeeping job this often
    interval_seconds: float = Field(default=300.0, gt=0)
    # rows one DELETE removes at most: each batch is its own short transaction
    batch_size: int = Field(default=1000, ge=1, le=100_000)


def _smtp_url(text: str | None) -> str | None:
    if not text:
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is no number
    except ValueError as error:
        raise ValueError("LANEWAY_SMTP_URL is not a URL like smtp://user:pass@host:587") from error
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("LANEWAY_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
    return text


def _sender(text: str) -> str:
    if "@" not in parseaddr(text)[1] or any(c in text for c in "\r\n"):
        raise ValueError(f"{text!r} is no address like 'Laneway <laneway@example.com>'")
    return text


class EmailSettings(BaseSettings):
    model_config = SettingsConfigDict(
        **_config("LANEWAY_EMAIL_"),
        populate_by_name=True,  # EmailSettings(smtp_url=...) as well as the variables' names
        hide_input_in_errors=True,  # a refused URL may carry the SMTP password
    )

    # Where notification emails go out: smtp://[user:pass@]host[:port] (STARTTLS when the
    # server offers it) or smtps:// (TLS from the start); unset: no email at all
    smtp_url: Annotated[str | None, AfterValidator(_smtp_url)] = Field(
        default=None,
        validation_alias="LANEWAY_SMTP_URL",
        repr=False,  # its password
    )
    smtp_from: Annotated[str, AfterValidator(_sender)] = Field(
        default="Laneway <laneway@localhost>", validation_alias="LANEWAY_SMTP_FROM"
    )
    # At most one message per person this often, listing everything new since the last
    batch_seconds: float = Field(default=300.0, ge=60, le=86_400)


class LogFormat(StrEnum):
    auto = "auto"  # human-readable lines on a terminal, JSON lines anywhere else
    json = "json"  # one JSON object per line, for log collectors
    console = "console"  # human-readable lines (structlog's console renderer)


def _log_format(value: object) -> object:
    # the older LANEWAY_LOG_JSON=true|false names a format too
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return LogFormat.json
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
        return LogFormat.console
    return value


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(**_config("LANEWAY_LOG_"), populate_by_name=True)

    level: str = "INFO"
    format: Annotated[LogFormat, BeforeValidator(_log_format)] = Field(
        default=LogFormat.auto,
        validation_alias=AliasChoices("LANEWAY_LOG_FORMAT", "LANEWAY_LOG_JSON"),
    )


class MetricsSettings(BaseSettings):
    model_config = _config("LANEWAY_METRICS_")

    # Prometheus text at /metrics on a port of its own (open: keep it off the public network),
    # or on the main port behind `Authorization: Bearer <token>`; neither set: no /metrics.
    port: int | None = Field(default=None, ge=1, le=65535)
    host: str | None = None  # the metrics port's address; unset: the server's own
    token: str | None = Field(default=None, min_length=16)
    # How often each process samples its pool, sockets, memory and event-loop lag
    sample_seconds: float = Field(default=5.0, gt=0)


class TracingSettings(BaseSettings):
    model_config = _config("LANEWAY_TRACING_")

    # OpenTelemetry traces over OTLP/HTTP once an endpoint is set, under OpenTelemetry's own
    # variable names; the `tracing` extra installs the SDK and exporter. Off by default.
    endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )
    # The share of traces started here that are kept (a caller's sampled flag is followed)
    sample_ratio: float = Field(
        default=0.1,
        ge=0,
        le=1,
        validation_alias=AliasChoices("LANEWAY_TRACING_SAMPLE_RATIO", "OTEL_TRACES_SAMPLER_ARG"),
    )
    service_name: str = Field(default="laneway", validation_alias="OTEL_SERVICE_NAME")


class Settings(BaseSettings):
    model_config = _config("LANEWAY_")

    # Unset: a random key made on first start and kept in the database for every replica
    secret_key: str | None = None
    registration: Registration = Registration.open
    data_dir: Path = Path("laneway-data")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    transfer: TransferSettings = Field(default_factory=TransferSettings)
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)

    @model_validator(mode="after")
    def _refuse_known_or_short_secret(self) -> Settings:
        key = self.secret_key
        if key is not None and (key == PUBLISHED_SECRET_KEY or len(key) < 32):
            raise ValueError(
                "LANEWAY_SECRET_KEY must be a random value of at least 32 characters (for "
                "example: python -c 'import secrets; print(secrets.token_urlsafe(48))'), or "
                "unset: the server then makes its own key on first start"
            )
        return self

    @cached_property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'laneway.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def attachment_store(self) -> AttachmentStore:
        """Where new uploads go: `auto` is files on SQLite, the database on PostgreSQL."""
        store = self.attachments.store
        if store is AttachmentStore.auto:
            return AttachmentStore.files if self.is_sqlite else AttachmentStore.database
        return store

    @property
    def attachments_dir(self) -> Path:
        """The file store's directory (attachments kept as files, whatever the setting now)."""
        return self.data_dir / "attachments"


async def get_settings(connection: HTTPConnection) -> Settings:
    settings: Settings = connection.app.state.laneway.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
