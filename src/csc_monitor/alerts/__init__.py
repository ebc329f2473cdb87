"""Thresholds, alert lifecycle, Slack messages (counts only) and their delivery through an outbox."""
