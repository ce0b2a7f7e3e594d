"""Discord's side: neutral messages rendered to Markdown and embeds, user text escaped, Discord's limits."""
