"""The trainers domain: aggregates with their rules and the events they record; no I/O."""
