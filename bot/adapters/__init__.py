"""Front ends that connect the use cases to a chat platform (Slack; Discord still lives in cogs/ and bot/)."""
