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
