// The map page in a real browser (Debian chromium driven by playwright-core), against a real
// `bomiljo serve` on a demo database. Started by scripts/web-test.sh, which sets BOMILJO_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
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

/** Opens the page, collecting console errors, and waits until the delbydeler are drawn. */
async function openMap(query = '') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${BASE}/${query}`);
  await page.waitForFunction(() => window.bomiljoMap?.loaded() && window.bomiljoMap.queryRenderedFeatures({ layers: ['areas-fill'] }).length > 0);
  return { page, errors };
}

test('the page loads with no console errors and draws every delbydel', async () => {
  const { page, errors } = await openMap();
  const expected = (await (await fetch(`${BASE}/api/areas`)).json()).features.length;
  const drawn = await page.evaluate(() => new Set(window.bomiljoMap.queryRenderedFeatures({ layers: ['areas-fill'] }).map((f) => f.properties.code)).size);
  assert.equal(drawn, expected);
  // Pixels: the map centre is painted with a ramp colour, not the bare background.
  const shot = await page.screenshot({ path: `${ARTIFACTS}map.png` });
  assert.ok(shot.length > 10_000, 'screenshot has content');
  // Decode the screenshot itself (what a person sees) and read the pixel at the map's centre.
  const box = await page.locator('#map').boundingBox();
  const centre = await page.evaluate(async ([b64, x, y]) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = Object.assign(document.createElement('canvas'), { width: img.width, height: img.height });
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return [...ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data];
  }, [shot.toString('base64'), box.x + box.width / 2, box.y + box.height / 2]);
  const background = [0xf4, 0xf1, 0xea];
  const distance = centre.slice(0, 3).reduce((s, c, i) => s + Math.abs(c - background[i]), 0);
  assert.ok(distance > 60, `centre pixel ${centre} is painted by a delbydel, not the background`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('clicking a delbydel opens its panel with figures', async () => {
  const { page, errors } = await openMap();
  const areas = await (await fetch(`${BASE}/api/areas`)).json();
  const target = areas.features[0];
  const ring = target.geometry.coordinates[0][0];
  const lng = ring.reduce((s, p) => s + p[0], 0) / ring.length;
  const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  const point = await page.evaluate(([x, y]) => window.bomiljoMap.project([x, y]), [lng, lat]);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + point.x, box.y + point.y);
  await page.waitForSelector('#panel h2');
  const heading = await page.textContent('#panel h2');
  assert.ok(heading.includes(target.properties.name), `${heading} names ${target.properties.name}`);
  assert.match(await page.textContent('#panel'), /Politi/);
  await page.screenshot({ path: `${ARTIFACTS}panel.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the language switch turns the page into English and back', async () => {
  const { page, errors } = await openMap();
  assert.match(await page.textContent('h1'), /delbydeler i Oslo/);
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await page.textContent('h1'), /sub-districts/);
  assert.match(await page.textContent('#legend'), /Residents per km²/);
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'nb');
  assert.deepEqual(errors, []);
  await page.close();
});
