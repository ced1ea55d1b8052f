// How numbers are shown. Cells keep the raw value in data-* attributes; these roundings are
// what people read (and what the browser test checks the text against).

export const price = (v) => (v === null || v === undefined ? '—' : v.toFixed(2));
export const metric = (v) => v.toFixed(3);
/** A share (0..1) as a whole percent. */
export const share = (v) => `${(v * 100).toFixed(0)}%`;
/** A signed change as a percent with one decimal: +1.3%, −0.4%. */
export function signedPercent(fraction) {
  const text = `${Math.abs(fraction * 100).toFixed(1)}%`;
  return fraction > 0 ? `+${text}` : fraction < 0 ? `−${text}` : text;
}

export function dateTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function age(seconds) {
  if (seconds === undefined || seconds === null) return '';
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** Where an answer came from, in words. */
export function sourceName(source) {
  switch (source) {
    case 'file': return 'bundled files (data/market, daily closes)';
    case 'finnhub': return 'Finnhub';
    case 'alpha_vantage': return 'Alpha Vantage';
    case undefined: case null: case '': return 'no provider';
    default: return source;
  }
}
