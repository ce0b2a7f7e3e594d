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
    discord_global_per_second: int = Field(
        default=50,
        ge=1,
        description="Discord's global request limit for the bot token (50 unless Discord raised it), shared by "
        "the processes in proportion to their shards.",
    )
    shard_count: int | None = Field(default=None, description="Discord shards in all processes together.")
    shard_ids: str | None = Field(default=None, description='The shards this process owns, e.g. "0,1".')
    slack_bot_token: SecretStr | None = Field(
        default=None, description="Slack bot token (xoxb-…); never logged."
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="Slack app-level token (xapp-…) for Socket Mode; never logged."
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Verifies Slack's requests in HTTP mode; never logged."
    )
    slack_api_base: str | None = Field(default=None, description="Slack Web API base URL (a local sandbox).")
    slack_http_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="HTTP mode: Slack POSTs to this port (/slack/events), signed; default: Socket Mode.",
    )

    def secrets(self) -> list[SecretStr]:
        """Every secret set (the tokens, the signing secret), for the logs to redact."""
        held = (self.discord_token, self.slack_bot_token, self.slack_app_token, self.slack_signing_secret)
        return [s for s in held if s is not None and s.get_secret_value()]

    def slack_problems(self) -> list[str]:
        """What is missing or wrong in the Slack settings, one line each (never showing a secret's value)."""
        problems = []
        bot, app = self.slack_bot_token, self.slack_app_token
        if bot is None or not bot.get_secret_value().strip():
            problems.append("SLACK_BOT_TOKEN is not set: the Bot User OAuth Token (xoxb-…) from Install App.")
        elif not bot.get_secret_value().startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN does not start with xoxb-: use the Bot User OAuth Token.")
        if self.slack_http_port is not None:
            signing = self.slack_signing_secret
            if signing is None or not signing.get_secret_value().strip():
                problems.append(
                    "SLACK_SIGNING_SECRET is not set: HTTP mode (SLACK_HTTP_PORT) verifies every request with "
                    "it (Basic Information → Signing Secret)."
                )
        elif app is None or not app.get_secret_value().strip():
            problems.append(
                "SLACK_APP_TOKEN is not set: an app-level token (xapp-…) with connections:write, "
                "from Basic Information → App-Level Tokens."
            )
        elif not app.get_secret_value().startswith("xapp-"):
            problems.append(
                "SLACK_APP_TOKEN does not start with xapp-: use an app-level token (Socket Mode)."
            )
        base = self.slack_api_base
        if base is not None and not base.startswith(("http://", "https://")):
            problems.append(f"SLACK_API_BASE must be an http:// or https:// URL (got {base!r}).")
        return problems

    def resolved_slack_api_base(self) -> str | None:
        """SLACK_API_BASE ending with `/`, as slack_sdk joins method names to it (None: Slack itself)."""
        if not self.slack_api_base:
            return None
        return self.slack_api_base if self.slack_api_base.endswith("/") else self.slack_api_base + "/"

    def resolved_database_url(self) -> str:
        """The database URL to use: DATABASE_URL, else SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'conductor.db').as_posix()}"
