// The map page in a real browser (Debian chromium driven by playwright-core), against a real
// `bomiljo serve` on a demo database. Started by scripts/web-test.sh, which sets BOMILJO_URL and
// BOMILJO_TOKEN (an analyst token). Screenshots are kept in tests/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const BASE = process.env.BOMILJO_URL;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
let browser;

before(async () => {
  assert.ok(BASE, 'BOMILJO_URL is set by scripts/web-test.sh');
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => browser?.close());

/** Opens the page (optionally with a token), collecting console errors and requests. */
async function openMap({ token, viewport = { width: 1280, height: 860 }, hash = '' } = {}) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  if (token) await page.addInitScript((tk) => sessionStorage.setItem('bomiljo-token', tk), token);
  await page.goto(`${BASE}/${hash}`);
  await page.waitForFunction(() => window.bomiljoReady === true && window.bomiljoMap.loaded());
  return { page, errors, requests };
}

/** The screen position of the middle of the first delbydel. */
async function firstAreaPoint(page) {
  const areas = await (await fetch(`${BASE}/api/areas`)).json();
  const target = areas.features[0];
  const ring = target.geometry.coordinates[0][0];
  const lng = ring.reduce((s, p) => s + p[0], 0) / ring.length;
  const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  const point = await page.evaluate(([x, y]) => window.bomiljoMap.project([x, y]), [lng, lat]);
  const box = await page.locator('#map').boundingBox();
  return { target, x: box.x + point.x, y: box.y + point.y };
}

/** The RGBA of a screenshot pixel, decoded in the page (what a person sees). */
async function pixel(page, shot, x, y) {
  return page.evaluate(async ([b64, px, py]) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = Object.assign(document.createElement('canvas'), { width: img.width, height: img.height });
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return [...ctx.getImageData(Math.round(px), Math.round(py), 1, 1).data];
  }, [shot.toString('base64'), x, y]);
}

test('the page loads with no console errors and draws every delbydel', async () => {
  const { page, errors } = await openMap();
  const expected = (await (await fetch(`${BASE}/api/areas`)).json()).features.length;
  await page.waitForFunction(() => window.bomiljoMap.areTilesLoaded());
  const drawn = await page.evaluate(() => new Set(window.bomiljoMap.queryRenderedFeatures({ layers: ['areas-fill'] }).map((f) => f.properties.code)).size);
  assert.equal(drawn, expected);
  const { x, y } = await firstAreaPoint(page);
  const shot = await page.screenshot({ path: `${ARTIFACTS}map.png` });
  const background = [0xf4, 0xf1, 0xea];
  const c = await pixel(page, shot, x, y);
  const distance = c.slice(0, 3).reduce((s, v, i) => s + Math.abs(v - background[i]), 0);
  assert.ok(distance > 60, `pixel ${c} inside a delbydel is painted, not the background`);
  assert.match(await page.textContent('#legend'), /per 1 000 innbyggere/);
  // The base map answered (the local one): no note says it did not.
  assert.equal(await page.isVisible('#basemap-note'), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('clicking a delbydel opens its panel with figures and a chart', async () => {
  const { page, errors } = await openMap();
  const { target, x, y } = await firstAreaPoint(page);
  await page.mouse.click(x, y);
  await page.waitForSelector('#panel h2');
  assert.ok((await page.textContent('#panel h2')).includes(target.properties.name));
  assert.match(await page.textContent('#panel'), /Politi/);
  assert.equal(await page.locator('#panel svg.chart rect').count() > 0, true);
  await page.screenshot({ path: `${ARTIFACTS}panel.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the year slider changes the heat map request', async () => {
  const { page, errors, requests } = await openMap();
  const heatYears = () => requests.filter((u) => u.includes('/tiles/heat/')).map((u) => new URL(u).searchParams.get('year'));
  const until = async (condition) => {
    for (let i = 0; i < 100 && !condition(); i++) await page.waitForTimeout(100);
    return condition();
  };
  await page.check('#show-heat');
  const max = await page.getAttribute('#year', 'max');
  const min = await page.getAttribute('#year', 'min');
  assert.ok(await until(() => heatYears().includes(max)), 'heat tiles for the latest year were requested');
  // One year is one year; a span of years is said to be their total.
  await page.waitForFunction((y) => document.querySelector('#legend').textContent.includes(`hendelser per km², i ${y}`), max);
  assert.ok(!heatYears().includes(min), 'no tiles for the earliest year before the slider moves');
  await page.locator('#year').fill(min);
  assert.ok(await until(() => heatYears().includes(min)), `heat tiles for ${min} were requested after the slider moved`);
  await page.waitForFunction(() => window.bomiljoMap.areTilesLoaded());
  assert.match(await page.textContent('#legend'), /Varmekart/);
  // The unit in the page's language (the API's `unit_id`), not the API's English text.
  await page.waitForFunction(() => /hendelser per km², summen for/.test(document.querySelector('#legend').textContent));
  assert.match(await page.textContent('#legend'), /Varmekart \(hendelser per km², summen for \d{4}–\d{4}\)/);
  assert.ok((await page.textContent('#legend')).includes(`summen for ${min}–`), await page.textContent('#legend'));
  await page.screenshot({ path: `${ARTIFACTS}heat.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('emerging hot and cold spots are drawn with their patterns named in the legend', async () => {
  const { page, errors } = await openMap();
  const found = await (await fetch(`${BASE}/api/emerging`)).json();
  assert.ok(found.features.length > 0, 'the demo has emerging patterns');
  await page.check('#show-emerging');
  await page.waitForFunction(() => /Fremvoksende varme og kalde soner/.test(document.querySelector('#legend').textContent));
  const legend = await page.textContent('#legend');
  // Every pattern the API found is named in words (bokmål), with its number of cells.
  const labels = new Set(found.features.map((f) => f.properties.label));
  for (const label of labels) assert.ok(legend.includes(label), `${label} is in the legend: ${legend}`);
  assert.match(legend, new RegExp(`${found.years[0]}–${found.years[1]}`));
  await page.waitForFunction(() => window.bomiljoMap.areTilesLoaded());
  await page.waitForFunction(() => window.bomiljoMap.queryRenderedFeatures({ layers: ['emerging'] }).length > 0);
  await page.screenshot({ path: `${ARTIFACTS}emerging.png` });
  // A delbydel's panel tells its patterns in a sentence: "3 celler med ... varm sone siden 2019".
  const code = found.features.find((f) => f.properties.delbydel)?.properties.delbydel;
  const own = found.features.filter((f) => f.properties.delbydel === code);
  await page.click('#area-list summary');
  await page.click(`#area-table button[data-code="${code}"]`);
  await page.waitForFunction(() => /Fremvoksende/.test(document.querySelector('#panel').textContent));
  const panel = await page.textContent('#panel');
  for (const label of new Set(own.map((f) => f.properties.label))) {
    const cells = own.filter((f) => f.properties.label === label).length;
    assert.match(panel, new RegExp(`${cells} celler? med ${label}`), panel);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('local clusters and outliers are drawn with their quadrants in the legend', async () => {
  const { page, errors } = await openMap();
  await page.check('#show-lisa');
  await page.waitForFunction(() => /Klynger og avvikere/.test(document.querySelector('#legend').textContent));
  const year = await page.inputValue('#year');
  const found = await (await fetch(`${BASE}/api/lisa?year=${year}&to_year=${year}`)).json();
  const legend = await page.textContent('#legend');
  const hot = found.features.filter((f) => f.properties.quadrant === 'high_high').length;
  assert.match(legend, new RegExp(`varm klynge \\(høy blant høye\\) \\(${hot}\\)`), legend);
  assert.deepEqual(errors, []);
  await page.close();
});

test('one thematic layer at a time: Gi* replaces the heat map, hides the delbydel colours and lists only the classes found', async () => {
  const { page, errors } = await openMap();
  await page.check('#show-heat');
  await page.waitForFunction(() => /Varmekart/.test(document.querySelector('#legend').textContent));
  await page.check('#show-hotspots');
  await page.waitForFunction(() => /Varme og kalde punkter/.test(document.querySelector('#legend').textContent));
  assert.equal(await page.isChecked('#show-heat'), false);
  const state = await page.evaluate(() => ({
    heat: window.bomiljoMap.getLayoutProperty('heat', 'visibility'),
    areas: window.bomiljoMap.getPaintProperty('areas-fill', 'fill-opacity'),
  }));
  assert.deepEqual(state, { heat: 'none', areas: 0 });
  const legend = await page.textContent('#legend');
  assert.ok(!/Varmekart/.test(legend), `the heat legend left with its layer: ${legend}`);
  // Each class in the legend is one the map shows, with its number of cells; none that never occur.
  const year = await page.inputValue('#year');
  const found = await (await fetch(`${BASE}/api/hotspots?year=${year}&to_year=${year}`)).json();
  const levels = new Set(found.features.map((f) => f.properties.level));
  for (const [level, words] of [[3, 'Varmt punkt, 99 %'], [2, 'Varmt punkt, 95 %'], [1, 'Varmt punkt, 90 %'], [-1, 'Kaldt punkt, 90 %'], [-2, 'Kaldt punkt, 95 %'], [-3, 'Kaldt punkt, 99 %']]) {
    const cells = found.features.filter((f) => f.properties.level === level).length;
    assert.equal(legend.includes(words), levels.has(level), `${words}: ${cells} cells; legend ${legend}`);
  }
  assert.match(legend, /Hver rute \(celle\) er 250 × 250 m/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('siting mode returns an explanation for a clicked place', async () => {
  const { page, errors } = await openMap();
  await page.click('#tab-siting');
  await page.selectOption('#group', '5');
  const { x, y } = await firstAreaPoint(page);
  await page.mouse.click(x, y);
  await page.waitForSelector('#score .big');
  assert.match(await page.textContent('#score .big'), /poeng av 100/);
  assert.match(await page.textContent('#score'), /Nærmeste holdeplass ligger \d+ m unna (til fots \(\d+ m i luftlinje\)|i luftlinje)/);
  // The site's 5-minute drive area along the streets is drawn and described with the API's figure.
  await page.waitForFunction(() => /minutter med bil/.test(document.querySelector('#reach-note').textContent));
  const link = new URL(await page.getAttribute('#dialogue-link', 'href'), BASE).searchParams;
  const area = await (await fetch(`${BASE}/api/isochrone?lat=${link.get('lat')}&lon=${link.get('lon')}&minutes=5&mode=drive&direction=to`)).json();
  const km = area.properties.reached_street_km.toLocaleString('nb-NO', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  assert.ok((await page.textContent('#reach-note')).includes(`(${km} km gate)`), `${await page.textContent('#reach-note')} vs ${km}`);
  await page.waitForFunction(() => window.bomiljoMap.queryRenderedFeatures({ layers: ['reach-fill'] }).length > 0);
  await page.selectOption('#reach', 'walk-10');
  await page.waitForFunction(() => /10 minutter til fots/.test(document.querySelector('#reach-note').textContent));
  const report = await page.getAttribute('#dialogue-link', 'href');
  const pdf = await fetch(`${BASE}/${report}`);
  assert.equal(pdf.headers.get('content-type'), 'application/pdf');
  // Typed coordinates work too, and two candidates can be compared.
  await page.click('#add-candidate');
  await page.fill('#coords', '59.915, 10.75');
  await page.click('#score-coords');
  await page.waitForFunction(() => document.querySelector('#add-candidate'));
  await page.click('#add-candidate');
  await page.click('#compare');
  await page.waitForSelector('#comparison tbody tr:nth-child(2)');
  // Candidates are compared by place name, the chosen site is marked, the group is described.
  assert.match(await page.textContent('#comparison'), /[A-Za-zÆØÅæøå]+ \(\d/);
  await page.waitForFunction(() => window.bomiljoMap.queryRenderedFeatures({ layers: ['site'] }).length === 1);
  assert.match(await page.textContent('#group-about'), /Målgruppe: .+\.\s*Beliggenhet: /);
  await page.check('#show-suitability');
  assert.match(await page.textContent('#suitability-legend'), /Utelukket/);
  // The surface takes the map: its legend (with colours) replaces the delbydel one, whose colours
  // are hidden so the tones cannot mix.
  await page.waitForFunction(() => /Egnethet/.test(document.querySelector('#legend').textContent));
  assert.ok(!/Hendelser per 1 000/.test(await page.textContent('#legend')), await page.textContent('#legend'));
  assert.equal(await page.evaluate(() => window.bomiljoMap.getPaintProperty('areas-fill', 'fill-opacity')), 0);
  const swatch = await page.locator('#suitability-legend span.swatch').first().boundingBox();
  assert.ok(swatch && swatch.width > 5 && swatch.height > 5, 'the legend shows its colours');
  await page.screenshot({ path: `${ARTIFACTS}siting.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('an analyst tries another weight on the page and the verdict turns where the page said it would', async () => {
  const { page, errors } = await openMap({ token: process.env.BOMILJO_TOKEN });
  await page.click('#tab-siting');
  await page.selectOption('#group', '5');
  const { x, y } = await firstAreaPoint(page);
  await page.mouse.click(x, y);
  await page.waitForSelector('#score .big');
  const lonlat = await page.evaluate(([px, py]) => window.bomiljoMap.unproject([px, py]), [x - (await page.locator('#map').boundingBox()).x, y - (await page.locator('#map').boundingBox()).y]);
  const scored = await (await fetch(`${BASE}/api/score`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${process.env.BOMILJO_TOKEN}` }, body: JSON.stringify({ group: 5, lon: lonlat.lng, lat: lonlat.lat, units: 8 }) })).json();
  const flip = scored.sensitivity[0];
  assert.ok(flip, `the demo's site has a weight at which its verdict turns: ${JSON.stringify(scored.sensitivity)}`);
  // The page says where, in words.
  const shown = await page.textContent('#score');
  assert.ok(shown.includes(`«${flip.factor}»`) && shown.includes('ville stedet vært'), shown);
  // Moved just past that weight, the verdict turns, and the page says it is not the matrix.
  await page.click('#score details.what-if summary');
  const past = flip.weight_at + (flip.weight_at - flip.weight_now) * 0.02;
  await page.fill(`#score input[data-factor="${flip.factor}"][data-what="weight"]`, String(past));
  await page.click('#what-if-apply');
  await page.waitForFunction(() => /Hva om \(ikke matrisen\)/.test(document.querySelector('#score').textContent));
  const then = { well_suited: 'godt egnet', moderately_suited: 'middels egnet', poorly_suited: 'lite egnet' }[flip.verdict_then];
  assert.ok((await page.textContent('#score')).includes(`vurderes som ${then}`), await page.textContent('#score'));
  await page.click('#what-if-reset');
  await page.waitForFunction(() => !/Hva om \(ikke matrisen\)/.test(document.querySelector('#score').textContent));
  // A threshold moved too: the first factor's full score at 1.5 times the matrix's distance.
  const first = scored.factors[0];
  await page.click('#score details.what-if summary');
  await page.fill(`#score input[data-factor="${first.id}"][data-what="full_at"]`, String(first.threshold * 1.5));
  await page.click('#what-if-apply');
  await page.waitForFunction(() => /Hva om \(ikke matrisen\)/.test(document.querySelector('#score').textContent));
  assert.equal(await page.inputValue(`#score input[data-factor="${first.id}"][data-what="full_at"]`), String(first.threshold * 1.5));
  await page.click('#what-if-reset');
  await page.waitForFunction(() => !/Hva om \(ikke matrisen\)/.test(document.querySelector('#score').textContent));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a planner sees where the need is: the gap per bydel, in the score and in the comparison order', async () => {
  const { page, errors } = await openMap({ token: process.env.BOMILJO_TOKEN });
  await page.click('#tab-siting');
  await page.selectOption('#group', '5');
  await page.click('#need-box summary');
  const need = await (await fetch(`${BASE}/api/need?group=5`, { headers: { Authorization: `Bearer ${process.env.BOMILJO_TOKEN}` } })).json();
  const bydeler = need.rows.filter((r) => r.bydel != null);
  const largest = bydeler.slice().sort((a, b) => (b.gap_after_planned ?? -1e9) - (a.gap_after_planned ?? -1e9))[0];
  // The table: one row per bydel and the city, the largest gap first, with the API's figures.
  await page.waitForFunction((n) => document.querySelectorAll('#need tbody tr').length === n, need.rows.length);
  const first = await page.$$eval('#need tbody tr:first-child td', (cells) => cells.map((c) => c.textContent));
  assert.equal(first[5], largest.gap_after_planned.toLocaleString('nb-NO'), `first row ${first} vs ${JSON.stringify(largest)}`);
  assert.match(await page.textContent('#need thead'), /Behov.*I drift.*planlagt siden.*Mangler ved kartleggingen.*Mangler fortsatt/);
  assert.match(await page.textContent('#need .note'), new RegExp(`Kartlegging ${need.year}, gruppe 5`));
  // The city's need over the surveys, as the API gives it.
  const trend = need.trend.map((b) => `${b.year}: ${b.needed}`);
  const trendText = await page.textContent('#need-trend');
  assert.ok(trend.every((part) => trendText.includes(part)), `${trend} in ${trendText}`);
  assert.match(await page.textContent('#need-trend'), new RegExp(`${need.years[0]}: \\d+, mangler fortsatt -?\\d+ → ${need.years[1]}`));
  // The demo's first bydel did not report in the older survey: "ikke kartlagt", not 0.
  const older = await (await fetch(`${BASE}/api/need?group=5&year=${need.years[0]}`, { headers: { Authorization: `Bearer ${process.env.BOMILJO_TOKEN}` } })).json();
  assert.equal(older.rows.find((r) => r.bydel === bydeler[0].bydel).needed, null);
  // A scored site says the gap in its bydel.
  const { x, y } = await firstAreaPoint(page);
  await page.mouse.click(x, y);
  await page.waitForSelector('#score p.need');
  assert.match(await page.textContent('#score p.need'), /(mangler \d+ boliger i gruppe 5 \(kartlegging \d{4};|har dekket behovet i gruppe 5: )/);
  // The public sees the need, and no supply.
  const pub = await openMap();
  await pub.page.click('#tab-siting');
  await pub.page.selectOption('#group', '5');
  await pub.page.click('#need-box summary');
  await pub.page.waitForSelector('#need tbody tr');
  assert.doesNotMatch(await pub.page.textContent('#need thead'), /I drift/);
  assert.match(await pub.page.textContent('#need .note'), /vises bare for ansatte/);
  assert.equal(await pub.page.isVisible('#order-by-need'), false);
  assert.equal(await pub.page.isVisible('#scenario-save'), false);
  // The planner saves two sites as a scenario; its link restores them into the comparison.
  await page.click('#add-candidate');
  await page.fill('#coords', '59.915, 10.75');
  await page.click('#score-coords');
  await page.waitForFunction(() => document.querySelector('#add-candidate'));
  await page.click('#add-candidate');
  await page.fill('#scenario-name', 'To steder i bydel 01');
  await page.click('#scenario-save');
  await page.waitForSelector('#scenario-saved a');
  const link = await page.getAttribute('#scenario-saved a', 'href');
  const colleague = await openMap({ token: process.env.BOMILJO_TOKEN, hash: link.slice(1) });
  await colleague.page.waitForSelector('#comparison tbody tr:nth-child(2)');
  assert.equal(await colleague.page.$$eval('#candidates li', (items) => items.length), 2);
  assert.equal(await colleague.page.inputValue('#scenario-name'), 'To steder i bydel 01');
  assert.deepEqual(colleague.errors, []);
  await colleague.page.close();
  assert.deepEqual([...errors, ...pub.errors], []);
  await pub.page.close();
  await page.close();
});

test("a planner's link opens on Plassering with the same group, units and site scored", async () => {
  // A planner scores a site for group 4 with 6 units, then shares the address.
  const first = await openMap();
  await first.page.click('#tab-siting');
  await first.page.selectOption('#group', '4');
  await first.page.fill('#units', '6');
  await first.page.dispatchEvent('#units', 'change');
  await first.page.fill('#coords', '59.915, 10.75');
  await first.page.click('#score-coords');
  await first.page.waitForSelector('#score .big');
  const scored = await first.page.textContent('#score .big');
  const shared = new URL(first.page.url()).hash;
  assert.match(shared, /mode=siting/);
  assert.match(shared, /site=59\.915/);
  await first.page.close();
  // A colleague opens the link: the siting tab, group 4, 6 units, and the same score, with no click.
  const { page, errors } = await openMap({ hash: shared });
  await page.waitForSelector('#score .big');
  assert.equal(await page.getAttribute('#tab-siting', 'aria-selected'), 'true');
  assert.equal(await page.isHidden('#pane-siting'), false);
  assert.equal(await page.inputValue('#group'), '4');
  assert.equal(await page.inputValue('#units'), '6');
  assert.equal(await page.textContent('#score .big'), scored);
  // A click on the map now scores there, in the tab in view.
  const { x, y } = await firstAreaPoint(page);
  await page.mouse.click(x, y);
  await page.waitForFunction((before) => document.querySelector('#score h4')?.textContent !== before, await page.textContent('#score h4'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('when the online base map does not answer, the page says so and shows the data', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  // The configured raster service, at an address where nothing answers.
  await page.route('**/api/map', (route) => route.fulfill({ json: { kind: 'raster', tiles: 'http://127.0.0.1:9/{z}/{x}/{y}.png', attribution: '© Kartverket' } }));
  await page.goto(`${BASE}/`);
  await page.waitForFunction(() => window.bomiljoReady === true);
  await page.waitForSelector('#basemap-note:not([hidden])');
  assert.match(await page.textContent('#basemap-note'), /Bakgrunnskartet \(Kartverket\) svarer ikke/);
  assert.ok((await page.textContent('#area-table')).length > 0, 'the delbydeler are listed all the same');
  await page.close();
});

test('internal layers are offered to analysts only, and imports to admins only', async () => {
  const publicView = await openMap();
  assert.equal(await publicView.page.isVisible('#show-housing'), false);
  assert.equal(await publicView.page.isVisible('#admin-import'), false);
  await publicView.page.close();
  const analyst = await openMap({ token: process.env.BOMILJO_TOKEN });
  assert.equal(await analyst.page.isVisible('#show-housing'), true);
  assert.equal(await analyst.page.isVisible('#admin-import'), false);
  await analyst.page.check('#show-housing');
  await analyst.page.waitForFunction(() => window.bomiljoMap.getLayer('housing'));
  assert.deepEqual(analyst.errors, []);
  await analyst.page.close();
});

test('a key the server refuses opens the public map and says why, instead of a blank page', async () => {
  const { page, errors } = await openMap({ token: 'bmj_not-a-real-key' });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('bomiljo-token')), null, 'the refused key is dropped');
  assert.match(await page.textContent('#role'), /Nøkkelen ble ikke godtatt/);
  assert.equal(await page.textContent('#login'), 'Logg inn', 'signing in again is offered');
  const areas = await page.evaluate(() => window.bomiljoMap.querySourceFeatures('areas').length);
  assert.ok(areas > 0, 'the public map is drawn');
  assert.deepEqual(errors.filter((e) => !e.includes('401')), []);
  await page.close();
});

test('signing in is a form with the key hidden as typed, which Escape leaves', async () => {
  const { page } = await openMap();
  await page.click('#login');
  assert.equal(await page.getAttribute('#login-key', 'type'), 'password');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'login-key');
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#login-form'), false);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'login', 'focus returns to the button');
  // A key the server refuses: the public map again, with the reason.
  await page.click('#login');
  await page.fill('#login-key', 'bmj_typo');
  await Promise.all([page.waitForNavigation(), page.press('#login-key', 'Enter')]);
  await page.waitForFunction(() => window.bomiljoReady === true);
  assert.match(await page.textContent('#role'), /Nøkkelen ble ikke godtatt/);
  // A valid key signs in.
  await page.click('#login');
  await page.fill('#login-key', process.env.BOMILJO_TOKEN);
  await Promise.all([page.waitForNavigation(), page.press('#login-key', 'Enter')]);
  await page.waitForFunction(() => window.bomiljoReady === true);
  assert.equal(await page.isVisible('#show-housing'), true, 'analyst layers are offered');
  await page.close();
});

test('zoomed to 400 % the page reflows: the map keeps most of the screen and the figures follow by scrolling', async () => {
  // 1280 x 860 at 400 % is 320 x 215 CSS pixels (WCAG 1.4.10).
  const { page, errors } = await openMap({ viewport: { width: 320, height: 215 } });
  const map = await page.locator('#map').boundingBox();
  assert.ok(map.height >= 150, `the map is ${map.height} px tall`);
  const sizes = await page.evaluate(() => ({ scroll: document.scrollingElement.scrollHeight, inner: innerHeight, wide: document.scrollingElement.scrollWidth, width: innerWidth }));
  assert.ok(sizes.scroll > sizes.inner, 'the page scrolls to what does not fit');
  assert.ok(sizes.wide <= sizes.width + 1, `no sideways scrolling (${sizes.wide} px for ${sizes.width})`);
  // The delbydeler's table is reached by scrolling, and works.
  await page.locator('#area-list summary').scrollIntoViewIfNeeded();
  await page.click('#area-list summary');
  const first = page.locator('#area-table button').first();
  await first.scrollIntoViewIfNeeded();
  assert.equal(await first.isVisible(), true);
  const name = await first.textContent();
  await first.click();
  await page.waitForFunction((n) => document.querySelector('#panel h2')?.textContent.includes(n), name);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the language switch turns the page into English and back', async () => {
  const { page, errors } = await openMap();
  assert.match(await page.textContent('h1'), /delbydeler i Oslo/);
  // The map's own buttons speak the page's language too.
  assert.equal(await page.getAttribute('.maplibregl-ctrl-zoom-in', 'aria-label'), 'Zoom inn');
  assert.equal(await page.getAttribute('.maplibregl-ctrl-zoom-out', 'title'), 'Zoom ut');
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await page.textContent('h1'), /sub-districts/);
  assert.equal(await page.getAttribute('.maplibregl-ctrl-zoom-in', 'aria-label'), 'Zoom in');
  await page.waitForFunction(() => /Incidents per 1,000 inhabitants/.test(document.querySelector('#legend').textContent));
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'nb');
  assert.deepEqual(errors, []);
  await page.close();
});

test('area names from the data are shown as text, never run as HTML', async () => {
  const { page, errors } = await openMap();
  const { x, y, target } = await firstAreaPoint(page);
  const evil = '<img src=x onerror="window.bomiljoPwned=1">Tøyen';
  // An imported area name (stored XSS): the page must print it, not parse it.
  await page.route(`**/api/areas/${target.properties.code}`, async (route) => {
    const real = await (await route.fetch()).json();
    await route.fulfill({ json: { ...real, name: evil, bydel: '<b>01</b>' } });
  });
  await page.mouse.click(x, y);
  await page.waitForSelector('#panel h2');
  assert.equal(await page.textContent('#panel h2').then((h) => h.includes(evil)), true);
  assert.equal(await page.locator('#panel img').count(), 0);
  assert.equal(await page.locator('#panel b').count(), 0);
  assert.equal(await page.evaluate(() => window.bomiljoPwned), undefined);
  assert.deepEqual(errors, []);
  await page.close();
});

/** axe-core's WCAG 2.1 A/AA violations of impact serious or critical on the page as it is. */
async function seriousViolations(page) {
  const axe = new URL('../../node_modules/axe-core/axe.min.js', import.meta.url).pathname;
  await page.addScriptTag({ content: readFileSync(axe, 'utf8') });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const SIZES = { desktop: { width: 1280, height: 860 }, tablet: { width: 820, height: 1180 }, phone: { width: 390, height: 844 } };

for (const [name, viewport] of Object.entries(SIZES)) {
  test(`at ${name} size the map, the legend and an area's figures are in view, with no serious WCAG violations`, async () => {
    const { page, errors } = await openMap({ viewport });
    const map = await page.locator('#map').boundingBox();
    assert.ok(map.width >= viewport.width * (name === 'desktop' ? 0.6 : name === 'tablet' ? 0.55 : 0.95), `map ${map.width} px wide at ${viewport.width}`);
    assert.ok(map.height >= viewport.height * 0.4, `map ${map.height} px high at ${viewport.height}`);
    const { target, x, y } = await firstAreaPoint(page);
    await page.mouse.click(x, y);
    await page.waitForSelector('#panel h2');
    assert.ok(await page.locator('#panel h2').isVisible());
    const heading = await page.locator('#panel h2').boundingBox();
    assert.ok(heading.y < viewport.height && heading.y + heading.height > 0, `the panel's heading is on screen (y ${heading.y})`);
    assert.ok((await page.textContent('#panel h2')).includes(target.properties.name));
    // Place names on the map at every size (MapLibre drops the ones that would collide).
    await page.waitForFunction(() => window.bomiljoMap.queryRenderedFeatures({ layers: ['areas-label'] }).length > 0);
    // The legend is on the map: open on desktop and tablet, folded (one tap away) on a phone.
    assert.equal(await page.isVisible('#legend-box summary'), true);
    assert.equal(await page.isVisible('#legend'), name !== 'phone');
    await page.screenshot({ path: `${ARTIFACTS}size-${name}.png` });
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the page links the whole release, its feed and the accessibility statement', async () => {
  const { page, errors } = await openMap();
  const release = (await (await fetch(`${BASE}/api/release`)).json()).release;
  await page.waitForSelector('#release-links a[download]');
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('#release-links a[download]')]);
  const lines = readFileSync(await file.path(), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'release,source,year,level,unit,detail,estimate,standard_error,low,high');
  assert.ok(lines.length > 100 && lines.slice(1).every((l) => l.startsWith(`${release},`)), lines.slice(0, 3).join('\n'));
  const feed = await (await fetch(new URL(await page.getAttribute('#release-links a[href$="feed.atom"]', 'href'), `${BASE}/`))).text();
  assert.match(feed, new RegExp(`<title>Offentlig utgivelse nr. ${release}</title>`));
  await page.click('#release-links a[href="tilgjengelighet.html"]');
  await page.waitForSelector('h1');
  assert.match(await page.textContent('h1'), /Tilgjengelighetserklæring/);
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the map prints with its legend and nothing else of the page', async () => {
  const { page, errors } = await openMap();
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('#legend'), true);
  assert.match(await page.textContent('#legend'), /per 1 000 innbyggere/);
  for (const hidden of ['header', '#side .tabs', '#indicator', '#panel', '#print']) assert.equal(await page.isVisible(hidden), false, hidden);
  const map = await page.locator('#map').boundingBox();
  assert.ok(map.width > 600 && map.height > 300, `${map.width} × ${map.height}`);
  await page.pdf({ path: `${ARTIFACTS}print.pdf` }).catch(() => {}); // headless chromium prints to PDF
  assert.deepEqual(errors, []);
  await page.close();
});

test('at 200 % zoom the legend starts folded and Escape folds it again; the buttons over the map stand on white', async () => {
  // 1440 x 900 at 200 % is 720 x 450 CSS pixels.
  const { page, errors } = await openMap({ viewport: { width: 720, height: 450 } });
  const map = await page.locator('#map').boundingBox();
  const legend = await page.locator('#legend-box').boundingBox();
  assert.equal(await page.isVisible('#legend'), false);
  assert.ok(legend.width * legend.height < 0.15 * map.width * map.height, `the folded legend covers ${Math.round((100 * legend.width * legend.height) / (map.width * map.height))} % of the map`);
  await page.click('#legend-box summary');
  assert.equal(await page.isVisible('#legend'), true);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.getElementById('legend-box').open);
  const background = await page.evaluate(() => getComputedStyle(document.getElementById('print')).backgroundColor);
  assert.equal(background, 'rgb(255, 255, 255)');
  assert.deepEqual(errors, []);
  await page.close();
});

test('"Skriv ut kartet" lays the map out at A4 width showing all the screen showed, then restores it', async () => {
  const { page, errors } = await openMap({ viewport: { width: 1600, height: 900 } });
  const before = await page.evaluate(() => ({ bounds: window.bomiljoMap.getBounds().toArray(), zoom: window.bomiljoMap.getZoom() }));
  await page.evaluate(() => {
    window.print = () => {
      const m = window.bomiljoMap;
      window.printed = { box: document.getElementById('map').getBoundingClientRect().toJSON(), bounds: m.getBounds().toArray() };
    };
  });
  await page.click('#print');
  await page.waitForFunction(() => window.printed);
  const { box, bounds } = await page.evaluate(() => window.printed);
  // 180 mm at 96 px per inch is 680 px: the canvas is no wider than the printed page.
  assert.ok(box.width <= 681 && box.width > 600, `printed map ${box.width} px wide`);
  // Everything the screen showed is on paper: the printed bounds hold the screen's.
  const [[w0, s0], [e0, n0]] = before.bounds;
  const [[w1, s1], [e1, n1]] = bounds;
  assert.ok(w1 <= w0 + 1e-6 && s1 <= s0 + 1e-6 && e1 >= e0 - 1e-6 && n1 >= n0 - 1e-6, `${JSON.stringify(bounds)} holds ${JSON.stringify(before.bounds)}`);
  await page.waitForFunction((z) => Math.abs(window.bomiljoMap.getZoom() - z) < 1e-6, before.zoom);
  assert.deepEqual(errors, []);
  await page.close();
});

test('on a phone the panel is a sheet that can be hidden to give the map the screen', async () => {
  const { page, errors } = await openMap({ viewport: SIZES.phone });
  const before = (await page.locator('#map').boundingBox()).height;
  await page.click('#sheet-toggle');
  assert.equal(await page.isVisible('#side'), false);
  await page.waitForFunction((h) => document.querySelector('#map').getBoundingClientRect().height > h + 100, before);
  assert.equal(await page.getAttribute('#sheet-toggle', 'aria-expanded'), 'false');
  await page.click('#sheet-toggle');
  assert.equal(await page.isVisible('#side'), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test("on a phone the map has half the screen, and a planner's tapped site shows its score in view", async () => {
  const { page, errors } = await openMap({ viewport: SIZES.phone, hash: '#mode=siting' });
  const map = await page.locator('#map').boundingBox();
  assert.ok(map.height >= SIZES.phone.height * 0.5, `the map is ${map.height} of ${SIZES.phone.height} px high`);
  const { x, y } = await firstAreaPoint(page);
  await page.mouse.click(x, y);
  await page.waitForSelector('#score .big');
  const score = await page.locator('#score .big').boundingBox();
  assert.ok(score.y >= 0 && score.y + score.height <= SIZES.phone.height, `the score is at y ${score.y}, off the ${SIZES.phone.height} px screen`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('every delbydel is reachable from the keyboard through the table, and the address shares the view', async () => {
  const { page, errors } = await openMap();
  await page.click('#area-list summary');
  const first = page.locator('#area-table button').first();
  const name = await first.textContent();
  await first.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelector('#panel h2')?.textContent.includes(n), name);
  const code = await first.getAttribute('data-code');
  await page.waitForFunction((c) => location.hash.includes(`area=${c}`), code);
  // The address brings the same view back in a new page: area, year and layers.
  const min = await page.getAttribute('#year', 'min');
  await page.locator('#year').fill(min);
  await page.waitForFunction((y) => location.hash.includes(`y=${y}`), min);
  await page.check('#show-heat');
  await page.waitForFunction(() => location.hash.includes('heat=1'));
  const hash = await page.evaluate(() => location.hash);
  const again = await openMap({ hash });
  await again.page.waitForFunction((n) => document.querySelector('#panel h2')?.textContent.includes(n), name);
  assert.equal(await again.page.inputValue('#year'), min);
  assert.equal(await again.page.isChecked('#show-heat'), true);
  // With the heat map on, the delbydel colours step aside and the legend says so.
  assert.equal(await again.page.evaluate(() => window.bomiljoMap.getPaintProperty('areas-fill', 'fill-opacity')), 0);
  assert.match(await again.page.textContent('#legend'), /Delbydelfargene er skjult/);
  assert.deepEqual(errors, []);
  assert.deepEqual(again.errors, []);
  await page.close();
  await again.page.close();
});

test('a planner finds a site by its street address or gnr/bnr and scores it there', async () => {
  const { page, errors } = await openMap();
  const [hit] = await (await fetch(`${BASE}/api/addresses?q=storgata%205b`)).json();
  assert.equal(hit.text, 'Storgata 5B');
  await page.fill('#search', 'storgata 5b');
  await page.press('#search', 'Enter');
  await page.waitForFunction(() => /Storgata 5B \(gnr\/bnr 100\/5\)/.test(document.querySelector('#panel').textContent));
  await page.waitForFunction(([lon, lat]) => {
    const c = window.bomiljoMap.getCenter();
    return !window.bomiljoMap.isMoving() && Math.abs(c.lat - lat) < 1e-4 && Math.abs(c.lng - lon) < 1e-4;
  }, [hit.lon, hit.lat]);
  // In Plassering, a gnr/bnr scores the property's first address.
  await page.click('#tab-siting');
  await page.fill('#search', '100/5');
  await page.press('#search', 'Enter');
  await page.waitForSelector('#score .big');
  const link = new URL(await page.getAttribute('#dialogue-link', 'href'), BASE).searchParams;
  const [first] = await (await fetch(`${BASE}/api/addresses?q=100%2F5`)).json();
  assert.ok(Math.abs(Number(link.get('lat')) - first.lat) < 1e-5 && Math.abs(Number(link.get('lon')) - first.lon) < 1e-5, `${link} vs ${JSON.stringify(first)}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('places are found by name and by coordinates with a decimal comma', async () => {
  const { page, errors } = await openMap();
  const areas = await (await fetch(`${BASE}/api/areas`)).json();
  const target = areas.features[3].properties;
  await page.fill('#search', target.name.toLowerCase());
  await page.press('#search', 'Enter');
  await page.waitForFunction((n) => document.querySelector('#panel h2')?.textContent.includes(n), target.name);
  await page.fill('#search', '59,92 10,75');
  await page.press('#search', 'Enter');
  await page.waitForFunction(() => {
    const c = window.bomiljoMap.getCenter();
    return !window.bomiljoMap.isMoving() && Math.abs(c.lat - 59.92) < 0.001 && Math.abs(c.lng - 10.75) < 0.001;
  });
  // The coordinates took the area's figures away: the panel no longer shows them.
  assert.ok(!(await page.textContent('#panel')).includes(target.name), 'the previous area left the panel');
  await page.fill('#search', 'Ingensteds');
  await page.press('#search', 'Enter');
  await page.waitForFunction(() => /Fant ikke stedet/.test(document.querySelector('#panel').textContent));
  // A place found after a miss replaces the message; a bydel leaves no delbydel's figures behind.
  await page.fill('#search', '59,92 10,75');
  await page.press('#search', 'Enter');
  await page.waitForFunction(() => !/Fant ikke stedet/.test(document.querySelector('#panel').textContent));
  await page.fill('#search', target.name.toLowerCase());
  await page.press('#search', 'Enter');
  await page.waitForFunction((n) => document.querySelector('#panel h2')?.textContent.includes(n), target.name);
  // A delbydel by its code, a street by its name.
  await page.fill('#search', areas.features[5].properties.code);
  await page.press('#search', 'Enter');
  await page.waitForFunction((n) => document.querySelector('#panel h2')?.textContent.includes(n), areas.features[5].properties.name);
  const streets = (await (await fetch(`${BASE}/api/map`)).json()).streets?.layer;
  const street = streets && (await (await fetch(`${BASE}/collections/${streets}/items?limit=10000`)).json()).features.find((f) => f.properties.name);
  assert.ok(street, 'the demo has named streets');
  await page.fill('#search', street.properties.name);
  await page.press('#search', 'Enter');
  await page.waitForFunction((n) => document.querySelector('#panel').textContent.includes(n) && document.querySelector('#panel').textContent.includes('gate'), street.properties.name);
  const bydeler = (await (await fetch(`${BASE}/collections/bydeler/items?limit=1`)).json()).features;
  if (bydeler.length) {
    await page.fill('#search', bydeler[0].properties.name);
    await page.press('#search', 'Enter');
    // A bydel found opens the bydel's page, not the last delbydel's figures.
    await page.waitForFunction((n) => document.querySelector('#panel h2')?.textContent.includes(n), bydeler[0].properties.name);
    assert.ok(!(await page.textContent('#panel h2')).includes(target.name), 'no delbydel figures under a bydel found');
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('two delbydeler side by side: each rate with its interval, and whether they can be told apart', async () => {
  const { page, errors } = await openMap();
  const areas = (await (await fetch(`${BASE}/api/areas`)).json()).features.map((f) => f.properties);
  const [a, b] = [areas[0], areas[7]];
  await page.evaluate((code) => document.querySelector(`#area-table button[data-code="${code}"]`).click(), a.code);
  await page.waitForSelector('#compare-with');
  await page.selectOption('#compare-with', b.code);
  await page.waitForFunction((n) => document.querySelector('#panel .table-scroll thead')?.textContent.includes(n), b.name);
  const year = await page.inputValue('#year');
  const rows = (await (await fetch(`${BASE}/api/measurement?year=${year}`)).json());
  const table = await page.$$eval('#panel .table-scroll tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  assert.ok(table.length > 0);
  for (const [source, , , verdict] of table) {
    const id = { 'Brann og redning': 'fire', Politi: 'police', Renovasjon: 'waste' }[source];
    const [ra, rb] = [a.code, b.code].map((code) => rows.find((r) => r.code === code && r.source === id));
    if (!ra?.rate_per_1000_ci95 || !rb?.rate_per_1000_ci95) {
      assert.equal(verdict, 'ukjent', `${source} without intervals`);
      continue;
    }
    const [ca, cb] = [ra.rate_per_1000_ci95, rb.rate_per_1000_ci95];
    const expected = ca[0] > cb[1] ? `${a.name} høyere` : ca[1] < cb[0] ? `${b.name} høyere` : 'kan ikke skilles';
    assert.equal(verdict, expected, `${source}: ${ca} vs ${cb}`);
  }
  // Both are outlined on the map, and the address keeps the pair.
  assert.deepEqual(await page.evaluate(() => window.bomiljoMap.getFilter('areas-selected')[2][1]), [a.code, b.code]);
  assert.match(await page.evaluate(() => location.hash), new RegExp(`vs=${b.code}`));
  assert.deepEqual(errors, []);
  await page.close();
});

test("a bydel employee opens the bydel's page: figures, its delbydeler, downloads and the bydel's report", async () => {
  const { page, errors } = await openMap();
  const areas = (await (await fetch(`${BASE}/api/areas`)).json()).features.map((f) => f.properties);
  const first = areas[0];
  await page.evaluate((code) => document.querySelector(`#area-table button[data-code="${code}"]`).click(), first.code);
  await page.waitForSelector('#panel button[data-bydel]');
  await page.click('#panel button[data-bydel]');
  await page.waitForFunction(() => /bydel/i.test(document.querySelector('#panel h2 small')?.textContent ?? ''));
  // Every delbydel of the bydel has a row, each a link back to its figures.
  const members = areas.filter((a) => a.bydel === first.bydel).map((a) => a.code).sort();
  const rows = await page.$$eval('#panel tbody th[scope="row"] button[data-code]', (bs) => bs.map((b) => b.dataset.code).sort());
  assert.deepEqual(rows, members);
  // The bydel's figures for the year: one row per source, the count with its interval.
  const year = await page.inputValue('#year');
  const expected = (await (await fetch(`${BASE}/api/measurement?year=${year}&level=bydel`)).json()).filter((r) => r.code === first.bydel);
  assert.ok(expected.length > 0);
  const firstTable = await page.$$eval('#panel table', (ts) => ts[0].querySelectorAll('tbody tr').length);
  assert.equal(firstTable, expected.length);
  // The table as CSV: its figures and the release they come from.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#panel .downloads a[download$="-' + year + '.csv"]')]);
  const text = readFileSync(await csv.path(), 'utf8');
  const [header, ...lines] = text.trim().split('\n');
  assert.equal(header, 'code,source,year,count_estimate,count_low,count_high,rate_per_1000,rate_low,rate_high,release,release_date');
  assert.equal(lines.length, expected.length);
  const release = (await (await fetch(`${BASE}/api/release`)).json()).release;
  for (const line of lines) {
    const cells = line.split(',');
    const row = expected.find((r) => r.source === cells[1]);
    assert.equal(Number(cells[4]), row.count.low);
    assert.equal(Number(cells[5]), row.count.high);
    assert.equal(cells[9], String(release));
  }
  // For Excel: semicolons, decimal commas and the source above the table.
  const [excel] = await Promise.all([page.waitForEvent('download'), page.click('#panel .downloads a[download$="-' + year + '-excel.csv"]')]);
  const forExcel = readFileSync(await excel.path(), 'utf8');
  assert.ok(forExcel.startsWith('\ufeff') && forExcel.includes(`nr. ${release}`) && forExcel.includes('code;source;year'), forExcel.slice(0, 300));
  // The chart as PNG.
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#panel button[data-png]')]);
  assert.deepEqual([...readFileSync(await png.path()).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  // The bydel's annual report as PDF, from the link on the page.
  const href = await page.getAttribute('#panel a[href*="reports/annual"]', 'href');
  const answer = await fetch(new URL(href, `${BASE}/`));
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('content-type'), 'application/pdf');
  // The address keeps the bydel: a reload opens the same page.
  await page.reload();
  await page.waitForFunction(() => window.bomiljoReady === true);
  await page.waitForFunction(() => /bydel/i.test(document.querySelector('#panel h2 small')?.textContent ?? ''));
  assert.deepEqual(errors, []);
  await page.close();
});

test('offline, the base map and its labels come from the server alone', async () => {
  const { page, errors, requests } = await openMap();
  assert.equal((await (await fetch(`${BASE}/api/map`)).json()).kind, 'local');
  await page.waitForFunction(() => window.bomiljoMap.areTilesLoaded());
  // Bydel names at city scale (when a bydeler layer is imported), delbydel names closer in,
  // drawn with the served DejaVu Sans.
  const bydeler = (await (await fetch(`${BASE}/collections/bydeler/items?limit=1`)).json()).features.length;
  if (bydeler > 0) await page.waitForFunction(() => window.bomiljoMap.queryRenderedFeatures({ layers: ['bydel-label'] }).length > 0);
  await page.evaluate(() => window.bomiljoMap.jumpTo({ zoom: 13, center: window.bomiljoMap.getCenter() }));
  await page.waitForFunction(() => window.bomiljoMap.queryRenderedFeatures({ layers: ['areas-label'] }).length > 0);
  // Streets (the demo's fictional ones) with their names along them, and their credit.
  const basemap = await (await fetch(`${BASE}/api/map`)).json();
  assert.ok(basemap.streets, 'the demo configures streets');
  await page.waitForFunction(() => window.bomiljoMap.queryRenderedFeatures({ layers: ['base-street'] }).length > 0);
  await page.waitForFunction(() => window.bomiljoMap.queryRenderedFeatures({ layers: ['base-street-label'] }).length > 0);
  assert.ok((await page.textContent('.maplibregl-ctrl-attrib')).includes(basemap.streets.attribution), 'the streets are credited');
  // Every street reaches the page: the collection is read page by page along its `next` links.
  const matched = (await (await fetch(`${BASE}/collections/${basemap.streets.layer}/items?limit=1`)).json()).numberMatched;
  const drawn = await page.evaluate(() => window.bomiljoMap.getSource('streets').serialize().data.features.length);
  assert.equal(drawn, matched, 'every street of the layer is on the map');
  // Pages smaller than the layer: the page still gets all of it (it once took the first page only).
  const paged = await page.evaluate(async ([base, layer]) => (await import(`${base}/js/api.js`)).items(layer, 500), [BASE, basemap.streets.layer]);
  assert.ok(matched > 500 && paged.features.length === matched, `${paged.features.length} of ${matched} streets in pages of 500`);
  await page.screenshot({ path: `${ARTIFACTS}labels.png` });
  assert.ok(requests.some((u) => u.endsWith('/fonts/DejaVuSans.ttf')), 'the label font was fetched from the server');
  const outside = requests.filter((u) => !u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(outside, [], 'no request leaves the host');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the API docs page shows every route and runnable examples for this server', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${BASE}/docs.html`);
  await page.waitForSelector('#examples pre');
  const examples = await page.locator('#examples pre').allTextContents();
  assert.ok(examples.length >= 8, `${examples.length} examples`);
  assert.ok(examples.every((e) => e.includes(new URL(BASE).host) && !e.includes('HOST:PORT')), examples.join('\n'));
  // Every route of the OpenAPI document is listed.
  const doc = await (await fetch(`${BASE}/api/openapi.json`)).json();
  const routes = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  assert.equal(await page.locator('#routes h2').count(), routes);
  // The examples that need no data of Oslo's answer here too.
  for (const example of examples.filter((e) => /api\/areas'?$|api\/measurement\?year/.test(e) && !e.includes('TOKEN'))) {
    const url = example.match(/'?(http[^' ]+)'?/)[1];
    assert.equal((await fetch(url)).status, 200, url);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('an admin imports a file from the page and reads its report', async () => {
  const { page, errors } = await openMap({ token: process.env.BOMILJO_ADMIN_TOKEN });
  await page.waitForSelector('#admin-import', { state: 'visible' });
  await page.click('#admin-import summary');
  await page.waitForFunction(() => document.querySelectorAll('#import-layer option').length > 0);
  await page.selectOption('#import-layer', 'incidents_police');
  const csv = (rows) => ({ name: 'politi_web.csv', mimeType: 'text/csv', buffer: Buffer.from(`id,date,category,x,y\n${rows}`) });
  // A refused file: every bad row named by the file's own name and line; nothing written.
  await page.setInputFiles('#import-file', csv('web-1,2025-02-03,disturbance,596000,6642000\nweb-bad,2025-13-01,disturbance,596000,6642000\n'));
  await page.click('#import-send');
  await page.waitForFunction(() => /politi_web\.csv:3:/.test(document.querySelector('#import-report').textContent));
  assert.match(await page.textContent('#import-report'), /nothing was written/);
  // A good one lands while the page stays usable.
  await page.setInputFiles('#import-file', csv('web-1,2025-02-03,disturbance,596000,6642000\nweb-2,2025-02-04,disturbance,596100,6642100\n'));
  await page.click('#import-send');
  await page.waitForFunction(() => /appended 2 rows to incidents_police/.test(document.querySelector('#import-report').textContent));
  // A police export as Excel writes it (README): its own column names, semicolons, Norwegian
  // dates and decimal commas, Windows-1252. The page reads its header and offers each column.
  const header = 'Saksnr;Dato;Hendelsestype;Øst;Nord';
  const rows = ['P-1;14.01.2025;Vold;597123,5;6643001,2', 'P-2;15.01.2025;uro;597223,5;6643101,2'];
  const latin1 = Buffer.from([header, ...rows].join('\r\n'), 'latin1');
  await page.setInputFiles('#import-file', { name: 'politi_eksport.csv', mimeType: 'text/csv', buffer: latin1 });
  await page.waitForSelector('#import-mapping select[data-field="date"]');
  // Without a choice the fields find no columns, and the refusal says what to do on the page.
  for (const field of ['id', 'date', 'category', 'x', 'y']) await page.selectOption(`#import-mapping select[data-field="${field}"]`, '');
  await page.click('#import-send');
  await page.waitForFunction(() => /import form/.test(document.querySelector('#import-report').textContent));
  assert.match(await page.textContent('#import-report'), /ikke importert, og ingenting er skrevet/);
  // Chosen, it imports.
  for (const [field, column] of [['id', 'Saksnr'], ['date', 'Dato'], ['category', 'Hendelsestype'], ['x', 'Øst'], ['y', 'Nord']]) {
    await page.selectOption(`#import-mapping select[data-field="${field}"]`, column);
  }
  await page.click('#import-send');
  await page.waitForFunction(() => /appended 2 rows to incidents_police/.test(document.querySelector('#import-report').textContent));
  // The refused uploads' 422s are the only console messages.
  assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
  await page.close();
});
