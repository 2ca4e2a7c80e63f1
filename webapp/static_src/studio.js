// The process owners' studio: the bpmn-js modeler with Lintel's properties panel, drafts saved as you go,
// the server's deploy checks marked on the elements, and deploying with a change note.
import { t, useEnglish } from './words.js';
import { request, timeNow } from './server.js';
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule } from 'bpmn-js-properties-panel';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import './studio.css';
import spiffworkflow from './spiffworkflow.json';
import { advice } from './lint.js';
import LintelPanelModule from './panel.js';
import translate from './translate.js';

const AUTOSAVE_MS = 2000;
const CHECK_MS = 800;

function start() {
  const root = document.getElementById('studio');
  if (!root) return;
  const data = JSON.parse(document.getElementById('studio-data').textContent);
  window.lintelStudio = data;
  useEnglish(data.english);
  const status = document.getElementById('studio-status');
  const list = document.getElementById('studio-problems');
  const summary = document.getElementById('studio-problem-count');
  const undo = document.getElementById('studio-undo');
  const redo = document.getElementById('studio-redo');
  const save = document.getElementById('studio-save');
  const deployForm = document.getElementById('studio-deploy');
  const note = document.getElementById('studio-note');
  const deployError = document.getElementById('studio-deploy-error');

  const modeler = new BpmnModeler({
    container: '#studio-canvas',
    propertiesPanel: { parent: '#studio-panel' },
    additionalModules: [BpmnPropertiesPanelModule, LintelPanelModule, { translate: ['value', translate] }],
    moddleExtensions: { spiffworkflow },
  });
  window.bpmnjs = modeler; // the page's modeler, for the browser tests and the curious
  const commandStack = modeler.get('commandStack');
  const canvas = modeler.get('canvas');
  const overlays = modeler.get('overlays');
  const registry = modeler.get('elementRegistry');
  const selection = modeler.get('selection');

  let marked = [];
  let dirty = false;
  let saveTimer = null;
  let checkTimer = null;
  let checking = 0;
  let deployed = false;

  function say(text, kind) {
    status.textContent = text;
    status.className = 'studio-status ' + (kind || '');
  }

  async function xml() {
    const { xml: text } = await modeler.saveXML({ format: true });
    return text;
  }

  async function saveDraft(explicit) {
    clearTimeout(saveTimer);
    const sent = await xml();
    dirty = false;
    const { ok, answer } = await request(data.urls.draft, { xml: sent, base_version: data.baseVersion });
    if (ok) {
      say((explicit ? t('草稿已保存 ') : t('已自动保存草稿 ')) + timeNow(), 'saved');
    } else {
      dirty = true;
      say(t('草稿未保存：') + (answer.message || t('请稍后再试')), 'error');
    }
  }

  function showProblems(problems, notices, suggestions = []) {
    for (const id of marked) {
      if (registry.get(id)) {
        canvas.removeMarker(id, 'lintel-problem');
        canvas.removeMarker(id, 'lintel-advice');
      }
    }
    overlays.remove({ type: 'lintel-problem' });
    marked = [];
    list.replaceChildren();
    const counts = {};
    for (const problem of problems) {
      const item = document.createElement('li');
      const where = problem.element_id && registry.get(problem.element_id);
      const name = where ? (where.businessObject.name || problem.element_id) : '';
      item.textContent = (name ? t('「') + name + t('」：') : '') + problem.message;
      item.className = 'problem';
      if (where) {
        item.dataset.element = problem.element_id;
        item.tabIndex = 0;
        item.addEventListener('click', () => {
          selection.select(where);
          canvas.scrollToElement(where);
        });
        if (!marked.includes(problem.element_id)) {
          marked.push(problem.element_id);
          canvas.addMarker(problem.element_id, 'lintel-problem');
        }
        counts[problem.element_id] = (counts[problem.element_id] || 0) + 1;
      }
      list.appendChild(item);
    }
    for (const [id, count] of Object.entries(counts)) {
      const badge = document.createElement('div');
      badge.className = 'lintel-problem-badge';
      badge.textContent = String(count);
      badge.title = count + t(' 个问题');
      overlays.add(id, 'lintel-problem', { position: { top: -10, right: 10 }, html: badge });
    }
    for (const suggestion of suggestions) {
      const where = suggestion.element_id && registry.get(suggestion.element_id);
      const item = document.createElement('li');
      item.className = 'advice';
      const name = where ? (where.businessObject.name || '') : '';
      item.textContent = t('建议：') + (name ? t('「') + name + t('」：') : '') + suggestion.message;
      if (where) {
        item.dataset.element = suggestion.element_id;
        item.addEventListener('click', () => {
          selection.select(where);
          canvas.scrollToElement(where);
        });
        if (!counts[suggestion.element_id]) {
          canvas.addMarker(suggestion.element_id, 'lintel-advice');
          marked.push(suggestion.element_id);
        }
      }
      list.appendChild(item);
    }
    root.dataset.advice = String(suggestions.length);
    for (const notice of notices) {
      const item = document.createElement('li');
      item.className = 'notice';
      item.textContent = t('提示：') + notice.message;
      list.appendChild(item);
    }
    summary.textContent = problems.length ? problems.length + t(' 个问题') : t('没有问题，可以部署');
    summary.className = problems.length ? 'problem-count bad' : 'problem-count good';
    root.dataset.problems = String(problems.length);
  }

  async function check() {
    clearTimeout(checkTimer);
    const mine = ++checking;
    root.dataset.checking = 'true';
    const [{ ok, answer }, suggestions] = await Promise.all([
      request(data.urls.check, { xml: await xml() }),
      advice(modeler.getDefinitions()).catch(() => []),
    ]);
    if (mine !== checking) return; // a later check is on its way
    root.dataset.checking = 'false';
    if (ok) showProblems(answer.problems || [], answer.notices || [], suggestions);
    else say(t('检查失败：') + (answer.message || t('请稍后再试')), 'error');
  }

  function changed() {
    if (deployed) return;
    undo.disabled = !commandStack.canUndo();
    redo.disabled = !commandStack.canRedo();
    dirty = true;
    say(t('有未保存的修改…'), '');
    clearTimeout(saveTimer);
    clearTimeout(checkTimer);
    saveTimer = setTimeout(() => saveDraft(false), AUTOSAVE_MS);
    checkTimer = setTimeout(check, CHECK_MS);
  }

  undo.addEventListener('click', () => commandStack.undo());
  redo.addEventListener('click', () => commandStack.redo());
  save.addEventListener('click', () => saveDraft(true));
  // Ctrl+Z / Ctrl+Y anywhere on the page but in a field (the canvas handles its own keys when focused).
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (!(event.ctrlKey || event.metaKey)) return;
    if (target.closest('input, textarea, select, [contenteditable], #studio-canvas')) return;
    const key = event.key.toLowerCase();
    if (key === 'z' && !event.shiftKey) commandStack.undo();
    else if (key === 'y' || (key === 'z' && event.shiftKey)) commandStack.redo();
    else return;
    event.preventDefault();
  });
  window.addEventListener('beforeunload', (event) => {
    if (dirty) event.preventDefault();
  });

  deployForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    deployError.textContent = '';
    if (!note.value.trim()) {
      deployError.textContent = t('请填写变更说明：这一版改了什么、为什么改。');
      note.focus();
      return;
    }
    const button = deployForm.querySelector('button[type=submit]');
    button.disabled = true;
    // No autosave may bring the draft back once the version is deployed (deploying discards it).
    clearTimeout(saveTimer);
    clearTimeout(checkTimer);
    const { ok, answer } = await request(data.urls.deploy, { xml: await xml(), note: note.value });
    button.disabled = false;
    if (ok) {
      dirty = false;
      deployed = true;
      window.location.assign(answer.url);
      return;
    }
    if (dirty) saveTimer = setTimeout(() => saveDraft(false), AUTOSAVE_MS);
    deployError.textContent = answer.message || t('未部署');
    if (answer.problems) showProblems(answer.problems, []);
  });

  modeler.on('commandStack.changed', changed);
  // A form or table saved from the editors is in the draft now: check again, and show the panel's new choices.
  document.addEventListener('lintel:files-saved', () => {
    check();
    const selected = selection.get()[0];
    modeler.get('eventBus').fire('elements.changed', { elements: selected ? [selected] : [] });
  });
  modeler.importXML(data.xml).then(({ warnings }) => {
    canvas.zoom('fit-viewport', 'auto');
    undo.disabled = true;
    redo.disabled = true;
    say(data.draftSavedAt ? t('已打开 ') + data.draftSavedAt + t(' 保存的草稿') : t('已打开'), '');
    if (warnings && warnings.length) say(t('流程图中有 ') + warnings.length + t(' 处无法识别的内容，已保持原样'), '');
    root.dataset.ready = 'true';
    check();
  }).catch((error) => {
    say(t('流程图无法打开：') + error.message, 'error');
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
