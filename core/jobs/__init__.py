"""Background jobs: dramatiq actors, the outbox, the scheduler."""
