"""Notifications: the outbox, the worker that dispatches it, and the channels it sends on."""
