// The studio's form editor (form-js, Camunda Forms JSON) and decision table editor (dmn-js): the process's
// forms and tables, from the latest version or the draft, edited in a dialog and saved into the draft with
// the diagram as it is drawn. The studio's panel opens them from a task (window.lintelEditors).
import { t, useEnglish } from './words.js';
import { request, timeNow } from './server.js';
import { FormEditor } from '@bpmn-io/form-js-editor';
import DmnModeler from 'dmn-js/lib/Modeler';
import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';
import '@bpmn-io/form-js-editor/dist/assets/form-js-editor.css';
import '@bpmn-io/form-js-editor/dist/assets/properties-panel.css';
import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';
import './editors.css';
import dmnTranslate from './dmn_words.js';

// The form-js components Lintel turns into task form fields (forms/camunda.py), with their Chinese names;
// the palette offers only these (the others are hidden by editors.css).
const FIELD_NAMES = {
  textfield: '单行文字',
  textarea: '多行文字',
  number: '数字',
  checkbox: '勾选',
  checklist: '多选（勾选列表）',
  taglist: '多选（标签）',
  radio: '单选（圆点）',
  select: '单选（下拉）',
  datetime: '日期 / 时间',
  text: '说明文字',
  group: '分组',
  separator: '分隔线',
  spacer: '空白',
  default: '表单', // the form itself, as its properties panel names it
};

// form-js names its components by their config (the palette, the properties panel's header): in Chinese.
function ChineseFieldNames(formFields) {
  if ((window.lintelStudio || {}).english) return;
  for (const [type, name] of Object.entries(FIELD_NAMES)) {
    const field = formFields.get(type);
    if (!field) continue;
    const named = function (props) { return field.call(this, props); };
    // A new field's label is its config's label: Chinese too, but not for what shows no label.
    const labelled = !['text', 'spacer', 'separator', 'default'].includes(type);
    named.config = labelled ? { ...field.config, name, label: name } : { ...field.config, name };
    formFields.register(type, named);
  }
}
ChineseFieldNames.$inject = ['formFields'];
const ChineseFieldNamesModule = { __init__: ['chineseFieldNames'], chineseFieldNames: ['type', ChineseFieldNames] };

// form-js has no translation service; its properties panel takes providers, though. Lintel's provider runs
// after form-js's own: it leaves out the groups Lintel does not read (conditions, layout, appearance,
// custom properties, security attributes, serialization) and names the rest, and the labels its entries
// give their inputs, in Chinese. Labels an entry does not pass on stay English.
const HIDDEN_GROUPS = new Set(['condition', 'layout', 'appearance', 'custom-values', 'securityAttributes', 'serialization']);
const PANEL_WORDS = {
  'General': '基本信息',
  'Validation': '校验',
  'Constraints': '限制',
  'Options source': '选项来源',
  'Static options': '选项',
  'Field label': '标签',
  'Field description': '说明',
  'Key': '键名（变量名）',
  'Binds to a form variable': '流程数据中的变量名：字母、数字和下划线',
  'Default value': '默认值',
  'Disabled': '禁用',
  'Read only': '只读',
  'Required': '必填',
  'Minimum length': '最少字数',
  'Maximum length': '最多字数',
  'Minimum': '最小值',
  'Maximum': '最大值',
  'Validation pattern': '格式',
  'Custom regular expression': '正则表达式',
  'Custom error message': '出错提示',
  'Text': '文字',
  'Label': '标签',
  'Value': '值',
  'Subtype': '类型',
  'Date label': '日期标签',
  'Time label': '时间标签',
  'Decimal digits': '小数位数',
  'Increment': '步长',
  'Searchable': '可搜索',
  'Disallow past dates': '不能选过去的日期',
  'Use 24h': '24 小时制',
  'Time format': '时间格式',
  'Time interval': '时间间隔',
  'Checked': '勾选',
  'Not checked': '未勾选',
  'Type': '类型',
  'Email': '电子邮件',
  'Phone': '电话',
  'Custom': '自定义',
  'Show outline': '显示边框',
};

// The element an entry hands back, and the elements it is made of (not what they render in turn).
function chinesePanelProps(vnode, depth = 0) {
  if (!vnode || typeof vnode !== 'object' || depth > 6) return vnode;
  if (Array.isArray(vnode)) return vnode.map((child) => chinesePanelProps(child, depth));
  if (!vnode.props) return vnode;
  for (const name of ['label', 'description']) {
    const value = vnode.props[name];
    if (typeof value === 'string' && PANEL_WORDS[value]) vnode.props[name] = PANEL_WORDS[value];
  }
  const value = vnode.props.value; // an entry's description, given to its Description by value
  if ('forId' in vnode.props && typeof value === 'string' && PANEL_WORDS[value]) vnode.props.value = PANEL_WORDS[value];
  const children = vnode.props.children;
  if (typeof children === 'string' && PANEL_WORDS[children]) vnode.props.children = PANEL_WORDS[children];
  else if (children && typeof children === 'object') vnode.props.children = chinesePanelProps(children, depth + 1);
  return vnode;
}

const wrapped = new WeakMap();
function chineseEntry(component) {
  if (typeof component !== 'function') return component;
  if (!wrapped.has(component)) {
    // The entry components call form-js's entry functions and hand back their element: the same hooks,
    // in the same order, with the label and description in Chinese.
    wrapped.set(component, (props) => chinesePanelProps(component(props)));
  }
  return wrapped.get(component);
}

function LintelFormProperties(propertiesPanel) {
  propertiesPanel.registerProvider(this, 1);
}
LintelFormProperties.prototype.getGroups = function () {
  return (groups) => {
    const kept = groups.filter((group) => !HIDDEN_GROUPS.has(group.id));
    if ((window.lintelStudio || {}).english) return kept;
    return kept.map((group) => ({
      ...group,
      label: PANEL_WORDS[group.label] || group.label,
      entries: group.entries && group.entries.map((entry) => ({ ...entry, component: chineseEntry(entry.component) })),
    }));
  };
};
LintelFormProperties.$inject = ['propertiesPanel'];
const LintelFormPropertiesModule = {
  __init__: ['lintelFormProperties'],
  lintelFormProperties: ['type', LintelFormProperties],
};

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

function escapeXml(text) {
  return String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' }[c]));
}

function newForm(key, title) {
  return {
    type: 'default',
    id: key,
    schemaVersion: 18,
    components: [{ type: 'text', id: key + '_title', text: '# ' + title }],
  };
}

function newTable(id, name) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="${id}_definitions" name="${escapeXml(name)}" namespace="http://lintel/dmn">
  <decision id="${id}" name="${escapeXml(name)}">
    <decisionTable id="${id}_table">
      <input id="${id}_input_1" label="${escapeXml(t('输入'))}">
        <inputExpression id="${id}_input_expression_1" typeRef="string">
          <text>severity</text>
        </inputExpression>
      </input>
      <output id="${id}_output_1" label="${escapeXml(t('结果'))}" name="result" typeRef="string" />
      <rule id="${id}_rule_1">
        <inputEntry id="${id}_rule_1_input_1">
          <text>-</text>
        </inputEntry>
        <outputEntry id="${id}_rule_1_output_1">
          <text>""</text>
        </outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="${id}_diagram">
      <dmndi:DMNShape id="${id}_shape" dmnElementRef="${id}">
        <dc:Bounds height="80" width="180" x="160" y="100" />
      </dmndi:DMNShape>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
`;
}

// A file name (and key) not yet used by the process's files: `stem`, else stem_2, stem_3, ...
function freeStem(stem, suffix) {
  const taken = new Set(((window.lintelStudio || {}).files || []).flatMap((f) => [f.filename, ...f.keys]));
  let candidate = stem;
  for (let n = 2; taken.has(candidate) || taken.has(candidate + suffix); n += 1) candidate = stem + '_' + n;
  return candidate;
}

function slug(text, fallback) {
  const cleaned = String(text || '').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return ID.test(cleaned) ? cleaned : fallback + '_' + Date.now().toString(36);
}

function quoted(name) {
  if (!name) return '';
  return (window.lintelStudio || {}).english ? ' "' + name + '"' : '「' + name + '」';
}

function start() {
  const dialog = document.getElementById('studio-editor');
  if (!dialog) return;
  const data = JSON.parse(document.getElementById('studio-data').textContent);
  useEnglish(data.english);
  if (!data.english) dialog.classList.add('chinese');
  const studio = () => window.lintelStudio || data;
  const title = document.getElementById('studio-editor-title');
  const hint = document.getElementById('studio-editor-hint');
  const status = document.getElementById('studio-editor-status');
  const error = document.getElementById('studio-editor-error');
  const body = document.getElementById('studio-editor-body');
  const saveButton = document.getElementById('studio-editor-save');
  const closeButton = document.getElementById('studio-editor-close');
  const list = document.getElementById('studio-file-list');
  const newName = document.getElementById('studio-new-name');

  let open = null; // { kind, filename, editor, dirty, onSaved, key }

  function say(text, kind) {
    status.textContent = text;
    status.className = 'studio-status ' + (kind || '');
  }

  function renderList() {
    list.replaceChildren();
    const files = studio().files || [];
    if (!files.length) {
      const empty = document.createElement('li');
      empty.className = 'muted';
      empty.textContent = t('此流程还没有可在此编辑的表单或决策表。系统内置的表单（如投诉登记、分派）可在右侧面板中为步骤选用，但不能在此修改；在下面新建的表单可以在此编辑。');
      list.appendChild(empty);
    }
    for (const file of files) {
      const item = document.createElement('li');
      item.dataset.file = file.filename;
      const what = document.createElement('span');
      what.className = 'studio-file-kind';
      what.textContent = file.kind === 'form' ? t('表单') : t('决策表');
      const name = document.createElement('strong');
      name.textContent = file.title;
      const where = document.createElement('span');
      where.className = file.source === 'version' ? 'studio-file-source' : 'studio-file-source draft';
      where.textContent = { version: t('与最新版本相同'), draft: t('草稿中已修改'), new: t('新建，尚未部署') }[file.source];
      const edit = document.createElement('button');
      edit.type = 'button';
      edit.className = 'secondary small';
      edit.textContent = t('编辑');
      edit.addEventListener('click', () => (file.kind === 'form'
        ? openForm({ filename: file.filename }) : openTable({ filename: file.filename })));
      item.append(what, ' ', name, ' ', where, ' ', edit);
      list.appendChild(item);
    }
  }

  function closeEditor() {
    if (open && open.editor) open.editor.destroy();
    open = null;
    body.replaceChildren();
    if (dialog.open) dialog.close();
  }

  function show(kind, heading, text) {
    closeEditor();
    title.textContent = heading;
    hint.textContent = text;
    error.textContent = '';
    say('', '');
    body.className = 'studio-editor-body ' + kind;
    dialog.showModal();
  }

  async function load(filename) {
    const { ok, answer } = await request(studio().urls.files + '/' + encodeURIComponent(filename));
    if (!ok) {
      error.textContent = answer.message || t('无法打开此文件');
      return null;
    }
    return answer.content;
  }

  async function openForm({ filename, isNew, key, name, onSaved }) {
    const heading = isNew ? t('新建表单') : t('编辑表单');
    show('form', heading + quoted(name),
      t('从左侧拖入字段，在右侧填写标签和键名（键名即流程数据中的变量名）。保存后进入草稿，部署后新版本的任务使用此表单。'));
    let schema;
    if (isNew) {
      schema = newForm(key, name || t('新表单'));
    } else {
      const content = await load(filename);
      if (content === null) return;
      try {
        schema = JSON.parse(content);
      } catch (e) {
        error.textContent = t('此表单不是有效的 JSON，无法打开。');
        return;
      }
    }
    const container = document.createElement('div');
    container.className = 'studio-form-editor';
    body.appendChild(container);
    const editor = new FormEditor({ container, additionalModules: [ChineseFieldNamesModule, LintelFormPropertiesModule] });
    open = { kind: 'form', filename, editor, dirty: !!isNew, onSaved, key: key || schema.id };
    try {
      await editor.importSchema(schema);
    } catch (e) {
      error.textContent = t('表单无法打开：') + e.message;
      return;
    }
    editor.on('changed', () => {
      if (open && open.editor === editor) {
        open.dirty = true;
        say(t('有未保存的修改…'), '');
      }
    });
    const search = container.querySelector('.fjs-palette-search');
    if (search && !data.english) search.placeholder = '搜索组件';
    window.lintelFormEditor = editor; // for the browser tests
    dialog.dataset.ready = 'form';
    say(isNew ? t('新表单尚未保存') : t('已打开'), '');
  }

  async function openTable({ filename, isNew, id, name, onSaved }) {
    const heading = isNew ? t('新建决策表') : t('编辑决策表');
    show('dmn', heading + quoted(name),
      t('每行是一条规则：条件列填写 Python 条件（文字加引号，如 "urgent"；- 表示任意），结果列填写结果值。保存后进入草稿，随流程部署。'));
    const content = isNew ? newTable(id, name || t('新决策表')) : await load(filename);
    if (content === null) return;
    const container = document.createElement('div');
    container.className = 'studio-dmn-editor';
    body.appendChild(container);
    // Each view takes its own modules (dmn-js replaces, not merges, the common ones).
    const translated = { additionalModules: [{ translate: ['value', dmnTranslate] }] };
    const editor = new DmnModeler({
      container, drd: translated, decisionTable: translated, literalExpression: translated,
    });
    open = { kind: 'dmn', filename, editor, dirty: !!isNew, onSaved, key: id };
    try {
      await editor.importXML(content);
      const table = editor.getViews().find((view) => view.type === 'decisionTable');
      if (table) await editor.open(table);
    } catch (e) {
      error.textContent = t('决策表无法打开：') + e.message;
      return;
    }
    const markDirty = () => {
      if (open && open.editor === editor) {
        open.dirty = true;
        say(t('有未保存的修改…'), '');
      }
    };
    for (const view of editor.getViews()) {
      const viewer = editor._getViewer(view);
      if (viewer) viewer.get('eventBus').on('elements.changed', markDirty);
    }
    window.lintelDmnEditor = editor; // for the browser tests
    dialog.dataset.ready = 'dmn';
    say(isNew ? t('新决策表尚未保存') : t('已打开'), '');
  }

  async function save() {
    if (!open) return;
    error.textContent = '';
    const current = open;
    let content;
    try {
      if (current.kind === 'form') content = JSON.stringify(current.editor.saveSchema(), null, 2);
      else content = (await current.editor.saveXML({ format: true })).xml;
    } catch (e) {
      error.textContent = t('无法读取编辑器的内容：') + e.message;
      return;
    }
    const { xml } = await window.bpmnjs.saveXML({ format: true });
    saveButton.disabled = true;
    const { ok, answer } = await request(studio().urls.files, { filename: current.filename, content, xml });
    saveButton.disabled = false;
    if (!ok) {
      error.textContent = answer.message || t('未保存，请稍后再试');
      say(t('未保存'), 'error');
      return;
    }
    current.dirty = false;
    studio().files = answer.files;
    const known = new Map(studio().forms.map(([k, v]) => [k, v]));
    for (const [k, v] of answer.forms) known.set(k, v);
    studio().forms = [...known.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    renderList();
    say(t('已保存到草稿 ') + timeNow(), 'saved');
    dialog.dataset.saved = String(Number(dialog.dataset.saved || 0) + 1);
    if (current.onSaved) {
      const callback = current.onSaved;
      current.onSaved = null; // the task is given the new form (or table) once
      callback(current.key);
    }
    document.dispatchEvent(new CustomEvent('lintel:files-saved'));
  }

  saveButton.addEventListener('click', save);
  window.addEventListener('beforeunload', (event) => {
    if (open && open.dirty) event.preventDefault();
  });
  closeButton.addEventListener('click', () => {
    if (open && open.dirty && !window.confirm(t('关闭编辑器？未保存的修改将丢失。'))) return;
    closeEditor();
  });
  dialog.addEventListener('cancel', (event) => {
    if (open && open.dirty && !window.confirm(t('关闭编辑器？未保存的修改将丢失。'))) event.preventDefault();
    else closeEditor();
  });

  function createForm(name, stem, onSaved) {
    const key = freeStem(slug(stem, 'form'), '.form');
    return openForm({ filename: key + '.form', isNew: true, key, name, onSaved });
  }

  function createTable(name, stem, onSaved) {
    const id = freeStem(slug(stem, 'decision'), '.dmn');
    return openTable({ filename: id + '.dmn', isNew: true, id, name, onSaved });
  }

  document.getElementById('studio-new-form').addEventListener('click', () => {
    createForm(newName.value.trim(), 'form_' + Date.now().toString(36));
  });
  document.getElementById('studio-new-table').addEventListener('click', () => {
    createTable(newName.value.trim(), 'decision_' + Date.now().toString(36));
  });

  // What the studio's panel calls from a task: edit the form a key names, or create one for the task.
  window.lintelEditors = {
    formFile(key) {
      return (studio().files || []).find((f) => f.kind === 'form' && f.keys.includes(key));
    },
    tableFile(decision) {
      return (studio().files || []).find((f) => f.kind === 'dmn' && f.keys.includes(decision));
    },
    editForm(key) {
      const file = this.formFile(key);
      if (file) openForm({ filename: file.filename, name: file.title });
    },
    newForm(taskId, taskName, onSaved) {
      createForm(taskName || t('新表单'), taskId + '_form', onSaved);
    },
    editTable(decision) {
      const file = this.tableFile(decision);
      if (file) openTable({ filename: file.filename, name: file.title });
    },
    newTable(taskId, taskName, onSaved) {
      createTable(taskName || t('新决策表'), taskId + '_decision', onSaved);
    },
  };
  renderList();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
