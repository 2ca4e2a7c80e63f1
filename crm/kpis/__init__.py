"""The centre's figures — 及时率 (on time), 封闭率 (closed), response and resolution times, rework,
escalations, satisfaction — read from the audit trail into tables of their own (`refresh`), defined once
(`counters`, `figures`), sliced by project, department, category, channel, severity, process and month."""
