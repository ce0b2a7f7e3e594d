"""Each chat platform's side of Conductor: how its messages are rendered (Discord now; Slack next)."""
