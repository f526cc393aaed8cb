// Places typed by people: coordinates as Norwegians write them ("59,92 10,75", "59.92, 10.75",
// "59,92; 10,75"), names of delbydeler, bydeler, streets, schools and stops, and area codes.

/**
 * Latitude and longitude from text, with a decimal point or a decimal comma; null when the text
 * is not two numbers in Oslo's latitude/longitude range order.
 */
export function parseCoordinates(text) {
  const s = String(text ?? '').trim();
  let parts = s.split(/\s*;\s*|\s+|,\s+/).filter(Boolean);
  // "59.92,10.75": one comma between two numbers with decimal points ("59,92" alone is one
  // number with a decimal comma, not two).
  if (parts.length === 1 && /^-?\d+\.\d+,-?\d+\.\d+$/.test(parts[0])) parts = parts[0].split(',');
  if (parts.length !== 2) return null;
  const [lat, lon] = parts.map((p) => (/^-?\d+([.,]\d+)?$/.test(p) ? Number(p.replace(',', '.')) : NaN));
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon };
}

/** Folds case and accents so "grunerlokka" finds "Grünerløkka". */
export function fold(text) {
  return String(text ?? '').toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ø/g, 'o').replace(/æ/g, 'ae').replace(/å/g, 'a');
}

/** The best match among places ({name, kind, code?, at}) for a typed name or area code ("0301",
 * "03"), or null. */
export function findPlace(places, text) {
  const q = fold(text).trim();
  if (!q) return null;
  return places.find((p) => p.code != null && p.kind !== 'stop' && p.kind !== 'school' && String(p.code) === q) ?? places.find((p) => fold(p.name) === q) ?? places.find((p) => fold(p.name).startsWith(q)) ?? places.find((p) => fold(p.name).includes(q)) ?? null;
}
