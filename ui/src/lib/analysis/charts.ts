// Pure: the analysis view's charts built from the failure-mode analysis (`/api/report`, the
// `Analysis` type). Each chart is data only (bars, a matrix, columns, a list) with its title, the
// API's key on every cell that stands for samples (the key, with the group's scope and the
// reference, lists exactly the cell's samples), and the table its CSV file holds; the Svelte
// components in `components/analysis/` only draw them. A section is one builder over a group
// and one of its references (`gold`: the data set's ground truth, `human`: people's labels).
import type { Against } from "../api/generated/Against";
import type { Analysis as Report } from "../api/generated/Analysis";
import type { Contradictions } from "../api/generated/Contradictions";
import type { FirstErrorBucket } from "../api/generated/FirstErrorBucket";
import type { GroupReport } from "../api/generated/GroupReport";
import type { OffsetBar } from "../api/generated/OffsetBar";
import type { Task } from "../api/generated/Task";
import type { TagCount } from "../api/generated/TagCount";
import type { VerdictCell } from "../api/generated/VerdictCell";
import type { Table } from "./csv";
import { UNDEFINED, count, decimal, ofTotal, percent, signed } from "./format";

/** Which samples a chart speaks of: one group of the report. */
export interface Scope {
  task: Task;
  /** The data set's id; null for the task over all its data sets. */
  dataset_id: number | null;
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
  /** The cell in words, without its count ("predicted 3, true 5"): the queue's name. */
  what: string;
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

/** A table of text (plain text only) with, optionally, one count that opens all its samples. */
export interface ListBody {
  kind: "list";
  columns: string[];
  rows: string[][];
  /** The count of every item (the list may show only the first), and its key. */
  all?: { key: string; count: number; label: string };
}

export interface Chart {
  /** Stable within a section; part of the file names. */
  id: string;
  title: string;
  /** One sentence: what the chart shows. */
  description: string;
  body: BarsBody | MatrixBody | ColumnsBody | ListBody;
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

/** Which of a group's references the charts are against. */
export type ReferenceView = "gold" | "human";

/** A section over one group against one reference (null when it does not apply to the group's task). */
export type SectionBuilder = (group: GroupReport, against: Against, report: Report) => Section | null;

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
  return { task: group.task, dataset_id: group.dataset_id, dataset: group.dataset, source: group.source };
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

/** A group's numbers against one reference. */
export function againstOf(group: GroupReport, view: ReferenceView): Against {
  return view === "human" ? group.human : group.gold;
}

/** Why a group has no charts against a reference, or null when it has some. */
export function emptyReason(group: GroupReport, view: ReferenceView = "gold"): string | null {
  if (group.judged === 0) return "No judged samples in this group.";
  const a = againstOf(group, view);
  const scored = a.processbench || a.pairwise || a.verification || a.rating;
  if (view === "human") {
    if (group.with_human === 0) return "No human labels yet in this group: label samples (or accept the evaluator's verdicts) in the queue to compare with people.";
    if (!scored) return "No judged samples with a human label and a verdict in this group.";
    return null;
  }
  if (!scored) {
    return group.with_gold === 0 ? "No judged samples with ground truth in this group." : "No judged samples with ground truth and a verdict in this group.";
  }
  return null;
}

// ---- grids of predicted against reference values ----

/** As the grids write a value: `-1` is no wrong step, null no verdict. */
export function valueLabel(v: number | null, none = "no error"): string {
  return v === null ? "failed" : v === -1 ? none : String(v);
}

/**
 * A grid of the API's cells, reference values as rows and predicted ones as columns (no error
 * first, failed last). `label` writes an axis value; the reference's name goes in the words.
 */
export function verdictMatrix(cells: VerdictCell[], opts: { rowTitle: string; colTitle: string; reference: string; label?: (v: number | null) => string; axis?: number[] }): MatrixBody {
  const label = opts.label ?? ((v) => valueLabel(v));
  const seen = new Set<number>(opts.axis ?? []);
  let failed = false;
  for (const c of cells) {
    seen.add(c.gold);
    if (c.predicted === null) failed = true;
    else seen.add(c.predicted);
  }
  const axis = [...seen].sort((a, b) => a - b);
  const cols: (number | null)[] = failed ? [...axis, null] : axis;
  const out: MatrixCell[] = cells.map((c) => {
    const what = `predicted ${label(c.predicted)}, ${opts.reference} ${label(c.gold)}`;
    return {
      row: axis.indexOf(c.gold),
      col: cols.indexOf(c.predicted),
      count: c.count,
      key: c.key,
      diagonal: c.predicted === c.gold,
      label: `${what}: ${count(c.count)} samples`,
      what,
    };
  });
  return {
    kind: "matrix",
    rowTitle: opts.rowTitle,
    colTitle: opts.colTitle,
    rows: axis.map(label),
    cols: cols.map(label),
    cells: out,
    max: Math.max(0, ...out.map((c) => c.count)),
  };
}

/** "true" against ground truth, "human" against people's labels. */
export function referenceWord(a: Against): string {
  return a.reference === "gold" ? "true" : "human";
}
const referenceTitle = (a: Against) => (a.reference === "gold" ? "True" : "Human");

// ---- step-level ----

/** The outcome buckets, in the order people read them. */
export const BUCKETS: { bucket: FirstErrorBucket; label: string; tone: Tone; detail: string }[] = [
  { bucket: "exact", label: "Exact", tone: "agree", detail: "named the first wrong step" },
  { bucket: "early", label: "Early", tone: "disagree", detail: "named a step before the first error" },
  { bucket: "late", label: "Late", tone: "disagree", detail: "named a step after the first error (read past it)" },
  { bucket: "missed-error", label: "Missed error", tone: "disagree", detail: "said no error where there is one" },
  { bucket: "false-alarm", label: "False alarm", tone: "disagree", detail: "named a step where there is no error" },
  { bucket: "correct-no-error", label: "Correct no error", tone: "agree", detail: "said no error, rightly" },
  { bucket: "failed", label: "No verdict", tone: "warn", detail: "no verdict could be read" },
];

/**
 * Every offset from the lowest to the highest seen, the missing ones as 0 (no key), so the
 * histogram's x axis is even (only the seen ones past 60 steps of range: an outlier would
 * flatten it).
 */
export function offsetRange(offsets: OffsetBar[]): OffsetBar[] {
  const sorted = [...offsets].sort((a, b) => a.offset - b.offset);
  if (sorted.length === 0) return sorted;
  const lo = sorted[0].offset;
  const hi = sorted[sorted.length - 1].offset;
  if (hi - lo > 60) return sorted;
  const seen = new Map(sorted.map((o) => [o.offset, o]));
  return Array.from({ length: hi - lo + 1 }, (_, i) => seen.get(lo + i) ?? { key: "", offset: lo + i, count: 0 });
}

/** Relative-position bins: "0–10%", …, "90–100%". */
export function positionLabels(bins: number): string[] {
  return Array.from({ length: bins }, (_, i) => `${Math.round((i * 100) / bins)}–${Math.round(((i + 1) * 100) / bins)}%`);
}
const tenth = (v: number | null) => (v === null ? "failed" : v === -1 ? "no error" : `${v * 10}–${v * 10 + 10}%`);

export function stepLevelSection(group: GroupReport, a: Against, report: Report): Section | null {
  if (group.task !== "step-level") return null;
  const pb = a.processbench;
  const st = a.step;
  const ref = referenceWord(a);
  const section: Section = { id: "step-level", title: "First errors (ProcessBench)", stats: [], charts: [] };
  if (!pb || !st) {
    section.empty = emptyReason(group, a.reference === "gold" ? "gold" : "human") ?? "No step-level verdicts with a reference in this group.";
    return section;
  }
  section.stats = [
    { id: "erroneous", label: "Erroneous samples", text: count(pb.n_erroneous) },
    { id: "correct", label: "Correct samples", text: count(pb.n_correct) },
    { id: "failed", label: "No verdict", text: count(pb.n_failed), title: "Counted as wrong in the accuracies" },
  ];
  if (a.reference === "gold" && report.processbench_mean_f1 !== null) {
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
  const matrix = verdictMatrix(st.grid, { rowTitle: `${referenceTitle(a)} first error (step)`, colTitle: "Predicted first error (step)", reference: ref, axis: [-1] });
  section.charts.push({
    id: "first-error-grid",
    title: "First error",
    description: `Samples per ${ref} first wrong step (rows) and the step the evaluator named (columns); the diagonal is right.`,
    body: matrix,
    table: {
      header: [`${ref}_first_error`, "predicted_first_error", "samples"],
      rows: [...st.grid].sort((x, y) => x.gold - y.gold || (x.predicted ?? 1e9) - (y.predicted ?? 1e9)).map((c) => [c.gold, c.predicted ?? "failed", c.count]),
    },
    empty: matrix.cells.length === 0 ? "No judged samples in this group." : undefined,
  });
  const buckets = new Map(st.buckets.map((b) => [b.bucket, b]));
  const n = (b: FirstErrorBucket) => buckets.get(b)?.count ?? 0;
  section.charts.push({
    id: "buckets",
    title: "Where verdicts land",
    description: `Each sample by how its predicted first error relates to the ${ref} one.`,
    body: {
      kind: "bars",
      domain: [0, Math.max(1, ...BUCKETS.map((b) => n(b.bucket)))],
      bars: BUCKETS.map((b) => ({
        label: b.label,
        value: n(b.bucket),
        text: count(n(b.bucket)),
        key: n(b.bucket) > 0 ? buckets.get(b.bucket)?.key : undefined,
        tone: b.tone,
        detail: b.detail,
      })),
    },
    table: { header: ["bucket", "samples"], rows: BUCKETS.map((b) => [b.bucket, n(b.bucket)]) },
  });
  const offsets = offsetRange(st.offsets);
  section.charts.push({
    id: "off-by-k",
    title: "Off by k steps",
    description: `Predicted minus ${ref} first wrong step, where both name a step (negative is early).`,
    body: {
      kind: "columns",
      xTitle: "Steps off",
      labels: offsets.map((o) => signed(o.offset)),
      series: [{ name: "Samples", counts: offsets.map((o) => o.count), keys: offsets.map((o) => (o.count > 0 && o.key ? o.key : null)), tone: "neutral" }],
    },
    table: { header: ["offset", "samples"], rows: [...st.offsets].sort((x, y) => x.offset - y.offset).map((o) => [o.offset, o.count]) },
    empty: offsets.length === 0 ? "No sample where both name a wrong step." : undefined,
  });
  const positions = verdictMatrix(st.positions, { rowTitle: `${referenceTitle(a)} first error (tenth of the solution)`, colTitle: "Predicted first error (tenth)", reference: ref, label: tenth, axis: [-1] });
  section.charts.push({
    id: "relative-position",
    title: "Where in the solution first errors fall",
    description: `Predicted against ${ref} first wrong step by position in the solution, in tenths of its length; the diagonal is the right tenth.`,
    body: positions,
    table: {
      header: [`${ref}_position`, "predicted_position", "samples"],
      rows: [...st.positions].sort((x, y) => x.gold - y.gold || (x.predicted ?? 1e9) - (y.predicted ?? 1e9)).map((c) => [tenth(c.gold), c.predicted === null ? "failed" : tenth(c.predicted), c.count]),
    },
    empty: positions.cells.length === 0 ? "No first errors to place." : undefined,
  });
  return section;
}

// ---- pairwise ----

const ORDER_WORDS: Record<string, string> = { original: "Original order", swapped: "Swapped order" };
const FARED_WORDS: Record<string, string> = { right: "right", wrong: "wrong", failed: "no verdict" };

export function pairwiseSection(group: GroupReport, a: Against): Section | null {
  if (group.task !== "pairwise") return null;
  const p = a.pairwise;
  const ref = a.reference === "gold" ? "the ground truth" : "the human label";
  const section: Section = { id: "pairwise", title: "Pairwise and the A/B swap", stats: [], charts: [] };
  if (!p) {
    section.empty = emptyReason(group, a.reference === "gold" ? "gold" : "human") ?? "No pairwise verdicts with a reference in this group.";
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
    description: `Accuracy against ${ref} in each order, right in both orders (the protocol's accuracy), and the same pick in both orders.`,
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
  const pc = a.pair;
  if (pc) {
    const orders = pc.orders.map((c) => {
      const [, order, fared] = c.key.split(":");
      return { ...c, label: `${ORDER_WORDS[order] ?? order}, ${FARED_WORDS[fared] ?? fared}`, order, fared };
    });
    section.charts.push({
      id: "orders",
      title: "How each order fared",
      description: `Verdicts of each order against ${ref}: right, wrong, or no verdict.`,
      body: {
        kind: "bars",
        domain: [0, Math.max(1, ...orders.map((o) => o.count))],
        bars: orders.map((o) => ({ label: o.label, value: o.count, text: count(o.count), key: o.count > 0 ? o.key : undefined, tone: o.fared === "right" ? "agree" : o.fared === "wrong" ? "disagree" : "warn" })),
      },
      table: { header: ["order", "fared", "pairs"], rows: orders.map((o) => [o.order, o.fared, o.count]) },
      empty: orders.length === 0 ? "No verdicts." : undefined,
    });
    section.charts.push(swapFlipChart(p.flips, pc.flips));
    section.charts.push(lengthBiasChart(pc.length, pc.length_cells));
  }
  return section;
}

/** The pairs whose pick changed with the order: the first few listed, all of them under `swap-flip`. */
export function swapFlipChart(total: number, flips: { sample_id: number; original: string; swapped: string }[]): Chart {
  return {
    id: "swap-flips",
    title: "Swap flips",
    description: "Pairs whose verdict changed when A and B traded places (both picks in the original order's letters).",
    body: {
      kind: "list",
      columns: ["Sample", "Original order picks", "Swapped order picks"],
      rows: flips.map((f) => [String(f.sample_id), f.original, f.swapped]),
      all: total > 0 ? { key: "swap-flip", count: total, label: `all ${count(total)} flips` } : undefined,
    },
    table: { header: ["sample_id", "original_pick", "swapped_pick"], rows: flips.map((f) => [f.sample_id, f.original, f.swapped]) },
    empty: total === 0 ? "No verdict changed with the order." : undefined,
  };
}

/** How often the original-order pick is the longer response. */
export function lengthBiasChart(l: { n: number; picked_longer: number; longer_share: number | null; n_reference_longer: number; accuracy_reference_longer: number | null; n_reference_shorter: number; accuracy_reference_shorter: number | null }, cells: { key: string; count: number }[]): Chart {
  const cell = (name: string) => cells.find((c) => c.key === `length:${name}`);
  const longer = cell("picked-longer");
  const shorter = cell("picked-shorter");
  return {
    id: "length-bias",
    title: "Length bias",
    description: "Original-order picks of the longer and the shorter response (pairs whose responses differ in length); 50% longer is no bias.",
    body: {
      kind: "bars",
      domain: [0, Math.max(1, l.n)],
      bars: [
        { label: "Picked the longer", value: l.picked_longer, text: count(l.picked_longer), key: longer && longer.count > 0 ? longer.key : undefined, tone: "neutral", detail: `${percent(l.longer_share)} of ${count(l.n)} pairs` },
        { label: "Picked the shorter", value: shorter?.count ?? l.n - l.picked_longer, text: count(shorter?.count ?? l.n - l.picked_longer), key: shorter && shorter.count > 0 ? shorter.key : undefined, tone: "neutral" },
      ],
    },
    table: {
      header: ["metric", "value", "pairs"],
      rows: [
        ["picked_longer", l.picked_longer, l.n],
        ["longer_share", l.longer_share, l.n],
        ["accuracy_reference_longer", l.accuracy_reference_longer, l.n_reference_longer],
        ["accuracy_reference_shorter", l.accuracy_reference_shorter, l.n_reference_shorter],
      ],
    },
    empty: l.n === 0 ? "No pair whose responses differ in length has a verdict." : undefined,
  };
}

// ---- verification ----

const CORRECTNESS = ["correct", "incorrect"];
export function confusionMatrix(a: Against): MatrixBody {
  const ref = referenceWord(a);
  const cells: MatrixCell[] = a.confusion
    .filter((c) => c.count > 0)
    .map((c) => {
      const pred = c.predicted ?? "no verdict";
      const what = `predicted ${pred}, ${ref} ${c.gold}`;
      return { row: CORRECTNESS.indexOf(c.gold), col: c.predicted === null ? 2 : CORRECTNESS.indexOf(c.predicted), count: c.count, key: c.key, diagonal: c.predicted === c.gold, label: `${what}: ${count(c.count)} samples`, what };
    });
  const withFailed = cells.some((c) => c.col === 2);
  return {
    kind: "matrix",
    rowTitle: referenceTitle(a),
    colTitle: "Predicted",
    rows: ["correct", "incorrect"],
    cols: withFailed ? ["correct", "incorrect", "no verdict"] : ["correct", "incorrect"],
    cells,
    max: Math.max(0, ...cells.map((x) => x.count)),
  };
}

export function verificationSection(group: GroupReport, a: Against): Section | null {
  if (group.task !== "reference-free" && group.task !== "reference-based") return null;
  const v = a.verification;
  const section: Section = { id: "verification", title: "Verification", stats: [], charts: [] };
  if (!v) {
    section.empty = emptyReason(group, a.reference === "gold" ? "gold" : "human") ?? "No verdicts with a reference in this group.";
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
  const c = v.confusion;
  section.charts.push({
    id: "confusion",
    title: "Confusion",
    description: `Samples by ${referenceWord(a)} verdict (rows) and the evaluator's (columns); the diagonal is right.`,
    body: confusionMatrix(a),
    table: {
      header: [referenceWord(a), "predicted", "samples"],
      rows: (["correct", "incorrect"] as const).flatMap((gold) => {
        const counts = gold === "correct" ? c.gold_correct : c.gold_incorrect;
        return (["correct", "incorrect", "failed"] as const).map((pred) => [gold, pred, counts[pred]]);
      }),
    },
  });
  return section;
}

// ---- rating ----

export function ratingSection(group: GroupReport, a: Against): Section | null {
  if (group.task !== "rating") return null;
  const r = a.rating;
  const section: Section = { id: "rating", title: "Rating", stats: [], charts: [] };
  if (!r) {
    section.empty = emptyReason(group, a.reference === "gold" ? "gold" : "human") ?? "No ratings with a reference in this group.";
    return section;
  }
  const ref = referenceWord(a);
  section.stats = [
    { id: "samples", label: "Samples scored", text: count(r.n) },
    { id: "mae", label: "Mean absolute error", text: decimal(r.mae, 2), title: `Mean of |predicted − ${ref}| over the rated samples` },
    { id: "exact", label: "Rated exactly", text: percent(r.exact_agreement), title: `Share of all samples rated exactly the ${ref} value` },
    { id: "failed", label: "No rating", text: count(r.n_failed) },
  ];
  section.charts.push({
    id: "rating",
    title: "Correlation with the reference ratings",
    description: `Rank (Spearman) and linear (Pearson) correlation of the evaluator's ratings with the ${ref} ones, over the rated samples.`,
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
  const grid = verdictMatrix(a.rating_grid, { rowTitle: `${referenceTitle(a)} rating`, colTitle: "Predicted rating", reference: ref, label: (v) => (v === null ? "failed" : String(v)) });
  section.charts.push({
    id: "rating-grid",
    title: "Rating",
    description: `Samples per ${ref} rating (rows) and the evaluator's rating (columns); the diagonal is exact.`,
    body: grid,
    table: {
      header: [`${ref}_rating`, "predicted_rating", "samples"],
      rows: [...a.rating_grid].sort((x, y) => x.gold - y.gold || (x.predicted ?? 1e9) - (y.predicted ?? 1e9)).map((c) => [c.gold, c.predicted ?? "failed", c.count]),
    },
    empty: grid.cells.length === 0 ? "No rated samples." : undefined,
  });
  return section;
}

// ---- failure-mode tags ----

/** People's tags and the app's inferred ones, as bars that open their samples. */
export function tagsSection(group: GroupReport, a: Against): Section | null {
  const people: TagCount[] = group.tags;
  const inferred: TagCount[] = a.inferred;
  const section: Section = { id: "tags", title: "Failure-mode tags", stats: [], charts: [] };
  if (group.judged === 0) return null;
  const all = [...people.map((t) => ({ ...t, inferred: false })), ...inferred.map((t) => ({ ...t, inferred: true }))];
  section.charts.push({
    id: "tags",
    title: "Failure-mode tags",
    description: "Samples per tag people set, and per tag the app infers from the verdicts (marked inferred).",
    body: {
      kind: "bars",
      domain: [0, Math.max(1, ...all.map((t) => t.count))],
      bars: all.map((t) => ({
        label: t.inferred ? `${t.tag} (inferred)` : t.tag,
        value: t.count,
        text: count(t.count),
        key: t.count > 0 ? t.key : undefined,
        tone: t.inferred ? "predicted" : "gold",
        detail: t.inferred ? "inferred from the evaluator's verdict" : "set by people",
      })),
    },
    table: { header: ["tag", "source", "samples"], rows: all.map((t) => [t.tag, t.inferred ? "inferred" : "people", t.count]) },
    empty: all.length === 0 ? "No tags." : undefined,
  });
  if (people.length === 0) section.note = "No tags set by people in this group yet (press t on a sample to tag it).";
  return section;
}

// ---- every section ----

/** How the group's samples fared with people: a line of figures, on every group. */
export function summaryStats(group: GroupReport): Stat[] {
  const stats: Stat[] = [
    { id: "samples", label: "Samples", text: count(group.samples) },
    { id: "judged", label: "Judged", text: count(group.judged) },
    { id: "with-gold", label: "With ground truth", text: count(group.with_gold) },
    { id: "with-human", label: "With a human label", text: count(group.with_human) },
    { id: "accepted", label: "Verdicts accepted by people", text: count(group.accepted) },
    { id: "corrected", label: "Verdicts corrected by people", text: count(group.corrected) },
  ];
  if (group.gold_ties > 0) {
    // After "With ground truth": ties are ground truth that no A/B verdict can match.
    stats.splice(3, 0, { id: "gold-ties", label: "Ties in the ground truth", text: count(group.gold_ties), title: "The data set calls neither response better: not in \"with ground truth\", and left out of accuracy (FARE picks A or B)" });
  }
  if (group.mean_agreement !== undefined) {
    stats.push({ id: "agreement", label: "Agreement of the K judgments", text: percent(group.mean_agreement), title: "Mean share of a sample's K judgments that gave its majority verdict" });
  }
  return stats;
}

/** The analyses, in the order they are shown; each applies to some tasks. */
export const SECTIONS: SectionBuilder[] = [stepLevelSection, pairwiseSection, verificationSection, ratingSection, tagsSection];

export function sectionsFor(group: GroupReport, report: Report, view: ReferenceView = "gold", builders: SectionBuilder[] = SECTIONS): Section[] {
  const a = againstOf(group, view);
  return builders.map((b) => b(group, a, report)).filter((s): s is Section => s !== null);
}

export { UNDEFINED };

// ---- contradictions across tasks (the whole project) ----

const CONTRADICTION_WORDS: Record<string, { label: string; detail: string }> = {
  "error-but-correct": { label: "Error, but correct", detail: "a step-level verdict names a wrong step; a verification verdict calls the answer correct" },
  "error-but-high-rating": { label: "Error, but rated high", detail: "a step-level verdict names a wrong step; a rating is at or above the high mark" },
  "no-error-but-incorrect": { label: "No error, but incorrect", detail: "a step-level verdict finds no wrong step; a verification verdict calls the answer incorrect" },
};

/** Counts per kind of contradiction between tasks on one trace, and the first pairs listed. */
export function contradictionCharts(c: Contradictions): Chart[] {
  const kinds = c.counts.map((cell) => {
    const kind = cell.key.replace(/^contradiction:/, "");
    const words = CONTRADICTION_WORDS[kind] ?? { label: kind, detail: "" };
    return { ...cell, kind, ...words };
  });
  const empty = c.traces_compared === 0 ? "No trace has both a step-level verdict and a verdict of another task." : undefined;
  return [
    {
      id: "contradictions",
      title: "Contradictions across tasks",
      description: `Traces judged by the step-level task and another task whose verdicts cannot both be right (high rating: ${c.high_rating} or more), over ${count(c.traces_compared)} traces compared.`,
      body: {
        kind: "bars",
        domain: [0, Math.max(1, ...kinds.map((k) => k.count))],
        bars: kinds.map((k) => ({ label: k.label, value: k.count, text: count(k.count), key: k.count > 0 ? k.key : undefined, tone: "disagree", detail: k.detail })),
      },
      table: { header: ["kind", "samples"], rows: kinds.map((k) => [k.kind, k.count]) },
      empty,
    },
    {
      id: "contradiction-list",
      title: "Contradicting verdicts",
      description: "The first pairs of contradicting verdicts: the step-level sample and the other task's.",
      body: {
        kind: "list",
        columns: ["Kind", "Step-level sample", "First error", "Other sample", "Task", "Its verdict"],
        rows: c.items.map((i) => [CONTRADICTION_WORDS[i.kind]?.label ?? i.kind, String(i.step_sample), i.first_error === -1 ? "no error" : String(i.first_error), String(i.other_sample), i.other_task, i.other_verdict]),
      },
      table: { header: ["kind", "step_sample", "first_error", "other_sample", "other_task", "other_verdict"], rows: c.items.map((i) => [i.kind, i.step_sample, i.first_error, i.other_sample, i.other_task, i.other_verdict]) },
      empty: c.items.length === 0 ? (empty ?? "No contradictions.") : undefined,
    },
  ];
}
