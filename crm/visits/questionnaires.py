"""Questionnaires: forms a campaign asks (forms format), versioned. The centre's usual four are installed with
the departments; a campaign keeps the version it was created with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.visits.models import Questionnaire
from engine.errors import InvalidData, NotFound
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


# -- editing: a new version from the editor's questions ---------------------------------------------------

QUESTION_TYPES = ("rating", "choice", "nps", "text")
MAX_QUESTIONS = 50
MAX_LABEL = 200
MAX_OPTIONS = 12
# The usual answers keep their values across versions and questionnaires: results and the dissatisfied rule
# read the values, people read the labels.
KNOWN_OPTIONS = {"满意": "satisfied", "一般": "neutral", "不满意": DISSATISFIED}


@dataclass(frozen=True)
class Question:
    """One question as the editor holds it: its type, wording, whether it must be answered, its options
    (choice), and its name when it comes from an earlier version (kept, so the results line up)."""

    type: str
    label: str
    required: bool = False
    options: tuple[str, ...] = ()
    name: str | None = None


def questions_of(definition: Mapping[str, Any]) -> list[Question]:
    """A stored questionnaire's fields as the editor's questions."""
    found = []
    for raw in definition.get("fields", []):
        kind = raw.get("type")
        if kind == "number":
            kind = "nps"
        elif kind in ("textarea", "text"):
            kind = "text"
        options = tuple(c["label"] for c in raw.get("choices", []))
        found.append(
            Question(kind, raw.get("label", ""), bool(raw.get("required")), options, raw.get("name"))
        )
    return found


class Questionnaires:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def all(self) -> list[Questionnaire]:
        """Every version, newest questionnaire version first within each key, keys by title."""
        rows = list(
            self.session.scalars(
                select(Questionnaire).order_by(Questionnaire.key, Questionnaire.version.desc())
            )
        )
        return rows

    def latest(self, active_only: bool = False) -> list[Questionnaire]:
        """Each questionnaire's newest version (what a new campaign chooses from)."""
        newest: dict[str, Questionnaire] = {}
        for row in self.all():
            newest.setdefault(row.key, row)
        found = [q for q in newest.values() if q.active or not active_only]
        return sorted(found, key=lambda q: (not q.active, q.title))

    def versions(self, key: str) -> list[Questionnaire]:
        return [q for q in self.all() if q.key == key]

    def get(self, questionnaire_id: int) -> Questionnaire:
        found = self.session.get(Questionnaire, questionnaire_id) if 0 < questionnaire_id < 2**31 else None
        if found is None:
            raise NotFound(f"questionnaire {questionnaire_id} does not exist")
        return found

    def save_version(
        self, key: str | None, title: object, questions: Sequence[Question], actor: str
    ) -> Questionnaire:
        """A new version of questionnaire `key` (a new questionnaire when None) with these questions; raises
        InvalidData naming each problem (`title`, `questions`, `questions.N.label`, …)."""
        previous = self.versions(key)[0] if key is not None and self.versions(key) else None
        if key is not None and previous is None:
            raise NotFound(f"questionnaire {key!r} does not exist")
        definition_key = key or self._new_key()
        definition = build_definition(
            definition_key, title, questions, previous.definition if previous else None
        )
        version = (previous.version + 1) if previous else 1
        made = Questionnaire(
            key=definition_key,
            version=version,
            title=definition["title"],
            definition=definition,
            active=True,
            created_by=actor,
            created_at=self.clock.now(),
        )
        self.session.add(made)
        # The older versions stay (campaigns keep theirs); a questionnaire is active or not as a whole.
        for older in self.versions(definition_key):
            older.active = True
        self.session.flush()
        return made

    def set_active(self, key: str, active: bool) -> list[Questionnaire]:
        """停用 / 启用 a questionnaire (every version): a stopped one is not offered to new campaigns; the
        campaigns that use it keep it."""
        versions = self.versions(key)
        if not versions:
            raise NotFound(f"questionnaire {key!r} does not exist")
        for row in versions:
            row.active = active
        self.session.flush()
        return versions

    def _new_key(self) -> str:
        keys = set(self.session.scalars(select(Questionnaire.key).distinct()))
        n = len(keys) + 1
        while f"custom_{n}" in keys:
            n += 1
        return f"custom_{n}"


def build_definition(
    key: str, title: object, questions: Sequence[Question], previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The forms definition of the editor's questions, checked as the editor's user needs (every problem at
    once) and then by the forms loader itself."""
    problems: dict[str, str] = {}
    text = title.strip() if isinstance(title, str) else ""
    if not text:
        problems["title"] = "required"
    elif len(text) > MAX_LABEL:
        problems["title"] = f"must be at most {MAX_LABEL} characters"
    if not questions:
        problems["questions"] = "add at least one question"
    elif len(questions) > MAX_QUESTIONS:
        problems["questions"] = f"at most {MAX_QUESTIONS} questions"
    earlier = {raw.get("name"): raw for raw in (previous or {}).get("fields", [])}
    used: set[str] = {q.name for q in questions if q.name}
    fields: list[dict[str, Any]] = []
    nps_seen = False
    counter = 0
    for index, question in enumerate(questions, start=1):
        where = f"questions.{index}"
        label = question.label.strip()
        if question.type not in QUESTION_TYPES:
            problems[f"{where}.type"] = "unknown question type"
            continue
        if not label:
            problems[f"{where}.label"] = "required"
        elif len(label) > MAX_LABEL:
            problems[f"{where}.label"] = f"must be at most {MAX_LABEL} characters"
        name = question.name
        if question.type == "nps":
            if nps_seen:
                problems[f"{where}.type"] = "only one 0–10 recommendation question"
            nps_seen = True
            name = "nps"
        if not name or not name.isidentifier() or (name == "nps" and question.type != "nps"):
            while True:
                counter += 1
                name = f"q{counter}"
                if name not in used:
                    break
        used.add(name)
        old = earlier.get(name, {})
        raw: dict[str, Any] = {"name": name, "label": label or "?"}
        if old.get("label") == label and old.get("label_en"):
            raw["label_en"] = old["label_en"]
        if question.type == "rating":
            raw.update(type="rating", required=question.required)
        elif question.type == "nps":
            raw.update(type="number", integer=True, min=0, max=10, required=question.required)
        elif question.type == "text":
            raw.update(type="textarea", max_length=2000, required=question.required)
        else:
            options = [o.strip() for o in question.options if o.strip()]
            if len(options) < 2:
                problems[f"{where}.options"] = "a choice question needs two or more options"
            elif len(options) > MAX_OPTIONS:
                problems[f"{where}.options"] = f"at most {MAX_OPTIONS} options"
            elif len(set(options)) != len(options):
                problems[f"{where}.options"] = "two options are the same"
            values = {c["label"]: c["value"] for c in old.get("choices", [])}
            choices, taken = [], set()
            for option in options:
                value = KNOWN_OPTIONS.get(option) or values.get(option)
                if value is None or value in taken:
                    n = 1
                    while f"o{n}" in taken or f"o{n}" in values.values():
                        n += 1
                    value = f"o{n}"
                taken.add(value)
                choices.append({"value": value, "label": option[:MAX_LABEL]})
            raw.update(type="choice", widget="radio", required=question.required, choices=choices or None)
        fields.append(raw)
    if problems:
        raise InvalidData("the questionnaire has errors", problems)
    definition = {"key": key, "title": text, "fields": fields}
    try:
        parse_form(definition)
    except Exception as exc:  # a form the loader refuses is refused here, with the loader's reason
        raise InvalidData("the questionnaire has errors", {"questions": f"not a valid form: {exc}"}) from None
    return definition
