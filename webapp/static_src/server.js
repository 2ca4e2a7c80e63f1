// Asking Lintel's server from the studio's bundles: JSON both ways, the page's CSRF token, and an answer whose
// body could not be read turned into a message in the reader's language.
import { t } from './words.js';

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRFToken'] || '';
  } catch (e) {
    return '';
  }
}

// GET without a body, POST with one; resolves to { ok, status, answer }.
export async function request(url, body) {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch (e) {
    answer = { message: t('服务器没有给出可读的回答') };
  }
  return { ok: response.ok, status: response.status, answer };
}

export function timeNow() {
  return new Date().toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
