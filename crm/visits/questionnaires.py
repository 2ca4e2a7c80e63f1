"""Questionnaires: forms a campaign asks (forms format), versioned. The centre's usual four are installed with
the departments; a campaign keeps the version it was created with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.visits.models import Questionnaire
from forms import Form
from forms.loader import parse_form
from lintel.clock import Clock

# A choice answered with this value counts as dissatisfied, whatever the question.
DISSATISFIED = "dissatisfied"


def _rating(name: str, label: str, label_en: str) -> dict[str, Any]:
    return {"name": name, "type": "rating", "label": label, "label_en": label_en, "required": True}


_OVERALL = {
    "name": "overall",
    "type": "choice",
    "label": "总体评价",
    "label_en": "Overall",
    "required": True,
    "widget": "radio",
    "choices": [
        {"value": "satisfied", "label": "满意", "label_en": "Satisfied"},
        {"value": "neutral", "label": "一般", "label_en": "Neutral"},
        {"value": DISSATISFIED, "label": "不满意", "label_en": "Dissatisfied"},
    ],
}
_NPS = {
    "name": "nps",
    "type": "number",
    "integer": True,
    "min": 0,
    "max": 10,
    "label": "您向亲友推荐我们的可能性有多大？（0–10 分）",
    "label_en": "How likely are you to recommend us to friends and family? (0–10)",
}
_COMMENT = {
    "name": "comment",
    "type": "textarea",
    "label": "您的意见和建议",
    "label_en": "Your comments and suggestions",
    "max_length": 2000,
}

DEFAULTS: tuple[dict[str, Any], ...] = (
    {
        "key": "post_signing",
        "title": "签约回访问卷",
        "fields": [
            _rating("q_sales", "置业顾问的服务", "The sales adviser's service"),
            _rating("q_contract", "签约流程是否清楚顺畅", "How clear and smooth signing was"),
            _rating(
                "q_information", "房屋信息、交付标准的告知", "What you were told of the home and its standard"
            ),
            _OVERALL,
            _NPS,
            _COMMENT,
        ],
    },
    {
        "key": "post_handover",
        "title": "交付回访问卷",
        "fields": [
            _rating("q_handover", "交付流程与现场服务", "The handover and the service on the day"),
            _rating("q_quality", "房屋质量", "The quality of the home"),
            _rating("q_rectification", "问题整改的及时性", "How quickly defects were put right"),
            _rating("q_property", "物业服务", "The property management"),
            _OVERALL,
            _NPS,
            _COMMENT,
        ],
    },
    {
        "key": "four_year",
        "title": "四年之约回访问卷",
        "fields": [
            _rating("q_quality", "入住以来的房屋质量", "The home's quality since you moved in"),
            _rating("q_repairs", "报修响应与维修质量", "Repairs: how fast and how well"),
            _rating("q_property", "物业服务", "The property management"),
            _rating("q_community", "社区环境与配套", "The community and its amenities"),
            _OVERALL,
            _NPS,
            _COMMENT,
        ],
    },
    {
        "key": "satisfaction",
        "title": "满意度专题回访问卷",
        "fields": [
            _rating("q_overall", "对我们的总体满意度", "Your satisfaction with us overall"),
            _OVERALL,
            _NPS,
            _COMMENT,
        ],
    },
)


def as_form(questionnaire: Questionnaire) -> Form:
    """The questionnaire as a form: validation and rendering as for any step's form."""
    return parse_form(questionnaire.definition)


def install_default(session: Session, clock: Clock) -> int:
    """Install the usual questionnaires where there are none yet; returns how many were added."""
    if session.scalar(select(func.count()).select_from(Questionnaire)):
        return 0
    for definition in DEFAULTS:
        parse_form(
            definition
        )  # a default that is not a valid form is a defect here, not at a campaign's launch
        session.add(
            Questionnaire(
                key=definition["key"],
                version=1,
                title=definition["title"],
                definition=definition,
                created_by="system",
                created_at=clock.now(),
            )
        )
    session.flush()
    return len(DEFAULTS)
