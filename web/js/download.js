// Downloads of what the page shows: every table as CSV (plain, for scripts and GIS) and as CSV
// for Excel (semicolons, decimal commas, a byte-order mark, and the source above the table), and
// every chart and the map as PNG. Each file says where its figures come from: the release, its
// date and its accuracy, so a figure copied into a case file keeps its provenance.
import { getJson } from './api.js';
import { t, esc, lang } from './i18n.js';

let release = null;
/** The release the figures come from: version, date, accuracy sentence (once per page). */
export async function provenance() {
  release ??= getJson('api/release').catch(() => null);
  const r = await release;
  if (!r) return { version: '', built: '', accuracy: '' };
  return { version: String(r.release ?? ''), built: String(r.built_at ?? '').slice(0, 10), accuracy: lang === 'nb' ? r.accuracy_nb : r.accuracy_en };
}

/** A table's cell as plain CSV text: numbers with a dot, text quoted when it needs it. */
function plain(value) {
  const text = value == null ? '' : String(value);
  return /[",\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A cell for Norwegian Excel: decimal comma, semicolon-safe quoting, and text that Excel would
 * take for a formula (a name starting with =, +, - or @) kept as text. */
function excel(value) {
  if (typeof value === 'number') return String(value).replace('.', ',');
  const text = String(value ?? '');
  return plain(/^[=+\-@]/.test(text) ? `'${text}` : text);
}

/** The two CSV files of a table. `columns` are the header, `rows` arrays of numbers or text. */
export async function csvFiles(name, columns, rows) {
  const p = await provenance();
  const source = `${t('download_source')}: bomiljø, ${t('download_release')} ${p.version} (${p.built})`;
  const csv = [[...columns, 'release', 'release_date'].map(plain).join(','), ...rows.map((r) => [...r, p.version, p.built].map(plain).join(','))].join('\n');
  const forExcel = [plain(name), plain(source), plain(p.accuracy), '', columns.map(plain).join(';'), ...rows.map((r) => r.map(excel).join(';'))].join('\r\n');
  return { csv: new Blob([`${csv}\n`], { type: 'text/csv;charset=utf-8' }), excel: new Blob([`\ufeff${forExcel}\r\n`], { type: 'text/csv;charset=utf-8' }) };
}

/** The object URLs of each file's last links: made again, the old ones are let go. */
const made = new Map();

/** Links to download a table as CSV and as CSV for Excel. */
export async function tableLinks(name, file, columns, rows) {
  const { csv, excel: forExcel } = await csvFiles(name, columns, rows);
  for (const url of made.get(file) ?? []) URL.revokeObjectURL(url);
  const urls = [URL.createObjectURL(csv), URL.createObjectURL(forExcel)];
  made.set(file, urls);
  const link = (url, suffix, label) => `<a download="${esc(file)}${suffix}.csv" href="${url}">${esc(t(label))}</a>`;
  return `<p class="downloads">${t('download')}: ${link(urls[0], '', 'download_csv')} · ${link(urls[1], '-excel', 'download_excel')}</p>`;
}

/** Saves a blob under a file name (through a temporary link). */
function save(blob, file) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: file });
  document.body.append(a);
  a.click();
  a.remove();
}

/** An SVG chart as a PNG at twice its size, with the source written under it. */
export async function chartPng(svg, file) {
  const p = await provenance();
  const box = svg.viewBox.baseVal;
  const scale = 2, footer = 16;
  const canvas = Object.assign(document.createElement('canvas'), { width: box.width * scale, height: (box.height + footer) * scale });
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const image = new Image();
  const data = new XMLSerializer().serializeToString(svg);
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data)}`;
  await image.decode();
  ctx.drawImage(image, 0, 0, box.width * scale, box.height * scale);
  ctx.fillStyle = '#222222';
  ctx.font = `${9 * scale}px sans-serif`;
  ctx.fillText(`bomiljø, ${t('download_release')} ${p.version} (${p.built})`, 4 * scale, (box.height + 12) * scale);
  canvas.toBlob((blob) => save(blob, file), 'image/png');
}

/** The map as drawn, as a PNG. */
export function mapPng(map, file) {
  map.getCanvas().toBlob((blob) => save(blob, file), 'image/png');
}

/** Makes every `button[data-png]` in `root` save the chart of its figure as PNG. */
export function wireCharts(root) {
  for (const button of root.querySelectorAll('button[data-png]')) {
    button.addEventListener('click', () => chartPng(button.closest('figure').querySelector('svg'), button.dataset.png));
  }
}
