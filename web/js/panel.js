// The delbydel panel: figures, incidents per source and year, and a small chart of the series.
import { collection, emerging, getJson, measurement } from './api.js';
import { areaFeatures } from './areas.js';
import { tableLinks, wireCharts } from './download.js';
import { t, fmt, esc, lang } from './i18n.js';

function chart(points) {
  // Bars at the estimate (never below 0) with the 95 % interval as a whisker; the label says the
  // estimate, the tooltip the interval.
  const counts = points.map((p) => (typeof p.count === 'number' ? p.count : p.count && typeof p.count === 'object' ? Math.max(0, p.count.estimate) : null));
  const highs = points.map((p, i) => (p.count && typeof p.count === 'object' ? p.count.high : counts[i]));
  const max = Math.max(1, ...highs.filter((c) => c != null));
  const w = 320, h = 110, bar = w / Math.max(points.length, 1);
  const y = (v) => h - 18 - (v / max) * (h - 30);
  const bars = points.map((p, i) => {
    const c = counts[i];
    const interval = p.count && typeof p.count === 'object';
    const label = c == null ? fmt(p.count) : interval ? fmt(Math.round(c)) : fmt(c);
    const whisker = interval ? `<line x1="${i * bar + bar / 2}" x2="${i * bar + bar / 2}" y1="${y(p.count.low)}" y2="${y(p.count.high)}" stroke="#000" stroke-width="1.5"/>` : '';
    const top = c == null ? h - 18 : y(interval ? p.count.high : c);
    return `<g><rect x="${i * bar + 4}" y="${c == null ? h - 18 : y(c)}" width="${bar - 8}" height="${c == null ? 0 : h - 18 - y(c)}" fill="#3b528b"><title>${p.year}: ${fmt(p.count)}</title></rect>${whisker}` +
      `<text x="${i * bar + bar / 2}" y="${h - 4}" font-size="10" text-anchor="middle">${p.year}</text>` +
      `<text x="${i * bar + bar / 2}" y="${top - 4}" font-size="9" text-anchor="middle">${label}</text></g>`;
  }).join('');
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${t('series')}">${bars}</svg>` +
    (points.some((p) => p.count && typeof p.count === 'object') ? `<p class="note">${t('chart_interval')}</p>` : '');
}

/** The series chart with a button that saves it as PNG. */
const chartWithPng = (points, file) =>
  `<figure class="chart-box">${chart(points)}<button type="button" class="link" data-png="${esc(file)}.png">${t('download_png')}</button></figure>`;

/** An estimate's parts for a table file: the estimate and its 95 % interval. */
const figureCells = (count) => (count && typeof count === 'object' ? [Math.round(count.estimate * 10) / 10, count.low, count.high] : [count ?? '', '', '']);

/** Download links for a year's rows per source (count with its interval, rate with its). */
function yearLinks(rows, name, file) {
  const columns = ['code', 'source', 'year', 'count_estimate', 'count_low', 'count_high', 'rate_per_1000', 'rate_low', 'rate_high'];
  const data = rows.map((r) => [r.code, r.source, r.year, ...figureCells(r.count), r.rate_per_1000, ...(r.rate_per_1000_ci95 ?? ['', ''])]);
  return tableLinks(name, file, columns, data);
}

/** Download links for a series (a year and its count with the interval). */
function seriesLinks(series, name, file) {
  return tableLinks(name, file, ['code', 'year', 'count_estimate', 'count_low', 'count_high'], series.points.map((p) => [series.code ?? '', p.year, ...figureCells(p.count)]));
}

let bydeler = null;

/** A bydel's name from the bydeler layer (its code when the layer is not imported). */
async function bydelName(code) {
  bydeler ??= collection('bydeler').then((c) => Object.fromEntries(c.features.map((f) => [String(f.id), f.properties.name])));
  return (await bydeler)[code] ?? code;
}

/** A rate per 1,000 with its interval, as shown: the release's unbiased estimate can fall below
 * 0 where there are few incidents, but no area has fewer than none. */
function rate(r) {
  if (r?.rate_per_1000 == null) return t('unknown');
  const ci = r.rate_per_1000_ci95;
  return `${fmt(Math.max(0, r.rate_per_1000), 1)}${ci ? ` (${fmt(Math.max(0, ci[0]), 1)}–${fmt(Math.max(0, ci[1]), 1)})` : ''}`;
}

/** Count, rate per 1,000, the rate against Oslo's and the rank per source for the year. */
function yearTable(rows, year) {
  if (!rows.length) return `<p>${t('none')}</p>`;
  const body = rows.map((r) => `<tr><td>${esc(t(r.source))}</td><td>${fmt(r.count)}</td><td>${rate(r)}</td>` +
    `<td>${r.ratio_to_city == null ? t('unknown') : `${fmt(r.ratio_to_city, 2)} ${t('times_oslo')}`}</td><td>${r.rank == null ? t('unknown') : `${fmt(r.rank)} / ${fmt(r.ranked)}`}</td></tr>`).join('');
  return `<table><caption class="visually-hidden">${esc(year)}</caption><thead><tr><th scope="col">${t('source')}</th><th scope="col">${t('count')}</th><th scope="col">${t('rate_per_1000')}</th><th scope="col">${t('vs_oslo')}</th><th scope="col">${t('rank_of')}</th></tr></thead><tbody>${body}</tbody></table>`;
}

/** The emerging patterns of the city-wide analysis whose cells lie in the delbydel, a line each:
 * "2 celler med tiltagende varm sone siden 2019". "Since" is the first year of the final run of
 * hot (cold) years; a historical pattern has none. */
function emergingLines(found, code) {
  if (!found) return `<p>${t('none')}</p>`;
  const byLabel = new Map();
  for (const f of found.features.filter((f) => f.properties.delbydel === code)) {
    const p = f.properties;
    let run = 0;
    for (let i = p.states.length - 1; i >= 0 && p.states[i] === p.pattern.side; i -= 1) run += 1;
    const since = run > 0 ? found.years[0] + p.states.length - run : null;
    const label = lang === 'en' ? p.label_en : p.label;
    const entry = byLabel.get(label) ?? { cells: 0, since: null };
    entry.cells += 1;
    if (since != null) entry.since = entry.since == null ? since : Math.min(entry.since, since);
    byLabel.set(label, entry);
  }
  if (!byLabel.size) return `<p>${t('no_pattern')} (${found.years[0]}–${found.years[1]})</p>`;
  return `<ul>${[...byLabel].map(([label, e]) => `<li>${fmt(e.cells)} ${t(e.cells === 1 ? 'cell_with' : 'cells_with')} ${esc(label)}${e.since == null ? '' : ` ${t('since')} ${e.since}`}</li>`).join('')}</ul>` +
    `<p class="note">${found.years[0]}–${found.years[1]}</p>`;
}

/** Two delbydeler side by side for the year: per source each one's rate per 1,000 with its
 * interval, and whether the intervals tell them apart. */
function sideBySide(a, b, measured, year) {
  const name = (code) => esc(areaFeatures().find((f) => f.properties.code === code)?.properties.name ?? code);
  const sources = [...new Set(measured.map((r) => r.source))];
  const row = (source) => {
    const [ra, rb] = [a, b].map((code) => measured.find((r) => r.code === code && r.source === source));
    const [ca, cb] = [ra?.rate_per_1000_ci95, rb?.rate_per_1000_ci95];
    const verdict = !ca || !cb ? t('unknown') : ca[0] > cb[1] ? `${name(a)} ${t('higher')}` : ca[1] < cb[0] ? `${name(b)} ${t('higher')}` : t('not_apart');
    return `<tr><th scope="row">${esc(t(source))}</th><td>${rate(ra)}</td><td>${rate(rb)}</td><td>${verdict}</td></tr>`;
  };
  return `<div class="table-scroll" tabindex="0" role="region" aria-label="${esc(t('compare_areas'))}"><table><caption>${t('rate_per_1000')}, ${esc(year)}</caption>` +
    `<thead><tr><th scope="col">${t('source')}</th><th scope="col">${name(a)}</th><th scope="col">${name(b)}</th><th scope="col">${t('difference')}</th></tr></thead>` +
    `<tbody>${sources.map(row).join('')}</tbody></table></div><p class="note">${t('compare_note')}</p>`;
}

/** The choice of a second delbydel to set beside this one. */
function compareChoice(code, other) {
  const options = areaFeatures().map((f) => f.properties).filter((p) => p.code !== code)
    .sort((x, y) => String(x.name ?? x.code).localeCompare(String(y.name ?? y.code), 'nb'))
    .map((p) => `<option value="${esc(p.code)}"${p.code === other ? ' selected' : ''}>${esc(p.name ?? p.code)}</option>`).join('');
  return `<label><span>${t('compare_with')}</span> <select id="compare-with"><option value="">–</option>${options}</select></label>`;
}

export async function showArea(code, year, source = '', other = '') {
  const [area, series, measured, found] = await Promise.all([
    getJson(`api/areas/${encodeURIComponent(code)}`),
    getJson(`api/series?code=${encodeURIComponent(code)}`),
    measurement(year),
    emerging(source),
  ]);
  const bydel = area.bydel == null ? esc(t('unknown')) : `<button type="button" class="link" data-bydel="${esc(area.bydel)}">${esc(await bydelName(area.bydel))}</button>`;
  const own = measured.filter((r) => r.code === code);
  const years = [...new Set(Object.values(area.counts).flatMap((y) => Object.keys(y)))].sort();
  const rows = Object.entries(area.counts).map(([source, byYear]) =>
    `<tr><td>${esc(t(source))}</td>${years.map((y) => `<td>${byYear[y] == null ? '–' : fmt(byYear[y])}</td>`).join('')}</tr>`).join('');
  const trend = series.trend ? `${t('trend')}: ${fmt(series.trend.pct_per_year, 1)} % ${t('per_year')} (p = ${fmt(series.trend.p_value, 3)})` : '';
  document.getElementById('panel').innerHTML = `
    <h2>${esc(area.name ?? area.code)} <small>(${esc(area.code)})</small></h2>
    <p>${t('bydel')}: ${bydel}<br>${t('population')}: ${fmt(area.population)}<br>${t('area')}: ${fmt(area.area_km2, 2)} km²</p>
    <h3>${esc(year)}</h3>${yearTable(own, year)}${await yearLinks(own, `${area.name ?? code} ${year}`, `bomiljo-${code}-${year}`)}
    <h3>${t('compare_areas')}</h3>${compareChoice(code, other)}${other ? sideBySide(code, other, measured, year) : ''}
    <h3>${t('series')}</h3>${chartWithPng(series.points, `bomiljo-${code}-serie`)}<p class="note">${trend}</p>${await seriesLinks(series, `${area.name ?? code}: ${t('series')}`, `bomiljo-${code}-serie`)}
    <h3>${t('emerging')}</h3>${emergingLines(found, code)}
    <h3>${t('incidents')}</h3>
    ${years.length ? `<table><thead><tr><th>${t('source')}</th>${years.map((y) => `<th>${esc(y)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>` : `<p>${t('none')}</p>`}`;
  wireCharts(document.getElementById('panel'));
}

/** A bydel's page: its figures per source for the year, its series, its delbydeler side by side
 * (rate per 1,000 per source, with intervals), downloads and the bydel's annual report as PDF. */
export async function showBydel(code, year) {
  const [bydelRows, series, measured, name] = await Promise.all([
    getJson(`api/measurement?year=${year}&level=bydel`),
    getJson(`api/series?code=${encodeURIComponent(code)}`),
    measurement(year),
    bydelName(code),
  ]);
  const members = areaFeatures().filter((f) => f.properties.bydel === code).map((f) => f.properties);
  const population = members.reduce((sum, p) => sum + (p.population ?? 0), 0);
  const own = bydelRows.filter((r) => r.code === code);
  const sources = [...new Set(measured.map((r) => r.source))];
  const find = (area, source) => measured.find((r) => r.code === area && r.source === source);
  const body = members.sort((a, b) => String(a.name ?? a.code).localeCompare(String(b.name ?? b.code), 'nb')).map((p) =>
    `<tr><th scope="row"><button type="button" class="link" data-code="${esc(p.code)}">${esc(p.name ?? p.code)}</button></th>${sources.map((s) => `<td>${rate(find(p.code, s))}</td>`).join('')}</tr>`).join('');
  const table = members.length
    ? `<div class="table-scroll" tabindex="0" role="region" aria-label="${esc(t('bydel_members'))}"><table><caption>${t('rate_per_1000')}, ${esc(year)}</caption><thead><tr><th scope="col">${t('delbydel')}</th>${sources.map((s) => `<th scope="col">${esc(t(s))}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table></div>`
    : `<p>${t('none')}</p>`;
  const memberRows = measured.filter((r) => members.some((m) => m.code === r.code));
  const trend = series.trend ? `${t('trend')}: ${fmt(series.trend.pct_per_year, 1)} % ${t('per_year')} (p = ${fmt(series.trend.p_value, 3)})` : '';
  const report = `api/reports/annual/${year}/bydel-${encodeURIComponent(code)}.pdf`;
  document.getElementById('panel').innerHTML = `
    <h2>${esc(name)} <small>(${t('kind_bydel')} ${esc(code)})</small></h2>
    <p>${t('population')}: ${fmt(population)}<br>${t('delbydeler_count')}: ${fmt(members.length)}</p>
    <p><a href="${report}" target="_blank" rel="noopener">${t('bydel_report')} ${esc(year)} (PDF)</a></p>
    <h3>${esc(year)}</h3>${yearTable(own, year)}${await yearLinks(own, `${name} ${year}`, `bomiljo-bydel-${code}-${year}`)}
    <h3>${t('series')}</h3>${chartWithPng(series.points, `bomiljo-bydel-${code}-serie`)}<p class="note">${trend}</p>${await seriesLinks(series, `${name}: ${t('series')}`, `bomiljo-bydel-${code}-serie`)}
    <h3>${t('bydel_members')}</h3>${table}${await yearLinks(memberRows, `${name}: ${t('bydel_members')} ${year}`, `bomiljo-bydel-${code}-delbydeler-${year}`)}`;
  wireCharts(document.getElementById('panel'));
}
