"""Shared by every test: discord.py's endpoints are put back after each test that moved them."""

from collections.abc import Iterator

import discord
import pytest


@pytest.fixture(autouse=True)
def _restore_discord_endpoints() -> Iterator[None]:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
