"""The deploy checks' messages (engine.validation, engine.bpmn_checks, engine.safety) in Chinese, as a
process owner reads them on the processes page: one pattern per message, its parts kept as written."""

from __future__ import annotations

import re

from webapp.i18n_bundle import BUNDLE_PATTERNS

# BPMN element kinds as the checks name them ('user task', 'exclusive gateway', …).
ELEMENTS = {
    "user task": "用户任务",
    "manual task": "人工任务",
    "script task": "脚本任务",
    "service task": "服务任务",
    "task": "任务",
    "send task": "发送任务",
    "receive task": "接收任务",
    "business rule task": "业务规则任务",
    "call activity": "调用活动",
    "sub process": "子流程",
    "transaction": "事务子流程",
    "start event": "开始事件",
    "end event": "结束事件",
    "intermediate catch event": "中间捕获事件",
    "intermediate throw event": "中间抛出事件",
    "boundary event": "边界事件",
    "exclusive gateway": "排他网关",
    "inclusive gateway": "包容网关",
    "parallel gateway": "并行网关",
    "event based gateway": "事件网关",
}

P = re.compile
DEPLOY_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (P(r"^the file is empty$"), "文件为空"),
    (P(r"^the file is not UTF-8 encoded: save it as UTF-8$"), "文件不是 UTF-8 编码：请另存为 UTF-8"),
    (
        P(r"^DOCTYPE and ENTITY declarations are not allowed in a BPMN file$"),
        "BPMN 文件中不允许 DOCTYPE 和 ENTITY 声明",
    ),
    (P(r"^malformed XML: (.*)$"), "XML 格式错误：{0}"),
    (P(r"^not a BPMN file: the root element is (\S+), expected .*$"), "不是 BPMN 文件：根元素是 {0}"),
    (P(r"^the file has no process$"), "文件中没有流程"),
    (P(r"^the process has no id$"), "流程没有 id"),
    (
        P(r"^the process is marked isExecutable=\"false\".*$"),
        '流程被标为不可执行（isExecutable="false"）：请在建模工具中设为可执行',
    ),
    (P(r"^no executable process: .*$"), '没有可执行的流程：请把要部署的流程设为 isExecutable="true"'),
    (
        P(r"^more than one executable process \((.+)\): .*$"),
        "有多个可执行流程（{0}）：一个文件只能部署一个流程",
    ),
    (P(r"^id '(.+)' is used by more than one element$"), "id「{0}」被多个元素使用"),
    (P(r"^process has no start event: add one$"), "流程没有开始事件：请添加一个"),
    (
        P(r"^a subprocess needs exactly one start event; found (\d+)$"),
        "子流程需要恰好一个开始事件，现有 {0} 个",
    ),
    (P(r"^a subprocess needs an end event$"), "子流程需要结束事件"),
    (
        P(r"^no sequence flow leads to this (.+): it never runs \(connect it or remove it\)$"),
        "没有顺序流连到这个{0}：它永远不会执行（请连上或删除）",
    ),
    (
        P(r"^bpmn:(\S+) is ignored: the workflow engine does not run it$"),
        "bpmn:{0} 会被忽略：流程引擎不执行它",
    ),
    (P(r"^data store '(.+)' is documentation only: .*$"), "数据存储「{0}」仅作说明：流程不会读写它"),
    (
        P(r"^(\d+) sequence flow\(s\) have no id: named (\S+) and on, in the order drawn$"),
        "有 {0} 条顺序流没有 id：按绘制顺序从 {1} 起命名",
    ),
    (
        P(r"^(\S+) is not read: the task goes to the queue of its department .*$"),
        "{0} 不会被读取：任务进入所属部门的待办（candidateGroups、泳道或默认部门）",
    ),
    (
        P(r"^(\d+) sequence flows leave this (.+): draw a gateway to split the flow$"),
        "有 {0} 条顺序流离开这个{1}：请用网关分支",
    ),
    (P(r"^sequence flow has no id$"), "顺序流没有 id"),
    (P(r"^sequence flow has no (\S+)$"), "顺序流没有 {0}"),
    (P(r"^sequence flow (\S+): (\S+) '(.+)' does not exist$"), "顺序流 {0}：{1}「{2}」不存在"),
    (
        P(r"^sequence flow (\S+): (\S+) '(.+)' is not in the same process or subprocess$"),
        "顺序流 {0}：{1}「{2}」不在同一流程或子流程中",
    ),
    (
        P(r"^flow (\S+) from gateway (\S+) has no condition and is not the default flow$"),
        "网关 {1} 的流出线 {0} 没有条件，也不是默认流",
    ),
    (P(r"^default flow '(.+)' is not a flow leaving this gateway$"), "默认流「{0}」不是从这个网关流出的"),
    (
        P(r"^the condition on a flow out of a (.+) is ignored: .*$"),
        "从{0}流出的连线上的条件不会生效：条件只用于排他网关或包容网关的流出线",
    ),
    (
        P(r"^condition language '(.+)' is not supported: conditions are Python$"),
        "不支持条件语言「{0}」：条件用 Python 书写",
    ),
    # JUEL (engine.juel) that cannot be translated: "<what>: <text>: <why>".
    (
        P(r"^(.+?): (.+): the method call (.+) needs a Java object: .*$"),
        "{0}：{1}：方法调用 {2} 需要 Java 对象：请改写成 Python 表达式或脚本任务",
    ),
    (
        P(r"^(.+?): (.+): the call (.+) needs a Java object: .*$"),
        "{0}：{1}：调用 {2} 需要 Java 对象：请改写成 Python 表达式或脚本任务",
    ),
    (
        P(r"^(.+?): (.+): (\S+) needs a Java object: .*$"),
        "{0}：{1}：{2} 需要 Java 对象：请改写成 Python 表达式或脚本任务",
    ),
    (
        P(r"^(.+?): (.+): '(.+)' \(assignment or several statements\) is not supported$"),
        "{0}：{1}：不支持「{2}」（赋值或多条语句）",
    ),
    (
        P(r"^(.+?): (.+): lambda expressions are not supported: .*$"),
        "{0}：{1}：不支持 lambda 表达式：请用脚本任务",
    ),
    (
        P(r"^(.+?): (.+): collection literals are not supported: .*$"),
        "{0}：{1}：不支持集合字面量：请在脚本任务中构造",
    ),
    (
        P(r"^(.+?): (.+): '(.+)' is not a valid Python variable name: rename the variable$"),
        "{0}：{1}：「{2}」不是有效的 Python 变量名：请改名",
    ),
    (
        P(r"^(.+?): (.+) mixes text with \$\{\.\.\.\}: write the whole value as one expression$"),
        "{0}：{1} 混合了文字和 ${{...}}：请把整个值写成一个表达式",
    ),
    (P(r"^(.+?): (.+): the expression ends too early$"), "{0}：{1}：表达式不完整"),
    (P(r"^(.+?): (.+): unexpected '(.+)'$"), "{0}：{1}：此处不应出现「{2}」"),
    (P(r"^(.+?): (.+): expected '(.+)' but found (.+)$"), "{0}：{1}：此处应为「{2}」，实际是 {3}"),
    (
        P(r"^(.+?): (.+): '(.+)' is not part of a JUEL expression$"),
        "{0}：{1}：「{2}」不是 JUEL 表达式的一部分",
    ),
    (P(r"^(.+?): (.+): '(.+)' cannot stand here$"), "{0}：{1}：「{2}」不能出现在这里"),
    (P(r"^(.+?): ([$#]\{.*\}) is empty$"), "{0}：{1} 为空"),
    (
        P(r"^(\S+)=\"(.*)\" is a Java (?:delegate|expression), which Lintel cannot run: .*$"),
        '{0}="{1}" 调用 Java，Lintel 无法运行：请把这一步写成脚本任务（Python），'
        "或带 spiffworkflow:serviceTaskOperator 的服务任务",
    ),
    (
        P(r"^(\S+)=\"(.*)\" is an external task, which Lintel cannot run: .*$"),
        '{0}="{1}" 是外部任务，Lintel 无法运行：请把这一步写成脚本任务（Python），'
        "或带 spiffworkflow:serviceTaskOperator 的服务任务",
    ),
    (
        P(r"^service task has no spiffworkflow:serviceTaskOperator$"),
        "服务任务没有 spiffworkflow:serviceTaskOperator",
    ),
    (
        P(r"^(\S+):(executionListener|taskListener) is not run: .*$"),
        "{0}:{1} 不会执行：请用脚本任务，或 spiffworkflow 的 preScript / postScript",
    ),
    (
        P(r"^(\S+):inputOutput mappings are not applied: .*$"),
        "{0}:inputOutput 映射不会生效：请用脚本任务复制数据",
    ),
    (
        P(r"^complex gateways are not supported: .*$"),
        "不支持复杂网关：请用带条件的包容网关，或排他网关与并行网关",
    ),
    (P(r"^choreographies are not supported$"), "不支持编排图"),
    (P(r"^link events are not supported .*$"), "不支持链接事件：请直接画顺序流"),
    (P(r"^compensation (?:handlers )?(?:is|are) not supported.*$"), "不支持补偿：请把撤销步骤明确画出来"),
    (P(r"^bpmn:(\S+) is not supported by the workflow engine$"), "流程引擎不支持 bpmn:{0}"),
    (P(r"^bpmn:(\S+) has no id$"), "bpmn:{0} 没有 id"),
    (P(r"^boundary event has no event definition$"), "边界事件没有事件定义"),
    (
        P(r"^boundary event is attached to '(.+)', which is not an activity here$"),
        "边界事件附着在「{0}」上，但它不是这里的活动",
    ),
    (P(r"^conditional event has no condition$"), "条件事件没有条件"),
    (
        P(r"^timer has no timeDate, timeDuration or timeCycle$"),
        "定时器没有 timeDate、timeDuration 或 timeCycle",
    ),
    (
        P(r"^timer expression (.+) is Python: write (.+) with quotes$"),
        "定时器表达式 {0} 按 Python 解读：请加引号写成 {1}",
    ),
    (P(r"^timer expression (.+) must give (.+)$"), "定时器表达式 {0} 的结果必须是 {1}"),
    (P(r"^timer: cron '(.+)' is not valid: (.*)$"), "定时器：cron「{0}」无效：{1}"),
    (
        P(r"^timer: cron '(.+)' fires every (\d+) s: a repeating timer fires at most once a minute$"),
        "定时器：cron「{0}」每 {1} 秒触发一次：重复定时器最多每分钟触发一次",
    ),
    (
        P(r"^timer cycle (.+): a repeating timer fires at most once a minute$"),
        "定时器周期 {0}：重复定时器最多每分钟触发一次",
    ),
    (
        P(r"^timer: cron '(.+)': a year field is not supported: .*$"),
        "定时器：cron「{0}」不支持年份字段：请写 * 或省略",
    ),
    (
        P(r"^timer: cron '(.+)' needs 5 fields .*$"),
        "定时器：cron「{0}」需要 5 个字段（Unix）或 6–7 个字段（Quartz，秒在前）",
    ),
    (
        P(r"^timer value (.+) is not valid for a (\S+) timer: it needs (.+)$"),
        "定时器的值 {0} 不适用于 {1} 定时器：需要 {2}",
    ),
    (
        P(r"^timer has an empty (\S+): write a Python expression giving (.+)$"),
        "定时器的 {0} 为空：请写一个结果为 {1} 的 Python 表达式",
    ),
    (P(r"^timer role '(.+)' is not one of (.+)$"), "定时器角色「{0}」不是 {1} 之一"),
    (P(r"^timer clock '(.+)' is not business or calendar$"), "定时器时钟「{0}」不是 business 或 calendar"),
    (P(r"^escalation level '(.+)' is not a positive whole number$"), "升级级别「{0}」不是正整数"),
    (P(r"^form '(.+)' does not exist$"), "表单「{0}」不存在"),
    (P(r"^user task has no form: add a formKey property$"), "用户任务没有表单：请添加 formKey 属性"),
    (
        P(r"^lane '(.+)' is not a department and task has no candidateGroups: .*$"),
        '泳道「{0}」不是部门，任务也没有设置 candidateGroups：部署时用 --lane "{0}=部门" 指定它对应的部门，'
        "或用 --default-department 指定默认部门",
    ),
    (
        P(r"^task has no lane and no candidateGroups: .*$"),
        "任务不在任何泳道里，也没有 candidateGroups：请放进某个部门的泳道、设置 candidateGroups，"
        "或部署时用 --default-department 指定默认部门",
    ),
    (
        P(r"^candidateGroups '(.+)' is not a department: .*$"),
        'candidateGroups「{0}」不是部门：请写部门的代码或名称，部署时用 --lane "{0}=部门" 映射，'
        "或写成 ${{...}} 表达式",
    ),
    (
        P(r"^candidateGroups '(.+)' names several departments: .*$"),
        "candidateGroups「{0}」指定了多个部门：升级任务只能交给一个部门",
    ),
    (
        P(r"^the default department '(.+)' is not a department's code or name$"),
        "默认部门「{0}」不是已有部门的代码或名称",
    ),
    (
        P(r"^the lane mapping '(.+)': '(.+)' is not a department's code or name$"),
        "泳道映射「{0}」：「{1}」不是已有部门的代码或名称",
    ),
    (
        P(r"^assignee '(.+)' is not a user: .*$"),
        "处理人「{0}」不是系统用户：请先添加该账号、改用已有用户，或写成 ${{...}} 表达式",
    ),
    (P(r"^script task has no script.*$"), "脚本任务没有脚本"),
    (
        P(r"^scriptFormat '(.+)' is not supported: scripts are Python$"),
        "不支持脚本格式「{0}」：脚本用 Python 书写",
    ),
    (P(r"^call activity has no calledElement$"), "调用活动没有 calledElement"),
    (
        P(r"^call activity calls process '(.+)', which is not in this file$"),
        "调用活动调用的流程「{0}」不在此文件中",
    ),
    (
        P(r"^messageRef '(.+)' does not name a bpmn:message of this file$"),
        "messageRef「{0}」不是此文件中的 bpmn:message",
    ),
    (P(r"^(\S+)Ref '(.+)' does not name a bpmn:(\S+) of this file$"), "{0}Ref「{1}」不是此文件中的 bpmn:{2}"),
    (P(r"^loopMaximum '(.+)' is not a whole number$"), "loopMaximum「{0}」不是整数"),
    (P(r"^a loop needs a loopMaximum or a loopCondition$"), "循环需要 loopMaximum 或 loopCondition"),
    (P(r"^loopCardinality is empty$"), "loopCardinality 为空"),
    (
        P(r"^spiffworkflow:property needs both a name and a value$"),
        "spiffworkflow:property 需要同时有 name 和 value",
    ),
    # The sandbox rules for scripts and expressions (engine.safety).
    (
        P(r"^(.+): Python syntax error \(line (\d+) of the script\): (.*)$"),
        "{0}：Python 语法错误（脚本第 {1} 行）：{2}",
    ),
    (P(r"^(.+): Python syntax error(.*)$"), "{0}：Python 语法错误{1}"),
    (P(r"^(.+): the name '(.+)' is not allowed$"), "{0}：不允许使用名称「{1}」"),
    (P(r"^the name '(.+)' is not allowed$"), "不允许使用名称「{0}」"),
    (P(r"^(.+): access to the attribute '(.+)' is not allowed$"), "{0}：不允许访问属性「{1}」"),
    (P(r"^access to the attribute '(.+)' is not allowed$"), "不允许访问属性「{0}」"),
    (P(r"^(.+): unknown function '(.+)': .*$"), "{0}：未知函数「{1}」：只能用安全的内置函数和已登记的函数"),
    (P(r"^unknown function '(.+)': .*$"), "未知函数「{0}」：只能用安全的内置函数和已登记的函数"),
    (
        P(
            r"^(.+): (imports|class definitions|generators|async code|match statements)"
            r" (?:are|is) not allowed$"
        ),
        "{0}：不允许{1}",
    ),
    (
        P(r"^(imports|class definitions|generators|async code|match statements) (?:are|is) not allowed$"),
        "不允许{0}",
    ),
    (P(r"^SpiffWorkflow could not parse the diagram: (.*)$"), "流程引擎无法解析此图：{0}"),
]

WORDS = {
    **ELEMENTS,
    "imports": "导入（import）",
    "class definitions": "定义类",
    "generators": "生成器",
    "async code": "异步代码",
    "match statements": "match 语句",
    "script": "脚本",
    "condition": "条件",
    "timer expression": "定时器表达式",
    "assignee expression": "处理人表达式",
    "candidateGroups expression": "candidateGroups 表达式",
    "priority expression": "优先级表达式",
    "dueDate": "截止时间",
    "loopCardinality": "循环次数",
    "completionCondition": "完成条件",
    "loopCondition": "循环条件",
}


def translate_deploy(message: str) -> str | None:
    """The message in Chinese, or None when it is not one of the deploy checks'."""
    for pattern, template in (*DEPLOY_PATTERNS, *BUNDLE_PATTERNS):
        match = pattern.match(message)
        if match is not None:
            return template.format(*(WORDS.get(part, part) for part in match.groups()))
    return None
