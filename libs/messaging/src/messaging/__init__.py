"""NATS by contract types: request, serve, durable consumers, the outbox relay, trace context.
Databases are `database`'s; the service process (entry point, logs, telemetry) is `runtime`'s."""
