// The heat map (server-rendered PNG tiles of the quartic kernel density), Gi* hot spots, and
// emerging hot and cold spots over the years (Esri's patterns, in words in the legend).
import { getJson } from './api.js';
import { DIVERGING } from './colours.js';
import { t, fmt, esc, lang } from './i18n.js';

/** A colour per emerging pattern: reds for hot patterns, blues for cold, the strongest (intensifying,
 * persistent) darkest; the legend names every pattern shown in words. */
const EMERGING = {
  new: ['#fdae6b', '#9ecae1'], consecutive: ['#fd8d3c', '#6baed6'], intensifying: ['#a63603', '#08519c'],
  persistent: ['#d94801', '#2171b5'], diminishing: ['#f16913', '#4292c6'], sporadic: ['#fdd0a2', '#c6dbef'],
  oscillating: ['#bcbddc', '#dadaeb'], historical: ['#bdbdbd', '#d9d9d9'],
};
/** Local Moran's I quadrants: hot cluster red, cold cluster blue, the outliers paler. */
const LISA = { high_high: '#b2182b', low_low: '#2166ac', high_low: '#f4a582', low_high: '#92c5de' };

const emergingColour = (p) => EMERGING[p.kind]?.[p.side === 'hot' ? 0 : 1] ?? '#ffffff';

const query = ({ source, year, toYear }) => new URLSearchParams({ ...(source ? { source } : {}), year, to_year: Math.max(year, toYear) }).toString();

export function heatTiles(state) {
  return [`${location.origin}/tiles/heat/{z}/{x}/{y}.png?${query(state)}`];
}

export function addHeat(map, state) {
  map.addSource('heat', { type: 'raster', tiles: heatTiles(state), tileSize: 256 });
  map.addLayer({ id: 'heat', type: 'raster', source: 'heat', layout: { visibility: 'none' }, paint: { 'raster-opacity': 0.85 } }, 'areas-line');
  map.addSource('lisa', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  const quadrants = ['match', ['get', 'quadrant'], ...Object.entries(LISA).flatMap(([q, c]) => [q, c]), '#ffffff'];
  map.addLayer({ id: 'lisa', type: 'fill', source: 'lisa', layout: { visibility: 'none' }, paint: { 'fill-opacity': 0.8, 'fill-color': quadrants } });
  map.addSource('emerging', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'emerging', type: 'fill', source: 'emerging', layout: { visibility: 'none' }, paint: { 'fill-opacity': 0.8, 'fill-color': ['get', 'colour'] } });
  map.addSource('hotspots', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'hotspots', type: 'fill', source: 'hotspots', layout: { visibility: 'none' },
    paint: { 'fill-opacity': 0.75, 'fill-color': ['match', ['get', 'level'], -3, DIVERGING[0], -2, DIVERGING[1], -1, DIVERGING[2], 1, DIVERGING[4], 2, DIVERGING[5], 3, DIVERGING[6], DIVERGING[3]] },
  });
}

export async function updateHeat(map, state) {
  map.getSource('heat').setTiles(heatTiles(state));
  if (!state.showHeat) return '';
  const legend = await getJson(`api/heatmap/legend?${query(state)}`);
  // Over several years a density per km² is their sum, a rate per 1 000 their yearly mean: say which.
  const [from, to] = legend.years;
  const years = from === to ? t('heat_year').replace('{year}', to) : t(legend.unit_id === 'per_km2' ? 'heat_span_total' : 'heat_span_mean').replace('{from}', from).replace('{to}', to);
  return `<strong>${t('heat_legend')}</strong> (${esc(t(`unit_${legend.unit_id}`))}, ${esc(years)})<br>` +
    legend.stops.map((s) => `<span class="swatch" style="background:${s.colour}"></span>${fmt(s.value, 0)}`).join(' ') +
    (legend.floor ? `<div class="note">${esc(t('heat_floor').replace('{value}', fmt(legend.floor, legend.floor < 1 ? 2 : 0)))}</div>` : '');
}

/** Emerging hot and cold spots of the chosen source over every year with data; the legend lists
 * the patterns found, in words, with how many cells each has. */
export async function updateEmerging(map, state) {
  if (!state.showEmerging) return '';
  const found = await getJson(`api/emerging?${new URLSearchParams(state.source ? { source: state.source } : {})}`).catch((e) => ({ error: e.message }));
  if (found.error) {
    map.getSource('emerging').setData({ type: 'FeatureCollection', features: [] });
    return `<strong>${t('emerging')}</strong><div>${esc(found.error)}</div>`;
  }
  for (const f of found.features) f.properties.colour = emergingColour(f.properties.pattern);
  map.getSource('emerging').setData(found);
  const shown = new Map();
  for (const f of found.features) {
    const p = f.properties;
    const key = `${p.pattern.side}-${p.pattern.kind}`;
    const entry = shown.get(key) ?? { colour: p.colour, label: lang === 'en' ? p.label_en : p.label, cells: 0 };
    entry.cells += 1;
    shown.set(key, entry);
  }
  // Each pattern named and explained in a line (Esri's definitions, in plain words).
  const explain = (key) => {
    const [side, kind] = key.split('-');
    const text = t(`pattern_${kind}`).replace('{side}', t(`side_${side}`));
    return text.charAt(0).toUpperCase() + text.slice(1);
  };
  const rows = [...shown].map(([key, e]) => `<div><span class="swatch" style="background:${e.colour}"></span>${esc(e.label)} (${e.cells})<div class="note">${esc(explain(key))}</div></div>`).join('');
  return `<strong>${t('emerging')}</strong> ${found.years[0]}–${found.years[1]}<br>` + (rows || `<div>${t('no_pattern')}</div>`) + cellNote(found.features);
}

/** Local Moran's I of the year span: clusters (high-high, low-low) and outliers, q < 0.05. */
export async function updateLisa(map, state) {
  if (!state.showLisa) return '';
  const found = await getJson(`api/lisa?${query(state)}`).catch((e) => ({ error: e.message, features: [] }));
  map.getSource('lisa').setData({ type: 'FeatureCollection', features: found.features });
  if (found.error) return `<strong>${t('lisa')}</strong><div>${esc(found.error)}</div>`;
  const counts = {};
  for (const f of found.features) counts[f.properties.quadrant] = (counts[f.properties.quadrant] ?? 0) + 1;
  const rows = Object.entries(LISA).filter(([q]) => counts[q]).map(([q, c]) =>
    `<div><span class="swatch" style="background:${c}"></span>${t(`lisa_${q}`)} (${counts[q]})</div>`).join('');
  return `<strong>${t('lisa')}</strong><br>` + (rows || `<div>${t('no_pattern')}</div>`) + cellNote(found.features);
}

/** The side of the squares a layer draws, in metres (from the first square's corners). */
function cellNote(features) {
  const ring = features[0]?.geometry?.coordinates?.[0];
  if (!ring) return '';
  const [[x0, y0], [x1, y1], [x2, y2]] = ring;
  const metres = (a, b, c, d) => Math.hypot((c - a) * 111320 * Math.cos((b * Math.PI) / 180), (d - b) * 110540);
  const size = Math.round(Math.max(metres(x0, y0, x1, y1), metres(x1, y1, x2, y2)) / 10) * 10;
  return `<div class="note">${esc(t('cell_note').replaceAll('{size}', fmt(size)))}</div>`;
}

/** Gi* hot and cold spots: the legend lists the classes found, with their cells, and says when
 * cold spots cannot be found on these counts (the server's note). */
export async function updateHotspots(map, state) {
  if (!state.showHotspots) return '';
  const found = await getJson(`api/hotspots?${query(state)}`).catch((e) => ({ error: e.message, features: [] }));
  map.getSource('hotspots').setData({ type: 'FeatureCollection', features: found.features });
  if (found.error) return `<strong>${t('hotspots')}</strong><div>${esc(found.error)}</div>`;
  const counts = {};
  for (const f of found.features) counts[f.properties.level] = (counts[f.properties.level] ?? 0) + 1;
  const rows = [[3, 'hot', 99], [2, 'hot', 95], [1, 'hot', 90], [-1, 'cold', 90], [-2, 'cold', 95], [-3, 'cold', 99]].filter(([level]) => counts[level]).map(([level, kind, conf]) =>
    `<div><span class="swatch" style="background:${DIVERGING[level + 3]}"></span>${t(kind)}, ${conf} % ${t('confidence')} (${fmt(counts[level])})</div>`).join('');
  const note = found.note ? `<div class="note">${esc(found.note.split(' / ')[lang === 'en' ? 1 : 0] ?? found.note)}</div>` : '';
  return `<strong>${t('hotspots')}</strong><br>` + (rows || `<div>${t('hotspots_none')}</div>`) + note + cellNote(found.features);
}
