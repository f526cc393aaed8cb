// The local base map (from the data on hand, so no request leaves the server) and the place
// names drawn on every base: bydel names at city scale, delbydel names closer in, in DejaVu Sans
// from the style's `font-faces` (served by bomiljo).
import { collection } from './api.js';

/** Marka, water and streets (with their names and credit, `[map] streets`) under the data. */
export async function addLocalBase(map, basemap) {
  const streets = basemap.streets;
  const [marka, water, roads] = await Promise.all([collection('marka'), collection('water'), streets ? collection(streets.layer) : null]);
  map.addSource('marka', { type: 'geojson', data: marka });
  map.addLayer({ id: 'base-marka', type: 'fill', source: 'marka', paint: { 'fill-color': '#dbe7cf' } });
  map.addSource('water', { type: 'geojson', data: water });
  map.addLayer({ id: 'base-water', type: 'fill', source: 'water', paint: { 'fill-color': '#c9dcec' } });
  if (!roads?.features.length) return;
  map.addSource('streets', { type: 'geojson', data: roads, attribution: streets.attribution });
  const major = ['match', ['get', 'category'], ['motorway', 'trunk', 'primary'], true, false];
  const width = (minor, wide) => ['interpolate', ['linear'], ['zoom'], 11, ['case', major, wide / 3, minor / 3], 16, ['case', major, wide, minor]];
  map.addLayer({ id: 'base-street-edge', type: 'line', source: 'streets', paint: { 'line-color': '#b4b4b4', 'line-width': width(7, 11) } });
  map.addLayer({ id: 'base-street', type: 'line', source: 'streets', paint: { 'line-color': '#ffffff', 'line-width': width(5, 9) } });
  map.addLayer({
    id: 'base-street-label', type: 'symbol', source: 'streets', minzoom: 13,
    layout: { 'symbol-placement': 'line', 'text-field': ['coalesce', ['get', 'name'], ''], 'text-font': ['DejaVu Sans'], 'text-size': 11 },
    paint: { 'text-color': '#4a4a4a', 'text-halo-color': '#ffffff', 'text-halo-width': 1.4 },
  });
}

/** Bydel borders and names, and delbydel names (from the areas source). */
export async function addLabels(map) {
  const bydeler = await collection('bydeler');
  map.addSource('bydeler', { type: 'geojson', data: bydeler });
  map.addLayer({ id: 'bydel-line', type: 'line', source: 'bydeler', paint: { 'line-color': '#3d3d3d', 'line-width': 1.6 } });
  const halo = { 'text-color': '#1b1b1b', 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 };
  map.addLayer({
    id: 'bydel-label', type: 'symbol', source: 'bydeler', maxzoom: 12,
    layout: { 'text-field': ['get', 'name'], 'text-font': ['DejaVu Sans Bold'], 'text-size': 12 }, paint: halo,
  });
  map.addLayer({
    id: 'areas-label', type: 'symbol', source: 'areas', minzoom: 10,
    layout: { 'text-field': ['get', 'name'], 'text-font': ['DejaVu Sans'], 'text-size': 11 }, paint: halo,
  });
}
