"""Notices to owners and staff: one path for all of them.

A change queues its messages in its own transaction (`Outbox.queue`, the transactional outbox); a dispatcher
in `lintel serve` / `lintel worker` sends them through the configured channels (SMTP, SMS gateway, WeCom and
DingTalk robots, console) with retries, backoff and a dead letter. In-app messages (the staff bell, the owner
portal's list) need no dispatcher: they are written in the same transaction, there when it commits.

This package knows nothing of owners, departments or complaints: `crm.messaging` decides who hears what.
"""
