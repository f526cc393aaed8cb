// The delbydel panel: figures, incidents per source and year, and a small chart of the series.
import { getJson } from './api.js';
import { t, fmt, esc } from './i18n.js';

function chart(points) {
  const counts = points.map((p) => (typeof p.count === 'number' ? p.count : null));
  const max = Math.max(1, ...counts.filter((c) => c != null));
  const w = 320, h = 110, bar = w / Math.max(points.length, 1);
  const bars = points.map((p, i) => {
    const c = counts[i];
    const bh = c == null ? 0 : (c / max) * (h - 30);
    const label = c == null ? p.count : fmt(c);
    return `<g><rect x="${i * bar + 4}" y="${h - 18 - bh}" width="${bar - 8}" height="${bh}" fill="#3b528b"><title>${p.year}: ${label}</title></rect>` +
      `<text x="${i * bar + bar / 2}" y="${h - 4}" font-size="10" text-anchor="middle">${p.year}</text>` +
      `<text x="${i * bar + bar / 2}" y="${h - 22 - bh}" font-size="9" text-anchor="middle">${label}</text></g>`;
  }).join('');
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${t('series')}">${bars}</svg>`;
}

export async function showArea(code) {
  const [area, series] = await Promise.all([getJson(`api/areas/${encodeURIComponent(code)}`), getJson(`api/series?code=${encodeURIComponent(code)}`)]);
  const years = [...new Set(Object.values(area.counts).flatMap((y) => Object.keys(y)))].sort();
  const rows = Object.entries(area.counts).map(([source, byYear]) =>
    `<tr><td>${esc(t(source))}</td>${years.map((y) => `<td>${fmt(byYear[y] ?? 0)}</td>`).join('')}</tr>`).join('');
  const trend = series.trend ? `${t('trend')}: ${fmt(series.trend.pct_per_year, 1)} % ${t('per_year')} (p = ${fmt(series.trend.p_value, 3)})` : '';
  document.getElementById('panel').innerHTML = `
    <h2>${esc(area.name ?? area.code)} <small>(${esc(area.code)})</small></h2>
    <p>${t('bydel')}: ${esc(area.bydel ?? t('unknown'))}<br>${t('population')}: ${fmt(area.population)}<br>${t('area')}: ${fmt(area.area_km2, 2)} km²</p>
    <h3>${t('series')}</h3>${chart(series.points)}<p class="note">${trend}</p>
    <h3>${t('incidents')}</h3>
    ${years.length ? `<table><thead><tr><th>${t('source')}</th>${years.map((y) => `<th>${esc(y)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>` : `<p>${t('none')}</p>`}`;
}
