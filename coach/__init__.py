"""Mentor Coach: an offline, grounded conversation coach for mentoring relationships."""

__version__ = "0.1.0"
