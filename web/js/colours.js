// Colour-blind-safe palettes: viridis (sequential) and PuOr (diverging, for hot/cold spots).
export const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
export const DIVERGING = ['#542788', '#8073ac', '#b2abd2', '#f7f7f7', '#fdb863', '#e08214', '#b35806'];
export const NO_DATA = '#cccccc';

/** Quantile class breaks, so each colour covers about as many areas; strictly ascending (equal
 * quantiles, e.g. a year of zeros, merge into one break), none without values. */
export function quantileBreaks(values, classes = 5) {
  const sorted = values.filter((v) => v != null && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const breaks = Array.from({ length: classes - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / classes)]);
  return breaks.filter((b, i) => i === 0 || b > breaks[i - 1]);
}

/** `n` colours spread over a palette, its ends kept. */
export function spread(palette, n) {
  if (n <= 1) return [palette[0]];
  return Array.from({ length: n }, (_, i) => palette[Math.round((i * (palette.length - 1)) / (n - 1))]);
}
