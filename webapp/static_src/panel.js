// Lintel's properties panel: what a process owner sets on a step, in Lintel's words. It reads and writes
// the properties the engine understands (engine/bpmn_tasks.py, engine/escalation.py): spiffworkflow
// properties formKey, candidateGroups, assignee, priority; on a boundary timer role, level and clock, and a
// timeDate expression calling working_days / business_hours / calendar_hours. Every change goes through
// the command stack, so undo and redo take it back.
import { t } from './words.js';
import { h } from '@bpmn-io/properties-panel/preact';
import { SelectEntry, TextAreaEntry, TextFieldEntry } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { durationExpression, readDuration, timerText, validAmount } from './durations.js';

const SPIFF_PROPERTIES = 'spiffworkflow:Properties';
const EXPRESSION = '__expression__';
const ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function studioData() {
  return window.lintelStudio || { departments: [], forms: [], keyFixed: false };
}

function propertiesOf(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((value) => value.$type === SPIFF_PROPERTIES);
}

export function property(bo, name) {
  const found = propertiesOf(bo);
  const item = found && (found.properties || []).find((p) => p.name === name);
  return item ? item.value || '' : '';
}

// One undoable step: set (or, with '' / undefined, remove) spiffworkflow properties of an element.
// `target`: the business object that holds them when it is not the element's own (the process of a pool).
export function setProperties(injector, element, changes, more = [], target = null) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const bo = target || getBusinessObject(element);
  const commands = [];
  let extensions = bo.extensionElements;
  if (!extensions) {
    extensions = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensions.$parent = bo;
    commands.push(update(element, bo, { extensionElements: extensions }));
  }
  let found = propertiesOf(bo);
  if (!found) {
    found = bpmnFactory.create(SPIFF_PROPERTIES, { properties: [] });
    found.$parent = extensions;
    commands.push(update(element, extensions, { values: [...(extensions.values || []), found] }));
  }
  const list = [...(found.properties || [])];
  for (const [name, value] of Object.entries(changes)) {
    const index = list.findIndex((p) => p.name === name);
    if (value === undefined || value === null || value === '') {
      if (index >= 0) list.splice(index, 1);
    } else if (index >= 0) {
      commands.push(update(element, list[index], { value: String(value) }));
    } else {
      const created = bpmnFactory.create('spiffworkflow:Property', { name, value: String(value) });
      created.$parent = found;
      list.push(created);
    }
  }
  commands.push(update(element, found, { properties: list }));
  commandStack.execute('properties-panel.multi-command-executor', [...commands, ...more]);
}

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

function entry(id, component, element, more = {}) {
  return { id, component, element, isEdited: () => false, ...more };
}

// A start event of the process itself (not of a subprocess) that a person starts: no timer, message etc.
function isManualStart(element) {
  const bo = getBusinessObject(element);
  return is(element, 'bpmn:StartEvent') && !(bo.eventDefinitions || []).length
    && bo.$parent && is(bo.$parent, 'bpmn:Process');
}

// --- every element: name and id --------------------------------------------------------------------------

function NameEntry({ element, id }) {
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  return h(TextAreaEntry, {
    element, id, debounce, rows: 1, autoResize: true,
    label: t('名称'),
    getValue: () => getBusinessObject(element).name || '',
    setValue: (value) => modeling.updateProperties(element, { name: value }),
  });
}

function IdEntry({ element, id }) {
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const registry = useService('elementRegistry');
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('编号'),
    description: t('字母、数字、下划线；检查结果按编号指向元素。'),
    getValue: () => getBusinessObject(element).id,
    setValue: (value) => modeling.updateProperties(element, { id: value }),
    validate: (value) => {
      if (!ID.test(value || '')) return t('编号以字母开头，只用字母、数字和下划线');
      const other = registry.get(value);
      if (other && other !== element) return t('此编号已被其他元素使用');
      return null;
    },
  });
}

// --- the process itself: its name and key -----------------------------------------------------------------

function processOf(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:Collaboration')) return ((bo.participants || []).find((p) => p.processRef) || {}).processRef;
  return is(bo, 'bpmn:Participant') ? bo.processRef : bo;
}

function ProcessNameEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('流程名称'),
    getValue: () => processOf(element).name || '',
    setValue: (value) => injector.get('commandStack').execute('element.updateModdleProperties', {
      element, moddleElement: processOf(element), properties: { name: value },
    }),
  });
}

function ProcessKeyEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const fixed = studioData().keyFixed;
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('流程编号'),
    disabled: fixed,
    description: fixed ? t('已部署流程的编号不能更改。') : t('部署后不能更改；字母开头，只用字母、数字和下划线。'),
    getValue: () => processOf(element).id,
    setValue: (value) => injector.get('commandStack').execute('element.updateModdleProperties', {
      element, moddleElement: processOf(element), properties: { id: value },
    }),
    validate: (value) => (ID.test(value || '') ? null : t('编号以字母开头，只用字母、数字和下划线')),
  });
}

// Who may start the process (its startableBy property, engine/bpmn_process.py): the departments ticked, as
// a comma list of department codes; none ticked removes it, and every staff member may start the process.
// A name the diagram gives that is no department stays listed (ticked) until it is unticked.
function startableOf(process) {
  return property(process, 'startableBy').split(',').map((part) => part.trim()).filter(Boolean);
}

function startableCode(name) {
  const lowered = name.toLowerCase();
  const found = studioData().departments.find(([code, label]) => code.toLowerCase() === lowered || label === name);
  return found ? found[0] : name;
}

function StartableEntry({ element, id }) {
  const injector = useService('injector');
  const process = processOf(element);
  const chosen = startableOf(process).map(startableCode);
  const options = studioData().departments.map(([code, name]) => [code, name]);
  for (const code of chosen) {
    if (!options.some(([known]) => known === code)) options.push([code, code]);
  }
  const toggle = (code, on) => {
    const next = on ? [...chosen, code] : chosen.filter((c) => c !== code);
    const ordered = options.map(([c]) => c).filter((c) => next.includes(c));
    setProperties(injector, element, { startableBy: ordered.join(',') }, [], process);
  };
  return h('div', { class: 'bio-properties-panel-entry lintel-startable', 'data-entry-id': id }, [
    h('label', { class: 'bio-properties-panel-label' }, t('谁可以发起')),
    h('div', { class: 'lintel-checks' }, options.map(([code, name]) => h('label', { class: 'lintel-check' }, [
      h('input', {
        type: 'checkbox', name: 'startableBy', value: code, checked: chosen.includes(code),
        onChange: (event) => toggle(code, event.target.checked),
      }),
      ' ', name,
    ]))),
    h('div', { class: 'bio-properties-panel-description' },
      chosen.length ? t('只有所选部门的人员可在「发起流程」中发起。') : t('不选则所有员工都可以发起。')),
  ]);
}

// --- a human step ---------------------------------------------------------------------------------------

function departmentCodes() {
  return new Set(studioData().departments.map(([code]) => code));
}

function DepartmentEntry({ element, id }) {
  const injector = useService('injector');
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id,
    label: t('部门'),
    description: t('不选则按泳道对应的部门。'),
    getValue: () => {
      const groups = property(bo, 'candidateGroups');
      if (!groups) return '';
      return departmentCodes().has(groups) ? groups : EXPRESSION;
    },
    setValue: (value) => {
      if (value === EXPRESSION) {
        const groups = property(bo, 'candidateGroups');
        setProperties(injector, element, { candidateGroups: groups && !departmentCodes().has(groups) ? groups : '${department}' });
      } else {
        setProperties(injector, element, { candidateGroups: value });
      }
    },
    getOptions: () => [
      { value: '', label: t('— 按泳道 —') },
      ...studioData().departments.map(([code, name]) => ({ value: code, label: name })),
      { value: EXPRESSION, label: t('按数据决定（候选部门表达式）') },
    ],
  });
}

function CandidateExpressionEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('候选部门表达式'),
    description: t('例如 ${department}：取流程数据中的部门；也可写多个部门，用逗号分隔。'),
    getValue: () => property(getBusinessObject(element), 'candidateGroups'),
    setValue: (value) => setProperties(injector, element, { candidateGroups: value }),
  });
}

function AssigneeEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('办理人'),
    description: t('用户名，或 ${...} 表达式；不填则由部门认领。'),
    getValue: () => property(getBusinessObject(element), 'assignee'),
    setValue: (value) => setProperties(injector, element, { assignee: value }),
  });
}

function FormEntry({ element, id, label = '表单', empty = '无表单：填写完成说明（可不填）后完成' }) {
  const injector = useService('injector');
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id,
    label: t(label),
    getValue: () => property(bo, 'formKey'),
    setValue: (value) => setProperties(injector, element, { formKey: value }),
    getOptions: () => {
      const current = property(bo, 'formKey');
      const forms = studioData().forms;
      const options = [{ value: '', label: t(empty) }];
      options.push(...forms.map(([key, title]) => ({ value: key, label: title })));
      if (current && !forms.some(([key]) => key === current)) options.push({ value: current, label: current });
      return options;
    },
  });
}

// Below the form choice: open the chosen form in the form editor, or create one that the task then uses.
function FormActionsEntry({ element }) {
  const injector = useService('injector');
  const bo = getBusinessObject(element);
  const editors = window.lintelEditors;
  if (!editors) return null;
  const current = property(bo, 'formKey');
  const editable = current && editors.formFile(current);
  return h('div', { class: 'lintel-editor-actions' }, [
    editable ? h('button', {
      type: 'button', class: 'secondary', 'data-action': 'edit-form',
      onClick: () => editors.editForm(current),
    }, t('编辑表单')) : null,
    h('button', {
      type: 'button', class: 'secondary', 'data-action': 'new-form',
      onClick: () => {
        // A start form is named after its process: 「维修申请 发起表单」, key repair_start_form.
        const start = isManualStart(element);
        const id = start ? bo.$parent.id + '_start' : bo.id;
        const name = start ? (bo.$parent.name || bo.$parent.id) + ' ' + t('发起表单') : bo.name;
        editors.newForm(id, name, (key) => setProperties(injector, element, { formKey: key }));
      },
    }, t('新建表单')),
  ]);
}

// --- a business rule task: the decision table it runs -----------------------------------------------------

const CALLED_DECISION = 'spiffworkflow:CalledDecisionId';

function calledDecision(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  const found = values.find((value) => value.$type === CALLED_DECISION);
  if (found) return (found.value || '').trim();
  return ((bo.$attrs || {})['camunda:decisionRef'] || '').trim();
}

function setDecision(injector, element, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const bo = getBusinessObject(element);
  const commands = [];
  let extensions = bo.extensionElements;
  if (!extensions) {
    extensions = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensions.$parent = bo;
    commands.push(update(element, bo, { extensionElements: extensions }));
  }
  const values = (extensions.values || []).filter((v) => v.$type !== CALLED_DECISION);
  if (value) {
    const created = bpmnFactory.create(CALLED_DECISION, { value });
    created.$parent = extensions;
    values.push(created);
  }
  commands.push(update(element, extensions, { values }));
  injector.get('commandStack').execute('properties-panel.multi-command-executor', commands);
}

function decisionChoices() {
  return (studioData().files || []).filter((f) => f.kind === 'dmn')
    .flatMap((f) => f.keys.map((key) => ({ value: key, label: f.keys.length > 1 ? key : f.title })));
}

function DecisionEntry({ element, id }) {
  const injector = useService('injector');
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id,
    label: t('决策表'),
    description: t('此步骤按决策表算出结果，写入流程数据。'),
    getValue: () => calledDecision(bo),
    setValue: (value) => setDecision(injector, element, value),
    getOptions: () => {
      const current = calledDecision(bo);
      const options = [{ value: '', label: t('— 请选择 —') }, ...decisionChoices()];
      if (current && !options.some((o) => o.value === current)) options.push({ value: current, label: current });
      return options;
    },
  });
}

function DecisionActionsEntry({ element }) {
  const injector = useService('injector');
  const bo = getBusinessObject(element);
  const editors = window.lintelEditors;
  if (!editors) return null;
  const current = calledDecision(bo);
  return h('div', { class: 'lintel-editor-actions' }, [
    current && editors.tableFile(current) ? h('button', {
      type: 'button', class: 'secondary', 'data-action': 'edit-table',
      onClick: () => editors.editTable(current),
    }, t('编辑决策表')) : null,
    h('button', {
      type: 'button', class: 'secondary', 'data-action': 'new-table',
      onClick: () => editors.newTable(bo.id, bo.name, (key) => setDecision(injector, element, key)),
    }, t('新建决策表')),
  ]);
}

function PriorityEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('优先级'),
    description: t('0 到 1000 的整数（越大越靠前），或 ${...} 表达式。'),
    getValue: () => property(getBusinessObject(element), 'priority'),
    setValue: (value) => setProperties(injector, element, { priority: value }),
    validate: (value) => {
      const text = (value || '').trim();
      if (!text || text.startsWith('${') || text.startsWith('#{')) return null;
      return /^\d+$/.test(text) && Number(text) <= 1000 ? null : t('请填写 0 到 1000 的整数');
    },
  });
}

function DocumentationEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element, id, debounce, rows: 3, autoResize: true,
    label: t('说明'),
    getValue: () => ((bo.documentation || [])[0] || {}).text || '',
    setValue: (value) => {
      const bpmnFactory = injector.get('bpmnFactory');
      let documentation = [];
      if (value) {
        const doc = bpmnFactory.create('bpmn:Documentation', { text: value });
        doc.$parent = bo;
        documentation = [doc];
      }
      injector.get('commandStack').execute('element.updateModdleProperties', {
        element, moddleElement: bo, properties: { documentation },
      });
    },
  });
}

// --- a boundary timer ------------------------------------------------------------------------------------

function timerDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.eventDefinitions || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

function clockOf(element) {
  return property(getBusinessObject(element), 'clock') || 'calendar';
}

// The commands that replace the timer's expression with `text` (as a timeDate).
function expressionCommands(injector, element, text) {
  const definition = timerDefinition(element);
  const bpmnFactory = injector.get('bpmnFactory');
  let timeDate;
  if (text) {
    timeDate = bpmnFactory.create('bpmn:FormalExpression', { body: text });
    timeDate.$parent = definition;
  }
  return [update(element, definition, { timeDate, timeDuration: undefined, timeCycle: undefined })];
}

function RoleEntry({ element, id }) {
  const injector = useService('injector');
  return h(SelectEntry, {
    element, id,
    label: t('作用'),
    getValue: () => property(getBusinessObject(element), 'role') || 'deadline',
    setValue: (value) => setProperties(injector, element, {
      role: value,
      level: value === 'escalation' ? property(getBusinessObject(element), 'level') || '1' : '',
    }),
    getOptions: () => [
      { value: 'deadline', label: t('时限（到时即为超时）') },
      { value: 'reminder', label: t('提醒（提醒部门，记入时间线）') },
      { value: 'escalation', label: t('升级（交上级督办）') },
    ],
  });
}

function LevelEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('升级级别'),
    description: t('1 部门经理，2 客服中心主管，3 集团客户关系中心。'),
    getValue: () => property(getBusinessObject(element), 'level'),
    setValue: (value) => setProperties(injector, element, { level: value }),
    validate: (value) => (/^[1-9]\d{0,2}$/.test((value || '').trim()) ? null : t('请填写 1、2、3 这样的级别')),
  });
}

function ClockEntry({ element, id }) {
  const injector = useService('injector');
  return h(SelectEntry, {
    element, id,
    label: t('计时'),
    getValue: () => clockOf(element),
    setValue: (value) => {
      const duration = readDuration(timerDefinition(element));
      const more = duration && duration.amount && duration.unit === 'hours'
        ? expressionCommands(injector, element, durationExpression(duration.amount, 'hours', value))
        : [];
      setProperties(injector, element, { clock: value }, more);
    },
    getOptions: () => [
      { value: 'calendar', label: t('日历时间（含夜间、周末、节假日）') },
      { value: 'business', label: t('工作时间（只算工作日的上班时间）') },
    ],
  });
}

function AmountEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('时长'),
    getValue: () => (readDuration(timerDefinition(element)) || {}).amount || '',
    setValue: (value) => {
      const duration = readDuration(timerDefinition(element)) || {};
      const unit = duration.unit || (clockOf(element) === 'business' ? 'days' : 'hours');
      const text = validAmount(value) ? '' : durationExpression(value, unit, clockOf(element));
      const changes = unit === 'days' ? { clock: 'business' } : {};
      setProperties(injector, element, changes, expressionCommands(injector, element, text));
    },
    validate: validAmount,
  });
}

function UnitEntry({ element, id }) {
  const injector = useService('injector');
  return h(SelectEntry, {
    element, id,
    label: t('单位'),
    getValue: () => {
      const duration = readDuration(timerDefinition(element)) || {};
      return duration.unit || (clockOf(element) === 'business' ? 'days' : 'hours');
    },
    setValue: (value) => {
      const duration = readDuration(timerDefinition(element)) || {};
      const clock = value === 'days' ? 'business' : clockOf(element);
      const more = duration.amount
        ? expressionCommands(injector, element, durationExpression(duration.amount, value, clock))
        : [];
      setProperties(injector, element, { clock }, more);
    },
    getOptions: () => [
      { value: 'hours', label: t('小时') },
      { value: 'days', label: t('工作日') },
    ],
  });
}

function AdvancedEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('高级表达式'),
    description: t('此时限由表达式给出，无法按数字和单位显示，保持原样。清空后可按数字和单位填写。'),
    getValue: () => timerText(timerDefinition(element)).text,
    setValue: (value) => {
      const definition = timerDefinition(element);
      const { kind } = timerText(definition);
      const bpmnFactory = injector.get('bpmnFactory');
      let expression;
      if (value) {
        expression = bpmnFactory.create('bpmn:FormalExpression', { body: value });
        expression.$parent = definition;
      }
      injector.get('commandStack').execute('element.updateModdleProperties', {
        element, moddleElement: definition, properties: { [kind]: expression },
      });
    },
  });
}

// --- a flow out of a gateway -----------------------------------------------------------------------------

function ConditionEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t('条件'),
    description: t('流程数据上的条件，例如 approved == True 或 severity == "urgent"。'),
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || '',
    setValue: (value) => {
      let condition;
      if (value) {
        condition = injector.get('bpmnFactory').create('bpmn:FormalExpression', { body: value });
        condition.$parent = bo;
      }
      injector.get('modeling').updateProperties(element, { conditionExpression: condition });
    },
  });
}

// The answers of the forms of the steps before a gateway, as conditions: 「现场复验：复验结果为「通过」」 →
// verified == "pass". The steps are found walking the flows back from the gateway.
function outcomesBefore(gateway) {
  const outcomes = studioData().outcomes || {};
  const options = [];
  const seen = new Set([gateway]);
  const waiting = [gateway];
  while (waiting.length) {
    const node = waiting.shift();
    for (const flow of node.incoming || []) {
      const source = flow.sourceRef;
      if (!source || seen.has(source)) continue;
      seen.add(source);
      waiting.push(source);
      const formKey = (is(source, 'bpmn:UserTask') || is(source, 'bpmn:ManualTask')) && property(source, 'formKey');
      for (const [words, condition] of (formKey && outcomes[formKey]) || []) {
        options.push({ value: condition, label: (source.name ? source.name + t('：') : '') + words });
      }
    }
  }
  return options;
}

function OutcomeEntry({ element, id }) {
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id,
    label: t('按表单结果'),
    description: t('选前面步骤表单中的一个结果，条件自动写好；也可在下面自己填写。'),
    getValue: () => {
      const current = (bo.conditionExpression && bo.conditionExpression.body) || '';
      return outcomesBefore(bo.sourceRef).some((o) => o.value === current) ? current : '';
    },
    setValue: (value) => {
      if (!value) return; // 「自己填写」: the condition below stays as it is
      const condition = bpmnFactory.create('bpmn:FormalExpression', { body: value });
      condition.$parent = bo;
      modeling.updateProperties(element, { conditionExpression: condition });
    },
    getOptions: () => [{ value: '', label: t('— 自己填写条件 —') }, ...outcomesBefore(bo.sourceRef)],
  });
}

// --- the groups ------------------------------------------------------------------------------------------

function groupsOf(element) {
  const bo = getBusinessObject(element);
  const groups = [];
  if (is(element, 'bpmn:Process') || is(element, 'bpmn:Participant') || is(element, 'bpmn:Collaboration')) {
    if (!processOf(element)) return groups;
    groups.push({ shouldOpen: true, id: 'lintel-process', label: t('流程'), entries: [
      entry('lintel-process-name', ProcessNameEntry, element),
      entry('lintel-process-key', ProcessKeyEntry, element),
    ] });
    groups.push({ shouldOpen: true, id: 'lintel-starters', label: t('发起'), entries: [
      entry('lintel-startable', StartableEntry, element),
    ] });
    return groups;
  }
  groups.push({ shouldOpen: true, id: 'lintel-general', label: t('基本信息'), entries: [
    entry('lintel-name', NameEntry, element),
    entry('lintel-id', IdEntry, element),
  ] });
  if (is(element, 'bpmn:UserTask') || is(element, 'bpmn:ManualTask')) {
    const groupsValue = property(bo, 'candidateGroups');
    const entries = [entry('lintel-department', DepartmentEntry, element)];
    if (groupsValue && !departmentCodes().has(groupsValue)) {
      entries.push(entry('lintel-candidates', CandidateExpressionEntry, element));
    }
    entries.push(
      entry('lintel-assignee', AssigneeEntry, element),
      entry('lintel-form', FormEntry, element),
      entry('lintel-form-actions', FormActionsEntry, element),
      entry('lintel-priority', PriorityEntry, element),
    );
    groups.push({ shouldOpen: true, id: 'lintel-step', label: t('办理'), entries });
  }
  if (isManualStart(element)) {
    groups.push({ shouldOpen: true, id: 'lintel-start', label: t('发起'), entries: [
      entry('lintel-start-form', FormEntry, element, { label: '发起表单', empty: '无发起表单：发起时不填写内容' }),
      entry('lintel-form-actions', FormActionsEntry, element),
    ] });
  }
  if (is(element, 'bpmn:BusinessRuleTask')) {
    groups.push({ shouldOpen: true, id: 'lintel-decision', label: t('决策'), entries: [
      entry('lintel-decision-id', DecisionEntry, element),
      entry('lintel-decision-actions', DecisionActionsEntry, element),
    ] });
  }
  if (is(element, 'bpmn:BoundaryEvent') && timerDefinition(element)) {
    const entries = [entry('lintel-role', RoleEntry, element)];
    if (property(bo, 'role') === 'escalation') entries.push(entry('lintel-level', LevelEntry, element));
    entries.push(entry('lintel-clock', ClockEntry, element));
    if (readDuration(timerDefinition(element))) {
      entries.push(entry('lintel-amount', AmountEntry, element), entry('lintel-unit', UnitEntry, element));
    } else {
      entries.push(entry('lintel-advanced', AdvancedEntry, element));
    }
    groups.push({ shouldOpen: true, id: 'lintel-timer', label: t('时限'), entries });
  }
  if (is(element, 'bpmn:SequenceFlow') && bo.sourceRef
      && (is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway'))) {
    const entries = [entry('lintel-condition-text', ConditionEntry, element)];
    if (outcomesBefore(bo.sourceRef).length) entries.unshift(entry('lintel-outcome', OutcomeEntry, element));
    groups.push({ shouldOpen: true, id: 'lintel-condition', label: t('条件'), entries });
  }
  groups.push({ shouldOpen: true, id: 'lintel-documentation', label: t('说明'), entries: [entry('lintel-documentation-text', DocumentationEntry, element)] });
  return groups;
}

function LintelPropertiesProvider(propertiesPanel) {
  this.getGroups = (element) => () => groupsOf(element);
  propertiesPanel.registerProvider(500, this);
}
LintelPropertiesProvider.$inject = ['propertiesPanel'];

export default {
  __init__: ['lintelPropertiesProvider'],
  lintelPropertiesProvider: ['type', LintelPropertiesProvider],
};
