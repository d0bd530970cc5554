// "Get a model", worked out apart from the view: what a transfer's progress line says, what the
// cache holds of a hub model, whether the panel offers the conversion for a CPU, and when to ask
// about a transfer again. The view is components/GetModel.svelte; the state is model.svelte.ts.
import type { HeldView } from "./api/generated/HeldView";
import type { HubModelView } from "./api/generated/HubModelView";
import type { HubView } from "./api/generated/HubView";
import type { ModelList } from "./api/generated/ModelList";
import type { TransferView } from "./api/generated/TransferView";
import { formatBytes, formatDuration, isRunning } from "./models";

/** A size as a download is followed: `16.4 GB`, `980 MB`, `1.2 GB`. */
export function formatSize(bytes: number): string {
  return formatBytes(bytes, 100);
}

/** How soon to ask about a transfer again: while it goes on. */
export function transferDelay(t: TransferView | null): number | null {
  return isRunning(t?.state) ? 400 : null;
}

/** Its share done, 0 to 1. */
export function transferShare(t: TransferView): number {
  return t.total > 0 ? Math.min(1, t.done / t.total) : 0;
}

/** Bytes per second in words: `35.2 MB/s`. */
export function formatSpeed(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatSize(bytesPerSecond)}/s` : "—";
}

/** The progress line: `1.20 GB of 16.4 GB · 35.2 MB/s · 7 min 40 s left`, or tensors for a conversion. */
export function transferText(t: TransferView): string {
  if (t.kind === "conversion") {
    const done = t.total > 0 ? `${t.done} of ${t.total} tensors` : "reading the model";
    return isRunning(t.state) && t.seconds_left !== null ? `${done} · ${formatDuration(t.seconds_left)} left` : done;
  }
  if (t.phase === "listing") return "asking the hub for the file list";
  if (t.phase === "resuming") return `checking the ${formatSize(t.done)} kept from before`;
  const parts = [`${formatSize(t.done)} of ${formatSize(t.total)}`];
  if (isRunning(t.state)) {
    parts.push(formatSpeed(t.bytes_per_second));
    if (t.seconds_left !== null) parts.push(`${formatDuration(t.seconds_left)} left`);
  }
  if (t.resumed_bytes > 0) parts.push(`resumed after ${formatSize(t.resumed_bytes)}`);
  return parts.join(" · ");
}

/** What the cache holds, in words. */
export function heldText(held: HeldView): string {
  switch (held.kind) {
    case "nothing":
      return "Not downloaded";
    case "partial":
      return `${formatSize(held.bytes)} kept of an unfinished download`;
    case "downloaded":
      return "Downloaded";
  }
}

/** The button of a hub model: download, resume, or none (it is there). */
export function downloadLabel(m: HubModelView): string | null {
  if (m.held.kind === "downloaded") return null;
  return m.held.kind === "partial" ? "Resume download" : `Download (${formatSize(m.download_bytes)})`;
}

/** The model list's entry of a downloaded hub model, to convert, when this machine has no GPU
 * and it can be converted (FARE-8B). */
export function conversionSource(hub: HubView, list: ModelList | null, m: HubModelView): string | null {
  if (hub.has_gpu || !m.converts_to_gguf || m.held.kind !== "downloaded") return null;
  const path = m.held.path;
  return list?.models.some((x) => x.path === path && x.format === "safetensors") ? path : null;
}

/** The first-run line when no model can be loaded yet: what to do, in one sentence. */
export function firstRunText(hub: HubView | null): string {
  const first = hub?.models[0];
  return first
    ? `No model yet: get ${first.name} from the Hugging Face hub (about ${formatSize(first.download_bytes)}), or use an endpoint below.`
    : "No model yet: put a GGUF file or a model folder in the models folder, or use an endpoint below.";
}
