"""Answers only Discord shows (ephemeral replies to commands): embeds built for Discord directly."""
