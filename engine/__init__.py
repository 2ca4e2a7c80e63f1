"""Lintel's BPM runtime over SpiffWorkflow: deploy, run, persist, human tasks, timers, sandbox, audit."""
