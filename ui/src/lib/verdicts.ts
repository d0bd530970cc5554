// What the sample view draws from a SampleDetail, as pure functions (tested without a DOM):
// which judgment is on screen, how a step-level verdict marks the trace, and how a pair's two
// orders compare. Components only turn these values into classes.
import type { JudgmentView } from "./api/generated/JudgmentView";
import type { SampleDetail } from "./api/generated/SampleDetail";
import { stepsOf } from "./samples";

/** The judgments of the run shown (each task's newest run unless one was asked for). */
export function shownJudgments(detail: SampleDetail): JudgmentView[] {
  if (detail.shown_run === null) return [];
  return detail.judgments.filter((j) => j.run_id === detail.shown_run);
}

/**
 * The judgment a decision is about: the shown run's original-order judgment, first attempt;
 * a swapped one only when the run has no other.
 */
export function primaryJudgment(detail: SampleDetail): JudgmentView | null {
  const shown = shownJudgments(detail);
  const sorted = [...shown].sort((a, b) => Number(a.swapped) - Number(b.swapped) || a.attempt - b.attempt);
  return sorted[0] ?? null;
}

/** The evaluator's verdict to accept: the majority of K when the run voted, else the primary's. */
export function evaluatorVerdict(detail: SampleDetail, judgment: JudgmentView | null): string | null {
  if (judgment === null) return null;
  const vote = detail.votes.find((v) => v.run_id === judgment.run_id && v.swapped === judgment.swapped);
  if (vote && vote.of > 1 && vote.verdict !== null) return vote.verdict;
  return judgment.verdict;
}

/** How one step is drawn. */
export interface StepMark {
  index: number;
  /** The evaluator's first wrong step. */
  predicted: boolean;
  /** After the predicted first error (dimmed: the evaluator stopped trusting the trace). */
  dimmed: boolean;
  /** The data set's first wrong step. */
  gold: boolean;
  /** The annotator's label puts the first error here. */
  human: boolean;
  /** Probability the evaluator put the first error here, when scored. */
  heat: number | null;
}

/** The marks of a whole trace, and the "no error" (-1) cell. */
export interface TraceMarks {
  steps: StepMark[];
  noError: { predicted: boolean; gold: boolean; human: boolean; heat: number | null };
  /** Whether any heat is known (draw the strip at all). */
  hasHeat: boolean;
}

function stepOf(verdict: string | null | undefined): number | null {
  if (verdict === null || verdict === undefined) return null;
  const n = Number(verdict);
  return Number.isInteger(n) ? n : null;
}

/** Marks a step-level trace from the judgment on screen, the gold and the human label. */
export function traceMarks(detail: SampleDetail, judgment: JudgmentView | null): TraceMarks {
  const predicted = judgment && judgment.state === "parsed" ? stepOf(evaluatorVerdict(detail, judgment)) : null;
  const gold = stepOf(detail.gold);
  const human = detail.label.decision === "unreviewed" ? null : stepOf(detail.label.verdict);
  const probs = new Map<number, number>();
  for (const chance of judgment?.verdict_probs ?? []) {
    const s = stepOf(chance.verdict);
    if (s !== null) probs.set(s, chance.p);
  }
  const hasHeat = probs.size > 0;
  const heatOf = (i: number) => (hasHeat ? (probs.get(i) ?? 0) : null);
  const steps = stepsOf(detail).map((s) => ({
    index: s.index,
    predicted: predicted !== null && predicted >= 0 && s.index === predicted,
    dimmed: predicted !== null && predicted >= 0 && s.index > predicted,
    gold: gold !== null && gold >= 0 && s.index === gold,
    human: human !== null && human >= 0 && s.index === human,
    heat: heatOf(s.index),
  }));
  return {
    steps,
    noError: { predicted: predicted === -1, gold: gold === -1, human: human === -1, heat: heatOf(-1) },
    hasHeat,
  };
}

/** One presentation order of a pair and what the evaluator chose in it. */
export interface PairOrder {
  swapped: boolean;
  /** The response chosen, in the data's A/B labels; null when unreadable or not judged. */
  verdict: string | null;
  state: "parsed" | "unparseable" | "truncated" | "not judged";
  judgment: JudgmentView | null;
}

/** The two orders of a pair in one run and whether they disagree. */
export interface PairOrders {
  original: PairOrder;
  swapped: PairOrder;
  /** Both orders judged with a verdict, and they chose different underlying responses. */
  flip: boolean;
  /** Both orders judged with a verdict, and they agree. */
  consistent: boolean;
}

function order(detail: SampleDetail, runId: number | null, swapped: boolean): PairOrder {
  const candidates = detail.judgments
    .filter((j) => j.run_id === runId && j.swapped === swapped)
    .sort((a, b) => a.attempt - b.attempt);
  const judgment = candidates[0] ?? null;
  if (judgment === null) return { swapped, verdict: null, state: "not judged", judgment: null };
  const vote = detail.votes.find((v) => v.run_id === runId && v.swapped === swapped);
  const verdict = vote && vote.of > 1 ? vote.verdict : judgment.verdict;
  const state = (["parsed", "unparseable", "truncated"].includes(judgment.state) ? judgment.state : "unparseable") as PairOrder["state"];
  return { swapped, verdict: state === "parsed" || (vote && vote.of > 1) ? verdict : null, state, judgment };
}

/**
 * The verdicts of both orders. Swapped judgments store their verdict in the data's own A/B
 * labels (ARCHITECTURE.md), so a flip is simply two different verdicts.
 */
export function pairOrders(detail: SampleDetail, runId: number | null = detail.shown_run): PairOrders {
  const original = order(detail, runId, false);
  const swapped = order(detail, runId, true);
  const both = original.verdict !== null && swapped.verdict !== null;
  return {
    original,
    swapped,
    flip: both && original.verdict !== swapped.verdict,
    consistent: both && original.verdict === swapped.verdict,
  };
}

/** A row's evaluator marker in the queue. */
export function rowMarker(row: {
  parse_state: string | null;
  agrees_with_gold: boolean | null;
}): "agree" | "disagree" | "failed" | "none" | "no-gold" {
  if (row.parse_state === null) return "none";
  if (row.parse_state !== "parsed") return "failed";
  if (row.agrees_with_gold === null) return "no-gold";
  return row.agrees_with_gold ? "agree" : "disagree";
}

/**
 * The source filter's choices: the sources of the chosen data set, or of all data sets with
 * the counts of a name added up (the filter matches a source's name in any data set).
 */
export function sourcesFor(
  sources: ReadonlyArray<{ dataset_id: number; source: string; sample_count: number }>,
  datasetId: number | undefined,
): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const s of sources) {
    if (datasetId !== undefined && s.dataset_id !== datasetId) continue;
    counts.set(s.source, (counts.get(s.source) ?? 0) + s.sample_count);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}
