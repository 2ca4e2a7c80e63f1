"""The handover record kept in step with its workflow, and the rule on its handover step.

- Before the handover step completes (whatever completes it: the handover page, the API, the generic task
  page), the unit's open defects are read: while any is open, the completion is refused unless the data
  lists every open defect's number in `agreed_open_defects` and says what the owner agreed in
  `agreement_note`.
- The appointment step completed without a slot (the generic task page): its time is the appointment.
- The handover step completed: readings, keys, documents, the agreement and the signature go on the
  Handover row, it is handed over, and the unit's current contract gets its handover date (status
  handed_over) through crm.estate.services.Records.
- A handover instance cancelled: the handover is cancelled.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Contract
from crm.estate.services import Records
from crm.handover.handovers import APPOINTMENT_STEP, HANDOVER_STEP, PROCESS_KEY
from crm.handover.models import METERS, Handover
from crm.handover.readiness import Readiness
from engine.errors import Conflict, InvalidData
from engine.events import EventBus, InstanceCancelled, TaskCompleted, TaskCompleting
from lintel.clock import SHANGHAI, Clock

# A request number as the defects carry them: ZG-2026-000123.
NUMBER = re.compile(r"[A-Z]{1,10}-\d{4}-\d{1,12}")


def agreed_numbers(value: Any) -> list[str]:
    """The defect numbers an agreement lists, however they were written (a list, or text separated by
    commas, spaces or lines; lower case too)."""
    texts = value if isinstance(value, list | tuple) else [value]
    found: list[str] = []
    for text in texts:
        if isinstance(text, str):
            for number in NUMBER.findall(text.upper()):
                if number not in found:
                    found.append(number)
    return found


def _handover_of(session: Session, instance_id: int) -> Handover | None:
    return session.scalar(select(Handover).where(Handover.instance_id == instance_id))


def refusal(session: Session, unit_id: int, data: dict[str, Any]) -> InvalidData | None:
    """Why the unit cannot be handed over with this data (None: it can)."""
    open_defects = Readiness(session).open_defects(unit_id)
    if not open_defects:
        return None
    numbers = [d.number or f"#{d.id}" for d in open_defects]
    agreed = set(agreed_numbers(data.get("agreed_open_defects")))
    missing = [n for n in numbers if n not in agreed]
    problems: dict[str, str] = {}
    if missing:
        problems["agreed_open_defects"] = f"open defects not in the owner's agreement: {', '.join(missing)}"
    note = data.get("agreement_note")
    if not isinstance(note, str) or not note.strip():
        problems["agreement_note"] = "record what the owner agreed to"
    if not problems:
        return None
    return InvalidData(
        f"the unit has {len(numbers)} open defects: it is handed over only with the owner's agreement "
        "listing them",
        problems,
    )


def _check(session: Session, event: TaskCompleting) -> None:
    if event.instance.process_key != PROCESS_KEY or event.task.element_id != HANDOVER_STEP:
        return
    handover = _handover_of(session, event.instance.id)
    if handover is None:
        raise Conflict("this handover has no record: it cannot be completed")
    if handover.status not in ("waiting", "booked"):
        raise Conflict(f"the handover is {handover.status}")
    refused = refusal(session, handover.unit_id, event.data)
    if refused is not None:
        raise refused


def _number(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    return str(value)


def subscribe(events: EventBus, clock: Clock) -> None:
    def completed(session: Session, event: TaskCompleted) -> None:
        if event.instance.process_key != PROCESS_KEY:
            return
        handover = _handover_of(session, event.instance.id)
        if handover is None:
            return
        data = event.data
        if event.task.element_id == APPOINTMENT_STEP:
            if handover.slot_id is None:
                handover.appointment_at = _moment(data.get("appointment_at")) or handover.appointment_at
                handover.booked_by = handover.booked_by or event.actor
                handover.status = "booked"
        elif event.task.element_id == HANDOVER_STEP:
            _record(session, handover, data, event.actor, event.task.completed_at or clock.now(), clock)
        session.flush()

    def cancelled(session: Session, event: InstanceCancelled) -> None:
        handover = _handover_of(session, event.instance.id)
        if handover is not None and handover.status != "handed_over":
            handover.status = "cancelled"
            handover.slot_id = None
            session.flush()

    events.subscribe(TaskCompleting, _check)
    events.subscribe(TaskCompleted, completed)
    events.subscribe(InstanceCancelled, cancelled)


def _record(
    session: Session, handover: Handover, data: dict[str, Any], actor: str, at: datetime, clock: Clock
) -> None:
    handover.readings = {m: _number(data.get(m)) for m in METERS if _number(data.get(m)) is not None}
    keys = data.get("keys")
    handover.keys = keys if isinstance(keys, int) and not isinstance(keys, bool) else None
    documents = data.get("documents")
    handover.documents = [d for d in documents if isinstance(d, str)] if isinstance(documents, list) else []
    handover.agreed_open_defects = agreed_numbers(data.get("agreed_open_defects"))
    note = data.get("agreement_note")
    handover.agreement_note = note.strip() if isinstance(note, str) and note.strip() else None
    signature = data.get("signature")  # the drawn acceptance: an attachment of the request (its token)
    if isinstance(signature, list) and signature and isinstance(signature[0], str):
        handover.signature = signature[0]
    handover.status = "handed_over"
    handover.handed_over_at = at
    handover.handed_over_by = actor
    contract = session.get(Contract, handover.contract_id) if handover.contract_id else None
    if contract is not None and contract.status == "signed":
        Records(session, clock).record_contract(
            contract,
            unit=contract.unit,
            number=contract.number,
            signed_on=contract.signed_on,
            planned_handover_on=contract.planned_handover_on,
            handed_over_on=max(at.astimezone(SHANGHAI).date(), contract.signed_on),
            cancelled_on=contract.cancelled_on,
        )


def _moment(value: Any) -> datetime | None:
    """A datetime field's value (wall time in Shanghai) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment
