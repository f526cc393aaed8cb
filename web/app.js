// The bomiljø map page. Uses only the documented API. The base map is configured (`[map]` in
// bomiljo.toml, `/api/map`): Kartverket's raster tiles, or a local base from the data on hand, so
// that nothing leaves the server; label fonts and maplibre-gl are served by bomiljo.
import * as maplibregl from './vendor/maplibre-gl.mjs';
import { collection, getJson, setToken, token, transformRequest } from './js/api.js';
import { addAreas, areaFeatures, areaList, bounds, highlight, highlightBydel, restyle } from './js/areas.js';
import { addLabels, addLocalBase } from './js/base.js';
import { addHeat, updateHeat, updateHotspots, updateEmerging, updateLisa } from './js/heat.js';
import { load, t, lang, esc } from './js/i18n.js';
import { showArea, showBydel } from './js/panel.js';
import { mapPng, tableLinks } from './js/download.js';
import { findPlace, parseCoordinates } from './js/place.js';
import { readState, writeState } from './js/url.js';
import { renderGroups, restoreScenario, restoreSite, scoreAt, setupSiting, suitabilityLegend } from './js/siting.js';
import { setupImport } from './js/import.js';

maplibregl.setWorkerUrl(new URL('./vendor/maplibre-gl-worker.mjs', import.meta.url).href);

const $ = (id) => document.getElementById(id);
/** The thematic layers over the delbydeler: checkbox, state key, map layer. */
const THEMATIC = [['show-heat', 'showHeat', 'heat'], ['show-hotspots', 'showHotspots', 'hotspots'], ['show-lisa', 'showLisa', 'lisa'], ['show-emerging', 'showEmerging', 'emerging']];
const thematic = (state) => state.showSuitability || THEMATIC.some(([, key]) => state[key]);
const state = { indicator: 'rate', source: '', year: 2024, toYear: 2024, showHeat: false, showHotspots: false, showEmerging: false, showLisa: false, showSuitability: false, selected: '', compareWith: '', bydel: '', mode: 'map', site: '', group: '', units: '' };
const fromUrl = readState(state);

/** The style's base: the configured base map (Kartverket's raster tiles, or none) and the
 * label fonts, served by bomiljo (no glyph server). */
function style(basemap) {
  const font = (file) => new URL(`fonts/${file}`, location.href).href;
  const sources = basemap.kind === 'raster' ? { base: { type: 'raster', tiles: [basemap.tiles], tileSize: 256, attribution: basemap.attribution } } : {};
  const layers = [{ id: 'bg', type: 'background', paint: { 'background-color': '#f4f1ea' } }];
  if (basemap.kind === 'raster') layers.push({ id: 'base', type: 'raster', source: 'base' });
  return { version: 8, sources, layers, 'font-faces': { 'DejaVu Sans': font('DejaVuSans.ttf'), 'DejaVu Sans Bold': font('DejaVuSans-Bold.ttf') } };
}

async function refresh(map) {
  const [choropleth, heat, hotspots, lisa, emerging] =
    await Promise.all([restyle(map, state), updateHeat(map, state), updateHotspots(map, state), updateLisa(map, state), updateEmerging(map, state)]);
  // One thematic layer at a time: the heat map's (or the emerging patterns') colours and the
  // delbydel colours would mix.
  // Closer in, the colours thin out so the streets and their names show through.
  map.setPaintProperty('areas-fill', 'fill-opacity', thematic(state) ? 0 : ['interpolate', ['linear'], ['zoom'], 12, 0.7, 15, 0.35]);
  const areasLegend = state.showSuitability ? suitabilityLegend() : thematic(state) ? `<p class="note">${t('heat_hides_choropleth')}</p>` : choropleth.legend;
  $('legend').innerHTML = [areasLegend, heat, hotspots, lisa, emerging].filter(Boolean).join('<hr>');
  const rows = areaFeatures().map((f) => [f.properties.code, f.properties.name ?? '', choropleth.values[f.properties.code] ?? '']);
  $('area-table').innerHTML = areaList(choropleth.values, choropleth.title, choropleth.digits) +
    await tableLinks(choropleth.title, `bomiljo-delbydeler-${state.indicator}-${state.year}`, ['code', 'name', state.indicator], rows);
  $('year-label').textContent = state.year;
  $('to-year-label').textContent = Math.max(state.year, state.toYear);
  if (state.selected) await showArea(state.selected, state.year, state.source, state.compareWith);
  else if (state.bydel) await showBydel(state.bydel, state.year);
  writeState(state, map);
}

/** Opens an area's figures: highlighted on the map, the panel in view (the sheet on phones). */
async function select(map, code) {
  state.selected = code;
  state.bydel = '';
  if (state.compareWith === code) state.compareWith = '';
  highlight(map, code, state.compareWith);
  showSheet(true);
  await showArea(code, state.year, state.source, state.compareWith);
  // Scroll the side panel (not the page) so the area's figures are at its top.
  $('side').scrollTop = $('panel').offsetTop;
  $('panel').focus({ preventScroll: true });
  writeState(state, map);
}

/** Opens a bydel's page: its delbydeler outlined, its figures, table, chart and report. */
async function selectBydel(map, code) {
  state.bydel = code;
  state.selected = '';
  highlightBydel(map, code);
  showSheet(true);
  await showBydel(code, state.year);
  $('side').scrollTop = $('panel').offsetTop;
  $('panel').focus({ preventScroll: true });
  writeState(state, map);
}

/** Leaves the selected delbydel (a search found another place): no highlight, and the panel says
 * what was found instead of showing the old area's figures. */
function deselect(map, message) {
  state.selected = '';
  state.bydel = '';
  highlight(map, null);
  $('panel').innerHTML = `<p>${esc(message)}</p>`;
  writeState(state, map);
}

/** Prints the map at the page's size: the map is laid out at A4's printable width, shows what the
 * screen showed (the same bounds, not the same zoom, which would crop a wide screen's view), and
 * comes back as it was. */
async function printMap(map) {
  const camera = { center: map.getCenter(), zoom: map.getZoom() };
  const shown = map.getBounds();
  document.body.classList.add('printing');
  map.resize();
  map.fitBounds(shown, { duration: 0, padding: 4 });
  await Promise.race([new Promise((resolve) => map.once('idle', resolve)), new Promise((resolve) => setTimeout(resolve, 3000))]);
  window.print();
  document.body.classList.remove('printing');
  map.resize();
  map.jumpTo(camera);
}

/** The switch names the other language in that language ("English", "Norsk"). */
/** The map's own buttons named in the page's language (MapLibre names them in English). */
function labelControls() {
  for (const [selector, key] of [['.maplibregl-ctrl-zoom-in', 'zoom_in'], ['.maplibregl-ctrl-zoom-out', 'zoom_out'], ['.maplibregl-ctrl-compass', 'reset_north'], ['.maplibregl-ctrl-attrib-button', 'attribution']]) {
    for (const button of document.querySelectorAll(selector)) {
      button.title = t(key);
      button.setAttribute('aria-label', t(key));
    }
  }
}

function setLangButton() {
  $('lang').textContent = t('switch');
  $('lang').lang = lang === 'nb' ? 'en' : 'nb';
}

function showSheet(show) {
  $('side').classList.toggle('collapsed', !show);
  $('sheet-toggle').setAttribute('aria-expanded', String(show));
  $('sheet-toggle').textContent = t(show ? 'sheet_hide' : 'sheet_show');
}

/** A point to fly to for a feature: a point itself, a line's middle vertex, a polygon's first
 * ring's mean. */
function pointOf(geometry) {
  const mean = (ring) => [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
  switch (geometry.type) {
    case 'Point': return geometry.coordinates;
    case 'LineString': return geometry.coordinates[Math.floor(geometry.coordinates.length / 2)];
    case 'MultiLineString': return pointOf({ type: 'LineString', coordinates: geometry.coordinates[0] });
    case 'Polygon': return mean(geometry.coordinates[0]);
    default: return mean(geometry.coordinates[0][0]);
  }
}

/** Places to search: delbydeler and bydeler by name and code, then streets, schools and stops
 * (loaded when asked). */
async function places() {
  const list = areaFeatures().map((f) => ({ name: f.properties.name ?? f.properties.code, kind: 'delbydel', code: f.properties.code, at: pointOf(f.geometry) }));
  const streets = (await getJson('api/map').catch(() => ({}))).streets?.layer;
  const layers = [['bydeler', 'bydel'], ...(streets ? [[streets, 'street']] : []), ['schools', 'school'], ['transit_stops', 'stop']];
  const named = new Set();
  for (const [layer, kind] of layers) {
    const items = await collection(layer);
    for (const f of items.features) {
      const name = f.properties.name;
      // A street is many ways: the first of each name stands for it.
      if (!name || (kind === 'street' && named.has(name))) continue;
      named.add(name);
      list.push({ name, kind, at: pointOf(f.geometry), code: String(f.id) });
    }
  }
  return list;
}

async function setupSearch(map) {
  let known = null;
  const load = async () => {
    known ??= await places();
    $('places').innerHTML = known.map((p) => `<option value="${esc(p.name)}">${esc(t(`kind_${p.kind}`))}</option>`).join('');
    return known;
  };
  $('search').addEventListener('focus', load, { once: true });
  $('search-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('search').value;
    const coordinates = parseCoordinates(text);
    if (coordinates) {
      map.flyTo({ center: [coordinates.lon, coordinates.lat], zoom: 15 });
      if (state.mode === 'siting') scoreAt(map, coordinates.lon, coordinates.lat);
      else deselect(map, t('search_found_point'));
      return;
    }
    // "Trondheimsveien 2A", "228/100": an address from the server's copy of Kartverket's
    // (area codes, all digits, are found among the places below).
    if (/\d/.test(text) && !/^\s*\d{1,4}\s*$/.test(text)) {
      const hits = await getJson(`api/addresses?q=${encodeURIComponent(text)}`).catch(() => []);
      const go = (hit) => {
        map.flyTo({ center: [hit.lon, hit.lat], zoom: 17 });
        if (state.mode === 'siting') scoreAt(map, hit.lon, hit.lat);
        else deselect(map, t('search_found_address').replace('{name}', hit.text).replace('{unit}', hit.gnr != null ? `${hit.gnr}/${hit.bnr}` : '–'));
      };
      // A gnr/bnr is one property (its first address stands for it); several street addresses
      // are a choice for the planner, as on the command line.
      const property = /\/|^\s*gnr/i.test(text);
      if (hits.length === 1 || (hits.length > 1 && property)) return go(hits[0]);
      if (hits.length > 1) {
        $('panel').innerHTML = `<p>${esc(t('search_addresses'))}</p><ul>${hits.map((h, i) => `<li><button type="button" class="link" data-hit="${i}">${esc(h.text)}</button></li>`).join('')}</ul>`;
        for (const button of $('panel').querySelectorAll('button[data-hit]')) button.addEventListener('click', () => go(hits[Number(button.dataset.hit)]));
        return;
      }
    }
    const place = findPlace(await load(), text);
    if (!place) {
      $('panel').innerHTML = `<p>${esc(t('search_none'))}</p>`;
      return;
    }
    map.flyTo({ center: place.at, zoom: place.kind === 'bydel' ? 12 : place.kind === 'street' ? 16 : 14 });
    if (place.kind === 'delbydel') await select(map, place.code);
    else if (place.kind === 'bydel') await selectBydel(map, place.code);
    else deselect(map, t('search_found_place').replace('{name}', place.name).replace('{kind}', t(`kind_${place.kind}`)));
  });
}

/** The release's accuracy in plain words, under the legend: every public figure comes from it. */
async function showAccuracy() {
  const release = await getJson('api/release').catch(() => null);
  $('accuracy').textContent = release ? (lang === 'nb' ? release.accuracy_nb : release.accuracy_en) : '';
  // The whole release as one file, and a feed that says when the next one is out.
  $('release-links').innerHTML = release
    ? `${t('download')}: <a href="${esc(release.figures_csv.replace(/^\//, ''))}" download>${t('release_csv')} ${esc(release.release)} (CSV)</a> · <a href="${esc(release.feed.replace(/^\//, ''))}">${t('release_feed')}</a> · <a href="tilgjengelighet.html">${t('a11y_statement')}</a>`
    : '';
}

/** How the caller signs in here: with the kommune's identity (OpenID Connect), or a key. */
let signIn = { sign_in: false, session: false };

async function showRole() {
  const who = await getJson('api/whoami').catch(() => ({ role: 'public' }));
  document.body.classList.toggle('analyst', who.role !== 'public');
  document.body.classList.toggle('admin', who.role === 'admin');
  if (who.role === 'admin') setupImport();
  // A signed-in person is named beside the role (the audit log names them too).
  $('role').textContent = who.session ? `${t(`role_${who.role}`)}: ${who.token}` : t(`role_${who.role}`);
  $('login').textContent = token() || who.session ? t('logout') : t('login');
  signIn = who;
  $('login-with-key').hidden = !(who.sign_in && !who.session && !token());
}


async function pointLayer(map, id, paths, colour) {
  if (map.getSource(id)) return;
  const collections = await Promise.all(paths.map(collection));
  map.addSource(id, { type: 'geojson', data: { type: 'FeatureCollection', features: collections.flatMap((c) => c.features) } });
  map.addLayer({ id, type: 'circle', source: id, paint: { 'circle-radius': 4, 'circle-color': colour, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
}

function toggle(map, checkbox, id, paths, colour) {
  $(checkbox).addEventListener('change', async (e) => {
    await pointLayer(map, id, paths, colour);
    map.setLayoutProperty(id, 'visibility', e.target.checked ? 'visible' : 'none');
  });
}

/** A stored key the server refuses (mistyped, expired, revoked) is dropped before the page asks
 * for anything with it: the page opens as the public one and says why. */
async function dropRefusedToken() {
  if (!token()) return false;
  const answer = await fetch('api/whoami', { headers: { Authorization: `Bearer ${token()}` } }).catch(() => null);
  if (answer?.status !== 401) return false;
  setToken(null);
  return true;
}

async function main() {
  const refused = await dropRefusedToken();
  await load(new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'nb');
  const city = await getJson('api/series');
  const years = city.points.map((p) => p.year);
  if (years.length) {
    for (const id of ['year', 'to-year']) Object.assign($(id), { min: Math.min(...years), max: Math.max(...years) });
    state.year = state.toYear = Math.max(...years);
  }
  const { view, ...shared } = fromUrl;
  Object.assign(state, shared);
  $('year').value = state.year;
  $('to-year').value = state.toYear;
  $('indicator').value = state.indicator;
  $('source').value = state.source;
  $('show-heat').checked = state.showHeat;
  $('show-hotspots').checked = state.showHotspots;
  $('show-emerging').checked = state.showEmerging;
  $('show-lisa').checked = state.showLisa;
  const basemap = await getJson('api/map').catch(() => ({ kind: 'none' }));
  const map = new maplibregl.Map({
    container: 'map', style: style(basemap), center: [10.75, 59.93], zoom: 10, transformRequest,
    attributionControl: { customAttribution: 'Delbydeler © Oslo kommune · Befolkning © SSB' },
    // Kept so the map prints (and screenshots) with what is drawn.
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  window.bomiljoMap = map; // for the browser tests
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  labelControls();
  // When the online base map's tiles do not arrive, say so once instead of leaving a grey map.
  map.on('error', (e) => {
    if (e.sourceId === 'base') $('basemap-note').hidden = false;
  });
  await new Promise((resolve) => map.on('load', resolve));
  if (basemap.kind === 'local') await addLocalBase(map, basemap);
  await addAreas(map);
  await addLabels(map);
  addHeat(map, state);
  await setupSiting(map, state, () => writeState(state, map), () => refresh(map));
  if (view) map.jumpTo(view);
  else map.fitBounds(bounds(), { padding: { top: 20, bottom: 20, right: 20, left: Math.min(260, $('map').clientWidth / 3) }, duration: 0 });
  map.setLayoutProperty('heat', 'visibility', state.showHeat ? 'visible' : 'none');
  map.setLayoutProperty('hotspots', 'visibility', state.showHotspots ? 'visible' : 'none');
  map.setLayoutProperty('emerging', 'visibility', state.showEmerging ? 'visible' : 'none');
  map.setLayoutProperty('lisa', 'visibility', state.showLisa ? 'visible' : 'none');
  await showRole();
  if (refused) $('role').textContent = t('login_rejected');
  await showAccuracy();
  await refresh(map);
  if (state.selected) await select(map, state.selected).catch(() => { state.selected = ''; });
  else if (state.bydel) await selectBydel(map, state.bydel).catch(() => { state.bydel = ''; });
  await setupSearch(map);
  map.on('moveend', () => writeState(state, map));
  $('print').addEventListener('click', () => printMap(map));
  $('map-png').addEventListener('click', () => mapPng(map, `bomiljo-kart-${state.year}.png`));
  // A second delbydel beside the first.
  $('panel').addEventListener('change', async (e) => {
    if (e.target.id !== 'compare-with') return;
    state.compareWith = e.target.value;
    highlight(map, state.selected, state.compareWith);
    await showArea(state.selected, state.year, state.source, state.compareWith);
    $('compare-with')?.focus();
    writeState(state, map);
  });
  // The panel's links between a delbydel and its bydel.
  $('panel').addEventListener('click', (e) => {
    const bydel = e.target.closest('button[data-bydel]')?.dataset.bydel;
    const code = e.target.closest('button[data-code]')?.dataset.code;
    if (bydel) selectBydel(map, bydel);
    else if (code) select(map, code);
  });
  // On a small map (a phone, or a page zoomed to 200 %) the legend starts folded (a tap opens
  // it), so it does not cover half the map.
  const small = () => $('map').clientWidth < 440 || $('map').clientHeight < 420;
  if (small()) $('legend-box').open = false;
  // Escape closes what is open over the map: the legend, or the panel sheet on a phone.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.target.closest?.('#login-form')) return;
    if ($('legend-box').open && small()) $('legend-box').open = false;
    else if (matchMedia('(max-width: 700px)').matches && !$('side').classList.contains('collapsed')) showSheet(false);
  });
  $('sheet-toggle').addEventListener('click', () => showSheet($('side').classList.contains('collapsed')));
  $('area-table').addEventListener('click', (e) => {
    const code = e.target.closest('button[data-code]')?.dataset.code;
    if (code) select(map, code);
  });
  window.bomiljoReady = true;

  const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'tooltip' });
  map.on('mousemove', 'areas-fill', (e) => {
    map.getCanvas().style.cursor = 'pointer';
    const p = e.features[0].properties;
    popup.setLngLat(e.lngLat).setHTML(`${esc(p.name ?? p.code)} (${esc(p.code)})`).addTo(map);
  });
  map.on('mouseleave', 'areas-fill', () => { map.getCanvas().style.cursor = ''; popup.remove(); });
  map.on('click', (e) => {
    if (state.mode === 'siting') return scoreAt(map, e.lngLat.lng, e.lngLat.lat);
    const hit = map.queryRenderedFeatures(e.point, { layers: ['areas-fill'] })[0];
    if (hit) select(map, hit.properties.code);
  });

  const change = (id, key, parse = (v) => v) => $(id).addEventListener('input', (e) => { state[key] = parse(e.target.value); refresh(map); });
  change('indicator', 'indicator');
  change('source', 'source');
  change('year', 'year', Number);
  change('to-year', 'toYear', Number);
  // One thematic layer at a time (heat, Gi*, Local Moran, emerging): turning one on turns the
  // others off, so neither colours nor legends pile up.
  for (const [box, key, layer] of THEMATIC) {
    $(box).addEventListener('change', (e) => {
      for (const [otherBox, otherKey, otherLayer] of THEMATIC) {
        const on = otherBox === box ? e.target.checked : false;
        state[otherKey] = on;
        $(otherBox).checked = on;
        map.setLayoutProperty(otherLayer, 'visibility', on ? 'visible' : 'none');
      }
      refresh(map);
    });
  }
  toggle(map, 'show-stops', 'stops', ['transit_stops'], '#21918c');
  toggle(map, 'show-schools', 'schools', ['schools', 'kindergartens'], '#3b528b');
  toggle(map, 'show-housing', 'housing', ['housing'], '#e08214');

  for (const [tab, pane, mode] of [['tab-map', 'pane-map', 'map'], ['tab-siting', 'pane-siting', 'siting']]) {
    $(tab).addEventListener('click', () => {
      state.mode = mode;
      writeState(state, map);
      for (const [other, otherPane] of [['tab-map', 'pane-map'], ['tab-siting', 'pane-siting']]) {
        $(other).setAttribute('aria-selected', String(other === tab));
        $(otherPane).hidden = otherPane !== pane;
      }
    });
  }
  // A shared or reloaded planner's view opens where it was: the tab, then the site scored again.
  if (state.mode === 'siting') $('tab-siting').click();
  await restoreSite(map, state);
  await restoreScenario(map, state);
  $('lang').addEventListener('click', async () => {
    await load(lang === 'nb' ? 'en' : 'nb');
    setLangButton();
    labelControls();
    showSheet(!$('side').classList.contains('collapsed'));
    renderGroups();
    await showRole();
    await showAccuracy();
    await refresh(map);
  });
  setLangButton();
  // Signing in is a form: the key typed as a password, Escape or "Avbryt" to leave it.
  const closeLogin = () => {
    $('login-form').hidden = true;
    $('login').hidden = false;
    $('login').focus();
  };
  const openKeyForm = () => {
    $('login').hidden = true;
    $('login-with-key').hidden = true;
    $('login-form').hidden = false;
    $('login-key').focus();
  };
  $('login').addEventListener('click', async () => {
    if (token()) {
      setToken(null);
      location.reload();
      return;
    }
    if (signIn.session) {
      await fetch('auth/logout', { method: 'POST' });
      location.reload();
      return;
    }
    if (signIn.sign_in) {
      location.href = `auth/login?return=${encodeURIComponent(location.pathname + location.search + location.hash)}`;
      return;
    }
    openKeyForm();
  });
  $('login-with-key').addEventListener('click', openKeyForm);
  $('login-cancel').addEventListener('click', closeLogin);
  $('login-form').addEventListener('keydown', (e) => { if (e.key === 'Escape') closeLogin(); });
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken($('login-key').value.trim() || null);
    location.reload();
  });
}

main();
