// Pure: the keys of the analysis view's cells and what opening one does today.
//
// Every chart cell that stands for samples carries a key (`data-key` in the page), in the form
// the report's sample-level API will take: `first-error:pred=3:gold=5`, `bucket:late`,
// `offset:k=-1`, `position:gold=4`, `confusion:gold=correct:pred=failed`. Until that API exists
// a cell opens the nearest filter the queue already has: its group (task, data set, source)
// and whether the evaluator agreed with the ground truth. That is often wider than the cell,
// and the app says so; it never pretends the queue holds exactly the cell's samples.
import type { DatasetView } from "../api/generated/DatasetView";
import type { EvaluatorFilter } from "../api/generated/EvaluatorFilter";
import type { Scope } from "./charts";

/** A step-level verdict in a key: a step, `-1` (null), or `failed`. */
type Step = number | null | "failed";
const step = (v: Step) => (v === null ? "-1" : String(v));

export const cellKey = {
  /** A first-error grid cell: the evaluator's step and the true one. */
  firstError: (pred: Step, gold: number | null) => `first-error:pred=${step(pred)}:gold=${step(gold)}`,
  /** An outcome bucket (`exact`, `early`, `late`, `missed-error`, `false-alarm`, `correct-no-error`, `failed`). */
  bucket: (name: string) => `bucket:${name}`,
  /** Predicted minus true step. */
  offset: (k: number) => `offset:k=${k}`,
  /** A tenth of the solution's length holding true (`gold`) or predicted (`pred`) first errors. */
  position: (which: "gold" | "pred", bin: number) => `position:${which}=${bin}`,
  /** A verification confusion cell. */
  confusion: (gold: "correct" | "incorrect", pred: "correct" | "incorrect" | "failed") => `confusion:gold=${gold}:pred=${pred}`,
};

/** The key's fields: `first-error:pred=3:gold=5` → kind `first-error`, {pred: "3", gold: "5"}. */
export function parseKey(key: string): { kind: string; fields: Record<string, string>; name: string | null } {
  const [kind, ...rest] = key.split(":");
  const fields: Record<string, string> = {};
  let name: string | null = null;
  for (const part of rest) {
    const eq = part.indexOf("=");
    if (eq < 0) name = part;
    else fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { kind, fields, name };
}

/**
 * Whether the evaluator was right on every sample of the cell (`agrees-with-gold`), wrong
 * (`disagrees-with-gold`, which also holds the failures), gave no verdict (`failed`), or a mix
 * (null: relative positions, unknown keys).
 */
export function cellOutcome(key: string): EvaluatorFilter | null {
  const { kind, fields, name } = parseKey(key);
  switch (kind) {
    case "first-error":
    case "confusion":
      if (fields.pred === undefined || fields.gold === undefined) return null;
      if (fields.pred === "failed") return "failed";
      return fields.pred === fields.gold ? "agrees-with-gold" : "disagrees-with-gold";
    case "bucket":
      if (name === "exact" || name === "correct-no-error") return "agrees-with-gold";
      if (name === "failed") return "failed";
      return name === null ? null : "disagrees-with-gold";
    case "offset":
      if (fields.k === undefined) return null;
      return Number(fields.k) === 0 ? "agrees-with-gold" : "disagrees-with-gold";
    default:
      return null;
  }
}

/** The queue filters nearest to a cell (see the module's doc). */
export interface CellFilter {
  task: Scope["task"];
  dataset_id?: number;
  source?: string;
  evaluator?: EvaluatorFilter;
}

export function cellFilter(key: string, scope: Scope, datasets: DatasetView[]): CellFilter {
  const filter: CellFilter = { task: scope.task };
  const dataset = datasets.find((d) => d.name === scope.dataset);
  if (dataset) filter.dataset_id = dataset.id;
  if (scope.source !== null) filter.source = scope.source;
  const outcome = cellOutcome(key);
  if (outcome !== null) filter.evaluator = outcome;
  return filter;
}

const OUTCOME_WORDS: Record<EvaluatorFilter, string> = {
  "agrees-with-gold": "the evaluator agrees with the ground truth",
  "disagrees-with-gold": "the evaluator disagrees with the ground truth",
  failed: "the evaluator gave no verdict",
  "not-judged": "the evaluator did not judge",
};

/**
 * What the queue shows after a cell opened: `matching` samples under the filter against the
 * cell's `cellCount`. Equal counts mean the queue holds exactly the cell (the cell's samples are
 * among the filter's), except for a run with K judgments per sample (`majority`): the report
 * counts its majority verdicts, the queue's filter reads each sample's first judgment.
 */
export function openedMessage(scope: Scope, filter: CellFilter, matching: number, cellCount: number | null, majority = false): string {
  const where = [scope.task, scope.dataset, scope.source].filter((p) => p !== null).join(" · ");
  const how = filter.evaluator ? ` where ${OUTCOME_WORDS[filter.evaluator]}` : "";
  const shown = `The queue shows the ${matching.toLocaleString("en-US")} samples of ${where}${how}`;
  if (cellCount === null) return `${shown}.`;
  if (majority && filter.evaluator) {
    return `${shown} by each sample's first judgment; this cell's ${cellCount.toLocaleString("en-US")} are counted by the majority of K judgments, so the two can differ.`;
  }
  if (cellCount === matching) return `${shown}: exactly this cell.`;
  return `${shown}; this cell's ${cellCount.toLocaleString("en-US")} are among them (the cell's own samples need the sample-level analysis, not available yet).`;
}
