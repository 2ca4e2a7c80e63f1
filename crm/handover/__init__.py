"""Before the keys: the owners' open day and self-inspections, every defect found and its rectification loop
(one small `rectification` instance per defect), each unit's readiness, and its handover (one `handover`
instance per unit)."""
