"""The demo's return visits (`lintel demo`): 交付满月回访, the post-handover campaign of the demo project's
first building, running for two years (its owners handed over 30 days and more ago taken in, their calls open
in the demo coordinators' inboxes), and a draft 四年之约 over the whole project. Nothing when there are
campaigns already."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.directory import actor_for
from crm.estate.models import Building, Project
from crm.models import User
from crm.visits.automatic import run_automatic
from crm.visits.campaigns import Campaigns
from crm.visits.launch import Launcher
from crm.visits.models import Campaign, Questionnaire
from engine.actors import Actor
from engine.runtime import Runtime
from lintel.clock import Clock, FixedClock

PROJECT = "JNF"
VISITORS = ["crc", "crc_sup"]
SCRIPT = (
    "您好，请问是{业主}吗？我是江南府客户关系中心的回访专员。您的新家交付满一个月了，想占用您三分钟，"
    "了解一下入住后的感受：房屋质量、物业服务、整改是否满意。您的意见我们会逐条跟进。"
)
FOUR_YEAR_SCRIPT = "您好！江南府交付即将满四年，我们想上门看看您家的房屋状况，并听听您对社区的建议。"


def _questionnaire(session: Session, key: str) -> int | None:
    return session.scalar(
        select(Questionnaire.id)
        .where(Questionnaire.key == key)
        .order_by(Questionnaire.version.desc())
        .limit(1)
    )


def load_demo_visits(
    sessions: sessionmaker[Session], clock: Clock, runtime_for: Callable[[Session], Runtime]
) -> int:
    """The demo campaigns; returns how many visits were started (0: campaigns exist, or no demo project)."""
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(Campaign)):
            return 0
        project_id = session.scalar(select(Project.id).where(Project.code == PROJECT))
        post_handover = _questionnaire(session, "post_handover")
        four_year = _questionnaire(session, "four_year")
        if project_id is None or post_handover is None or four_year is None:
            return 0
        building_id = session.scalar(
            select(Building.id).where(Building.project_id == project_id).order_by(Building.id).limit(1)
        )
        supervisor = session.scalars(select(User).where(User.username == "crc_sup")).first()
        who = actor_for(supervisor) if supervisor is not None else Actor("system")
        now = clock.now()
        year_ago = FixedClock(now - timedelta(days=730))
        monthly = Campaigns(session, year_ago).create(
            {
                "name": "交付满月回访",
                "kind": "post_handover",
                "method": "phone",
                "days_after": 30,
                "visit_days": 5,
                "questionnaire_id": post_handover,
                "visitors": VISITORS,
                "script": SCRIPT,
                "audience": {
                    "project_ids": [project_id],
                    "building_ids": [building_id] if building_id else [],
                },
            },
            who,
        )
        Campaigns(session, year_ago).launch(monthly.id, who)
        run_automatic(session, clock)  # the two years since caught up
        Campaigns(session, clock).create(
            {
                "name": "四年之约 · 江南府",
                "kind": "four_year",
                "method": "home",
                "visit_days": 10,
                "questionnaire_id": four_year,
                "visitors": VISITORS,
                "script": FOUR_YEAR_SCRIPT,
                "audience": {"project_ids": [project_id]},
            },
            who,
        )
        session.commit()
        campaign_id = monthly.id
    launcher = Launcher(sessions, runtime_for, clock)
    return launcher.launch(campaign_id).started
