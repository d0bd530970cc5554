// The numbers behind a chart as CSV (RFC 4180): fields with a comma, quote or line break are
// quoted with inner quotes doubled, lines end in CRLF. Text from the data (data set and source
// names) that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading `'`;
// numbers are written as the report holds them, never rounded.

export type CsvValue = string | number | boolean | null | undefined;

/** The header and rows of one CSV file. */
export interface Table {
  header: string[];
  rows: CsvValue[][];
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const FORMULA = /^[=+\-@\t\r]/;

/** One field: empty for null/undefined, numbers as JavaScript writes them, text quoted as needed. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  let text = value;
  if (FORMULA.test(text) && !Number.isFinite(Number(text))) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole file. */
export function toCsv(table: Table): string {
  return [table.header, ...table.rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** A file name from words: lower case, letters and digits, joined by dashes. */
export function fileSlug(...parts: (string | null | undefined)[]): string {
  return parts
    .filter((p): p is string => !!p)
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 120) || "chart";
}
