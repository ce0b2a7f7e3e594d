"""Services: the use cases, joining the pure core, the database, the timers and the outbox."""
