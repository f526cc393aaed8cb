// The delbydel panel: figures, incidents per source and year, and a small chart of the series.
import { collection, emerging, getJson, measurement } from './api.js';
import { t, fmt, esc, lang } from './i18n.js';

function chart(points) {
  // Bars at the estimate (never below 0); the label says the interval.
  const counts = points.map((p) => (typeof p.count === 'number' ? p.count : p.count && typeof p.count === 'object' ? Math.max(0, p.count.estimate) : null));
  const max = Math.max(1, ...counts.filter((c) => c != null));
  const w = 320, h = 110, bar = w / Math.max(points.length, 1);
  const bars = points.map((p, i) => {
    const c = counts[i];
    const bh = c == null ? 0 : (c / max) * (h - 30);
    const label = c == null ? p.count : fmt(p.count);
    return `<g><rect x="${i * bar + 4}" y="${h - 18 - bh}" width="${bar - 8}" height="${bh}" fill="#3b528b"><title>${p.year}: ${label}</title></rect>` +
      `<text x="${i * bar + bar / 2}" y="${h - 4}" font-size="10" text-anchor="middle">${p.year}</text>` +
      `<text x="${i * bar + bar / 2}" y="${h - 22 - bh}" font-size="9" text-anchor="middle">${label}</text></g>`;
  }).join('');
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${t('series')}">${bars}</svg>`;
}

let bydeler = null;

/** A bydel's name from the bydeler layer (its code when the layer is not imported). */
async function bydelName(code) {
  bydeler ??= collection('bydeler').then((c) => Object.fromEntries(c.features.map((f) => [String(f.id), f.properties.name])));
  return (await bydeler)[code] ?? code;
}

/** Count, rate per 1,000, the rate against Oslo's and the rank per source for the year. */
function yearTable(rows, year) {
  if (!rows.length) return `<p>${t('none')}</p>`;
  const body = rows.map((r) => `<tr><td>${esc(t(r.source))}</td><td>${fmt(r.count)}</td><td>${fmt(r.rate_per_1000, 1)}${r.rate_per_1000_ci95 ? ` (${fmt(r.rate_per_1000_ci95[0], 1)}–${fmt(r.rate_per_1000_ci95[1], 1)})` : ''}</td>` +
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

export async function showArea(code, year, source = '') {
  const [area, series, measured, found] = await Promise.all([
    getJson(`api/areas/${encodeURIComponent(code)}`),
    getJson(`api/series?code=${encodeURIComponent(code)}`),
    measurement(year),
    emerging(source),
  ]);
  const bydel = area.bydel == null ? t('unknown') : await bydelName(area.bydel);
  const years = [...new Set(Object.values(area.counts).flatMap((y) => Object.keys(y)))].sort();
  const rows = Object.entries(area.counts).map(([source, byYear]) =>
    `<tr><td>${esc(t(source))}</td>${years.map((y) => `<td>${fmt(byYear[y] ?? 0)}</td>`).join('')}</tr>`).join('');
  const trend = series.trend ? `${t('trend')}: ${fmt(series.trend.pct_per_year, 1)} % ${t('per_year')} (p = ${fmt(series.trend.p_value, 3)})` : '';
  document.getElementById('panel').innerHTML = `
    <h2>${esc(area.name ?? area.code)} <small>(${esc(area.code)})</small></h2>
    <p>${t('bydel')}: ${esc(bydel)}<br>${t('population')}: ${fmt(area.population)}<br>${t('area')}: ${fmt(area.area_km2, 2)} km²</p>
    <h3>${esc(year)}</h3>${yearTable(measured.filter((r) => r.code === code), year)}
    <h3>${t('series')}</h3>${chart(series.points)}<p class="note">${trend}</p>
    <h3>${t('emerging')}</h3>${emergingLines(found, code)}
    <h3>${t('incidents')}</h3>
    ${years.length ? `<table><thead><tr><th>${t('source')}</th>${years.map((y) => `<th>${esc(y)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>` : `<p>${t('none')}</p>`}`;
}
