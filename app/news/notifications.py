"""What news hands notify at start-up: the job that publishes scheduled articles when their
time comes (with their push). A publish through the API pushes in its own transaction."""

from __future__ import annotations

from app.news import service
from app.notify.registry import NotifyRegistry


def register(registry: NotifyRegistry) -> None:
    """Called by app.main at start-up."""
    registry.register_job("news.publish_due", service.publish_due)
