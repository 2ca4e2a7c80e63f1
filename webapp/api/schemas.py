"""Request and response shapes of the REST API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from crm.estate.models import CALLER_RELATIONS

MAX_ID = 2**63 - 1


class CallerNotOnFile(Schema):
    """A caller not on file: their name, phone and the unit, picked by id or written as people do."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(max=100))
    phone = fields.String(
        required=True,
        validate=validate.Length(max=30),
        metadata={"description": "a Chinese mobile or landline, written any way (+86, spaces, dashes)"},
    )
    unit_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    unit = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "the unit as written (江南府1栋1201, 1-1201), when unit_id is not given"},
    )


class NonOwnerCaller(CallerNotOnFile):
    relation = fields.String(
        required=True, validate=validate.OneOf(CALLER_RELATIONS), metadata={"description": "to the unit"}
    )


class ComplaintCreate(Schema):
    class Meta:
        unknown = EXCLUDE

    channel = fields.String(
        required=True, metadata={"description": "hotline|forum|email|walk_in|open_day|return_visit"}
    )
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    owner_phone = fields.String(load_default=None)
    owner_id = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    unit_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    category = fields.String(load_default=None, allow_none=True)
    new_owner = fields.Nested(
        CallerNotOnFile,
        load_default=None,
        allow_none=True,
        metadata={"description": "a caller not on file who owns the unit: created as its owner"},
    )
    caller = fields.Nested(
        NonOwnerCaller,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "a caller who is not an owner (family, tenant …): recorded with the unit; the "
            "complaint is about the unit's contact owner, or about no owner when it has none"
        },
    )


class ComplaintCreated(Schema):
    id = fields.Integer()
    number = fields.String()
    instance_id = fields.Integer()


class TaskRow(Schema):
    id = fields.Integer()
    name = fields.String()
    element_id = fields.String()
    process_key = fields.String()
    department = fields.String()
    assignee = fields.String(allow_none=True)
    state = fields.String()
    instance_id = fields.Integer()
    form_key = fields.String(allow_none=True)
    priority = fields.Integer()
    created_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    escalation_level = fields.Integer()
    kind = fields.String(metadata={"description": "task, or escalation (raised for an overdue task)"})
    escalates_task_id = fields.Integer(allow_none=True)
    deadline_clock = fields.String(allow_none=True, metadata={"description": "business or calendar"})
    waiting_since = fields.AwareDateTime(allow_none=True, metadata={"description": "waiting for the owner"})
    overdue = fields.Boolean(dump_only=True)
    time_left_seconds = fields.Integer(allow_none=True, dump_only=True)


class HoldBody(Schema):
    class Meta:
        unknown = EXCLUDE

    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class TaskDetail(TaskRow):
    business_key = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True, metadata={"description": "the task's form as JSON Schema"})
    data = fields.Dict(metadata={"description": "the instance data the task sees"})


class TaskQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    department = fields.String(load_default=None)
    assignee = fields.String(load_default=None, metadata={"description": "a username, or 'me'"})
    state = fields.String(
        load_default="open", validate=validate.OneOf(["open", "completed", "cancelled", "all"])
    )
    process = fields.String(load_default=None)
    instance_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    after = fields.String(load_default=None, metadata={"description": "next_after of the previous page"})


class TaskList(Schema):
    tasks = fields.List(fields.Nested(TaskRow), required=True)
    next_after = fields.String(
        required=True, allow_none=True, metadata={"description": "pass as `after` for the next page"}
    )


class AssignBody(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CompleteBody(Schema):
    data = fields.Dict(
        load_default=dict,
        metadata={"description": "the task form's field values (a step without a form: none)"},
    )
    comment = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "a step without a form: an optional comment, kept on the timeline"},
    )


class TimelineEntry(Schema):
    at = fields.AwareDateTime()
    kind = fields.String()
    actor = fields.String(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    element_id = fields.String(allow_none=True)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)


class CurrentTask(Schema):
    id = fields.Integer()
    name = fields.String()
    element_id = fields.String()
    department = fields.String()
    assignee = fields.String(allow_none=True)
    state = fields.String()
    due_at = fields.AwareDateTime(allow_none=True)


class ComplaintDetail(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    closed = fields.Boolean()
    channel = fields.String()
    category = fields.String(allow_none=True)
    severity = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    description = fields.String()
    owner = fields.Dict(allow_none=True)
    unit = fields.Dict(allow_none=True)
    caller = fields.Dict(allow_none=True, metadata={"description": "who called, when not an owner"})
    satisfaction = fields.Integer(allow_none=True)
    rework_count = fields.Integer()
    created_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    current_tasks = fields.List(fields.Nested(CurrentTask))
    timeline = fields.List(fields.Nested(TimelineEntry))


class StartBody(Schema):
    class Meta:
        unknown = EXCLUDE

    data = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={"description": "the start data: the fields of the process's start form, if it has one"},
    )


class RequestCreated(Schema):
    id = fields.Integer(metadata={"description": "the request's id (its instance's)"})
    number = fields.String()
    instance_id = fields.Integer()
    status = fields.String(
        metadata={"description": "running, completed, or error when the workflow failed as it started"}
    )
    error = fields.String(allow_none=True, metadata={"description": "why it failed, with status error"})


class RequestDetail(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    number = fields.String()
    title = fields.String()
    process_key = fields.String()
    process_name = fields.String()
    version = fields.Integer()
    process_version = fields.Integer(
        metadata={"description": "the version of the process the request runs on (moved by a migration)"}
    )
    status = fields.String(metadata={"description": "running, completed, error or cancelled"})
    error = fields.String(allow_none=True)
    started_at = fields.AwareDateTime()
    started_by = fields.String(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    owner = fields.Dict(allow_none=True)
    unit = fields.Dict(allow_none=True)
    current_tasks = fields.List(fields.Nested(CurrentTask))
    timeline = fields.List(fields.Nested(TimelineEntry))
    data = fields.Dict(metadata={"description": "what the request's workflow knows now"})


class DeployedVersion(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    filename = fields.String()
    deployed_at = fields.AwareDateTime()
    deployed_by = fields.String(allow_none=True)


class DefinitionList(Schema):
    definitions = fields.List(fields.Nested(DeployedVersion), required=True)


class Problem(Schema):
    file = fields.String()
    line = fields.Integer(allow_none=True)
    element_id = fields.String(allow_none=True)
    message = fields.String()


class DeployResult(Schema):
    key = fields.String()
    version = fields.Integer()
    created = fields.Boolean()
    dry_run = fields.Boolean()
    notices = fields.List(
        fields.Nested(Problem), metadata={"description": "what deploy accepted but the deployer should know"}
    )


class Error(Schema):
    error = fields.String(required=True, metadata={"description": "a short code, e.g. invalid_request"})
    message = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields", required=True, metadata={"description": "a message per invalid field"}
    )
    problems = fields.List(fields.Nested(Problem), metadata={"description": "a refused diagram's problems"})


# -- incidents -------------------------------------------------------------------------------------------


class IncidentRow(Schema):
    instance_id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "the request's number"})
    title = fields.String(allow_none=True)
    process_key = fields.String()
    process_name = fields.String()
    version = fields.Integer()
    element_id = fields.String(allow_none=True, metadata={"description": "the BPMN id it failed at"})
    element_name = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    failed_at = fields.AwareDateTime()
    newer_version = fields.Integer(
        allow_none=True, metadata={"description": "the latest version, when newer than the instance's"}
    )


class IncidentList(Schema):
    incidents = fields.List(fields.Nested(IncidentRow), required=True)


class _Version(fields.Field):
    """A version number, or "latest"."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> object:
        if value == "latest":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1:
            return value
        raise ValidationError("a version number, or latest")


class RetryBody(Schema):
    version = _Version(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "move the instance to this version of its process (a number, or latest) first",
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                {"type": "string", "enum": ["latest"]},
            ],
            "nullable": True,
        },
    )
    data = fields.Dict(
        keys=fields.String(),
        load_default=None,
        allow_none=True,
        metadata={"description": "merged into the failed task's data before it runs again"},
    )


class CancelBody(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class InstanceOutcome(Schema):
    instance_id = fields.Integer()
    status = fields.String(metadata={"description": "running, completed, error (failed again) or cancelled"})
    version = fields.Integer()
    error = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)


# -- owners ----------------------------------------------------------------------------------------------


class OwnerQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "phone (whole or its last digits), name, surname, pinyin initials (zw) or "
            "pinyin, unit (江南府1栋1201, 1-1201), request number (whole or part), ID number (or its last 4)"
        },
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))
    full = fields.Boolean(
        load_default=False,
        metadata={"description": "full phones and ID numbers (personal.view; each owner's view is logged)"},
    )


class OwnedUnit(Schema):
    id = fields.Integer()
    project = fields.String(metadata={"description": "the project's code"})
    project_name = fields.String()
    building = fields.String()
    number = fields.String()
    label = fields.String()
    is_contact = fields.Boolean(metadata={"description": "the contact owner (联系业主) of the unit"})
    since = fields.Date(allow_none=True)


class OwnerContract(Schema):
    number = fields.String()
    unit_id = fields.Integer()
    status = fields.String(metadata={"description": "signed, handed_over or cancelled"})
    signed_on = fields.Date()
    planned_handover_on = fields.Date(allow_none=True)
    handed_over_on = fields.Date(allow_none=True)
    cancelled_on = fields.Date(allow_none=True)


class OwnerFound(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked (138****0001) unless full=1"})
    id_number = fields.String(allow_none=True, metadata={"description": "masked unless full=1"})
    tier = fields.String()
    open_requests = fields.Integer()
    units = fields.List(fields.Nested(OwnedUnit), metadata={"description": "the units held now"})
    contracts = fields.List(fields.Nested(OwnerContract))


class CallerFound(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked unless full=1"})
    relation = fields.String()
    unit = fields.Nested(OwnedUnit, allow_none=True)


class OwnerList(Schema):
    owners = fields.List(fields.Nested(OwnerFound), required=True)
    callers = fields.List(
        fields.Nested(CallerFound), required=True, metadata={"description": "callers who are not owners"}
    )
