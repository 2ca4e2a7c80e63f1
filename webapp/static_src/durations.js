// A boundary timer's duration as the panel shows it (a number and a unit) and as the engine reads it:
// a timeDate expression calling one of the deadline functions the script environment offers
// (engine/deadlines.py). Anything else is an advanced expression, kept exactly as written.
import { t } from './words.js';

const CALL = /^\s*(calendar_hours|business_hours|working_days)\(\s*(\d+(?:\.\d+)?)\s*\)\s*$/;

export function timerText(definition) {
  if (!definition) return { kind: 'timeDate', text: '' };
  for (const kind of ['timeDate', 'timeDuration', 'timeCycle']) {
    if (definition[kind]) return { kind, text: definition[kind].body || '' };
  }
  return { kind: 'timeDate', text: '' };
}

// {amount, unit: 'hours'|'days'} for an empty or a simple expression; null when only an advanced one fits.
export function readDuration(definition) {
  const { kind, text } = timerText(definition);
  if (!text.trim()) return { amount: '', unit: null };
  if (kind === 'timeCycle') return null;
  const match = CALL.exec(text);
  if (!match) return null;
  return { amount: match[2], unit: match[1] === 'working_days' ? 'days' : 'hours', fn: match[1] };
}

export function durationExpression(amount, unit, clock) {
  const number = String(amount).trim();
  if (!number) return '';
  if (unit === 'days') return `working_days(${number})`;
  return clock === 'business' ? `business_hours(${number})` : `calendar_hours(${number})`;
}

export function validAmount(value) {
  const text = String(value || '').trim();
  if (!text) return null;
  if (!/^\d+(\.\d+)?$/.test(text)) return t('请填写一个正数，例如 2 或 1.5');
  if (Number(text) <= 0) return t('时长必须大于 0');
  return null;
}
