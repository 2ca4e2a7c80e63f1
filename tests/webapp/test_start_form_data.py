"""A start event's camunda:formData is the process's start form: the API and the start page check it."""

from __future__ import annotations

from typing import Any

import pytest

from crm.platform import Platform
from engine.bpmn_meta import DeployOptions
from tests.webapp.pages_support import login

DIAGRAM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="loan_request" name="Loan request" isExecutable="true">
    <bpmn:startEvent id="received" name="Request received">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="firstname" label="Firstname" type="string">
            <camunda:validation>
              <camunda:constraint name="maxlength" config="25"/>
              <camunda:constraint name="required"/>
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="amount" label="Amount" type="long">
            <camunda:validation><camunda:constraint name="min" config="1000"/></camunda:validation>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="received" targetRef="approve"/>
    <bpmn:userTask id="approve" name="Approve request"/>
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="done"/>
    <bpmn:endEvent id="done"/>
  </bpmn:process>
</bpmn:definitions>
"""
START = "/api/v1/process-definitions/loan_request/instances"


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests
    return app


@pytest.fixture
def loan(platform: Platform) -> str:
    result = platform.definitions.deploy(
        DIAGRAM, "loan_request.bpmn", options=DeployOptions(default_department="crc"), actor="setup"
    )
    platform.session.commit()
    assert result.definition is not None
    return result.definition.meta["properties"]["start_form"]


def test_the_start_events_form_data_checks_the_start_data_field_by_field(
    client: Any, auth: Any, loan: str
) -> None:
    assert loan == "formData:received"
    refused = client.post(START, json={"data": {"firstname": "x" * 26, "amount": 5}}, headers=auth("crc"))
    assert refused.status_code == 422, refused.get_json()
    assert set(refused.get_json()["fields"]) == {"firstname", "amount"}
    missing = client.post(START, json={"data": {"amount": 5000}}, headers=auth("crc"))
    assert missing.status_code == 422 and set(missing.get_json()["fields"]) == {"firstname"}

    started = client.post(START, json={"data": {"firstname": "Li", "amount": 5000}}, headers=auth("crc"))

    assert started.status_code == 201, started.get_json()
    data = client.get(f"/api/v1/requests/{started.get_json()['id']}", headers=auth("crc")).get_json()["data"]
    assert (data["firstname"], data["amount"]) == ("Li", 5000)


def test_the_start_page_shows_the_drawn_fields(client: Any, loan: str) -> None:
    login(client, "crc")
    page = client.get("/start/loan_request").get_data(as_text=True)
    assert 'name="firstname"' in page and 'name="amount"' in page
