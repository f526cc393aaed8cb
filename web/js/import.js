// An admin's import from the page: the file goes to POST /api/admin/import/{layer}, which imports
// it while the server goes on answering; the report, or every rejected row as file:line: reason,
// is shown as the command line prints it. A CSV's own columns (a police export as Excel writes it:
// `Saksnr;Dato;Hendelsestype;Øst;Nord`) are read here and offered for each field the layer
// reads, as `bomiljo import --field` does on the command line.
import { getJson, token } from './api.js';
import { t, esc } from './i18n.js';
import { fold } from './place.js';

const $ = (id) => document.getElementById(id);
let layers = [];

export async function setupImport() {
  layers = await getJson('api/layers').catch(() => []);
  $('import-layer').innerHTML = layers.map((l) => `<option value="${esc(l.name)}">${esc(l.title?.nb ?? l.name)}</option>`).join('');
  $('import-send').addEventListener('click', send);
  $('import-layer').addEventListener('change', showMapping);
  $('import-file').addEventListener('change', showMapping);
}

/** The header of a CSV file: its first line, split on the separator it uses (semicolon,
 * comma or tab), in UTF-8 or, when that fails, Windows-1252 (Excel's Norwegian default). */
export function csvColumns(bytes) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('windows-1252').decode(bytes);
  }
  const line = text.replace(/^\ufeff/, '').split(/\r?\n/)[0] ?? '';
  const separator = [';', '\t', ','].map((s) => [s, line.split(s).length]).sort((a, b) => b[1] - a[1])[0][0];
  return line.split(separator).map((c) => c.trim().replace(/^"(.*)"$/, '$1')).filter(Boolean);
}

/** The column of the file for a field: the layer's own column when the file has it, else the
 * file's column of the same name, ignoring case and accents. */
export function guess(field, columns) {
  for (const want of [field.column, field.field]) {
    const hit = columns.find((c) => fold(c) === fold(want));
    if (hit) return hit;
  }
  return '';
}

/** One choice per field the layer reads, from the CSV's own columns. */
async function showMapping() {
  const box = $('import-mapping');
  const file = $('import-file').files[0];
  const layer = layers.find((l) => l.name === $('import-layer').value);
  if (!file || !layer || !/\.(csv|txt)$/i.test(file.name)) {
    box.hidden = true;
    box.innerHTML = '';
    return;
  }
  const columns = csvColumns(new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer()));
  const options = (selected) => [`<option value="">${esc(t('import_column_none'))}</option>`]
    .concat(columns.map((c) => `<option value="${esc(c)}"${c === selected ? ' selected' : ''}>${esc(c)}</option>`)).join('');
  box.innerHTML = `<legend>${esc(t('import_columns'))}</legend>` + layer.columns.map((f) =>
    `<label><span>${esc(f.field)}${f.required ? ' *' : ''}</span> <select data-field="${esc(f.field)}" data-column="${esc(f.column)}">${options(guess(f, columns))}</select></label>`).join('') +
    `<p class="note">${esc(t('import_columns_note'))}</p>`;
  box.hidden = false;
}

/** The `fields` parameter: every field mapped to a column other than the layer's own. */
function fieldsParam() {
  return [...document.querySelectorAll('#import-mapping select[data-field]')]
    .filter((s) => s.value && s.value !== s.dataset.column)
    .map((s) => `${s.dataset.field}=${s.value}`)
    .join(',');
}

async function send() {
  const file = $('import-file').files[0];
  const report = $('import-report');
  if (!file) {
    report.textContent = t('import_no_file');
    return;
  }
  // The choices travel as field=column pairs separated by commas.
  const odd = [...document.querySelectorAll('#import-mapping select[data-field]')].map((s) => s.value).find((c) => /[,=]/.test(c));
  if (odd) {
    report.textContent = t('import_column_odd').replace('{column}', odd);
    return;
  }
  const params = new URLSearchParams({ filename: file.name });
  if ($('import-mode').value) params.set('mode', $('import-mode').value);
  if ($('import-dry-run').checked) params.set('dry_run', 'true');
  const fields = fieldsParam();
  if (fields) params.set('fields', fields);
  report.textContent = t('import_sending').replace('{file}', file.name);
  const layer = encodeURIComponent($('import-layer').value);
  const response = await fetch(`api/admin/import/${layer}?${params}`, { method: 'POST', headers: { Authorization: `Bearer ${token()}` }, body: file });
  const body = await response.json().catch(() => ({}));
  report.textContent = response.ok ? body.report : `${t('import_refused')}\n${body.error ?? `HTTP ${response.status}`}`;
}
