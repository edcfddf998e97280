"""The company, its users and clients, the event history, the clock, validators and idempotency."""
