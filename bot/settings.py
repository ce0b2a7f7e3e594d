"""Process settings read from the environment (and a `.env` file): secrets and endpoints, never the course."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What differs between machines: the token, the database, the Discord endpoints, the config path."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = Field(default=None, description="The bot token; never logged.")
    database_url: str | None = Field(default=None, description="Any SQLAlchemy async URL.")
    data_dir: Path = Field(default=Path("data"), description="Folder of the embedded SQLite database.")
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    conductor_config: Path = Field(default=Path("config.toml"), description="The course configuration.")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(default="text", description="`json`: one object per line.")
    stop_grace_seconds: float = Field(
        default=10.0, ge=0, le=600, description="On SIGTERM/SIGINT: how long work in flight may finish."
    )
    shard_count: int | None = Field(default=None, description="Discord shards in all processes together.")
    shard_ids: str | None = Field(default=None, description='The shards this process owns, e.g. "0,1".')

    def resolved_database_url(self) -> str:
        """The database URL to use: DATABASE_URL, else SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'conductor.db').as_posix()}"
