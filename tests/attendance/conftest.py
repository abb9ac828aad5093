"""Attendance tests drive real check-ins, so they share the check-in scene and frozen clock."""

from tests.checkin.conftest import clock, scene, settings

__all__ = ["clock", "scene", "settings"]
