"""The web adapter: the projector page served by the bot itself."""
