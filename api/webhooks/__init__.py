"""Webhooks: registering them, the outbox of events written with each change, and delivering it."""
