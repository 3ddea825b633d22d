"""Settings from the environment (and `.env`), one class per concern.

Each concern has its own prefix so the variable names read naturally:
`LANEWAY_DATABASE_URL`, `LANEWAY_DATABASE_POOL_SIZE`, `LANEWAY_REDIS_URL`, ...
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "laneway-development-secret-change-me"  # noqa: S105 - refused in production


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


class Environment(StrEnum):
    development = "development"
    production = "production"
    test = "test"


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
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    echo: bool = False


class RedisSettings(BaseSettings):
    model_config = _config("LANEWAY_REDIS_")

    url: str | None = None
    # Namespaces keys and channels, so several deployments can share one Redis
    prefix: str = "laneway"


class AuthSettings(BaseSettings):
    model_config = _config("LANEWAY_AUTH_")

    allow_registration: bool = True
    session_ttl_hours: int = Field(default=24 * 30, ge=1)
    # argon2id cost; tests lower these, production keeps the library's recommended values
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    login_per_account: str = "10/minute"
    login_per_ip: str = "30/minute"


class HttpSettings(BaseSettings):
    model_config = _config("LANEWAY_HTTP_")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    public_url: str | None = None


class LiveSettings(BaseSettings):
    model_config = _config("LANEWAY_LIVE_")

    queue_size: int = Field(default=1000, ge=1)
    max_backlog: int = Field(default=10_000, ge=1)
    ticket_ttl_seconds: int = Field(default=60, ge=5)
    relay_interval_seconds: float = Field(default=1.0, gt=0)
    # Origins allowed to open live sockets besides the server's own (comma separated)
    allowed_origins: str = ""


class LogSettings(BaseSettings):
    model_config = _config("LANEWAY_LOG_")

    level: str = "INFO"
    json_output: bool = Field(default=True, alias="LANEWAY_LOG_JSON")


class Settings(BaseSettings):
    model_config = _config("LANEWAY_")

    env: Environment = Environment.development
    secret_key: str = DEFAULT_SECRET_KEY
    data_dir: Path = Path("laneway-data")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env is Environment.production and (
            self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "LANEWAY_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
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
