"""A formKey naming a page of the application a diagram was drawn for (Camunda's embedded HTML forms, JSF)."""

from __future__ import annotations

from crm.platform import Platform
from engine.bpmn_meta import DeployOptions

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="review_page" name="Review" isExecutable="true">
    <bpmn:startEvent id="start" camunda:formKey="embedded:app:forms/start-form.html"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="Review" camunda:formKey="embedded:app:forms/{form}.html"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_an_html_form_page_that_lintel_cannot_show_is_a_notice_and_the_step_completes_with_a_comment(
    platform: Platform,
) -> None:
    result = platform.definitions.deploy(
        DIAGRAM.format(form="review-invoice").encode(),
        "review.bpmn",
        options=DeployOptions(default_department="crc"),
    )
    assert any(
        n.element_id == "review"
        and n.message.startswith(
            "formKey 'embedded:app:forms/review-invoice.html' is a page of the application"
        )
        for n in result.notices
    ), result.notices
    assert any(
        n.element_id == "start" and "start-form.html" in n.message and "starts without a form" in n.message
        for n in result.notices
    )
    # One notice a step: the page's says why the step has no form.
    assert [n.element_id for n in result.notices].count("review") == 1
    assert result.definition is not None
    meta = result.definition.meta
    assert meta["tasks"]["review"]["form_key"] is None


def test_a_form_deployed_under_the_page_name_stands_in_for_it(platform: Platform) -> None:
    result = platform.definitions.deploy(
        DIAGRAM.format(form="complaint_reply").encode(),
        "review.bpmn",
        options=DeployOptions(default_department="crc"),
    )
    assert result.definition is not None
    assert result.definition.meta["tasks"]["review"]["form_key"] == "complaint_reply"
    assert not any(n.element_id == "review" for n in result.notices if "page of the application" in n.message)
