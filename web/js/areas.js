// The delbydel choropleth: an indicator per area from /api/measurement (or population density),
// with class breaks fixed across the years (the year slider compares years instead of re-ranking
// areas within each), a diverging palette for change, and a table of every area as the
// keyboard and screen-reader route to the same figures.
import { getJson, measurement } from './api.js';
import { VIRIDIS, DIVERGING, NO_DATA, quantileBreaks, spread } from './colours.js';
import { t, fmt, esc } from './i18n.js';

let areas = null;

export async function addAreas(map) {
  areas = await getJson('api/areas');
  map.addSource('areas', { type: 'geojson', data: areas, promoteId: 'code' });
  map.addLayer({ id: 'areas-fill', type: 'fill', source: 'areas', paint: { 'fill-opacity': 0.7, 'fill-color': NO_DATA } });
  map.addLayer({ id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': '#ffffff', 'line-width': 1 } });
  map.addLayer({ id: 'areas-selected', type: 'line', source: 'areas', filter: ['==', ['get', 'code'], ''], paint: { 'line-color': '#000000', 'line-width': 3 } });
  return areas;
}

/** The delbydeler as loaded (GeoJSON features with code, name, bydel, population, area). */
export const areaFeatures = () => areas.features;

/** Outlines the chosen area (and the one set beside it). */
export function highlight(map, code, other = '') {
  map.setFilter('areas-selected', ['in', ['get', 'code'], ['literal', [code ?? '', other ?? '']]]);
}

/** Outlines every delbydel of a bydel. */
export function highlightBydel(map, code) {
  map.setFilter('areas-selected', ['==', ['get', 'bydel'], code]);
}

/** Sums the chosen source(s) per area; null when any part is suppressed or unknown. */
function valuesFrom(rows, indicator, source) {
  const out = {};
  for (const r of rows) {
    if (source && r.source !== source) continue;
    const v = indicator === 'rate' ? r.rate_per_1000 : r.change;
    const prev = out[r.code];
    out[r.code] = v == null || prev === null ? null : (prev ?? 0) + v;
  }
  return out;
}

/** The indicator's values per area for the year, and the class breaks of every year pooled. */
async function indicatorValues({ indicator, source, year }, years) {
  if (indicator === 'density') {
    const values = {};
    for (const f of areas.features) values[f.properties.code] = f.properties.population == null ? null : f.properties.population / f.properties.area_km2;
    return { values, pooled: Object.values(values) };
  }
  const all = await Promise.all(years.map(async (y) => [y, valuesFrom(await measurement(y), indicator, source)]));
  const found = all.find(([y]) => y === year);
  const values = found ? found[1] : valuesFrom(await measurement(year), indicator, source);
  return { values, pooled: all.flatMap(([, v]) => Object.values(v)) };
}

/** Class breaks and colours: quantiles of the pooled values, or symmetric around 0 for change. */
function classes(indicator, pooled) {
  if (indicator !== 'change') {
    const breaks = quantileBreaks(pooled);
    return { breaks, colours: spread(VIRIDIS, breaks.length + 1) };
  }
  const sizes = pooled.filter((v) => v != null && v !== 0).map(Math.abs);
  // Breaks merge when quantiles tie: the first and last are the small and large changes.
  const q = quantileBreaks(sizes, 4);
  const small = q[0] ?? 1, large = q.at(-1) ?? small;
  const a = Math.max(1, Math.round(small)), b = Math.max(a + 1, Math.round(large));
  return { breaks: [-b, -a, a, b], colours: [DIVERGING[1], DIVERGING[2], DIVERGING[3], DIVERGING[4], DIVERGING[5]] };
}

export async function restyle(map, state) {
  const { indicator, source, year } = state;
  const slider = document.getElementById('year');
  const years = [];
  for (let y = Number(slider.min); y <= Number(slider.max); y += 1) years.push(y);
  const { values, pooled } = await indicatorValues(state, years);
  for (const f of areas.features) f.properties.value = values[f.properties.code] ?? null;
  map.getSource('areas').setData(areas);
  const { breaks: b, colours } = classes(indicator, pooled);
  const step = b.length ? ['step', ['get', 'value'], colours[0], ...b.flatMap((v, i) => [v, colours[i + 1]])] : colours[0];
  map.setPaintProperty('areas-fill', 'fill-color', ['case', ['==', ['get', 'value'], null], NO_DATA, step]);
  const title = t(`ind_${indicator}`) + (indicator !== 'density' ? ` (${source ? t(source) : t('all_sources')}, ${year})` : '');
  const digits = indicator === 'rate' ? 1 : 0;
  const last = b.length;
  const label = (i) => (i === 0 ? `< ${fmt(b[0], digits)}` : i === last ? `≥ ${fmt(b[last - 1], digits)}` : `${fmt(b[i - 1], digits)} – ${fmt(b[i], digits)}`);
  // Without a single value in any year there is nothing to class: the legend says so.
  const classed = last ? colours.map((c, i) => `<div><span class="swatch" style="background:${c}"></span>${label(i)}</div>`).join('') : `<div>${t('no_data')}</div>`;
  const legend = `<strong>${esc(title)}</strong>` +
    (indicator !== 'density' ? `<div class="note">${t('breaks_fixed')}</div>` : '') +
    classed +
    `<div><span class="swatch" style="background:${NO_DATA}"></span>${t('suppressed')}</div>` +
    (indicator !== 'density' && !source ? `<p class="note">${t('all_sources_note')}</p>` : '');
  return { legend, values, title, digits };
}

/** Every area and its value as a table; each name opens the area's figures. */
export function areaList(values, title, digits) {
  const rows = [...areas.features].sort((a, b) => String(a.properties.name ?? a.properties.code).localeCompare(String(b.properties.name ?? b.properties.code), 'nb'));
  return `<table><caption class="visually-hidden">${esc(title)}</caption><thead><tr><th scope="col">${t('delbydel')}</th><th scope="col">${t('value')}</th></tr></thead><tbody>` +
    rows.map((f) => {
      const p = f.properties;
      const v = values[p.code];
      return `<tr><td><button type="button" data-code="${esc(p.code)}" aria-label="${esc(`${t('open_area')} ${p.name ?? p.code}`)}">${esc(p.name ?? p.code)}</button></td><td>${v == null ? t('suppressed') : fmt(v, digits)}</td></tr>`;
    }).join('') + '</tbody></table>';
}

export function bounds() {
  const b = [[180, 90], [-180, -90]];
  for (const f of areas.features) for (const poly of f.geometry.coordinates) for (const [x, y] of poly[0]) {
    b[0] = [Math.min(b[0][0], x), Math.min(b[0][1], y)];
    b[1] = [Math.max(b[1][0], x), Math.max(b[1][1], y)];
  }
  return b;
}
