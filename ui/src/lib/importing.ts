// Pure logic of the import dialog (components/ImportDialog.svelte): the requests it sends for a
// path, a chosen format and a field mapping; whether the preview on screen is the one those
// inputs give (only then may they be imported); and the words for what the API answers. Record
// texts stay plain strings: the dialog shows them as text, never as HTML.
import type { ContainerView } from "./api/generated/ContainerView";
import type { FieldMapping } from "./api/generated/FieldMapping";
import type { ImportDone } from "./api/generated/ImportDone";
import type { ImportPreview } from "./api/generated/ImportPreview";
import type { ImportPreviewRequest } from "./api/generated/ImportPreviewRequest";
import type { ImportRequest } from "./api/generated/ImportRequest";
import type { PreviewRecord } from "./api/generated/PreviewRecord";
import type { PreviewSample } from "./api/generated/PreviewSample";

/** What the person chose in the dialog. `format` "" means the detected one. */
export interface ImportChoice {
  path: string;
  format: string;
  /** The field mapping being edited (used when the records are read through a mapping). */
  mapping: FieldMapping | null;
}

/** The format the records are read as with this choice, given what the preview detected. */
export function effectiveFormat(choice: ImportChoice, preview: ImportPreview | null): string {
  if (choice.format !== "") return choice.format;
  return preview?.detected_format ?? "mapped";
}

/** The mapping without targets left at "none" (an empty field). */
export function cleanMapping(mapping: FieldMapping): FieldMapping {
  const fields: { [key in string]: string } = {};
  for (const [target, field] of Object.entries(mapping.fields)) {
    if (field !== undefined && field.trim() !== "") fields[target] = field.trim();
  }
  const clean: FieldMapping = { fields, label_base: mapping.label_base };
  if (mapping.task !== undefined) clean.task = mapping.task;
  if (mapping.step_separator !== undefined && mapping.step_separator !== "") clean.step_separator = mapping.step_separator;
  const values = cleanPairs(mapping.label_values);
  if (values) clean.label_values = values;
  if (mapping.label_list !== undefined && mapping.label_list !== "") clean.label_list = mapping.label_list;
  if (mapping.rating_scale !== undefined) clean.rating_scale = mapping.rating_scale;
  const annotators = cleanPairs(mapping.annotators);
  if (annotators) clean.annotators = annotators;
  return clean;
}

function cleanPairs(pairs: { [key in string]?: string } | undefined): { [key in string]: string } | undefined {
  const clean: { [key in string]: string } = {};
  for (const [k, v] of Object.entries(pairs ?? {})) {
    if (k.trim() !== "" && v !== undefined && v.trim() !== "") clean[k.trim()] = v.trim();
  }
  return Object.keys(clean).length > 0 ? clean : undefined;
}

/** `KEY=VALUE` pairs as typed in one line, separated by commas (`1=A, 2=B, 0=tie`); a pair
 * without `=` is an error naming it. */
export function parsePairs(typed: string): { pairs: { [key in string]: string }; error: string | null } {
  const pairs: { [key in string]: string } = {};
  for (const part of typed.split(",")) {
    if (part.trim() === "") continue;
    const at = part.indexOf("=");
    if (at <= 0 || part.slice(at + 1).trim() === "") return { pairs, error: `“${part.trim()}” is not NAME=VALUE` };
    pairs[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return { pairs, error: null };
}

/** Pairs as `parsePairs` reads them. */
export function formatPairs(pairs: { [key in string]?: string } | undefined): string {
  return Object.entries(pairs ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** Whether a mapping target holds text, so that it may be a template of several fields. */
export function takesTemplate(target: string): boolean {
  return target !== "steps" && target !== "label";
}

/** Whether a mapping source is a template of fields rather than one field. */
export function isTemplate(source: string | undefined): boolean {
  return source !== undefined && source.includes("{");
}

/** A template to start from, given the field chosen before (`{field}`). */
export function templateFrom(field: string | undefined): string {
  if (field === undefined || field.trim() === "") return "";
  return isTemplate(field) ? field : `{${field.trim()}}`;
}

/** Label counts in a line: `A 12 · B 9 · tie 3 · none 1`. */
export function tallyText(tallies: { label: string; count: number }[]): string {
  return tallies.map((t) => `${t.label} ${t.count.toLocaleString()}`).join(" · ");
}

/** The task the mapping reads records as: the chosen one, else the one its fields imply. */
export function mappingTask(mapping: FieldMapping | null): string | null {
  if (mapping === null) return null;
  if (mapping.task !== undefined) return mapping.task;
  const has = (t: string) => (mapping.fields[t] ?? "").trim() !== "";
  if (has("response_a") || has("response_b")) return "pairwise";
  if (has("steps")) return "step-level";
  if (has("reference")) return "reference-based";
  if (has("response")) return "reference-free";
  return null;
}

/** The mapping with `target` read from `field` ("" for none). */
export function withField(mapping: FieldMapping, target: string, field: string): FieldMapping {
  return { ...mapping, fields: { ...mapping.fields, [target]: field } };
}

/** The preview request for a choice. A new file (no preview yet, or another path) is asked with
 * neither format nor mapping, so that the API detects and suggests afresh. */
export function previewRequest(choice: ImportChoice, preview: ImportPreview | null): ImportPreviewRequest {
  const path = choice.path.trim();
  const request: ImportPreviewRequest = { path };
  if (preview === null || preview.file !== path) return request;
  if (choice.format !== "") request.format = choice.format;
  if (effectiveFormat(choice, preview) === "mapped" && choice.mapping !== null) request.mapping = cleanMapping(choice.mapping);
  return request;
}

/** The import request for a choice previewed as `preview`, into a data set named `dataset`. */
export function importRequest(choice: ImportChoice, preview: ImportPreview, dataset: string): ImportRequest {
  const request: ImportRequest = { ...previewRequest(choice, preview) };
  if (dataset.trim() !== "") request.dataset = dataset.trim();
  return request;
}

/** A key for a request, to tell whether the preview on screen was made from the inputs now. */
export function requestKey(request: ImportPreviewRequest): string {
  return JSON.stringify([request.path, request.format ?? "", request.mapping ?? null]);
}

/** The choice once a preview arrives: the mapping becomes the one the records were read through
 * (the suggested one for a new file of unknown schema), and the key says what the preview shows. */
export function afterPreview(choice: ImportChoice, preview: ImportPreview): { choice: ImportChoice; key: string } {
  const synced: ImportChoice = { ...choice, path: preview.file, mapping: preview.mapping ?? choice.mapping };
  return { choice: synced, key: requestKey(previewRequest(synced, preview)) };
}

/** Why the Import button is off, or null when it may be pressed. */
export function importBlocker(
  choice: ImportChoice,
  preview: ImportPreview | null,
  previewedKey: string | null,
  busy: boolean,
): string | null {
  if (busy) return "Busy";
  if (preview === null) return "Preview the file first";
  if (previewedKey !== requestKey(previewRequest(choice, preview))) return "Preview again: the choices changed";
  if (effectiveFormat(choice, preview) === "mapped" && preview.mapping_problem !== null) return sentence(preview.mapping_problem);
  if (!preview.records.some((r) => r.sample !== null)) return "No record of the preview can be imported";
  return null;
}

/** A message of the API as a sentence on screen: capitalised. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** How a file's records are laid out, in words. */
export function containerLabel(container: ContainerView): string {
  return {
    "json-array": "JSON array",
    "json-lines": "JSON Lines",
    "json-concatenated": "JSON objects one after another",
    csv: "CSV",
    tsv: "TSV",
    parquet: "Parquet",
  }[container];
}

/** A format's name for people, from the preview's list (its own name when not listed). */
export function formatLabel(preview: ImportPreview, name: string): string {
  return preview.formats.find((f) => f.name === name)?.label ?? name;
}

/** Where a record is: "line 3", or "record 4" where the format has no lines. */
export function whereOf(record: Pick<PreviewRecord, "line" | "record">): string {
  if (record.line !== null) return `line ${record.line}`;
  if (record.record !== null) return `record ${record.record}`;
  return "";
}

/** A preview sample's content as plain text: its steps, its responses, its reference. */
export function contentText(sample: PreviewSample): string {
  const parts: string[] = [];
  if (sample.steps.length > 0) {
    parts.push(...sample.steps.map((s, i) => `step ${i}: ${s}`));
    const rest = sample.step_count - sample.steps.length;
    if (rest > 0) parts.push(`… and ${rest} more steps`);
  }
  if (sample.response_a !== null) parts.push(`A: ${sample.response_a}`);
  if (sample.response_b !== null) parts.push(`B: ${sample.response_b}`);
  if (sample.response !== null) parts.push(sample.response);
  if (sample.reference !== null) parts.push(`Reference: ${sample.reference}`);
  if (sample.rubric !== null) parts.push(`Rubric: ${sample.rubric}`);
  return parts.join("\n");
}

/** What an import did, in a sentence. */
export function doneMessage(done: ImportDone): string {
  if (done.already_imported) {
    return `This file is already in the project as data set ${done.dataset}; nothing was imported.`;
  }
  const samples = done.samples_added === 1 ? "1 sample" : `${done.samples_added.toLocaleString()} samples`;
  const records = done.records === 1 ? "1 record" : `${done.records.toLocaleString()} records`;
  return `Imported ${samples} from ${records} into data set ${done.dataset} (${done.format}).`;
}

/** How many records of the preview cannot be imported. */
export function problemCount(preview: ImportPreview): number {
  return preview.records.filter((r) => r.problem !== null).length + (preview.stopped !== null ? 1 : 0);
}

/** A template as the one-line input shows it: line breaks and tabs written `\n` and `\t`. */
export function templateShown(template: string): string {
  return template.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\t", "\\t");
}

/** A template as typed in the one-line input: `\n` and `\t` become a line break and a tab. */
export function templateTyped(typed: string): string {
  return typed.replace(/\\(n|t|\\)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"));
}
