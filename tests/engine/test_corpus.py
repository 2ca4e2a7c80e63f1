"""The corpus of public executable diagrams (tests/data/corpus, sources in its README): each deploys as drawn
with a default department, or is refused with messages that name the construct and say what to do.

The table is the outcome as of issue 9. What is still refused is what Lintel does not run (a Java delegate or
bean method, an external task, JavaScript, a listener), a form file or DMN decision the folder does not hold,
an account that does not exist, or a FEEL range in a DMN table.
"""

from __future__ import annotations

import pytest

from crm.platform import Platform
from engine.bpmn_meta import DeployOptions
from engine.errors import DeployRefused
from tests.conftest import DATA

CORPUS = DATA / "corpus"
OPTIONS = DeployOptions(default_department="crc")

# path under tests/data/corpus -> the problems deploy reports: (element id, start of the message); [] deploys.
EXPECTED: list[tuple[str, list[tuple[str, str]]]] = [
    ("activiti/boundary-timer-repeat/BoundaryTimerEventTest.testRepeatTimerDuration.bpmn20.xml", []),
    (
        "activiti/inclusive-gateway-message-boundary/InclusiveGatewayTest.testWithSignalBoundaryEvent.bpmn20.xml",
        [],
    ),
    ("activiti/intermediate-timer-expression/IntermediateTimerEventTest.testExpression.bpmn20.xml", []),
    (
        "activiti/timer-start-cycle/TimerCustomCalendarTest.testCycleTimer.bpmn20.xml",
        [
            ("theStart", "timer cycle R2/PT5S: a repeating timer fires at most once a minute"),
        ],
    ),
    (
        "camunda-bpm-examples/invoice-camunda-forms/invoiceApproval.bpmn",
        [
            ("UserTask_1", "assignee 'demo' is not a user: add the account before deploying, name "),
        ],
    ),
    ("camunda-bpm-examples/invoice-payment-bpmn-events/invoicePayment.bpmn", []),
    (
        "camunda-bpm-examples/job-announcement/camunda-testing-job-announcement.bpmn",
        [
            ("mail", 'camunda:expression="#{jobAnnouncementService.notifyAboutPostings(jobAn'),
            ("review", "assignee expression: #{jobAnnouncementService.findRequester(jobAnnounc"),
            ("correct", "assignee expression: #{jobAnnouncementService.findEditor(jobAnnounceme"),
            (
                "publish_announcement_website",
                'camunda:expression="#{jobAnnouncementService.postToWebsite(jobAnnounce',
            ),
            (
                "publish_announcement_twitter",
                'camunda:expression="#{jobAnnouncementService.postToTwitter(jobAnnounce',
            ),
            (
                "publish_announcement_facebook",
                'camunda:expression="#{jobAnnouncementService.postToFacebook(jobAnnounc',
            ),
        ],
    ),
    (
        "camunda-bpm-examples/loan-approval-generated-forms/loanApproval.bpmn",
        [
            ("UserTask_1", "assignee 'demo' is not a user: add the account before deploying, name "),
        ],
    ),
    (
        "camunda-bpm-examples/loan-granting-external/loan-granting.bpmn",
        [
            ("Task_1lvjtd4", 'camunda:type="external" is an external task, which Lintel cannot run: '),
            ("Task_1lvjtd4", "camunda:inputOutput mappings are not applied: use a script task to cop"),
            ("SubProcess_16kr5xn", "a multi-instance task needs a loopCardinality or a loopDataInputRef (c"),
            ("Task_0v4gadf", 'camunda:type="external" is an external task, which Lintel cannot run: '),
            ("Task_0j0sjlk", 'camunda:type="external" is an external task, which Lintel cannot run: '),
            ("StartEvent_1", "timer: cron '0/5 0/1 * 1/1 * ? *' fires every 5 s: a repeating timer f"),
        ],
    ),
    ("camunda-bpm-examples/message-start/message_start_process.bpmn", []),
    (
        "camunda-bpm-examples/order-handling-external/order-handling.bpmn",
        [
            ("Task_06z99p1", 'camunda:type="external" is an external task, which Lintel cannot run: '),
            ("StartEvent_1", "timer: cron '0/5 0/1 * 1/1 * ?' fires every 5 s: a repeating timer fir"),
            ("Task_1yjkccw", 'camunda:type="external" is an external task, which Lintel cannot run: '),
        ],
    ),
    (
        "camunda-bpm-examples/pizza-order/pizza-order.bpmn",
        [
            ("ServiceTask_0lrmoed", 'camunda:expression="${orderBusinessLogic.persistOrder(execution)}" is '),
            (
                "SequenceFlow_10r7cva",
                "condition: ${orderBusinessLogic.getOrder(orderId).approved}: the metho",
            ),
            (
                "SequenceFlow_0md4bjf",
                "condition: ${not orderBusinessLogic.getOrder(orderId).approved}: the m",
            ),
            ("ServiceTask_1w32ybd", 'camunda:expression="${orderBusinessLogic.rejectOrder(execution)}" is a'),
        ],
    ),
    (
        "camunda-bpm-examples/service-invocation-asynchronous/asynchronousServiceInvocation.bpmn",
        [
            ("serviceTaskActivity", 'activiti:class="org.camunda.quickstart.servicetask.invocation.Asynchro'),
        ],
    ),
    (
        "camunda-bpm-examples/spring-boot-loan-request/loanRequest.bpmn",
        [
            ("ServiceTask_1tvk8uj", 'camunda:delegateExpression="${calculateInterestService}" is a Java del'),
        ],
    ),
    (
        "camunda-bpm-examples/spring-boot-sample/sample.bpmn",
        [
            ("ServiceTask_1", 'camunda:delegateExpression="${sayHelloDelegate}" is a Java delegate, w'),
        ],
    ),
    (
        "camunda-bpm-examples/task-assignment-email/taskAssignmentEmail.bpmn",
        [
            ("UserTask_1", "assignee 'demo' is not a user: add the account before deploying, name "),
            ("UserTask_1", "camunda:taskListener is not run: use a script task, or a spiffworkflow"),
        ],
    ),
    ("camunda-bpm-examples/tenant-shared-call-activity/mainProcess.bpmn", []),
    (
        "camunda-bpm-platform/invoice/invoice.bpmn",
        [
            (
                "LiteralExpression_0qmsef6",
                "inputEntry '[250..1000]': FEEL ranges are not read: write it as Python",
            ),
            ("approveInvoice", "candidateGroups expression: ${approverGroups.collectOutputValues('resu"),
            ("approveInvoice", "dueDate: ${dateTime().plusWeeks(1).toDate()}: the call dateTime(...) n"),
            ("approveInvoice", "activiti:taskListener is not run: use a script task, or a spiffworkflo"),
            ("approveInvoice", "activiti:taskListener is not run: use a script task, or a spiffworkflo"),
            ("reviewInvoice", "assignee 'demo' is not a user: add the account before deploying, name "),
            ("reviewInvoice", "dueDate: ${dateTime().plusDays(2).toDate()}: the call dateTime(...) ne"),
            ("prepareBankTransfer", "candidateGroups 'accounting' is not a department: use a department's c"),
            ("prepareBankTransfer", "dueDate: ${dateTime().plusWeeks(1).toDate()}: the call dateTime(...) n"),
            ("assignApprover", "business rule task runs decision 'invoice-assign-approver', which is i"),
            ("ServiceTask_1", 'activiti:class="org.camunda.bpm.example.invoice.service.ArchiveInvoice'),
        ],
    ),
    (
        "camunda-bpm-platform/invoice/reviewInvoice.bpmn",
        [
            (
                "LiteralExpression_0qmsef6",
                "inputEntry '[250..1000]': FEEL ranges are not read: write it as Python",
            ),
            ("assignReviewer", "assignee 'demo' is not a user: add the account before deploying, name "),
            ("reviewInvoice", "dueDate: ${dateTime().plusDays(2).toDate()}: the call dateTime(...) ne"),
        ],
    ),
    (
        "flowable-engine/call-activity-in-out/parentInOut.bpmn20.xml",
        [
            ("theTask", "assignee 'Bob' is not a user: add the account before deploying, name a"),
            ("theTask", "flowable:taskListener is not run: use a script task, or a spiffworkflo"),
        ],
    ),
    ("flowable-engine/parallel-multiple-tokens/ParallelGatewayTest.testMultipleTokensJoin.bpmn20.xml", []),
    ("flowable-engine/receive-task-timer/ReceiveTaskTest.waitTimer.bpmn20.xml", []),
    (
        "flowable-engine/script-input-variables/ScriptTaskTest.testInputVariables.bpmn20.xml",
        [
            ("script1", "scriptFormat 'JavaScript' is not supported: scripts are Python"),
            ("script1", "script: Python syntax error (line 3 of the script): unexpected indent"),
            ("script2", "scriptFormat 'JavaScript' is not supported: scripts are Python"),
            ("script2", "script: Python syntax error (line 3 of the script): unexpected indent"),
        ],
    ),
    ("flowable-engine/task-candidate-users/TaskCandidateTest.testMultipleCandidateUsers.bpmn20.xml", []),
    (
        "flowable-engine/timer-boundary-cycle/ExecutionListenerTest.testExecutionListenersOnTimerBoundary.bpmn20.xml",
        [
            ("boundary", "flowable:executionListener is not run: use a script task, or a spiffwo"),
            ("boundary", "flowable:executionListener is not run: use a script task, or a spiffwo"),
        ],
    ),
    (
        "flowable-engine/vacation-request/VacationRequest_deprecated_forms.bpmn20.xml",
        [
            ("request", "the start event's form 'request' does not exist: add its form file or "),
            ("handleRequest", "form 'approve' does not exist: deploy its file with the diagram, or us"),
            (
                "adjustVacationRequestTask",
                "form 'adjustRequest' does not exist: deploy its file with the diagram,",
            ),
        ],
    ),
    ("sample-process-models/awesome-decision/process_model_one.bpmn", []),
    ("sample-process-models/exclusive-gateway/exclusive_gateway.bpmn", []),
    ("sample-process-models/lanes/lanes.bpmn", []),
    ("sample-process-models/manual-task-with-timer/manual_task_with_timer.bpmn", []),
    ("sample-process-models/pet-store/pet.bpmn", []),
    (
        "spiff-example-cli/order-product/call_activity.bpmn",
        [
            ("customize_product", 'the process is marked isExecutable="false": make it executable in the '),
            ("Activity_1x1kw47", "business rule task runs decision 'product_prices', which is in none of"),
        ],
    ),
    (
        "spiff-example-cli/order-product/top_level.bpmn",
        [
            ("Activity_0jnqqws", "business rule task runs decision 'shipping_costs', which is in none of"),
            ("Activity_0gnvuqr", "call activity calls process 'customize_product', which is in none of t"),
        ],
    ),
    ("spiffworkflow-tests/business-rule-task/business_rule_task.bpmn", []),
    ("spiffworkflow-tests/human-task-metadata/human_task_metadata.bpmn", []),
    (
        "spiffworkflow-tests/random-fact/random_fact.bpmn",
        [
            (
                "Task_User_Select_Type",
                "form 'Fact' does not exist: deploy its file with the diagram, or use a",
            ),
            (
                "Task_Get_Fact_From_API",
                "camunda:inputOutput mappings are not applied: use a script task to cop",
            ),
        ],
    ),
    (
        "spiffworkflow-tests/service-task/service_task.bpmn",
        [
            ("Activity-1inxqgx", "service task calls 'bamboohr/GetPayRate', which is not a registered fu"),
            ("Activity_12erefa", "service task calls 'weather/CurrentTemp', which is not a registered fu"),
        ],
    ),
    (
        "spiffworkflow-tests/top-workflow-call-activity/top_workflow.bpmn",
        [
            ("Activity_0gjyb1c", "script: unknown function 'my_custom_function': only safe builtins and "),
            ("Activity_0fz4sv6", "script: unknown function 'my_custom_function': only safe builtins and "),
            ("Activity_0bt6ln9", "script: unknown function 'my_custom_function': only safe builtins and "),
            ("Activity_095g0z7", "form 'common_form1' does not exist: deploy its file with the diagram, "),
            ("Activity_00bzklw", "script: unknown function 'my_custom_function': only safe builtins and "),
            ("Activity_0ngvhhg", "form 'common_form2' does not exist: deploy its file with the diagram, "),
        ],
    ),
]


@pytest.mark.parametrize(
    ("path", "expected"), EXPECTED, ids=[path.rsplit("/", 1)[-1] for path, _ in EXPECTED]
)
def test_each_corpus_diagram_deploys_or_is_refused_naming_the_construct(
    platform: Platform, path: str, expected: list[tuple[str, str]]
) -> None:
    # Deployed as a process owner would: the main diagram with its folder's callees, DMN tables and forms.
    mains = {main for main, _ in EXPECTED}
    content = [(path.rsplit("/", 1)[-1], (CORPUS / path).read_bytes())] + [
        (companion.name, companion.read_bytes())
        for companion in sorted((CORPUS / path).parent.iterdir())
        if companion.is_file() and str(companion.relative_to(CORPUS)) not in mains
    ]
    if not expected:
        result = platform.definitions.deploy(content, options=OPTIONS)
        assert result.definition is not None
        # The stored version compiles: translations (JUEL, cron, literal ISO timers) applied, data stores out.
        compiled = platform.runtime.specs.get(result.definition)
        assert compiled.spec.name == result.key
        return
    with pytest.raises(DeployRefused) as refused:
        platform.definitions.deploy(content, options=OPTIONS)
    found = [(problem.element_id, problem.message) for problem in refused.value.problems]
    assert len(found) == len(expected), found
    unmatched = list(expected)
    for element_id, message in found:
        match = next((e for e in unmatched if e[0] == element_id and message.startswith(e[1])), None)
        assert match is not None, (element_id, message)
        unmatched.remove(match)


def test_every_main_diagram_of_the_corpus_is_in_the_table() -> None:
    listed = {path for path, _ in EXPECTED}
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    mains = {
        line.split("`")[1]
        for line in readme.splitlines()
        if line.startswith("| `") and "(callee)" not in line and "(companion)" not in line
    }
    assert listed == mains
