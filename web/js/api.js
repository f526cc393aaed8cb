// The documented HTTP API, with the analyst token (if any) from this browser session.
const KEY = 'bomiljo-token';

export const token = () => sessionStorage.getItem(KEY);
export const setToken = (value) => (value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY));

function headers(extra = {}) {
  const tk = token();
  return tk ? { ...extra, Authorization: `Bearer ${tk}` } : extra;
}

async function check(response) {
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ?? `HTTP ${response.status}`);
  }
  return response.json();
}

export const getJson = (path) => fetch(path, { headers: headers() }).then(check);
export const postJson = (path, body) =>
  fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body) }).then(check);

/** Adds the token to MapLibre's own tile requests. */
export function transformRequest(url) {
  return url.startsWith(location.origin) ? { url, headers: headers() } : { url };
}

const cache = new Map();
/** A GET answered once per page: the page asks for the same collections and years from
 * several places (base map, search, layers, panel); a login reloads the page. */
function once(path, fallback, load = getJson) {
  if (!cache.has(path)) cache.set(path, load(path).catch(() => fallback));
  return cache.get(path);
}

/** Every feature of a collection, `limit` a page, following the `next` links (absolute, from
 * the server; fetched on this page's own origin). */
export async function items(layer, limit = 10000) {
  const features = [];
  let next = `collections/${layer}/items?limit=${limit}`;
  while (next) {
    const page = await getJson(next);
    features.push(...page.features);
    const href = page.links?.find((l) => l.rel === 'next')?.href;
    const url = href ? new URL(href, location.href) : null;
    next = url ? `${location.origin}${url.pathname}${url.search}` : null;
  }
  return { type: 'FeatureCollection', features };
}

/** Every feature of a collection, all its pages (empty when the caller may not see it). */
export const collection = (layer) => once(`collections/${layer}`, { type: 'FeatureCollection', features: [] }, () => items(layer));

/** The indicator rows of a year (empty on error). */
export const measurement = (year) => once(`api/measurement?year=${year}`, []);

/** The city's emerging hot and cold spots of a source (all when empty); `null` when there are
 * too few years. */
export const emerging = (source) => once(`api/emerging${source ? `?source=${encodeURIComponent(source)}` : ''}`, null);
