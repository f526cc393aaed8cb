// The delbydel choropleth: an indicator per area from /api/measurement (or population density).
import { getJson } from './api.js';
import { VIRIDIS, NO_DATA, quantileBreaks } from './colours.js';
import { t, fmt } from './i18n.js';

let areas = null;

export async function addAreas(map) {
  areas = await getJson('api/areas');
  map.addSource('areas', { type: 'geojson', data: areas, promoteId: 'code' });
  map.addLayer({ id: 'areas-fill', type: 'fill', source: 'areas', paint: { 'fill-opacity': 0.7, 'fill-color': NO_DATA } });
  map.addLayer({ id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': '#ffffff', 'line-width': 1 } });
  return areas;
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

export async function restyle(map, { indicator, source, year }) {
  let values = {};
  if (indicator === 'density') {
    for (const f of areas.features) values[f.properties.code] = f.properties.population == null ? null : f.properties.population / f.properties.area_km2;
  } else {
    values = valuesFrom(await getJson(`api/measurement?year=${year}`), indicator, source);
  }
  for (const f of areas.features) f.properties.value = values[f.properties.code] ?? null;
  map.getSource('areas').setData(areas);
  const b = quantileBreaks(Object.values(values));
  map.setPaintProperty('areas-fill', 'fill-color', [
    'case', ['==', ['get', 'value'], null], NO_DATA,
    ['step', ['get', 'value'], VIRIDIS[0], b[0], VIRIDIS[1], b[1], VIRIDIS[2], b[2], VIRIDIS[3], b[3], VIRIDIS[4]],
  ]);
  const title = t(`ind_${indicator}`) + (indicator !== 'density' ? ` (${source ? t(source) : t('all_sources')}, ${year})` : '');
  const bounds = [Math.min(0, ...Object.values(values).filter((v) => v != null)), ...b];
  const digits = indicator === 'rate' ? 1 : 0;
  return `<strong>${title}</strong><br>` +
    VIRIDIS.map((c, i) => `<div><span class="swatch" style="background:${c}"></span>${i < 4 ? `${fmt(bounds[i], digits)} – ${fmt(bounds[i + 1], digits)}` : `≥ ${fmt(bounds[4], digits)}`}</div>`).join('') +
    `<div><span class="swatch" style="background:${NO_DATA}"></span>${t('suppressed')}</div>`;
}

export function bounds() {
  const b = [[180, 90], [-180, -90]];
  for (const f of areas.features) for (const poly of f.geometry.coordinates) for (const [x, y] of poly[0]) {
    b[0] = [Math.min(b[0][0], x), Math.min(b[0][1], y)];
    b[1] = [Math.max(b[1][0], x), Math.max(b[1][1], y)];
  }
  return b;
}
