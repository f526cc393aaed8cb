// The bomiljø map page. Uses only the documented API (/api/areas, /api/areas/{code}); works
// offline: no basemap, fonts or scripts from outside (maplibre-gl is served from vendor/).
import * as maplibregl from './vendor/maplibre-gl.mjs';

maplibregl.setWorkerUrl(new URL('./vendor/maplibre-gl-worker.mjs', import.meta.url).href);

// Colour-blind-safe sequential ramp (viridis, 5 classes).
const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
const state = { lang: 'nb', strings: {}, areas: null, selected: null };

async function loadStrings(lang) {
  state.lang = lang;
  state.strings = await (await fetch(`i18n/${lang}.json`)).json();
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.getElementById('lang').textContent = t('switch');
}
const t = (key) => state.strings[key] ?? key;
const fmt = (n, digits = 0) => n == null ? t('unknown') : n.toLocaleString(state.lang === 'nb' ? 'nb-NO' : 'en-GB', { maximumFractionDigits: digits });

function indicatorValue(props, indicator) {
  if (props.population == null) return null;
  return indicator === 'density' ? props.population / props.area_km2 : props.population;
}

// Quantile class breaks, so each colour covers about as many delbydeler.
function breaks(values) {
  const sorted = values.filter((v) => v != null).sort((a, b) => a - b);
  return [1, 2, 3, 4].map((i) => sorted[Math.floor((i * sorted.length) / 5)] ?? 0);
}

function restyle(map) {
  const indicator = document.getElementById('indicator').value;
  for (const f of state.areas.features) f.properties.value = indicatorValue(f.properties, indicator);
  map.getSource('areas').setData(state.areas);
  const b = breaks(state.areas.features.map((f) => f.properties.value));
  map.setPaintProperty('areas-fill', 'fill-color', [
    'case', ['==', ['get', 'value'], null], '#cccccc',
    ['step', ['get', 'value'], RAMP[0], b[0], RAMP[1], b[1], RAMP[2], b[2], RAMP[3], b[3], RAMP[4]],
  ]);
  const bounds = [0, ...b];
  document.getElementById('legend').innerHTML = `<strong>${t(indicator)}</strong><br>` +
    RAMP.map((c, i) => `<div><span style="background:${c}"></span>${i < 4 ? `${fmt(bounds[i])}–${fmt(bounds[i + 1])}` : `≥ ${fmt(bounds[4])}`}</div>`).join('');
}

async function showArea(code) {
  state.selected = code;
  const area = await (await fetch(`api/areas/${encodeURIComponent(code)}`)).json();
  const years = [...new Set(Object.values(area.counts).flatMap((y) => Object.keys(y)))].sort();
  const rows = Object.entries(area.counts).map(([source, byYear]) =>
    `<tr><td>${t(source)}</td>${years.map((y) => `<td>${fmt(byYear[y] ?? 0)}</td>`).join('')}</tr>`).join('');
  document.getElementById('panel').innerHTML = `
    <h2>${area.name ?? area.code} <small>(${area.code})</small></h2>
    <p>${t('bydel')}: ${area.bydel ?? t('unknown')}<br>${t('population')}: ${fmt(area.population)}<br>
       ${t('area')}: ${fmt(area.area_km2, 2)} km²</p>
    <h3>${t('incidents')}</h3>
    ${years.length ? `<table><thead><tr><th>${t('source')}</th>${years.map((y) => `<th>${y}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>` : `<p>${t('none')}</p>`}`;
}

async function main() {
  await loadStrings(new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'nb');
  state.areas = await (await fetch('api/areas')).json();
  const map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, sources: {}, layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#f4f1ea' } }] },
    center: [10.75, 59.93], zoom: 10, attributionControl: { customAttribution: 'Delbydeler © Oslo kommune' },
  });
  window.bomiljoMap = map; // for the browser tests
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.on('load', () => {
    map.addSource('areas', { type: 'geojson', data: state.areas });
    map.addLayer({ id: 'areas-fill', type: 'fill', source: 'areas', paint: { 'fill-opacity': 0.75 } });
    map.addLayer({ id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': '#ffffff', 'line-width': 1 } });
    restyle(map);
    const b = new maplibregl.LngLatBounds();
    for (const f of state.areas.features) for (const poly of f.geometry.coordinates) for (const p of poly[0]) b.extend(p);
    if (!b.isEmpty()) map.fitBounds(b, { padding: 20, duration: 0 });
    map.on('click', 'areas-fill', (e) => showArea(e.features[0].properties.code));
    map.on('mouseenter', 'areas-fill', () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', 'areas-fill', () => { map.getCanvas().style.cursor = ''; });
  });
  document.getElementById('indicator').addEventListener('change', () => restyle(map));
  document.getElementById('lang').addEventListener('click', async () => {
    await loadStrings(state.lang === 'nb' ? 'en' : 'nb');
    restyle(map);
    if (state.selected) showArea(state.selected);
  });
}

main();
