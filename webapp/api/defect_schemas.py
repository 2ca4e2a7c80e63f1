"""Request and response shapes of the defects API (crm.handover)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from crm.handover.models import DEFECT_STATUSES, SEVERITIES, SOURCES
from webapp.api.schemas import MAX_ID

ID = validate.Range(min=1, max=2**31 - 1)
BIG_ID = validate.Range(min=1, max=MAX_ID)
MAX_BULK = 200


class DefectCreate(Schema):
    """What a defect is registered with; every field is checked by the service and all problems are
    answered at once (422, `fields`)."""

    client_id = fields.String(
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "the capturing device's id of the defect: sent again, the same defect"},
    )
    unit_id = fields.Integer(allow_none=True, validate=ID, metadata={"description": "the unit"})
    building_id = fields.Integer(
        allow_none=True, validate=ID, metadata={"description": "for a building's common parts (no unit)"}
    )
    session_id = fields.Integer(allow_none=True, validate=ID, metadata={"description": "the inspection"})
    walk_id = fields.Integer(allow_none=True, validate=BIG_ID, metadata={"description": "the unit walk"})
    source = fields.String(allow_none=True, validate=validate.OneOf(SOURCES))
    room = fields.String(allow_none=True, validate=validate.Length(max=30))
    catalogue_id = fields.Integer(
        allow_none=True, validate=ID, metadata={"description": "the catalogue item (gives the text below)"}
    )
    category = fields.String(allow_none=True, validate=validate.Length(max=50))
    part = fields.String(allow_none=True, validate=validate.Length(max=50))
    item = fields.String(allow_none=True, validate=validate.Length(max=100))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    severity = fields.String(
        allow_none=True,
        validate=validate.OneOf(SEVERITIES),
        metadata={"description": "minor 一般, normal 较重, serious 严重; default: the catalogue item's"},
    )
    rectify_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=365))
    spot_x = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1))
    spot_y = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1))


class BulkBody(Schema):
    defects = fields.List(
        fields.Dict(metadata={"description": "a DefectCreate object"}),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK),
    )


class Photo(Schema):
    token = fields.String(metadata={"description": "the attachment's id on the defect's request"})
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    url = fields.String(metadata={"description": "where staff who may see the request download it"})


class PhotoResult(Photo):
    created = fields.Boolean(metadata={"description": "false: this photo id was already stored"})


class PhotosAdded(Schema):
    photos = fields.List(fields.Nested(PhotoResult), required=True)


class DefectRow(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "ZG-YYYY-NNNNNN"})
    client_id = fields.String(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    project_id = fields.Integer()
    building_id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    unit = fields.String(allow_none=True, metadata={"description": "the unit as people write it"})
    session_id = fields.Integer(allow_none=True)
    walk_id = fields.Integer(allow_none=True)
    source = fields.String()
    room = fields.String(allow_none=True)
    catalogue_id = fields.Integer(allow_none=True)
    category = fields.String()
    part = fields.String()
    item = fields.String()
    description = fields.String(allow_none=True)
    severity = fields.String()
    spot_x = fields.Float(allow_none=True)
    spot_y = fields.Float(allow_none=True)
    status = fields.String(metadata={"description": "|".join(DEFECT_STATUSES)})
    assignee = fields.String(allow_none=True)
    contractor_id = fields.Integer(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    rounds = fields.Integer()
    created_at = fields.AwareDateTime()
    created_by = fields.String()
    rectified_at = fields.AwareDateTime(allow_none=True)
    verified_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


class DefectCreated(DefectRow):
    created = fields.Boolean(metadata={"description": "false: the client_id was known, nothing recorded"})


class DefectDetail(DefectRow):
    photos = fields.List(fields.Nested(Photo))


class DefectList(Schema):
    defects = fields.List(fields.Nested(DefectRow), required=True)
    next_after = fields.Integer(
        required=True, allow_none=True, metadata={"description": "pass as `after` for the next page"}
    )


class BulkResult(Schema):
    index = fields.Integer(metadata={"description": "the item's position in the list sent"})
    status = fields.String(metadata={"description": "created, known (its client_id was on file) or invalid"})
    id = fields.Integer(allow_none=True)
    number = fields.String(allow_none=True)
    client_id = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    fields_ = fields.Dict(data_key="fields", metadata={"description": "per field, what is wrong"})


class BulkResults(Schema):
    created = fields.Integer()
    known = fields.Integer()
    invalid = fields.Integer()
    results = fields.List(fields.Nested(BulkResult), required=True)


class DefectQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    project = fields.Integer(load_default=None, validate=ID)
    building = fields.Integer(load_default=None, validate=ID)
    unit = fields.Integer(load_default=None, validate=ID)
    session = fields.Integer(load_default=None, validate=ID, metadata={"description": "the inspection"})
    status = fields.String(load_default=None, validate=validate.OneOf(DEFECT_STATUSES))
    contractor = fields.Integer(load_default=None, validate=ID)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    after = fields.Integer(load_default=None, validate=BIG_ID, metadata={"description": "next_after"})
