"""discord.py extensions: thin command groups that parse, call the core, render and answer."""
