"""Who hears what: the message kinds, owners' channel choices, and the subscribers that queue a notice when
work lands, nears its deadline, climbs the escalation ladder or is chased, and when an owner's request is
registered, answered and closed. Sending is `notifications`' business."""
