"""Per-event-type handlers that turn validated events into rows."""
