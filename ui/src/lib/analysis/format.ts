// Numbers for people in the analysis view: shares as percentages, counts with separators,
// correlations and errors with a fixed number of decimals, and a dash for a number the report
// leaves undefined (a share of nothing). The CSV files keep the report's own numbers.

/** Shown for a number that is not defined for the group (a share of zero samples). */
export const UNDEFINED = "—";

const LOCALE = "en-US";

/** 0.5714… → "57.1%". */
export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return UNDEFINED;
  return `${(x * 100).toFixed(digits)}%`;
}

/** 12345 → "12,345". */
export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNDEFINED;
  return n.toLocaleString(LOCALE);
}

/** 0.96131… → "0.961" (correlations), 0.72 → "0.72" with `digits` 2 (errors). */
export function decimal(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return UNDEFINED;
  return x.toFixed(digits);
}

/** A signed offset: 2 → "+2", -1 → "−1", 0 → "0" (a real minus sign, for reading). */
export function signed(k: number): string {
  if (k > 0) return `+${k}`;
  if (k < 0) return `−${-k}`;
  return "0";
}

/** "3 of 14" with separators. */
export function ofTotal(part: number, total: number): string {
  return `${count(part)} of ${count(total)}`;
}

/** "1 sample", "2 samples". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
