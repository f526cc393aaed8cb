// The view's state in the address (after #), so a view can be shared and comes back on reload.
const KEYS = {
  indicator: 'ind', source: 'src', year: 'y', toYear: 'to', showHeat: 'heat', showHotspots: 'hot', showEmerging: 'ehs', showLisa: 'lisa', selected: 'area', compareWith: 'vs', bydel: 'bydel', mode: 'mode',
  // The planner's site (lat,lon), matrix group and units.
  site: 'site', group: 'g', units: 'u',
  // A saved scenario's id (staff), restored into the comparison.
  scenario: 'scenario',
};

/** State values found in the address, typed like `defaults`. */
export function readState(defaults) {
  const hash = new URLSearchParams(location.hash.slice(1));
  const out = {};
  for (const [key, short] of Object.entries(KEYS)) {
    if (!hash.has(short)) continue;
    const raw = hash.get(short);
    const kind = typeof defaults[key];
    out[key] = kind === 'number' ? Number(raw) : kind === 'boolean' ? raw === '1' : raw;
  }
  const view = hash.get('view')?.split(',').map(Number);
  if (view?.length === 3 && view.every(Number.isFinite)) out.view = { center: [view[1], view[0]], zoom: view[2] };
  return out;
}

/** Writes the state and the map's view into the address without adding history entries. */
export function writeState(state, map) {
  const hash = new URLSearchParams();
  for (const [key, short] of Object.entries(KEYS)) {
    const v = state[key];
    if (v == null || v === '') continue;
    hash.set(short, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const c = map.getCenter();
  hash.set('view', `${c.lat.toFixed(5)},${c.lng.toFixed(5)},${map.getZoom().toFixed(2)}`);
  history.replaceState(null, '', `#${hash}`);
}
