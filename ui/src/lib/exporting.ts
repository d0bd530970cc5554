// Pure: the export dialog's choices and the request they make (format, final label, path,
// replacing an existing file), and the words for what the API answered. The component
// (components/ExportDialog.svelte) holds state; this module decides.
import type { ExportDone } from "./api/generated/ExportDone";
import type { ExportFormatName } from "./api/generated/ExportFormatName";
import type { ExportRequest } from "./api/generated/ExportRequest";
import type { FinalLabel } from "./api/generated/FinalLabel";
import type { MergeDone } from "./api/generated/MergeDone";
import type { MergeRequest } from "./api/generated/MergeRequest";
import type { SampleCount } from "./api/generated/SampleCount";

/** The export formats in the order the product lists them, with their words and extensions. */
export const EXPORT_FORMATS: { name: ExportFormatName; label: string; extension: string }[] = [
  { name: "labels-jsonl", label: "Labels (JSON Lines)", extension: "jsonl" },
  { name: "labels-csv", label: "Labels (CSV)", extension: "csv" },
  { name: "labels-parquet", label: "Labels (Parquet)", extension: "parquet" },
  { name: "sft-jsonl", label: "Fine-tuning set (SFT, JSON Lines)", extension: "jsonl" },
  { name: "preference-jsonl", label: "Preference pairs (JSON Lines)", extension: "jsonl" },
];

export type FinalKind = FinalLabel["kind"];

/** What the person chose in the dialog. */
export interface ExportChoice {
  path: string;
  format: ExportFormatName;
  finalKind: FinalKind;
  /** The annotator, when `finalKind` is "annotator". */
  annotator: string;
  /** Only this data set. */
  datasetId?: number;
  /** Replace the file if it exists (asked for only after the API said it exists). */
  overwrite: boolean;
}

export function defaultChoice(): ExportChoice {
  return { path: "", format: "labels-jsonl", finalKind: "adjudicated", annotator: "", overwrite: false };
}

/** The final-label choice as the API takes it; a message when it is incomplete. */
export function finalLabelOf(choice: ExportChoice): FinalLabel | string {
  if (choice.finalKind === "annotator") {
    const name = choice.annotator.trim();
    return name === "" ? "Choose whose verdicts count." : { kind: "annotator", name };
  }
  return { kind: choice.finalKind };
}

/** The request for a preview (no path needed) or an export; a message saying what is missing. */
export function exportRequest(choice: ExportChoice, forExport: boolean): ExportRequest | string {
  const final_label = finalLabelOf(choice);
  if (typeof final_label === "string") return final_label;
  const path = choice.path.trim();
  if (forExport && path === "") return "Give the full path of the file to write.";
  const request: ExportRequest = { path, format: choice.format, final_label, overwrite: forExport && choice.overwrite };
  if (choice.datasetId !== undefined) request.dataset_id = choice.datasetId;
  return request;
}

/** A path whose extension follows the format (only a known extension is replaced). */
export function withExtension(path: string, format: ExportFormatName): string {
  const wanted = EXPORT_FORMATS.find((f) => f.name === format)?.extension ?? "jsonl";
  const match = /\.(jsonl|csv|parquet)$/i.exec(path);
  return match ? path.slice(0, match.index) + "." + wanted : path;
}

/** Whether an export failed because the file exists (then the dialog offers to replace it). */
export function isExistsError(message: string): boolean {
  return message.includes("the file exists");
}

/** Words for the final-label choice. */
export function finalLabelText(f: FinalLabel): string {
  switch (f.kind) {
    case "adjudicated":
      return "adjudicated, else unanimous";
    case "majority":
      return "majority of annotators";
    case "annotator":
      return `${f.name}'s verdicts`;
  }
}

function list(counts: SampleCount[]): string {
  return counts.map((c) => `${c.samples.toLocaleString()} ${c.what}`).join(", ");
}

/** What an export wrote, in lines for people. */
export function doneLines(done: ExportDone): string[] {
  const lines = [
    `Wrote ${done.rows.toLocaleString()} rows to ${done.path} (${done.samples.toLocaleString()} samples, ${done.skipped.toLocaleString()} without a row).`,
    `Final verdicts (${finalLabelText(done.final_label)}): ${done.final_sources.length === 0 ? "none" : list(done.final_sources)}.`,
  ];
  if (done.unresolved.length > 0) lines.push(`Without a final verdict: ${list(done.unresolved)}.`);
  if (done.skipped_reasons.length > 0) lines.push(`No row: ${list(done.skipped_reasons)}.`);
  return lines;
}

/** The merge request from the dialog's fields (the inputs one per line); a message when incomplete. */
export function mergeRequest(output: string, inputs: string): MergeRequest | string {
  const files = inputs
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (output.trim() === "") return "Give the full path of the new project file.";
  if (files.length < 2) return "Give two or more project files to merge, one per line.";
  return { output: output.trim(), inputs: files };
}

/** What a merge wrote, in lines for people. */
export function mergeLines(done: MergeDone): string[] {
  return [
    ...done.inputs.map(
      (i) =>
        `${i.path}: ${i.samples.toLocaleString()} samples, ${i.runs} runs, ${i.judgments.toLocaleString()} judgments, ${i.events.toLocaleString()} annotation events (${i.duplicate_events.toLocaleString()} already there), ${i.adjudications} adjudications`,
    ),
    `Wrote ${done.output}; annotators ${done.annotators.join(", ")}.`,
  ];
}
