// Bokmål and English strings, loaded from i18n/*.json; no strings live in the code.
let strings = {};
export let lang = 'nb';

export async function load(next) {
  lang = next;
  strings = await (await fetch(`i18n/${next}.json`)).json();
  document.documentElement.lang = next;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

export const t = (key) => strings[key] ?? key;

/** Escapes text from data (area names, codes, labels) before it goes into HTML. */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export function fmt(n, digits = 0) {
  if (n == null) return t('unknown');
  if (typeof n === 'string') return esc(n); // a suppressed count, "<5"
  // An estimate from the public release: "42 (36–47)", or "0–7" when the interval reaches 0.
  if (typeof n === 'object') return esc(n.low === 0 ? `0–${fmt(n.high)}` : `${fmt(Math.min(Math.max(Math.round(n.estimate), n.low), n.high))} (${fmt(n.low)}–${fmt(n.high)})`);
  return n.toLocaleString(lang === 'nb' ? 'nb-NO' : 'en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
