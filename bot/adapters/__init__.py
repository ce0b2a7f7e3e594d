"""Each chat platform's side of Conductor: Discord (rendering, answers) and Slack (the whole front end)."""
