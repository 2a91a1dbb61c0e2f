"""Messaging by contract types over NATS: publish, request, serve, consume, and an outbox."""
