"""Demo complaints in every state a centre meets — new, in handling, overdue and escalated, waiting for the
owner, replied and waiting for the owner's confirmation, sent back for rework, closed and rated — so that
the first look at the pages shows a working centre.

Each case is a script of dated steps, played on a clock that the caller moves from the oldest step to now,
firing the timers that fall due in between (reminders, deadlines, escalations) as the workers would have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from crm.directory import actor_for
from crm.models import Complaint
from crm.platform import Platform
from engine.errors import EngineError

# The data each step of the bundled complaint diagram takes, by its form.
HANDLED = {"resolution": "已安排维修班组上门，更换了卫生间防水层并做闭水试验，48小时无渗漏。"}
REPLY = {"reply": "您好，您反映的卫生间渗水问题已处理完毕，闭水试验48小时无渗漏。如仍有问题请随时联系我们。"}


@dataclass(frozen=True)
class Step:
    after: timedelta  # from the case's registration
    username: str
    action: str  # register | complete | claim | wait
    data: dict[str, Any]


@dataclass(frozen=True)
class Case:
    ago: timedelta  # registered this long before now
    phone: str
    channel: str
    description: str
    steps: tuple[Step, ...] = ()


def _triage(severity: str, department: str = "engineering", category: str = "quality") -> dict[str, Any]:
    return {"category": category, "severity": severity, "department": department}


def _steps(*steps: tuple[float, str, str, dict[str, Any]]) -> tuple[Step, ...]:
    return tuple(Step(timedelta(hours=h), who, action, data) for h, who, action, data in steps)


CASES = (
    # New: just registered, waiting for triage in the centre's queue.
    Case(timedelta(hours=1), "13800000002", "hotline", "小区东门道闸经常抬不起来，早晚高峰排队很长。"),
    # Triage missed its 24 hours: overdue, escalated to the centre supervisor.
    Case(timedelta(hours=30), "13800000004", "forum", "论坛反映：2栋地库顶板渗水，车辆被滴到泥水。"),
    # In handling, on time, claimed by the engineer.
    Case(
        timedelta(hours=20),
        "13800000001",
        "hotline",
        "主卧飘窗窗框密封胶开裂，下雨时有水渗入。",
        _steps((1, "crc", "complete", _triage("normal")), (2, "eng", "claim", {})),
    ),
    # Urgent, and the department let it run over: escalated up the ladder (二级督办 and beyond).
    Case(
        timedelta(days=6),
        "13800000003",
        "walk_in",
        "入户门变形关不严，冬天漏风，业主多次到售楼处反映。",
        _steps((2, "crc", "complete", _triage("urgent")), (3, "eng", "claim", {})),
    ),
    # Waiting for the owner (the deadline pauses): the engineer needs to get into the home.
    Case(
        timedelta(days=2),
        "13800000005",
        "email",
        "厨房下水管接口漏水，橱柜底板泡坏。",
        _steps(
            (1, "crc", "complete", _triage("high")),
            (3, "eng", "claim", {}),
            (4, "eng", "wait", {"note": "需入户查看，业主出差，约定下周二上门。"}),
        ),
    ),
    # Handled and replied, but the owner did not answer the call: they read the reply on the portal; the
    # coordinator calls again to confirm.
    Case(
        timedelta(days=4),
        "13800000001",
        "hotline",
        "卫生间天花板渗水，楼上邻居家装修后出现。",
        _steps(
            (1, "crc", "complete", _triage("high")),
            (20, "eng", "complete", HANDLED),
            (24, "crc", "complete", {**REPLY, "reached": "no"}),
        ),
    ),
    # The owner was not satisfied: back in handling for rework.
    Case(
        timedelta(days=5),
        "13800000002",
        "open_day",
        "开放日发现客厅墙面空鼓，面积约两平方米。",
        _steps(
            (1, "crc", "complete", _triage("normal")),
            (30, "eng", "complete", {"resolution": "已对空鼓部位切割重新抹灰。"}),
            (32, "crc", "complete", {"reached": "no", "reply": "墙面空鼓已修补完毕，请您查看。"}),
            (
                50,
                "crc",
                "complete",
                {
                    "reached": "yes",
                    "reply": "墙面空鼓已修补完毕，请您查看。",
                    "satisfied": "no",
                    "comment": "修补处颜色不一致，要求整面重刷。",
                },
            ),
        ),
    ),
    # Closed, the owner satisfied and the score recorded on the phone.
    Case(
        timedelta(days=9),
        "13800000003",
        "hotline",
        "阳台地漏返味，夏天尤其明显。",
        _steps(
            (1, "crc", "complete", _triage("low", "property", "property")),
            (26, "property", "complete", {"resolution": "更换了防臭地漏芯。"}),
            (
                28,
                "crc",
                "complete",
                {
                    "reached": "yes",
                    "reply": "已为您更换防臭地漏芯，如仍有异味请联系我们。",
                    "satisfied": "yes",
                    "score": 4,
                    "comment": "处理及时，师傅很耐心。",
                },
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Move:
    at: datetime
    play: Callable[[Platform], None]


def has_complaints(platform: Platform) -> bool:
    return bool(platform.session.scalar(select(func.count()).select_from(Complaint)))


def moves(now: datetime) -> list[Move]:
    """Every case's steps, dated from now, oldest first; the clock stands at each move when it is played."""
    found: dict[int, int] = {}  # case -> instance id
    result = []
    for index, case in enumerate(CASES):
        registered = now - case.ago
        result.append(Move(registered, _register(index, case, found)))
        for step in case.steps:
            result.append(Move(registered + step.after, _act(index, step, found)))
    return sorted(result, key=lambda move: move.at)


def _register(index: int, case: Case, found: dict[int, int]) -> Callable[[Platform], None]:
    def play(platform: Platform) -> None:
        crc = _actor(platform, "crc")
        complaint = platform.complaints.register(
            crc, channel=case.channel, description=case.description, owner_phone=case.phone
        )
        assert complaint.instance_id is not None
        found[index] = complaint.instance_id

    return play


def _act(index: int, step: Step, found: dict[int, int]) -> Callable[[Platform], None]:
    def play(platform: Platform) -> None:
        steps = [t for t in platform.tasks.open_tasks_of(found[index]) if (t.kind or "task") == "task"]
        if len(steps) != 1:
            raise EngineError(f"demo case {index + 1}: expected one open step, found {len(steps)}")
        task, who = steps[0], _actor(platform, step.username)
        if step.action == "claim":
            platform.tasks.claim(task.id, who)
        elif step.action == "wait":
            platform.tasks.claim(task.id, who)
            platform.tasks.wait_for_owner(task.id, who, step.data.get("note"))
        else:
            platform.tasks.complete(task.id, step.data, who)

    return play


def _actor(platform: Platform, username: str) -> Any:
    user = platform.directory.user(username)
    if user is None:
        raise EngineError(f"the demo cases need the demo account '{username}' (lintel init --demo)")
    return actor_for(user)
