// The local base map (from the data on hand, so no request leaves the server) and the place
// names drawn on every base: bydel names at city scale, delbydel names closer in, in DejaVu Sans
// from the style's `font-faces` (served by bomiljo).
import { collection } from './api.js';

/** Marka and water under the data, bydel borders over it. */
export async function addLocalBase(map) {
  const [marka, water] = await Promise.all([collection('marka'), collection('water')]);
  map.addSource('marka', { type: 'geojson', data: marka });
  map.addLayer({ id: 'base-marka', type: 'fill', source: 'marka', paint: { 'fill-color': '#dbe7cf' } });
  map.addSource('water', { type: 'geojson', data: water });
  map.addLayer({ id: 'base-water', type: 'fill', source: 'water', paint: { 'fill-color': '#c9dcec' } });
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
