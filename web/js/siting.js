// Siting mode: score a clicked or typed place for a matrix group, show the explanation, the
// suitability surface, and compare up to five candidates.
import { getJson, postJson } from './api.js';
import { t, fmt, lang, esc } from './i18n.js';
import { parseCoordinates } from './place.js';

const candidates = [];
let groups = [];
/** How far a what-if may move a weight (the rule file's `[what_if]`). */
let weightRange = [0, 5];
/** The site last scored, for redrawing its travel area. */
let site = null;
/** The page's state (site, group, units go in the address) and how to save it. */
let view = { state: {}, save: () => {} };

/** Sets up the siting tab; `state.group`, `state.units` from the address choose the group and
 * units; `redraw` redraws the map's layers and legend (the suitability surface is a thematic
 * layer: it hides the delbydel colours and takes the legend). */
export async function setupSiting(map, state = {}, save = () => {}, redraw = () => {}) {
  view = { state, save };
  const rules = await getJson('api/rules');
  groups = rules.groups;
  weightRange = rules.what_if?.weight ?? weightRange;
  renderGroups();
  if (state.group) document.getElementById('group').value = state.group;
  if (state.units) document.getElementById('units').value = state.units;
  describeGroup();
  showNeed();
  map.addSource('site', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'site', type: 'circle', source: 'site', paint: { 'circle-radius': 9, 'circle-color': '#e66a00', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2.5 } });
  map.addSource('candidates', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'candidates', type: 'circle', source: 'candidates', paint: { 'circle-radius': 7, 'circle-color': '#f5a623', 'circle-stroke-color': '#000', 'circle-stroke-width': 1.5 } });
  map.addSource('reach', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'reach-fill', type: 'fill', source: 'reach', paint: { 'fill-color': '#2a2859', 'fill-opacity': 0.12 } }, 'site');
  map.addLayer({ id: 'reach-line', type: 'line', source: 'reach', paint: { 'line-color': '#2a2859', 'line-width': 2, 'line-dasharray': [2, 1] } }, 'site');
  document.getElementById('reach').addEventListener('change', () => site && showReach(map, site.lon, site.lat));
  map.addSource('suitability', { type: 'raster', tiles: suitabilityTiles(), tileSize: 256 });
  map.addLayer({ id: 'suitability', type: 'raster', source: 'suitability', layout: { visibility: 'none' }, paint: { 'raster-opacity': 0.8 } }, 'areas-line');
  document.getElementById('group').addEventListener('change', () => {
    // Another group has other factors: weights tried for the last one do not carry over.
    whatIf = noWhatIf();
    map.getSource('suitability').setTiles(suitabilityTiles());
    describeGroup();
    showNeed();
    document.getElementById('suitability-legend').innerHTML = suitabilityLegend();
    remember();
    if (state.showSuitability) redraw();
  });
  document.getElementById('suitability-need').addEventListener('change', () => map.getSource('suitability').setTiles(suitabilityTiles()));
  document.getElementById('units').addEventListener('change', () => {
    map.getSource('suitability').setTiles(suitabilityTiles());
    remember();
  });
  document.getElementById('show-suitability').addEventListener('change', (e) => {
    state.showSuitability = e.target.checked;
    map.setLayoutProperty('suitability', 'visibility', e.target.checked ? 'visible' : 'none');
    document.getElementById('suitability-legend').hidden = !e.target.checked;
    redraw();
  });
  document.getElementById('score-coords').addEventListener('click', () => {
    const at = parseCoordinates(document.getElementById('coords').value);
    if (!at) {
      document.getElementById('score').textContent = t('bad_coords');
      return;
    }
    scoreAt(map, at.lon, at.lat);
  });
  document.getElementById('compare').addEventListener('click', compare);
  document.getElementById('scenario-save').addEventListener('click', saveScenario);
  document.getElementById('scenarios-box').addEventListener('toggle', (e) => e.target.open && listScenarios());
}

/** Saves the candidates as a named scenario (staff) and says the link that restores it. */
async function saveScenario() {
  const note = document.getElementById('scenario-saved');
  const name = document.getElementById('scenario-name').value.trim();
  if (!candidates.length || !name) {
    note.textContent = t('scenario_needs');
    return;
  }
  const units = Number(document.getElementById('units').value);
  try {
    const saved = await postJson('api/scenarios', {
      name, group: Number(document.getElementById('group').value), adopted: document.getElementById('scenario-adopted').checked,
      sites: candidates.map((c) => ({ label: c.label, lon: c.lon, lat: c.lat, units: c.units ?? units })),
    });
    note.innerHTML = `${esc(t('scenario_done').replace('{name}', saved.name))} <a href="${esc(saved.link)}">${esc(location.origin + saved.link)}</a>`;
    showNeed();
    if (document.getElementById('scenarios-box').open) listScenarios();
  } catch (err) {
    note.textContent = err.message;
  }
}

async function listScenarios() {
  const list = await getJson('api/scenarios').catch(() => []);
  document.getElementById('scenarios').innerHTML = list.length
    ? list.map((s) => `<li><a href="${esc(s.link)}">${esc(s.name)}</a> (${t('group')} ${esc(s.group)}, ${s.sites.length} ${t('scenario_sites')}${s.adopted ? `, ${t('scenario_is_adopted')}` : ''})</li>`).join('')
    : `<li>${t('scenarios_none')}</li>`;
}

/** Restores the saved scenario the address names into the comparison, and compares it. */
export async function restoreScenario(map, state) {
  if (!state.scenario) return;
  let saved;
  try {
    saved = await getJson(`api/scenarios/${encodeURIComponent(state.scenario)}`);
  } catch (err) {
    document.getElementById('scenario-saved').textContent = err.message;
    return;
  }
  document.getElementById('group').value = String(saved.group);
  document.getElementById('scenario-name').value = saved.name;
  document.getElementById('scenario-adopted').checked = saved.adopted;
  candidates.length = 0;
  for (const s of saved.sites) addCandidate(map, s.lon, s.lat, s.label, s.units);
  // Restored once: a reload keeps the candidates the planner has changed since.
  delete state.scenario;
  view.save();
  await compare();
}

export function renderGroups() {
  const select = document.getElementById('group');
  const current = select.value || '5';
  select.innerHTML = groups.map((g) => `<option value="${esc(g.group)}">${esc(g.group)}: ${esc(lang === 'nb' ? g.housing_nb : g.housing_en)}</option>`).join('');
  select.value = current;
  describeGroup();
  document.getElementById('suitability-legend').innerHTML = suitabilityLegend();
}

/** The suitability surface's legend: the group, the tiles' viridis steps by score, grey where
 * the rules exclude a place. */
export function suitabilityLegend() {
  const steps = [[0, '#440154'], [25, '#3b528b'], [50, '#21918c'], [75, '#5ec962'], [100, '#fde725']];
  const group = document.getElementById('group').value;
  return `<strong>${t('suit_legend')}</strong>, ${esc(t('suit_group').replace('{group}', group))}` +
    steps.map(([v, c]) => `<div><span class="swatch" style="background:${c}"></span>${v}</div>`).join('') +
    `<div><span class="swatch" style="background:#808080"></span>${t('suit_excluded')}</div>`;
}

/** The chosen group's target group and location in the matrix's words. */
function describeGroup() {
  const g = groups.find((x) => String(x.group) === document.getElementById('group').value);
  document.getElementById('group-about').innerHTML = g
    ? `${t('group_target')}: ${esc(lang === 'nb' ? g.who_nb : g.who_en)}.<br>${t('group_location')}: ${esc(lang === 'nb' ? g.location_nb : g.location_en)}.`
    : '';
}

/** The newest housing-need survey for the chosen group, bydel by bydel: the largest gap first
 * for analysts (need, in place, planned, gap), the reported need for the public. A bydel that
 * did not report is "ikke kartlagt", never 0. */
async function showNeed() {
  const box = document.getElementById('need');
  const group = document.getElementById('group').value;
  let answer;
  try {
    answer = await getJson(`api/need?group=${encodeURIComponent(group)}`);
  } catch (err) {
    box.textContent = err.message;
    return;
  }
  if (answer.year == null) {
    box.innerHTML = `<p class="note">${t('need_none')}</p>`;
    return;
  }
  const value = (v) => (v == null ? t('not_surveyed') : fmt(v, 0));
  const rows = answer.rows.slice().sort((a, b) => (a.bydel == null) - (b.bydel == null)
    || (answer.supply_shown
      ? (a.gap_after_planned == null) - (b.gap_after_planned == null) || (b.gap_after_planned ?? 0) - (a.gap_after_planned ?? 0)
      : (a.needed == null) - (b.needed == null) || (b.needed ?? 0) - (a.needed ?? 0)));
  const name = (r) => (r.bydel == null ? t('need_city').replace('{n}', r.surveyed) : answer.bydel_names[r.bydel] ?? r.bydel);
  const supplyHead = answer.supply_shown ? `<th>${t('need_in_place')}</th><th>${t('need_planned')}</th><th>${t('need_gap_now')}</th><th>${t('need_gap')}</th>` : '';
  const known = (v) => (v == null ? '–' : fmt(v, 0));
  const supply = (r) => (answer.supply_shown ? `<td>${known(r.in_place)}</td><td>${known(r.planned)}</td><td>${known(r.gap)}</td><td>${known(r.gap_after_planned)}</td>` : '');
  box.innerHTML = `<p class="note">${esc(t('need_caption').replace('{year}', answer.year).replace('{group}', group))}${answer.supply_shown ? '' : ` ${esc(t('need_public'))}`}</p>` +
    `<table><thead><tr><th>${t('bydel')}</th><th>${t('need_needed')}</th>${supplyHead}</tr></thead><tbody>` +
    rows.map((r) => `<tr><td>${esc(name(r))}</td><td>${value(r.needed)}</td>${supply(r)}</tr>`).join('') + '</tbody></table>' +
    trendLine(answer);
}

/** The city's need for the group in every survey year, with what is still lacking for staff. */
function trendLine(answer) {
  if (answer.trend.length < 2) return '';
  const year = (b) => {
    const lacking = answer.supply_shown && b.gap_after_planned != null ? `, ${t('need_gap').toLowerCase()} ${fmt(b.gap_after_planned, 0)}` : '';
    return `${b.year}: ${b.needed == null ? t('not_surveyed') : fmt(b.needed, 0)}${lacking}`;
  };
  return `<p class="note" id="need-trend">${esc(t('need_trend'))} ${esc(answer.trend.map(year).join(' → '))}</p>`;
}

/** A site's place in words: its delbydel's name (when on the map), then the coordinates. */
function placeName(map, lon, lat) {
  const hit = map.queryRenderedFeatures(map.project([lon, lat]), { layers: ['areas-fill'] })[0];
  const coordinates = `${fmt(lat, 4)}, ${fmt(lon, 4)}`;
  return hit ? `${hit.properties.name ?? hit.properties.code} (${coordinates})` : coordinates;
}

function suitabilityTiles() {
  const group = document.getElementById('group').value || 5;
  const units = document.getElementById('units').value || 8;
  const need = document.getElementById('suitability-need').checked ? '&need_gap=true' : '';
  return [`${location.origin}/tiles/suitability/{z}/{x}/{y}.png?group=${group}&units=${units}${need}`];
}

/** The weights and thresholds an analyst has moved from the matrix, by factor id (both empty:
 * the matrix). A threshold moves as a pair: full score at, nothing from. */
let whatIf = { weights: {}, thresholds: {} };
const noWhatIf = () => ({ weights: {}, thresholds: {} });
const whatIfMoved = () => Object.keys(whatIf.weights).length + Object.keys(whatIf.thresholds).length > 0;
const whatIfPart = () => (whatIfMoved() ? { what_if: whatIf } : {});

const request = (lon, lat) => ({
  group: Number(document.getElementById('group').value), lon, lat, units: Number(document.getElementById('units').value),
  ...whatIfPart(),
});

/** Where the verdict would turn, one weight at a time, in words. */
function sensitivityLines(flips) {
  if (!flips?.length) return `<p class="note">${t('sensitivity_none')}</p>`;
  const verdict = (v) => t(`verdict_${v}`);
  return `<ul class="note">${flips.slice(0, 4).map((f) => `<li>${esc(t('sensitivity_line').replace('{factor}', f.factor).replace('{at}', fmt(f.weight_at, 2)).replace('{now}', fmt(f.weight_now, 1)).replace('{then}', verdict(f.verdict_then)))}</li>`).join('')}</ul>`;
}

/** Analysts: per factor a weight and the thresholds (full score at, nothing from) to try instead of
 * the matrix's, within the rule file's ranges. */
function whatIfForm(factors) {
  if (!document.body.classList.contains('analyst')) return '';
  const [lo, hi] = weightRange;
  const input = (f, what, value, extra) => `<input type="number" data-factor="${esc(f.id)}" data-what="${what}" ${extra} value="${esc(value)}" aria-label="${esc(`${f.id}: ${t(`what_if_${what}`)}`)}">`;
  const inputs = factors.map((f) => `<fieldset class="what-if-factor"><legend>${esc(f.id)}</legend>` +
    `<label>${t('what_if_weight')} ${input(f, 'weight', whatIf.weights[f.id] ?? f.weight, `min="${lo}" max="${hi}" step="0.25"`)}</label> ` +
    `<label>${t('what_if_full_at')} ${input(f, 'full_at', whatIf.thresholds[f.id]?.full_at ?? f.threshold, 'step="any"')}</label> ` +
    `<label>${t('what_if_zero_at')} ${input(f, 'zero_at', whatIf.thresholds[f.id]?.zero_at ?? f.zero_at, 'step="any"')}</label></fieldset>`).join('');
  return `<details class="what-if"${whatIfMoved() ? ' open' : ''}><summary>${t('what_if')}</summary>${inputs}` +
    `<button type="button" id="what-if-apply" class="pkt-btn pkt-btn--small pkt-btn--secondary">${t('what_if_apply')}</button> ` +
    `<button type="button" id="what-if-reset" class="pkt-btn pkt-btn--small pkt-btn--secondary">${t('what_if_reset')}</button></details>`;
}

/** The area reachable from the site along the streets (GET /api/isochrone), or why not. */
async function showReach(map, lon, lat) {
  const note = document.getElementById('reach-note');
  const [mode, minutes] = document.getElementById('reach').value.split('-');
  const empty = { type: 'FeatureCollection', features: [] };
  if (mode === 'none') {
    map.getSource('reach').setData(empty);
    note.textContent = '';
    return;
  }
  try {
    // By car: where a staff base can lie to reach the site (towards it); on foot: from it.
    const direction = mode === 'drive' ? 'to' : 'from';
    const area = await getJson(`api/isochrone?lat=${lat.toFixed(6)}&lon=${lon.toFixed(6)}&minutes=${minutes}&mode=${mode}&direction=${direction}`);
    map.getSource('reach').setData(area);
    const km = fmt(area.properties.reached_street_km, 1);
    note.textContent = t(mode === 'drive' ? 'reach_drive' : 'reach_walk').replace('{minutes}', minutes).replace('{km}', km);
  } catch (err) {
    map.getSource('reach').setData(empty);
    note.textContent = t('reach_off').replace('{reason}', err.message);
  }
}

/** Keeps the group, the units and the site in the address, so a link shows the same score. */
function remember() {
  view.state.group = document.getElementById('group').value;
  view.state.units = document.getElementById('units').value;
  view.state.site = site ? `${site.lat.toFixed(5)},${site.lon.toFixed(5)}` : '';
  view.save();
}

/** Scores the site the address names again (a reload or a shared link). */
export async function restoreSite(map, state) {
  const [lat, lon] = (state.site || '').split(',').map(Number);
  if (Number.isFinite(lat) && Number.isFinite(lon)) await scoreAt(map, lon, lat);
}

export async function scoreAt(map, lon, lat) {
  site = { lon, lat };
  remember();
  showReach(map, lon, lat);
  const box = document.getElementById('score');
  map.getSource('site').setData({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: {} }] });
  try {
    const e = await postJson('api/score', request(lon, lat));
    const text = (x) => (lang === 'nb' ? x.text : x.text_en);
    box.innerHTML = `
      <h4>${esc(placeName(map, lon, lat))}</h4>
      <p class="big">${fmt(e.score, 0)} ${t('score_of')}</p>
      <p>${esc(lang === 'nb' ? e.summary : e.summary_en)}</p>
      ${e.need ? `<p class="need">${esc(lang === 'nb' ? e.need.text_nb : e.need.text_en)}</p>` : ''}
      <h4>${t('constraints')}</h4>
      ${e.constraints.map((c) => `<p class="factor ${c.passed ? '' : 'fail'}">${c.passed ? '✔' : '✘'} ${esc(text(c))}</p>`).join('')}
      <h4>${t('factors')}</h4>
      ${e.factors.map((f) => `<p class="factor">${f.subscore == null ? '–' : fmt(f.subscore, 2)} (${t('weight')} ${esc(f.weight)}): ${esc(text(f))}</p>`).join('')}
      <h4>${t('sensitivity')}</h4>${sensitivityLines(e.sensitivity)}
      ${whatIfForm(e.factors)}
      <button type="button" id="add-candidate">${t('add_candidate')}</button>
      <p><a id="dialogue-link" href="api/reports/dialogue.pdf?lat=${lat.toFixed(6)}&lon=${lon.toFixed(6)}&radius=500&group=${request(lon, lat).group}&lang=${lang}" target="_blank">${t('dialogue')}</a></p>`;
    document.getElementById('add-candidate').addEventListener('click', () => addCandidate(map, lon, lat));
    document.getElementById('what-if-apply')?.addEventListener('click', () => {
      whatIf = noWhatIf();
      // Compared with the matrix's value (the explanation shows the what-if's, `changed` the matrix's).
      const matrix = (f, what) => e.changed?.find((c) => c.factor === f.id && c.what === what)?.matrix ?? { weight: f.weight, full_at: f.threshold, zero_at: f.zero_at }[what];
      const asked = (f, what) => Number(box.querySelector(`input[data-factor="${CSS.escape(f.id)}"][data-what="${what}"]`).value);
      for (const f of e.factors) {
        if (asked(f, 'weight') !== matrix(f, 'weight')) whatIf.weights[f.id] = asked(f, 'weight');
        if (asked(f, 'full_at') !== matrix(f, 'full_at') || asked(f, 'zero_at') !== matrix(f, 'zero_at')) {
          whatIf.thresholds[f.id] = { full_at: asked(f, 'full_at'), zero_at: asked(f, 'zero_at') };
        }
      }
      scoreAt(map, lon, lat);
    });
    document.getElementById('what-if-reset')?.addEventListener('click', () => { whatIf = noWhatIf(); scoreAt(map, lon, lat); });
  } catch (err) {
    box.textContent = err.message;
    // A what-if refused (a weight out of range) must not leave the planner stuck with it.
    if (whatIfMoved()) {
      const reset = Object.assign(document.createElement('button'), { type: 'button', className: 'pkt-btn pkt-btn--small pkt-btn--secondary', textContent: t('what_if_reset') });
      reset.addEventListener('click', () => { whatIf = noWhatIf(); scoreAt(map, lon, lat); });
      box.append(' ', reset);
    }
  }
  inView(box);
}

/** Brings the score into view: the panel opened (on a phone it may be folded away) and scrolled
 * so the score is at its top, not a screen further down. */
function inView(box) {
  const side = document.getElementById('side');
  if (side.classList.contains('collapsed')) document.getElementById('sheet-toggle').click();
  side.scrollTop = box.offsetTop;
}

function addCandidate(map, lon, lat, label = placeName(map, lon, lat), units = null) {
  if (candidates.length >= 20) candidates.shift();
  candidates.push({ label, lon, lat, units });
  map.getSource('candidates').setData({ type: 'FeatureCollection', features: candidates.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [c.lon, c.lat] }, properties: {} })) });
  document.getElementById('candidates').innerHTML = candidates.map((c) => `<li>${esc(c.label)}</li>`).join('');
}

async function compare() {
  if (!candidates.length) return;
  const group = Number(document.getElementById('group').value);
  const units = Number(document.getElementById('units').value);
  const order = document.getElementById('order-by-need').checked ? 'need_gap' : 'score';
  const ranked = await postJson('api/score/compare', { group, order, sites: candidates.map((c) => ({ ...c, units: c.units ?? units })), ...whatIfPart() });
  const staff = document.body.classList.contains('analyst');
  const gap = (r) => {
    const v = staff ? r.need?.gap_after_planned : r.need?.needed;
    return v == null ? (r.need ? t('not_surveyed') : '–') : fmt(v, 0);
  };
  const stability = (r) => (r.stability ? t('swap_at').replace('{factor}', r.stability.factor).replace('{at}', fmt(r.stability.weight_at, 2)).replace('{now}', fmt(r.stability.weight_now, 1)) : '–');
  document.getElementById('comparison').innerHTML = `<table><thead><tr><th>${t('rank')}</th><th>${t('label')}</th><th>${t('score')}</th><th>${t('stability')}</th><th>${t(document.body.classList.contains('analyst') ? 'need_gap' : 'need_needed')}</th></tr></thead><tbody>` +
    ranked.map((r, i) => `<tr><td>${i + 1}</td><td>${esc(r.label)}</td><td>${r.passed ? fmt(r.score, 0) : '✘ 0'}</td><td>${i + 1 < ranked.length ? esc(stability(r)) : ''}</td><td>${esc(gap(r))}</td></tr>`).join('') + '</tbody></table>';
}
