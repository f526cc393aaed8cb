// Colour-blind-safe palettes: viridis (sequential) and PuOr (diverging, for hot/cold spots).
export const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
export const DIVERGING = ['#542788', '#8073ac', '#b2abd2', '#f7f7f7', '#fdb863', '#e08214', '#b35806'];
export const NO_DATA = '#cccccc';

/** Quantile class breaks, so each colour covers about as many areas. */
export function quantileBreaks(values, classes = 5) {
  const sorted = values.filter((v) => v != null && Number.isFinite(v)).sort((a, b) => a - b);
  return Array.from({ length: classes - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / classes)] ?? 0);
}
