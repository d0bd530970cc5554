// The model panel's state: the models on disk, the worker (loading, ready, failed), the job in
// progress, "Get a model" (the hub's FARE models, a download or conversion going on), and the
// polling that keeps them current. The server is asked, never pushed from
// (the same calls go over HTTP and Tauri): the worker while it loads, the job while it runs.
// What changed is worked out by models.ts; the app is told through `ModelHost` (samples judged,
// the job ended, messages). The view is components/ModelPanel.svelte.
import type { ApiClient } from "./api/client";
import type { JobTarget } from "./api/generated/JobTarget";
import type { JobView } from "./api/generated/JobView";
import type { LoadRequest } from "./api/generated/LoadRequest";
import type { ModelList } from "./api/generated/ModelList";
import type { ReasoningEffort } from "./api/generated/ReasoningEffort";
import type { WorkerView } from "./api/generated/WorkerView";
import type { HubView } from "./api/generated/HubView";
import type { TransferView } from "./api/generated/TransferView";
import { transferDelay } from "./downloads";
import { isRunning, jobChange, jobDelay, workerDelay } from "./models";

/** What the panel tells the app. */
export interface ModelHost {
  /** Samples whose judgments changed (reload them if on screen). */
  judged(ids: number[]): void;
  /** A job ended (runs, verdicts in the list and counts changed). */
  jobEnded(job: JobView): void;
  fail(e: unknown): void;
  info(text: string): void;
}

type Timer = ReturnType<typeof setTimeout>;

export class ModelPanel {
  /** Shown beside the sample. */
  open = $state(false);
  list = $state<ModelList | null>(null);
  worker = $state<WorkerView | null>(null);
  /** The job in progress, or the last one. */
  job = $state<JobView | null>(null);
  /** Tokens per judgment of the next job. */
  maxNewTokens = $state(4096);
  /** The next job starts a new run instead of continuing the model's newest. */
  newRun = $state(false);
  /** How long gpt-oss models (FARE-20B) reason in the next job; a run setting like the others. */
  reasoningEffort = $state<ReasoningEffort>("medium");
  /** The FARE models of the hub and what the cache holds of each (null: not asked, or no hub API). */
  hub = $state<HubView | null>(null);
  /** The newest download and the newest conversion. */
  download = $state<TransferView | null>(null);
  conversion = $state<TransferView | null>(null);
  /** "Get a model" is shown open (the first-run button opens it). */
  getModelOpen = $state(false);
  private transferTimers = new Map<number, Timer>();

  private workerTimer: Timer | null = null;
  private jobTimer: Timer | null = null;
  private pollFailures = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly host: ModelHost,
  ) {}

  /** A model is ready to judge. */
  ready(): boolean {
    return this.worker?.state === "ready";
  }

  /** A job runs. */
  running(): boolean {
    return isRunning(this.job?.state);
  }

  toggle(): void {
    this.open = !this.open;
    if (this.open) void this.refresh();
  }

  /** Asks for everything again: the models on disk, the worker, the jobs. */
  async refresh(): Promise<void> {
    try {
      const [list, worker] = await Promise.all([this.client.models(), this.client.worker()]);
      this.list = list;
      this.setWorker(worker);
    } catch (e) {
      this.host.fail(e);
    }
    await this.refreshHub();
    await this.resume();
  }

  /** Asks again what the hub offers and what the cache holds. Quiet on failure (a server without it). */
  async refreshHub(): Promise<void> {
    try {
      this.hub = await this.client.hubModels();
    } catch {
      this.hub = null;
    }
  }

  /** Starts downloading `repo` (its license was shown and accepted). */
  async startDownload(repo: string): Promise<void> {
    try {
      this.setTransfer(await this.client.startDownload({ repo }));
    } catch (e) {
      this.host.fail(e);
    }
  }

  /** Starts converting the model at `path` to Q8_0 GGUF. */
  async startConversion(path: string): Promise<void> {
    try {
      this.setTransfer(await this.client.startConversion({ path }));
    } catch (e) {
      this.host.fail(e);
    }
  }

  async cancelTransfer(t: TransferView): Promise<void> {
    try {
      this.setTransfer(await this.client.cancelTransfer(t.id));
    } catch (e) {
      this.host.fail(e);
    }
  }

  private setTransfer(next: TransferView): void {
    const slot = next.kind === "download" ? "download" : "conversion";
    const before = this[slot]?.id === next.id ? this[slot] : null;
    this[slot] = next;
    const timer = this.transferTimers.get(next.id);
    if (timer) clearTimeout(timer);
    this.transferTimers.delete(next.id);
    if (before && isRunning(before.state) && !isRunning(next.state)) void this.transferEnded(next);
    const delay = transferDelay(next);
    if (delay !== null) this.transferTimers.set(next.id, setTimeout(() => void this.pollTransfer(next.id), delay));
  }

  private async transferEnded(t: TransferView): Promise<void> {
    const what = t.kind === "download" ? `The download of ${t.model}` : `The conversion of ${t.model}`;
    if (t.state === "finished") this.host.info(`${what} finished: it is in the list of models.`);
    else if (t.state === "failed") this.host.fail(new Error(`${what} failed: ${t.error ?? "no reason given"}`));
    else if (t.state === "cancelled") this.host.info(`${what} was cancelled${t.kind === "download" ? "; what was fetched is kept for a resume" : ""}.`);
    // The model list and the cache changed.
    try {
      this.list = await this.client.models();
    } catch {
      // Said by the next refresh.
    }
    await this.refreshHub();
  }

  private async pollTransfer(id: number): Promise<void> {
    this.transferTimers.delete(id);
    try {
      this.setTransfer(await this.client.transfer(id));
    } catch {
      this.transferTimers.set(id, setTimeout(() => void this.pollTransfer(id), 2000));
    }
  }

  /** Picks up where the server stands (after a reload of the page): the worker, a running job. Quiet on failure. */
  async resume(): Promise<void> {
    try {
      const [worker, jobs] = await Promise.all([this.client.worker(), this.client.jobs()]);
      this.setWorker(worker);
      const job = jobs.find((j) => isRunning(j.state)) ?? jobs[0] ?? null;
      if (job && job.id !== this.job?.id) this.setJob(job);
    } catch {
      // A server without the model panel's API (or the desktop stub): nothing to resume.
    }
    try {
      const transfers = await this.client.transfers();
      for (const kind of ["download", "conversion"] as const) {
        const t = transfers.find((x) => x.kind === kind);
        if (t && t.id !== this[kind]?.id) this.setTransfer(t);
      }
    } catch {
      // As above.
    }
  }

  async load(request: LoadRequest): Promise<void> {
    try {
      this.setWorker(await this.client.loadModel(request));
    } catch (e) {
      this.host.fail(e);
    }
  }

  async unload(): Promise<void> {
    try {
      this.setWorker(await this.client.unloadModel());
    } catch (e) {
      this.host.fail(e);
    }
  }

  /** Starts judging `target` with the loaded model. */
  async judge(target: JobTarget): Promise<void> {
    if (!this.ready()) {
      this.host.info("Load a model first (m opens the model panel).");
      return;
    }
    if (this.running()) {
      this.host.info("A job is running: cancel it (C) or wait for it.");
      return;
    }
    try {
      this.setJob(
        await this.client.startJob({
          target,
          max_new_tokens: this.maxNewTokens,
          reasoning_effort: this.reasoningEffort,
          new_run: this.newRun,
        }),
      );
    } catch (e) {
      this.host.fail(e);
    }
  }

  async cancel(): Promise<void> {
    const job = this.job;
    if (!job || !isRunning(job.state)) return;
    try {
      this.setJob(await this.client.cancelJob(job.id));
    } catch (e) {
      this.host.fail(e);
    }
  }

  /** Stops polling (the app closes). */
  stop(): void {
    if (this.workerTimer) clearTimeout(this.workerTimer);
    if (this.jobTimer) clearTimeout(this.jobTimer);
    this.workerTimer = this.jobTimer = null;
    for (const t of this.transferTimers.values()) clearTimeout(t);
    this.transferTimers.clear();
  }

  private setWorker(worker: WorkerView): void {
    this.worker = worker;
    if (this.workerTimer) clearTimeout(this.workerTimer);
    this.workerTimer = null;
    const delay = workerDelay(worker);
    if (delay !== null) this.workerTimer = setTimeout(() => void this.pollWorker(), delay);
  }

  private async pollWorker(): Promise<void> {
    this.workerTimer = null;
    try {
      const worker = await this.client.worker();
      if (worker.state === "failed" && this.worker?.state !== "failed") this.host.info(`The model failed: ${worker.error ?? "no reason given"}`);
      this.setWorker(worker);
    } catch (e) {
      this.host.fail(e);
    }
  }

  private setJob(next: JobView): void {
    const before = this.job && this.job.id === next.id ? this.job : null;
    this.job = next;
    const change = jobChange(before, next);
    if (change.judged.length > 0) this.host.judged(change.judged);
    if (change.ended) {
      this.host.jobEnded(next);
      if (change.message) (next.state === "failed" ? this.host.fail : this.host.info).call(this.host, change.message);
      // A job that failed because the worker stopped: show the worker as it is now.
      if (next.state === "failed") void this.pollWorker();
    }
    if (this.jobTimer) clearTimeout(this.jobTimer);
    this.jobTimer = null;
    const delay = jobDelay(next);
    if (delay !== null) this.jobTimer = setTimeout(() => void this.pollJob(next.id), delay);
  }

  private async pollJob(id: number): Promise<void> {
    this.jobTimer = null;
    try {
      this.setJob(await this.client.job(id));
      this.pollFailures = 0;
    } catch (e) {
      // Said once; asked again later: a server busy for a moment should not freeze the progress.
      if (this.pollFailures++ === 0) this.host.fail(e);
      this.jobTimer = setTimeout(() => void this.pollJob(id), 2000);
    }
  }
}
