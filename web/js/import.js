// An admin's import from the page: the file goes to POST /api/admin/import/{layer}, which imports
// it while the server goes on answering; the report, or every rejected row as file:line: reason,
// is shown as the command line prints it.
import { getJson, token } from './api.js';
import { t, esc } from './i18n.js';

const $ = (id) => document.getElementById(id);

export async function setupImport() {
  const list = await getJson('collections').catch(() => ({ collections: [] }));
  $('import-layer').innerHTML = list.collections.map((c) => `<option value="${esc(c.id)}">${esc(c.title ?? c.id)}</option>`).join('');
  $('import-send').addEventListener('click', send);
}

async function send() {
  const file = $('import-file').files[0];
  const report = $('import-report');
  if (!file) {
    report.textContent = t('import_no_file');
    return;
  }
  const params = new URLSearchParams({ filename: file.name });
  if ($('import-mode').value) params.set('mode', $('import-mode').value);
  if ($('import-dry-run').checked) params.set('dry_run', 'true');
  report.textContent = t('import_sending').replace('{file}', file.name);
  const layer = encodeURIComponent($('import-layer').value);
  const response = await fetch(`api/admin/import/${layer}?${params}`, { method: 'POST', headers: { Authorization: `Bearer ${token()}` }, body: file });
  const body = await response.json().catch(() => ({}));
  report.textContent = response.ok ? body.report : (body.error ?? `HTTP ${response.status}`);
}
