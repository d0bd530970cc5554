// Pure: the analysis view's charts built from the evaluator report (`/api/report`). Each chart
// is data only (bars, a matrix, columns) with its title, the key of every cell that stands for
// samples, and the table its CSV file holds; the Svelte components in
// `components/analysis/` only draw them. A section is one builder over a group of the report;
// new analyses (human labels, contradictions, failure tags, a checkpoint diff) plug in as more
// builders in `SECTIONS`.
import type { BucketCounts } from "../api/generated/BucketCounts";
import type { Confusion } from "../api/generated/Confusion";
import type { FirstErrorAnalysis } from "../api/generated/FirstErrorAnalysis";
import type { GroupReport } from "../api/generated/GroupReport";
import type { OffsetCount } from "../api/generated/OffsetCount";
import type { Predicted } from "../api/generated/Predicted";
import type { Analysis as Report } from "../api/generated/Analysis";
import type { Task } from "../api/generated/Task";
import { cellKey } from "./cells";
import type { Table } from "./csv";
import { UNDEFINED, count, decimal, ofTotal, percent, signed } from "./format";

/** Which samples a chart speaks of: one group of the report. */
export interface Scope {
  task: Task;
  dataset: string;
  /** A source within the data set, or null for the whole data set. */
  source: string | null;
}

/** A colour with a meaning: right, wrong, no verdict, none; true and predicted as the trace marks them. */
export type Tone = "agree" | "disagree" | "warn" | "neutral" | "gold" | "predicted";

export interface Bar {
  label: string;
  /** In the chart's domain; null when undefined for the group (drawn empty, shown as a dash). */
  value: number | null;
  /** The number as shown. */
  text: string;
  /** The cell key when the bar stands for samples (a count), else absent. */
  key?: string;
  tone?: Tone;
  /** More words for the tooltip ("8 of 14 erroneous samples"). */
  detail?: string;
}

export interface BarsBody {
  kind: "bars";
  /** The value range the bars are drawn over (shares [0, 1], counts [0, max], correlations [-1, 1]). */
  domain: [number, number];
  /** A line drawn across the bars (0.5 = no position bias). */
  reference?: { value: number; label: string };
  bars: Bar[];
}

export interface MatrixCell {
  row: number;
  col: number;
  count: number;
  key: string;
  /** Where the row's and the column's verdicts are the same (a right verdict). */
  diagonal: boolean;
  /** Words for screen readers and the tooltip. */
  label: string;
}

export interface MatrixBody {
  kind: "matrix";
  rowTitle: string;
  colTitle: string;
  rows: string[];
  cols: string[];
  /** Cells with samples only; the others are drawn empty. */
  cells: MatrixCell[];
  max: number;
}

export interface ColumnSeries {
  name: string;
  counts: number[];
  /** One key per column (null where the column stands for no samples to open). */
  keys: (string | null)[];
  tone?: Tone;
}

export interface ColumnsBody {
  kind: "columns";
  xTitle: string;
  labels: string[];
  series: ColumnSeries[];
}

export interface Chart {
  /** Stable within a section; part of the file names. */
  id: string;
  title: string;
  /** One sentence: what the chart shows. */
  description: string;
  body: BarsBody | MatrixBody | ColumnsBody;
  /** The numbers behind it, as its CSV file holds them. */
  table: Table;
  /** Said instead of the chart when it has nothing to draw. */
  empty?: string;
}

/** One figure in a section's line of figures. */
export interface Stat {
  id: string;
  label: string;
  text: string;
  title?: string;
}

export interface Section {
  id: string;
  title: string;
  stats: Stat[];
  charts: Chart[];
  /** Said under the charts: what the section cannot show yet. */
  note?: string;
  /** Said instead of the charts when the group has nothing for this section. */
  empty?: string;
}

/** A section over one group (null when it does not apply to the group's task). */
export type SectionBuilder = (group: GroupReport, report: Report) => Section | null;

/** A matrix this many columns wide takes a whole row of the view (long solutions' grids). */
export const WIDE_MATRIX = 10;

/** The largest cell that fits a matrix in the space it is given (wide: a whole row). */
export function matrixCellSize(body: MatrixBody): number {
  const wide = body.cols.length > WIDE_MATRIX;
  const across = Math.floor((wide ? 900 : 440) / Math.max(1, body.cols.length));
  const down = Math.floor((wide ? 620 : 440) / Math.max(1, body.rows.length));
  return Math.max(16, Math.min(64, across, down));
}

// ---- groups ----

export function scopeOf(group: GroupReport): Scope {
  return { task: group.task, dataset: group.dataset, source: group.source };
}

/** A group's identity, for the picker and `data-group`. */
export function groupId(group: Pick<GroupReport, "task" | "dataset" | "source">): string {
  return `${group.task}|${group.dataset}|${group.source ?? ""}`;
}

export const TASK_NAMES: Record<Task, string> = {
  pairwise: "Pairwise",
  "step-level": "Step-level",
  "reference-free": "Reference-free",
  "reference-based": "Reference-based",
  rating: "Rating",
};

/** "step-level · ProcessBench GSM8K · gsm8k". */
export function groupLabel(group: Pick<GroupReport, "task" | "dataset" | "source">): string {
  return [group.task, group.dataset, group.source].filter((p) => p !== null).join(" · ");
}

/** The group's one number for the picker: F1, swap-consistent accuracy, accuracy or MAE. */
export function headline(group: GroupReport): { label: string; text: string } | null {
  if (group.processbench) return { label: "F1", text: percent(group.processbench.f1) };
  if (group.pairwise) {
    const p = group.pairwise;
    return p.n_with_swap > 0 ? { label: "consistent", text: percent(p.consistent_accuracy) } : { label: "accuracy", text: percent(p.accuracy_original) };
  }
  if (group.verification) return { label: "accuracy", text: percent(group.verification.accuracy) };
  if (group.rating) return { label: "MAE", text: decimal(group.rating.mae, 2) };
  return null;
}

/** Why a group has no charts, or null when it has some. */
export function emptyReason(group: GroupReport): string | null {
  if (group.judged === 0) return "No judged samples in this group.";
  if (!group.processbench && !group.pairwise && !group.verification && !group.rating) {
    return group.with_gold === 0 ? "No judged samples with ground truth in this group." : "No judged samples with ground truth and a verdict in this group.";
  }
  return null;
}

// ---- step-level ----

/** A step-level verdict on an axis: a step index, `-1` (no error), or a failure. */
export type StepValue = number | null | "failed";

export function stepOf(predicted: Predicted<number | null>): StepValue {
  return predicted === "failed" ? "failed" : predicted.value;
}

/** As cell keys and CSV files write it: `3`, `-1`, `failed`. */
export function stepText(v: StepValue): string {
  return v === null ? "-1" : String(v);
}

/** As the chart writes it: `3`, `no error`, `failed`. */
export function stepLabel(v: StepValue): string {
  return v === null ? "no error" : v === "failed" ? "failed" : String(v);
}

/** The true × predicted first-error grid. Rows: true step, `no error` first; columns add `failed`. */
export function firstErrorMatrix(fe: FirstErrorAnalysis): MatrixBody {
  const steps = new Set<number>();
  let failed = false;
  for (const c of fe.grid) {
    if (c.gold !== null) steps.add(c.gold);
    const p = stepOf(c.predicted);
    if (p === "failed") failed = true;
    else if (p !== null) steps.add(p);
  }
  const axis: StepValue[] = [null, ...[...steps].sort((a, b) => a - b)];
  const cols: StepValue[] = failed ? [...axis, "failed"] : axis;
  const index = (list: StepValue[], v: StepValue) => list.findIndex((x) => x === v);
  const cells: MatrixCell[] = fe.grid.map((c) => {
    const p = stepOf(c.predicted);
    return {
      row: index(axis, c.gold),
      col: index(cols, p),
      count: c.count,
      key: cellKey.firstError(p, c.gold),
      diagonal: p === c.gold,
      label: `true ${stepLabel(c.gold)}, predicted ${stepLabel(p)}: ${count(c.count)} samples`,
    };
  });
  return {
    kind: "matrix",
    rowTitle: "True first error (step)",
    colTitle: "Predicted first error (step)",
    rows: axis.map(stepLabel),
    cols: cols.map(stepLabel),
    cells,
    max: Math.max(0, ...cells.map((c) => c.count)),
  };
}

/** The outcome buckets, in the order people read them, with their cell key's name. */
export const BUCKETS: { field: keyof BucketCounts; name: string; label: string; tone: Tone; detail: string }[] = [
  { field: "exact", name: "exact", label: "Exact", tone: "agree", detail: "named the true first wrong step" },
  { field: "early", name: "early", label: "Early", tone: "disagree", detail: "named a step before the true first error" },
  { field: "late", name: "late", label: "Late", tone: "disagree", detail: "named a step after the true first error (read past it)" },
  { field: "missed_error", name: "missed-error", label: "Missed error", tone: "disagree", detail: "said no error where there is one" },
  { field: "false_alarm", name: "false-alarm", label: "False alarm", tone: "disagree", detail: "named a step where there is no error" },
  { field: "correct_no_error", name: "correct-no-error", label: "Correct no error", tone: "agree", detail: "said no error, rightly" },
  { field: "failed", name: "failed", label: "No verdict", tone: "warn", detail: "no verdict could be read" },
];

/**
 * Every offset from the lowest to the highest seen, the missing ones as 0, so the histogram's
 * x axis is even (only the seen ones past 60 steps of range: an outlier would flatten it).
 */
export function offsetRange(offsets: OffsetCount[]): OffsetCount[] {
  const sorted = [...offsets].sort((a, b) => a.offset - b.offset);
  if (sorted.length === 0) return sorted;
  const lo = sorted[0].offset;
  const hi = sorted[sorted.length - 1].offset;
  if (hi - lo > 60) return sorted;
  const seen = new Map(sorted.map((o) => [o.offset, o.count]));
  return Array.from({ length: hi - lo + 1 }, (_, i) => ({ offset: lo + i, count: seen.get(lo + i) ?? 0 }));
}

/** Relative-position bins: "0–10%", …, "90–100%". */
export function positionLabels(bins: number): string[] {
  return Array.from({ length: bins }, (_, i) => `${Math.round((i * 100) / bins)}–${Math.round(((i + 1) * 100) / bins)}%`);
}

export function stepLevelSection(group: GroupReport, report: Report): Section | null {
  if (group.task !== "step-level") return null;
  const pb = group.processbench;
  const fe = group.first_error;
  const section: Section = { id: "step-level", title: "First errors (ProcessBench)", stats: [], charts: [] };
  if (!pb || !fe) {
    section.empty = emptyReason(group) ?? "No step-level verdicts with ground truth in this group.";
    return section;
  }
  section.stats = [
    { id: "erroneous", label: "Erroneous samples", text: count(pb.n_erroneous) },
    { id: "correct", label: "Correct samples", text: count(pb.n_correct) },
    { id: "failed", label: "No verdict", text: count(pb.n_failed), title: "Counted as wrong in the accuracies" },
  ];
  if (report.processbench_mean_f1 !== null) {
    section.stats.push({ id: "mean-f1", label: "Mean F1 over ProcessBench splits", text: percent(report.processbench_mean_f1), title: "The benchmark's headline: the mean F1 over the splits of every ProcessBench import" });
  }
  const errorHits = pb.error_accuracy === null ? null : Math.round(pb.error_accuracy * pb.n_erroneous);
  const correctHits = pb.correct_accuracy === null ? null : Math.round(pb.correct_accuracy * pb.n_correct);
  section.charts.push({
    id: "processbench",
    title: "ProcessBench score",
    description: "Accuracy on erroneous samples (exact first wrong step), on correct samples (said no error), and their harmonic mean.",
    body: {
      kind: "bars",
      domain: [0, 1],
      bars: [
        { label: "Error accuracy", value: pb.error_accuracy, text: percent(pb.error_accuracy), detail: errorHits === null ? "no erroneous samples" : `${ofTotal(errorHits, pb.n_erroneous)} erroneous samples` },
        { label: "Correct accuracy", value: pb.correct_accuracy, text: percent(pb.correct_accuracy), detail: correctHits === null ? "no correct samples" : `${ofTotal(correctHits, pb.n_correct)} correct samples` },
        { label: "F1", value: pb.f1, text: percent(pb.f1), detail: "harmonic mean of the two accuracies" },
      ],
    },
    table: {
      header: ["metric", "value", "samples"],
      rows: [
        ["error_accuracy", pb.error_accuracy, pb.n_erroneous],
        ["correct_accuracy", pb.correct_accuracy, pb.n_correct],
        ["f1", pb.f1, pb.n_erroneous + pb.n_correct],
        ["no_verdict", pb.n_failed, pb.n_erroneous + pb.n_correct],
      ],
    },
  });
  const matrix = firstErrorMatrix(fe);
  section.charts.push({
    id: "first-error-grid",
    title: "First error: predicted against true step",
    description: "Samples per true first wrong step (rows) and the step the evaluator named (columns); the diagonal is right.",
    body: matrix,
    table: {
      header: ["true_first_error", "predicted_first_error", "samples"],
      rows: fe.grid.map((c) => [stepText(c.gold), stepText(stepOf(c.predicted)), c.count]),
    },
    empty: matrix.cells.length === 0 ? "No judged samples in this group." : undefined,
  });
  section.charts.push({
    id: "buckets",
    title: "Where verdicts land",
    description: "Each sample by how its predicted first error relates to the true one.",
    body: {
      kind: "bars",
      domain: [0, Math.max(1, ...BUCKETS.map((b) => fe.buckets[b.field]))],
      bars: BUCKETS.map((b) => ({
        label: b.label,
        value: fe.buckets[b.field],
        text: count(fe.buckets[b.field]),
        key: fe.buckets[b.field] > 0 ? cellKey.bucket(b.name) : undefined,
        tone: b.tone,
        detail: b.detail,
      })),
    },
    table: { header: ["bucket", "samples"], rows: BUCKETS.map((b) => [b.name, fe.buckets[b.field]]) },
  });
  const offsets = offsetRange(fe.offsets);
  section.charts.push({
    id: "off-by-k",
    title: "Off by k steps",
    description: "Predicted minus true first wrong step, where both name a step (negative is early).",
    body: {
      kind: "columns",
      xTitle: "Steps off",
      labels: offsets.map((o) => signed(o.offset)),
      series: [{ name: "Samples", counts: offsets.map((o) => o.count), keys: offsets.map((o) => (o.count > 0 ? cellKey.offset(o.offset) : null)), tone: "neutral" }],
    },
    table: { header: ["offset", "samples"], rows: fe.offsets.map((o) => [o.offset, o.count]) },
    empty: offsets.length === 0 ? "No sample where both name a wrong step." : undefined,
  });
  const bins = fe.gold_positions.length;
  const labels = positionLabels(bins);
  const anyPosition = fe.gold_positions.some((n) => n > 0) || fe.predicted_positions.some((n) => n > 0);
  section.charts.push({
    id: "relative-position",
    title: "Where in the solution first errors fall",
    description: "True and predicted first wrong steps by their position in the solution, in tenths of its length.",
    body: {
      kind: "columns",
      xTitle: "Position in the solution",
      labels,
      series: [
        { name: "True", counts: [...fe.gold_positions], keys: fe.gold_positions.map((n, i) => (n > 0 ? cellKey.position("gold", i) : null)), tone: "gold" },
        { name: "Predicted", counts: [...fe.predicted_positions], keys: fe.predicted_positions.map((n, i) => (n > 0 ? cellKey.position("pred", i) : null)), tone: "predicted" },
      ],
    },
    table: { header: ["position", "true_first_errors", "predicted_first_errors"], rows: labels.map((l, i) => [l, fe.gold_positions[i], fe.predicted_positions[i]]) },
    empty: anyPosition ? undefined : "No first errors to place.",
  });
  return section;
}

// ---- pairwise ----

export function pairwiseSection(group: GroupReport): Section | null {
  if (group.task !== "pairwise") return null;
  const p = group.pairwise;
  const section: Section = { id: "pairwise", title: "Pairwise and the A/B swap", stats: [], charts: [] };
  if (!p) {
    section.empty = emptyReason(group) ?? "No pairwise verdicts with ground truth in this group.";
    return section;
  }
  section.stats = [
    { id: "pairs", label: "Pairs", text: count(p.n) },
    { id: "with-swap", label: "Judged in both orders", text: count(p.n_with_swap) },
    { id: "flips", label: "Flips with the swap", text: count(p.flips), title: "Pairs whose two orders pick different responses" },
    { id: "failed", label: "No verdict", text: count(p.n_failed), title: "Each order counted apart" },
  ];
  section.charts.push({
    id: "pairwise",
    title: "Accuracy and consistency",
    description: "Accuracy in each order, right in both orders (the protocol's accuracy), and the same pick in both orders.",
    body: {
      kind: "bars",
      domain: [0, 1],
      bars: [
        { label: "Original order", value: p.accuracy_original, text: percent(p.accuracy_original), detail: `over ${count(p.n)} pairs` },
        { label: "Swapped order", value: p.accuracy_swapped, text: percent(p.accuracy_swapped), detail: `over ${count(p.n_with_swap)} pairs judged in both orders` },
        { label: "Consistent accuracy", value: p.consistent_accuracy, text: percent(p.consistent_accuracy), detail: "right in both orders" },
        { label: "Consistency", value: p.consistency, text: percent(p.consistency), detail: "the same response in both orders, right or wrong" },
      ],
    },
    table: {
      header: ["metric", "value", "pairs"],
      rows: [
        ["accuracy_original", p.accuracy_original, p.n],
        ["accuracy_swapped", p.accuracy_swapped, p.n_with_swap],
        ["consistent_accuracy", p.consistent_accuracy, p.n_with_swap],
        ["consistency", p.consistency, p.n_with_swap],
        ["flips", p.flips, p.n_with_swap],
        ["no_verdict", p.n_failed, p.n],
      ],
    },
  });
  section.charts.push({
    id: "position-bias",
    title: "Position bias",
    description: "Share of verdicts, over both orders, that pick the response shown first; 50% is no bias.",
    body: {
      kind: "bars",
      domain: [0, 1],
      reference: { value: 0.5, label: "no bias" },
      bars: [{ label: "Picks the first shown", value: p.first_position_share, text: percent(p.first_position_share), tone: "neutral" }],
    },
    table: { header: ["metric", "value"], rows: [["first_position_share", p.first_position_share]] },
  });
  return section;
}

// ---- verification ----

export function confusionMatrix(c: Confusion): MatrixBody {
  const rows = ["correct", "incorrect"] as const;
  const cols = ["correct", "incorrect", "failed"] as const;
  const cells: MatrixCell[] = [];
  rows.forEach((gold, r) => {
    const counts = gold === "correct" ? c.gold_correct : c.gold_incorrect;
    cols.forEach((pred, col) => {
      if (counts[pred] === 0) return;
      cells.push({
        row: r,
        col,
        count: counts[pred],
        key: cellKey.confusion(gold, pred),
        diagonal: gold === pred,
        label: `true ${gold}, predicted ${pred === "failed" ? "no verdict" : pred}: ${count(counts[pred])} samples`,
      });
    });
  });
  const withFailed = c.gold_correct.failed + c.gold_incorrect.failed > 0;
  return {
    kind: "matrix",
    rowTitle: "True",
    colTitle: "Predicted",
    rows: ["correct", "incorrect"],
    cols: withFailed ? ["correct", "incorrect", "no verdict"] : ["correct", "incorrect"],
    cells,
    max: Math.max(0, ...cells.map((x) => x.count)),
  };
}

export function verificationSection(group: GroupReport): Section | null {
  if (group.task !== "reference-free" && group.task !== "reference-based") return null;
  const v = group.verification;
  const section: Section = { id: "verification", title: "Verification", stats: [], charts: [] };
  if (!v) {
    section.empty = emptyReason(group) ?? "No verdicts with ground truth in this group.";
    return section;
  }
  section.stats = [
    { id: "samples", label: "Samples scored", text: count(v.n) },
    { id: "failed", label: "No verdict", text: count(v.n_failed), title: "Counted as wrong" },
  ];
  section.charts.push({
    id: "verification",
    title: "Accuracy and F1",
    description: "Accuracy, and precision, recall and F1 of finding the incorrect responses (and the correct ones).",
    body: {
      kind: "bars",
      domain: [0, 1],
      bars: [
        { label: "Accuracy", value: v.accuracy, text: percent(v.accuracy) },
        { label: "F1 (incorrect)", value: v.f1, text: percent(v.f1), detail: "incorrect responses as the positive class" },
        { label: "Precision (incorrect)", value: v.precision, text: percent(v.precision) },
        { label: "Recall (incorrect)", value: v.recall, text: percent(v.recall) },
        { label: "F1 (correct)", value: v.correct_f1, text: percent(v.correct_f1), detail: "correct responses as the positive class" },
        { label: "Macro F1", value: v.macro_f1, text: percent(v.macro_f1), detail: "mean of the two F1" },
      ],
    },
    table: {
      header: ["metric", "value"],
      rows: [
        ["accuracy", v.accuracy],
        ["precision", v.precision],
        ["recall", v.recall],
        ["f1", v.f1],
        ["correct_precision", v.correct_precision],
        ["correct_recall", v.correct_recall],
        ["correct_f1", v.correct_f1],
        ["macro_f1", v.macro_f1],
        ["samples", v.n],
        ["no_verdict", v.n_failed],
      ],
    },
  });
  section.charts.push({
    id: "confusion",
    title: "Confusion",
    description: "Samples by true verdict (rows) and the evaluator's (columns); the diagonal is right.",
    body: confusionMatrix(v.confusion),
    table: {
      header: ["true", "predicted", "samples"],
      rows: (["correct", "incorrect"] as const).flatMap((gold) => {
        const counts = gold === "correct" ? v.confusion.gold_correct : v.confusion.gold_incorrect;
        return (["correct", "incorrect", "failed"] as const).map((pred) => [gold, pred, counts[pred]]);
      }),
    },
  });
  return section;
}

// ---- rating ----

export function ratingSection(group: GroupReport): Section | null {
  if (group.task !== "rating") return null;
  const r = group.rating;
  const section: Section = { id: "rating", title: "Rating", stats: [], charts: [] };
  if (!r) {
    section.empty = emptyReason(group) ?? "No ratings with ground truth in this group.";
    return section;
  }
  section.stats = [
    { id: "samples", label: "Samples scored", text: count(r.n) },
    { id: "mae", label: "Mean absolute error", text: decimal(r.mae, 2), title: "Mean of |predicted − true| over the rated samples" },
    { id: "exact", label: "Rated exactly", text: percent(r.exact_agreement), title: "Share of all samples rated exactly the true value" },
    { id: "failed", label: "No rating", text: count(r.n_failed) },
  ];
  section.charts.push({
    id: "rating",
    title: "Correlation with the true ratings",
    description: "Rank (Spearman) and linear (Pearson) correlation of the evaluator's ratings with the true ones, over the rated samples.",
    body: {
      kind: "bars",
      domain: [-1, 1],
      bars: [
        { label: "Spearman", value: r.spearman, text: decimal(r.spearman) },
        { label: "Pearson", value: r.pearson, text: decimal(r.pearson) },
      ],
    },
    table: {
      header: ["metric", "value"],
      rows: [
        ["mae", r.mae],
        ["exact_agreement", r.exact_agreement],
        ["spearman", r.spearman],
        ["pearson", r.pearson],
        ["samples", r.n],
        ["no_rating", r.n_failed],
      ],
    },
  });
  section.note = "A scatter of predicted against true ratings needs each sample's rating, which the report does not carry yet.";
  return section;
}

// ---- every section ----

/** How the group's samples fared with people: a line of figures, on every group. */
export function summaryStats(group: GroupReport): Stat[] {
  const stats: Stat[] = [
    { id: "samples", label: "Samples", text: count(group.samples) },
    { id: "judged", label: "Judged", text: count(group.judged) },
    { id: "with-gold", label: "With ground truth", text: count(group.with_gold) },
    { id: "accepted", label: "Verdicts accepted by people", text: count(group.accepted) },
    { id: "corrected", label: "Verdicts corrected by people", text: count(group.corrected) },
  ];
  if (group.mean_agreement !== undefined) {
    stats.push({ id: "agreement", label: "Agreement of the K judgments", text: percent(group.mean_agreement), title: "Mean share of a sample's K judgments that gave its majority verdict" });
  }
  return stats;
}

/** The analyses, in the order they are shown; each applies to some tasks. */
export const SECTIONS: SectionBuilder[] = [stepLevelSection, pairwiseSection, verificationSection, ratingSection];

export function sectionsFor(group: GroupReport, report: Report, builders: SectionBuilder[] = SECTIONS): Section[] {
  return builders.map((b) => b(group, report)).filter((s): s is Section => s !== null);
}

export { UNDEFINED };
