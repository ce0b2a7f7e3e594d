"""The Slack front end: rendering, ids, slash commands, scopes and the app manifest."""
