// Pure logic of the model panel: how figures are written (sizes, durations, speeds), what a
// load request is for the chosen model, and the polling of the worker and of a job: how soon to
// ask again, and what changed between two answers (samples judged, the job ended). The state
// that uses it is model.svelte.ts; the view is components/ModelPanel.svelte.
import type { DeviceChoice } from "./api/generated/DeviceChoice";
import type { ExpertWeights } from "./api/generated/ExpertWeights";
import type { GpuMemory } from "./api/generated/GpuMemory";
import type { JobState } from "./api/generated/JobState";
import type { JobView } from "./api/generated/JobView";
import type { LoadRequest } from "./api/generated/LoadRequest";
import type { MemoryEstimate } from "./api/generated/MemoryEstimate";
import type { ModelView } from "./api/generated/ModelView";
import type { WeightDtype } from "./api/generated/WeightDtype";
import type { WorkerView } from "./api/generated/WorkerView";

/** Bytes for people: "950 kB", "1.2 GB", "17 GB" (powers of 1000, as disks count); a tenth is
 * written below `tenthsBelow` ("16.4 GB" with 100, as a download's progress is followed). */
export function formatBytes(bytes: number, tenthsBelow = 10): string {
  const units = ["bytes", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} bytes`;
  return `${value < tenthsBelow ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A duration for people: "under a second", "42 s", "3 min 05 s", "2 h 07 min"; "—" when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 1) return "under a second";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, "0")} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Tokens per second: "12.3 tokens/s"; "—" before the first token. */
export function formatRate(tokensPerSecond: number): string {
  if (!(tokensPerSecond > 0)) return "—";
  return `${tokensPerSecond < 100 ? tokensPerSecond.toFixed(1) : Math.round(tokensPerSecond)} tokens/s`;
}

/** The dtype a model loads as on a device by default: f32 on the CPU, bf16 on a GPU (or the first it lists); null for a GGUF file, which keeps its own types. */
export function defaultDtype(model: ModelView, device: DeviceChoice): WeightDtype | null {
  const types = loadTypes(model);
  if (types.length === 0) return null;
  const wanted: WeightDtype = device === "cpu" ? "f32" : "bf16";
  return types.includes(wanted) ? wanted : types[0];
}

/** The dtypes a model can be loaded as, each once, in the list's order (none for a GGUF file). */
export function loadTypes(model: ModelView): WeightDtype[] {
  return [...new Set(model.memory.flatMap((m) => (m.load_as === null ? [] : [m.load_as])))];
}

/** How a gpt-oss model can keep its experts; none for other models. */
export function expertFormats(model: ModelView): ExpertWeights[] {
  return [...new Set(model.memory.flatMap((m) => (m.experts === null ? [] : [m.experts])))];
}

/** An expert format as people read it. */
export function expertLabel(experts: ExpertWeights): string {
  const labels: Record<ExpertWeights, string> = {
    dequantized: "dequantised",
    q8_0: "re-quantised to Q8_0",
    q4_0: "re-quantised to Q4_0",
  };
  return labels[experts];
}

/** The memory estimate of a model loaded as `dtype` (null: a GGUF file's own), its experts kept as `experts` (gpt-oss). */
export function estimateFor(model: ModelView, dtype: WeightDtype | null, experts?: ExpertWeights): MemoryEstimate | null {
  return (
    model.memory.find((m) => m.load_as === dtype && (experts === undefined || m.experts === null || m.experts === experts)) ??
    model.memory[0] ??
    null
  );
}

/** The choice among `choices` that a form control's text names (a select's value), if any. */
export function chosenOf<T extends string>(choices: readonly T[], text: string): T | undefined {
  return choices.find((c) => c === text);
}

/**
 * The estimate set against the GPU's free memory, when the model is to go on a CUDA GPU whose
 * memory the app knows; null otherwise. The worker refuses a model that does not fit too.
 */
export function gpuFit(
  estimate: MemoryEstimate | null,
  device: DeviceChoice,
  gpu: GpuMemory | null,
): { fits: boolean; text: string } | null {
  if (!estimate || !gpu || !device.startsWith("cuda")) return null;
  const free = `${formatBytes(gpu.free_bytes)} free of ${formatBytes(gpu.total_bytes)}`;
  return estimate.total_bytes <= gpu.free_bytes
    ? { fits: true, text: `Fits on the GPU: ${free}.` }
    : {
        fits: false,
        text: `Does not fit on the GPU: it needs about ${formatBytes(estimate.total_bytes)}, the GPU has ${free}. Choose a smaller type or expert format, or the CPU.`,
      };
}

/** The request that loads `model` on `device` as `dtype` (a GGUF file keeps its own type), a gpt-oss model's experts as `experts`. */
export function loadRequest(model: ModelView, device: DeviceChoice, dtype: WeightDtype | null, experts?: ExpertWeights): LoadRequest {
  if (model.format === "gguf" || dtype === null) return { kind: "local", path: model.path, device };
  if (experts !== undefined && expertFormats(model).includes(experts)) {
    return { kind: "local", path: model.path, device, dtype, experts };
  }
  return { kind: "local", path: model.path, device, dtype };
}

/** Whether a job still runs (its status changes). */
export function isRunning(state: JobState | undefined): boolean {
  return state === "running" || state === "cancelling";
}

/** How soon to ask about the worker again: while it loads; not at all otherwise. */
export function workerDelay(worker: WorkerView | null): number | null {
  return worker?.state === "loading" ? 500 : null;
}

/** How soon to ask about a job again: often while it runs (its output streams), never once it ended. */
export function jobDelay(job: JobView | null): number | null {
  return job && isRunning(job.state) ? 300 : null;
}

/** What changed between two answers about one job. */
export interface JobChange {
  /** Samples judged since the earlier answer (their judgments on screen are out of date). */
  judged: number[];
  /** The job ended with this answer. */
  ended: boolean;
  /** What to tell the person when it ended. */
  message: string | null;
}

/** Compares two answers about the same job (`before` null: the first answer). */
export function jobChange(before: JobView | null, after: JobView): JobChange {
  const judged = new Set<number>();
  if (after.last_judged !== null && after.last_judged !== before?.last_judged) judged.add(after.last_judged);
  // The sample being judged before is done once the job moved on or ended (judged or failed).
  const moved = before?.current_sample != null && (after.current_sample !== before.current_sample || !isRunning(after.state));
  if (moved && after.done > (before?.done ?? 0) && before?.current_sample != null) judged.add(before.current_sample);
  const ended = before !== null && isRunning(before.state) && !isRunning(after.state);
  return { judged: [...judged], ended, message: ended ? jobMessage(after) : null };
}

/** The sentence that says how a job ended. */
export function jobMessage(job: JobView): string {
  const counts = [`${job.judged} judged`];
  if (job.skipped > 0) counts.push(`${job.skipped} already judged`);
  if (job.failed > 0) counts.push(`${job.failed} failed`);
  const run = job.run_id === null ? "" : ` in run ${job.run_id}`;
  switch (job.state) {
    case "finished":
      return `Job ${job.id} finished: ${counts.join(", ")}${run}.`;
    case "cancelled":
      return `Job ${job.id} cancelled after ${job.done} of ${job.total} samples: ${counts.join(", ")}${run}.`;
    case "failed":
      return `Job ${job.id} failed: ${job.error ?? "no reason given"}`;
    default:
      return `Job ${job.id}: ${counts.join(", ")}.`;
  }
}

/** The share of a job's samples done, 0 to 1. */
export function progress(job: JobView): number {
  return job.total > 0 ? Math.min(1, job.done / job.total) : 0;
}
