"""`python -m slack_sandbox`: see cli.py."""

from .cli import main

main()
