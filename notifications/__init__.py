"""Notices to owners and staff: channels (SMTP, SMS gateway, in-app, console), templates and an outbox."""
