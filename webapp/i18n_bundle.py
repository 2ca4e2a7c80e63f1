"""The messages of bundle deploys (engine.bundle, engine.bpmn_forms, the form readers of forms/) in Chinese,
as webapp.i18n_deploy does for the checks of one diagram."""

from __future__ import annotations

import re

P = re.compile
BUNDLE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        P(r"^form '(.+)' does not exist: deploy its file with the diagram, or use a form of Lintel's$"),
        "表单「{0}」不存在：请把表单文件与流程图一起部署，或使用 Lintel 内置的表单",
    ),
    (
        P(
            r"^formKey '(.+)' is a page of the application the diagram was drawn for, "
            r"which Lintel cannot show: the process starts without a form .*$"
        ),
        "formKey「{0}」是原系统的网页表单，Lintel 无法显示：发起流程时不填表单"
        "（如需填写数据，请把表单文件与流程图一起部署）",
    ),
    (
        P(
            r"^formKey '(.+)' is a page of the application the diagram was drawn for, "
            r"which Lintel cannot show: .*$"
        ),
        "formKey「{0}」是原系统的网页表单，Lintel 无法显示：此步骤完成时可填写备注"
        "（如需填写数据，请把表单文件与流程图一起部署）",
    ),
    (
        P(r"^user task has no form: it is completed with an optional comment$"),
        "用户任务没有表单：完成时可填写备注",
    ),
    (
        P(r"^camunda:formData is not used: the task names the form '(.+)'$"),
        "camunda:formData 不会使用：任务已指定表单「{0}」",
    ),
    (
        P(r"^(formJsonSchemaFilename|formUiSchemaFilename) '(.+)' is not one of the deployed files: .*$"),
        "{0}「{1}」不在部署的文件中：请与流程图一起部署",
    ),
    (
        P(r"^camunda:formField id '(.*)' is not a plain name .*$"),
        "camunda:formField 的 id「{0}」不是简单名称（字母、数字和 _）",
    ),
    (P(r"^camunda:formField '(.+)' is given twice$"), "camunda:formField「{0}」重复"),
    (
        P(r"^camunda:formField '(.+)' has type '(.+)': use one of (.+)$"),
        "camunda:formField「{0}」的类型「{1}」不支持：请用 {2}",
    ),
    (
        P(r"^camunda:formField '(.+)': constraint '(.*)' is not supported .*$"),
        "camunda:formField「{0}」：不支持约束「{1}」",
    ),
    (P(r"^camunda:formField '(.+)': (.+)$"), "camunda:formField「{0}」：{1}"),
    (
        P(r"^call activity calls process '(.+)', which is in none of the deployed files: .*$"),
        "调用活动调用的流程「{0}」不在部署的任何文件中：请把包含它的文件一起部署",
    ),
    (
        P(r"^business rule task names no decision: .*$"),
        "业务规则任务没有指定决策：请把 camunda:decisionRef 设为一起部署的 DMN 文件中的决策 id",
    ),
    (
        P(r"^business rule task runs decision '(.+)', which is in none of the deployed DMN files: .*$"),
        "业务规则任务运行的决策「{0}」不在部署的任何 DMN 文件中：请把 DMN 文件与流程图一起部署",
    ),
    (
        P(r"^camunda:resultVariable is not used: .*$"),
        "camunda:resultVariable 不会使用：决策的每个输出按其名称成为变量",
    ),
    (
        P(r"^(.+): unknown file type: .*$"),
        "{0}：未知的文件类型：部署只接受 .bpmn 流程图、.dmn 决策表和 .form、.json 表单",
    ),
    (
        P(r"^(.+) is given twice: file names must be unique in one deploy$"),
        "{0} 重复：一次部署中的文件名不能相同",
    ),
    (P(r"^the file holds (\d+) bytes: at most (\d+) MiB$"), "文件有 {0} 字节：最多 {1} MB"),
    (P(r"^the files hold (\d+) bytes together: at most (\d+) MiB$"), "文件共 {0} 字节：最多 {1} MB"),
    (P(r"^(\d+) files: a deploy takes at most (\d+)$"), "{0} 个文件：一次部署最多 {1} 个"),
    (P(r"^more than (\d+) fields: a form has at most \d+$"), "字段超过 {0} 个：一张表单最多 {0} 个字段"),
    (P(r"^nothing to deploy: give a BPMN diagram$"), "没有要部署的文件：请选择 BPMN 流程图"),
    (P(r"^a deploy needs a BPMN diagram \(\.bpmn\)$"), "部署需要一个 BPMN 流程图（.bpmn）"),
    (
        P(r"^more than one main diagram: (.+); a deploy is one process .*$"),
        "有多个主流程图：{0}；一次部署是一个流程及其调用活动调用的文件：其余的请分开部署",
    ),
    (
        P(r"^id '(.+)' is also used in (.+): the ids of tasks and timers must be unique .*$"),
        "id「{0}」也用在 {1} 中：同一次部署的各文件中任务和定时器的 id 不能重复",
    ),
    (P(r"^the DMN file has no decision$"), "DMN 文件中没有决策"),
    (P(r"^the decision table cannot be read: (.*)$"), "无法读取决策表：{0}"),
    (
        P(r"^inputEntry '(.+)': FEEL ranges are not read: write it as Python, (.+?) \(DMN expressions .*\)$"),
        "inputEntry「{0}」：不支持 FEEL 区间，请写成 Python：{1}",
    ),
    (P(r"^not a DMN file: the root element is (\S+), .*$"), "不是 DMN 文件：根元素是 {0}"),
    (
        P(r"^DOCTYPE and ENTITY declarations are not allowed in a DMN file$"),
        "DMN 文件中不允许 DOCTYPE 和 ENTITY 声明",
    ),
    (
        P(r"^(inputExpression|inputEntry|outputEntry) '(.+)': (.+) \(DMN expressions are Python: .*\)$"),
        '{0}「{1}」：{2}（DMN 表达式用 Python 书写：文字要加引号，如 "quality"）',
    ),
    (P(r"^invalid JSON \((.+)\)$"), "JSON 格式错误（{0}）"),
    (P(r"^not UTF-8 text$"), "不是 UTF-8 文本"),
    (
        P(r"^not a form Lintel reads: .*$"),
        "不是 Lintel 能读的表单：应为 Lintel 表单（key、title、fields）、Camunda Forms 文件（components）、"
        "JSON Schema（properties）或 UI schema",
    ),
    (P(r"^component type '(.+)' is not supported .*$"), "不支持组件类型「{0}」"),
    (
        P(r"^component (.+): key (.+) is not a plain name .*$"),
        "组件 {0}：key {1} 不是简单名称（字母、数字和 _）",
    ),
    (P(r"^component (.+): (.+)$"), "组件 {0}：{1}"),
    (P(r"^property '(.+)': (.+)$"), "属性「{0}」：{1}"),
    (P(r"^the form has no field that takes a value$"), "表单没有可填写的字段"),
    (P(r"^the schema has no properties$"), "JSON Schema 没有属性（properties）"),
]
