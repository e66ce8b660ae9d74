"""Every knob of `videolabels serve`, in one place.

One pydantic-settings class so that a flag, an environment variable (`VIDEOLABELS_*`)
and a test's keyword argument all land in the same validated object; explicit
arguments win over the environment, which wins over the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """XDG data home, so a plain `videolabels serve` keeps its state across runs."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "videolabels"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIDEOLABELS_", extra="ignore", validate_default=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535, description="0 picks a free port.")
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file in the data dir. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="Subscription key(s) accepted by the AccessToken route, comma-separated "
        "to allow rotation. Unset: one is generated on first start and kept in the data dir.",
    )
    workers: int = Field(default=1, ge=0, description="Indexing threads; 0 accepts uploads but indexes nothing.")
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1, description="Video Indexer's limit is 2 GB.")
    token_ttl_seconds: int = Field(default=3600, ge=1)
    public_url: str | None = Field(
        default=None, description="Base URL clients reach this server at, for the URLs it hands out."
    )

    # Indexing.
    fps: float = Field(default=1.0, gt=0)
    min_confidence: float | None = Field(default=None, ge=0, le=1, description="Unset: the library default.")
    threads: int = Field(default=1, ge=1, description="Inference threads per worker.")

    # Job hand-off.
    job_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A running job whose worker has not reported for this long is taken over "
        "(its process died); workers report every few seconds while indexing.",
    )
    job_poll_seconds: float = Field(default=2.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1)

    callback_timeout_seconds: float = Field(default=10.0, gt=0)
    log_level: str = "info"

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    def api_keys(self) -> list[str]:
        if self.api_key is None:
            return []
        return [k.strip() for k in self.api_key.get_secret_value().split(",") if k.strip()]

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'videolabels.db'}"
