"""Notices to buyers before handover (通报): the monthly construction-progress notice (楼盘进度通报) of each
project under construction, and design-change notices (规划设计变更通报) to the owners of chosen buildings
or units, each drafted by the centre, approved by a manager and sent by every owner's channels."""
