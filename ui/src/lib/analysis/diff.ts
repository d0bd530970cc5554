// Pure: the checkpoint diff (`RunDiff`) as the analysis view's table: a row per task, then its
// tags' rows (people's, then inferred), each cell a count with the API's key (`diff:<cell>`,
// `diff:<cell>:tag=<id>`, `diff:<cell>:inferred=<id>`, read with the row's task as scope), and
// the table its CSV file holds. Opening a cell asks `diffSamples` and saves a listed queue.
import type { DiffCell } from "../api/generated/DiffCell";
import type { DiffSamplesRequest } from "../api/generated/DiffSamplesRequest";
import type { Reference } from "../api/generated/Reference";
import type { RunDiff } from "../api/generated/RunDiff";
import type { Task } from "../api/generated/Task";
import { TASK_NAMES } from "./charts";
import type { Table } from "./csv";

/** The cells, in the API's order, with their column headings. */
export const DIFF_CELLS: { cell: DiffCell; label: string }[] = [
  { cell: "both-right", label: "Both right" },
  { cell: "fixed", label: "Fixed" },
  { cell: "broke", label: "Broke" },
  { cell: "both-wrong", label: "Both wrong" },
  { cell: "not-comparable", label: "Not comparable" },
];

export interface DiffTableCell {
  cell: DiffCell;
  key: string;
  count: number;
  /** The cell in words for the queue's name: "fixed, tag late-step (inferred)". */
  what: string;
}

export interface DiffTableRow {
  task: Task;
  /** "Step-level", or the tag's id with "(inferred)" for an inferred one. */
  label: string;
  /** A tag's row (indented under its task's). */
  tag: boolean;
  cells: DiffTableCell[];
}

export function diffRows(diff: RunDiff): DiffTableRow[] {
  return diff.rows.map((r) => {
    const tagWords = r.tag === null ? "" : `, ${r.inferred ? "inferred tag" : "tag"} ${r.tag}`;
    return {
      task: r.task,
      label: r.tag === null ? TASK_NAMES[r.task] : `${r.tag}${r.inferred ? " (inferred)" : ""}`,
      tag: r.tag !== null,
      cells: DIFF_CELLS.map(({ cell, label }) => {
        const c = r.cells.find((x) => x.cell === cell);
        return { cell, key: c?.key ?? "", count: c?.count ?? 0, what: `${label.toLowerCase()}${tagWords}` };
      }),
    };
  });
}

/** The numbers behind the table, as its CSV file holds them. */
export function diffTable(diff: RunDiff): Table {
  return {
    header: ["task", "tag", "tag_source", ...DIFF_CELLS.map((c) => c.cell.replace(/-/g, "_"))],
    rows: diff.rows.map((r) => [r.task, r.tag ?? "", r.tag === null ? "" : r.inferred ? "inferred" : "people", ...DIFF_CELLS.map(({ cell }) => r.cells.find((c) => c.cell === cell)?.count ?? 0)]),
  };
}

/** The request listing one cell's samples. */
export function diffSamplesRequest(diff: RunDiff, task: Task, key: string): DiffSamplesRequest {
  return { before: diff.before, after: diff.after, reference: diff.reference, task, key };
}

const REFERENCE_WORDS: Record<Reference, string> = {
  "human-else-gold": "human label, else ground truth",
  gold: "ground truth",
  human: "human labels",
};

/** "Run 3 → 4: fixed (Step-level, against ground truth)". */
export function diffQueueName(diff: RunDiff, task: Task, what: string): string {
  return `Run ${diff.before} → ${diff.after}: ${what} (${TASK_NAMES[task]}, against ${REFERENCE_WORDS[diff.reference]})`;
}
