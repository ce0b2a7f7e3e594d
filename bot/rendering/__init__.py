"""Rendering: domain objects and facts turned into Discord embeds, views and message text."""
