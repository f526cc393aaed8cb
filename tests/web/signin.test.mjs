// Staff sign-in with OpenID Connect in a real browser: a real provider (oidc-provider, started by
// scripts/web-test.sh with its development login form) and a bomiljo server configured for it
// (BOMILJO_SIGNIN_URL). An analyst and an administrator sign in and see what their role may, the
// audit log names them, they sign out; someone whose account has no bomiljo role is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.BOMILJO_SIGNIN_URL;
let browser;

before(async () => {
  assert.ok(BASE, 'BOMILJO_SIGNIN_URL is set by scripts/web-test.sh');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
});

after(async () => browser?.close());

/** Opens the page, clicks "Logg inn", signs in at the provider as `login`; the page after. */
async function signIn(login) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/`);
  await page.waitForFunction(() => window.bomiljoReady === true);
  assert.equal(await page.textContent('#login'), 'Logg inn');
  await Promise.all([page.waitForURL((url) => !url.href.startsWith(BASE)), page.click('#login')]);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  // The provider asks once for consent to share the claims with bomiljo.
  if (!page.url().startsWith(BASE)) await Promise.all([page.waitForNavigation(), page.click('button[autofocus]')]);
  return { context, page };
}

const whoami = (page) => page.evaluate(() => fetch('api/whoami').then((r) => r.json()));
const status = (page, path, init) => page.evaluate(([p, i]) => fetch(p, i).then((r) => r.status), [path, init ?? {}]);

test('an analyst signs in with the provider, sees analyst data and no admin pages, and signs out', async () => {
  const { context, page } = await signIn('analytiker');
  await page.waitForFunction(() => window.bomiljoReady === true);
  assert.ok(page.url().startsWith(`${BASE}/`), page.url());
  const who = await whoami(page);
  assert.deepEqual([who.role, who.token, who.session], ['analyst', 'Ada Analytiker <ada@bydel.example> [oidc:analytiker]', true]);
  await page.waitForFunction(() => document.getElementById('role').textContent.includes('Ada Analytiker'));
  assert.ok(await page.evaluate(() => document.body.classList.contains('analyst')));
  assert.equal(await page.evaluate(() => document.body.classList.contains('admin')), false);
  // Raw incidents are the analyst's; the audit log is the administrator's.
  assert.equal(await status(page, 'collections/incidents_police/items?limit=1'), 200);
  assert.equal(await status(page, 'api/admin/audit'), 403);
  // The session cookie is out of the page's reach and goes only over HTTPS (or to this machine).
  const [cookie] = (await context.cookies()).filter((c) => c.name === '__Host-bomiljo_session');
  assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite], [true, true, 'Lax']);
  assert.equal(await page.evaluate(() => document.cookie.includes('bomiljo_session')), false);
  // A change asked for by another site's page, with this browser's session, is refused.
  const forged = await context.request.post(`${BASE}/api/scenarios`, { headers: { Origin: 'https://evil.example' }, data: { name: 'x', group: 1, sites: [] } });
  assert.equal(forged.status(), 403);

  assert.equal(await page.textContent('#login'), 'Logg ut');
  await Promise.all([page.waitForNavigation(), page.click('#login')]);
  await page.waitForFunction(() => window.bomiljoReady === true);
  assert.equal((await whoami(page)).role, 'public');
  assert.equal(await status(page, 'collections/incidents_police/items?limit=1'), 403);
  // The old cookie value no longer opens anything.
  const again = await browser.newContext();
  const stale = await again.request.get(`${BASE}/api/whoami`, { headers: { Cookie: `${cookie.name}=${cookie.value}` } });
  assert.equal((await stale.json()).role, 'public');
  await again.close();
  await context.close();
});

test('an administrator signs in and reads the audit log, which names each person who signed in and out', async () => {
  const { context, page } = await signIn('admin');
  await page.waitForFunction(() => window.bomiljoReady === true);
  assert.equal((await whoami(page)).role, 'admin');
  assert.ok(await page.evaluate(() => document.body.classList.contains('admin')));
  const events = await page.evaluate(() => fetch('api/admin/audit?limit=100').then((r) => r.json()));
  const seen = (actor, action) => events.some((e) => e.actor === actor && e.action === action);
  const [alf, ada] = ['Alf Admin <alf@bydel.example> [oidc:admin]', 'Ada Analytiker <ada@bydel.example> [oidc:analytiker]'];
  assert.ok(seen(alf, 'signin'), JSON.stringify(events.slice(0, 5)));
  assert.ok(seen(ada, 'signin') && seen(ada, 'signout'));
  // What the administrator does is logged under their name too.
  assert.ok(events.some((e) => e.actor === alf && e.action === 'request'), 'requests are audited by name');
  await context.close();
});

test('someone whose account holds no bomiljo role is refused and stays public', async () => {
  const { context, page } = await signIn('ingen');
  const body = await page.textContent('body');
  assert.match(body, /no bomiljo role/);
  await page.goto(`${BASE}/api/whoami`);
  assert.equal(JSON.parse(await page.textContent('body')).role, 'public');
  await context.close();
});

test('a sign-in that does not come from this browser is refused', async () => {
  const page = await browser.newPage();
  const answer = await page.goto(`${BASE}/auth/callback?code=forged&state=not-from-here`);
  assert.equal(answer.status(), 400);
  assert.match(await page.textContent('body'), /unknown or expired/);
  // A sign-in begun in one browser and finished in another (a link sent to a colleague) fails.
  const context = await browser.newContext();
  const started = await context.newPage();
  await started.route(`${BASE}/auth/callback**`, (r) => r.abort());
  await started.goto(`${BASE}/auth/login`);
  await started.fill('input[name=login]', 'analytiker');
  await started.fill('input[name=password]', 'any');
  await Promise.all([started.waitForNavigation(), started.click('button[type=submit]')]);
  const callback = started.waitForRequest((r) => r.url().startsWith(`${BASE}/auth/callback`));
  await started.click('button[autofocus]');
  const other = await browser.newPage();
  const stolen = await other.goto((await callback).url());
  assert.equal(stolen.status(), 400);
  assert.match(await other.textContent('body'), /another browser/);
  await other.close();
  await context.close();
  // The sign-in under way is the browser's own cookie, out of the page's reach.
  const login = await page.request.get(`${BASE}/auth/login`, { maxRedirects: 0 });
  assert.equal(login.status(), 303);
  const pending = login.headers()['set-cookie'];
  assert.ok(pending.includes('__Host-bomiljo_signin') && pending.includes('HttpOnly') && pending.includes('Secure'), pending);
  await page.close();
});
