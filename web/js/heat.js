// The heat map (server-rendered PNG tiles of the quartic kernel density) and Gi* hot spots.
import { getJson } from './api.js';
import { DIVERGING } from './colours.js';
import { t, fmt, esc } from './i18n.js';

const query = ({ source, year, toYear }) => new URLSearchParams({ ...(source ? { source } : {}), year, to_year: Math.max(year, toYear) }).toString();

export function heatTiles(state) {
  return [`${location.origin}/tiles/heat/{z}/{x}/{y}.png?${query(state)}`];
}

export function addHeat(map, state) {
  map.addSource('heat', { type: 'raster', tiles: heatTiles(state), tileSize: 256 });
  map.addLayer({ id: 'heat', type: 'raster', source: 'heat', layout: { visibility: 'none' }, paint: { 'raster-opacity': 0.85 } }, 'areas-line');
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
  return `<strong>${t('heat_legend')}</strong> (${esc(t(`unit_${legend.unit_id}`))})<br>` +
    legend.stops.map((s) => `<span class="swatch" style="background:${s.colour}"></span>${fmt(s.value, 0)}`).join(' ');
}

export async function updateHotspots(map, state) {
  if (!state.showHotspots) return '';
  map.getSource('hotspots').setData(await getJson(`api/hotspots?${query(state)}`));
  const rows = [[3, 'hot', 99], [2, 'hot', 95], [1, 'hot', 90], [-1, 'cold', 90], [-2, 'cold', 95], [-3, 'cold', 99]];
  return `<strong>${t('hotspots')}</strong><br>` + rows.map(([level, kind, conf]) =>
    `<div><span class="swatch" style="background:${DIVERGING[level + 3]}"></span>${t(kind)}, ${conf} % ${t('confidence')}</div>`).join('');
}
