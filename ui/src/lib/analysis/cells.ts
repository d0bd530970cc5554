// Pure: what opening a cell of the analysis view asks the API and how the queue is named.
//
// Every chart cell that stands for samples carries the API's key (`data-key` in the page; the
// grammar is fare-core's `metrics::cells`: `first-error:pred=3:gold=5`, `bucket:late`,
// `offset:-1`, `swap-flip`, `tag:<id>`, `inferred:<id>`, `contradiction:<kind>`, …). Given back
// with the group's scope and the reference it was counted against, the key lists exactly the
// cell's samples (`analysisSamples`), which the app saves as a `listed` queue.
import type { AnalysisSamplesRequest } from "../api/generated/AnalysisSamplesRequest";
import type { Reference } from "../api/generated/Reference";
import { TASK_NAMES, type Scope } from "./charts";

/** A cell the user opened: its key, its count as drawn, its chart's title and itself in words. */
export interface OpenedCell {
  key: string;
  count: number | null;
  title: string;
  what: string;
}

/** The request listing a cell's samples; `scope` null: the whole project (contradictions). */
export function samplesRequest(cell: OpenedCell, scope: Scope | null, reference: Reference, run?: number): AnalysisSamplesRequest {
  const request: AnalysisSamplesRequest = { key: cell.key, reference };
  if (run !== undefined) request.run = run;
  if (scope) {
    request.scope = { task: scope.task };
    if (scope.dataset_id !== null) request.scope.dataset_id = scope.dataset_id;
    if (scope.source !== null) request.scope.source = scope.source;
  }
  return request;
}

/** Where the queue came from: "First error: predicted 3, true 5". */
export function cellFrom(cell: OpenedCell): string {
  return `${cell.title}: ${cell.what}`;
}

/** The queue's name: "First error: predicted 3, true 5 (Step-level, ProcessBench gsm8k)". */
export function queueName(cell: OpenedCell, scope: Scope | null, reference: Reference): string {
  const where = scope ? [TASK_NAMES[scope.task], scope.dataset || null, scope.source].filter((p) => p !== null).join(", ") : "all tasks";
  const against = reference === "human" ? ", against human labels" : "";
  return `${cellFrom(cell)} (${where}${against})`;
}
