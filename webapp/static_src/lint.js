// Drawing advice from bpmnlint, beside the server's deploy checks: what runs but is likely a mistake in the
// drawing (an element with no flow, a task that splits without a gateway…). Advice never blocks a deploy;
// each rule's message is said in Chinese.
import { Linter } from 'bpmnlint';
import { t } from './words.js';
import endEventRequired from 'bpmnlint/rules/end-event-required';
import noDisconnected from 'bpmnlint/rules/no-disconnected';
import noGatewayJoinFork from 'bpmnlint/rules/no-gateway-join-fork';
import noImplicitSplit from 'bpmnlint/rules/no-implicit-split';
import singleBlankStartEvent from 'bpmnlint/rules/single-blank-start-event';
import superfluousGateway from 'bpmnlint/rules/superfluous-gateway';

const RULES = {
  'end-event-required': endEventRequired,
  'no-disconnected': noDisconnected,
  'no-gateway-join-fork': noGatewayJoinFork,
  'no-implicit-split': noImplicitSplit,
  'single-blank-start-event': singleBlankStartEvent,
  'superfluous-gateway': superfluousGateway,
};

const WORDS = [
  [/is missing end event$/, '流程没有结束事件：请在最后一步之后加一个'],
  [/^Element is not connected$/, '此元素没有连线，永远不会执行'],
  [/^Gateway forks and joins$/, '网关既汇合又分支：请拆成一个汇合网关和一个分支网关'],
  [/^Flow splits implicitly$/, '从此元素直接分出多条线：请用网关分支，并写明条件'],
  [/has multiple blank start events$/, '有多个空白开始事件：只保留一个'],
  [/^Gateway is superfluous/, '多余的网关：只有一条流入线和一条流出线'],
];

const linter = new Linter({
  config: { rules: Object.fromEntries(Object.keys(RULES).map((name) => [name, 'warn'])) },
  resolver: {
    resolveRule: (pkg, name) => RULES[name],
    resolveConfig: () => {
      throw new Error('no shared configurations in the studio');
    },
  },
});

function inChinese(message) {
  const found = WORDS.find(([pattern]) => pattern.test(message));
  return found ? t(found[1]) : message;
}

// [{element_id, message}] for the diagram the modeler holds.
export async function advice(definitions) {
  const results = await linter.lint(definitions);
  const found = [];
  for (const reports of Object.values(results)) {
    for (const report of reports) found.push({ element_id: report.id, message: inChinese(report.message) });
  }
  return found;
}
