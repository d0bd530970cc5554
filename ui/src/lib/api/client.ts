// The one typed client of the application API (crates/fare-app/src/api.rs). Every screen talks
// to the project through `ApiClient`; how a call travels is a `Transport`: HTTP to
// `fare-lens serve`, or Tauri `invoke` in the desktop shell (same command names).
// The types are the generated ones (./generated, from Rust by ts-rs): never copy them here.
import { invoke } from "@tauri-apps/api/core";
import type { DecisionRequest } from "./generated/DecisionRequest";
import type { ErrorView } from "./generated/ErrorView";
import type { ImportDone } from "./generated/ImportDone";
import type { ImportPreview } from "./generated/ImportPreview";
import type { ImportPreviewRequest } from "./generated/ImportPreviewRequest";
import type { ImportRequest } from "./generated/ImportRequest";
import type { LabelView } from "./generated/LabelView";
import type { ProjectOverview } from "./generated/ProjectOverview";
import type { QueueCounts } from "./generated/QueueCounts";
import type { Analysis as Report } from "./generated/Analysis";
import type { SampleDetail } from "./generated/SampleDetail";
import type { PromptView } from "./generated/PromptView";
import type { SamplePage } from "./generated/SamplePage";
import type { SampleQuery } from "./generated/SampleQuery";
import type { PositionQuery } from "./generated/PositionQuery";
import type { QueuePosition } from "./generated/QueuePosition";
import type { JobRequest } from "./generated/JobRequest";
import type { JobView } from "./generated/JobView";
import type { LoadRequest } from "./generated/LoadRequest";
import type { ModelList } from "./generated/ModelList";
import type { WorkerView } from "./generated/WorkerView";
import type { QueueRequest } from "./generated/QueueRequest";
import type { QueueView } from "./generated/QueueView";
import type { AgreementReport } from "./generated/AgreementReport";
import type { DisagreementQuery } from "./generated/DisagreementQuery";
import type { DisagreementPage } from "./generated/DisagreementPage";
import type { AdjudicationRequest } from "./generated/AdjudicationRequest";
import type { AdjudicationView } from "./generated/AdjudicationView";
import type { ExportRequest } from "./generated/ExportRequest";
import type { ExportPreviewView } from "./generated/ExportPreviewView";
import type { ExportDone } from "./generated/ExportDone";
import type { MergeRequest } from "./generated/MergeRequest";
import type { MergeDone } from "./generated/MergeDone";
import type { Analysis } from "./generated/Analysis";
import type { AnalysisRequest } from "./generated/AnalysisRequest";
import type { AnalysisSamplesRequest } from "./generated/AnalysisSamplesRequest";
import type { DiffRequest } from "./generated/DiffRequest";
import type { DiffSamplesRequest } from "./generated/DiffSamplesRequest";
import type { RunDiff } from "./generated/RunDiff";

/** The commands of the application API, named as `fare_app::dispatch` names them. */
export type CommandName =
  | "overview"
  | "samples"
  | "counts"
  | "position"
  | "sample"
  | "prompt"
  | "decide"
  | "report"
  | "importPreview"
  | "import"
  | "queues"
  | "createQueue"
  | "deleteQueue"
  | "models"
  | "load_model"
  | "unload_model"
  | "worker"
  | "start_job"
  | "jobs"
  | "job"
  | "cancel_job"
  | "agreement"
  | "disagreements"
  | "adjudicate"
  | "adjudications"
  | "exportPreview"
  | "export"
  | "merge"
  | "analysis"
  | "analysisSamples"
  | "diff"
  | "diffSamples";

/** Arguments of each command. */
export interface CommandArgs {
  overview: Record<string, never>;
  samples: { query: SampleQuery };
  counts: { query: SampleQuery };
  position: { request: PositionQuery };
  sample: { id: number; run?: number };
  prompt: { id: number; judgment?: number };
  decide: { request: DecisionRequest };
  report: { run?: number };
  importPreview: { request: ImportPreviewRequest };
  import: { request: ImportRequest };
  queues: Record<string, never>;
  createQueue: { request: QueueRequest };
  deleteQueue: { id: number };
  models: Record<string, never>;
  load_model: { request: LoadRequest };
  unload_model: Record<string, never>;
  worker: Record<string, never>;
  start_job: { request: JobRequest };
  jobs: Record<string, never>;
  job: { id: number };
  cancel_job: { id: number };
  agreement: Record<string, never>;
  disagreements: { request: DisagreementQuery };
  adjudicate: { request: AdjudicationRequest };
  adjudications: { id: number };
  exportPreview: { request: ExportRequest };
  export: { request: ExportRequest };
  merge: { request: MergeRequest };
  analysis: { request: AnalysisRequest };
  analysisSamples: { request: AnalysisSamplesRequest };
  diff: { request: DiffRequest };
  diffSamples: { request: DiffSamplesRequest };
}

/** Carries one command to the project and brings back its JSON answer. */
export interface Transport {
  call(command: CommandName, args: CommandArgs[CommandName]): Promise<unknown>;
}

/** A failed call, with the message meant for the person at the screen. */
export class ApiFailure extends Error {
  /** HTTP status, when the failure came from a server answer (0: the server was not reached). */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = "ApiFailure";
    this.status = status;
  }
}

/** Reads the message out of an error body: `ErrorView` JSON, else the text, else the status. */
export function errorMessage(status: number, statusText: string, body: string): string {
  try {
    const parsed = JSON.parse(body) as Partial<ErrorView>;
    if (parsed && typeof parsed.message === "string" && parsed.message.trim() !== "") {
      return parsed.message;
    }
  } catch {
    // not JSON: fall through to the text
  }
  const text = body.trim();
  if (text !== "" && text.length < 500) return text;
  return `The server answered ${status}${statusText ? ` ${statusText}` : ""}.`;
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** HTTP to `fare-lens serve`: `/api/...`, JSON bodies, `Authorization: Bearer` when a token is known. */
export class HttpTransport implements Transport {
  constructor(
    private readonly base: string = "",
    private readonly token: () => string | null = () => null,
    private readonly fetchFn: FetchLike = (input, init) => fetch(input, init),
  ) {}

  async call(command: CommandName, args: CommandArgs[CommandName]): Promise<unknown> {
    const { method, path, body } = httpRoute(command, args);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const token = this.token();
    if (token) headers["Authorization"] = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.fetchFn(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiFailure(`Cannot reach the FARE Lens server (${String(e)}).`, 0);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ApiFailure(errorMessage(response.status, response.statusText, text), response.status);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiFailure("The server's answer was not JSON.", response.status);
    }
  }
}

/** Where each command lives under `/api/`. */
export function httpRoute(
  command: CommandName,
  args: CommandArgs[CommandName],
): { method: "GET" | "POST" | "DELETE"; path: string; body?: unknown } {
  const runParam = (run: number | undefined) => (run === undefined ? "" : `?run=${run}`);
  switch (command) {
    case "overview":
      return { method: "GET", path: "/api/overview" };
    case "samples":
      return { method: "POST", path: "/api/samples", body: (args as CommandArgs["samples"]).query };
    case "counts":
      return { method: "POST", path: "/api/counts", body: (args as CommandArgs["counts"]).query };
    case "position":
      return { method: "POST", path: "/api/position", body: (args as CommandArgs["position"]).request };
    case "sample": {
      const a = args as CommandArgs["sample"];
      return { method: "GET", path: `/api/samples/${a.id}${runParam(a.run)}` };
    }
    case "prompt": {
      const a = args as CommandArgs["prompt"];
      const judgment = a.judgment === undefined ? "" : `?judgment=${a.judgment}`;
      return { method: "GET", path: `/api/samples/${a.id}/prompt${judgment}` };
    }
    case "decide":
      return { method: "POST", path: "/api/decide", body: (args as CommandArgs["decide"]).request };
    case "report":
      return { method: "GET", path: `/api/report${runParam((args as CommandArgs["report"]).run)}` };
    case "importPreview":
      return { method: "POST", path: "/api/import/preview", body: (args as CommandArgs["importPreview"]).request };
    case "import":
      return { method: "POST", path: "/api/import", body: (args as CommandArgs["import"]).request };
    case "queues":
      return { method: "GET", path: "/api/queues" };
    case "createQueue":
      return { method: "POST", path: "/api/queues", body: (args as CommandArgs["createQueue"]).request };
    case "deleteQueue":
      return { method: "DELETE", path: `/api/queues/${(args as CommandArgs["deleteQueue"]).id}` };
    case "models":
      return { method: "GET", path: "/api/models" };
    case "load_model":
      return { method: "POST", path: "/api/models/load", body: (args as CommandArgs["load_model"]).request };
    case "unload_model":
      return { method: "POST", path: "/api/models/unload", body: {} };
    case "worker":
      return { method: "GET", path: "/api/models/worker" };
    case "start_job":
      return { method: "POST", path: "/api/jobs", body: (args as CommandArgs["start_job"]).request };
    case "jobs":
      return { method: "GET", path: "/api/jobs" };
    case "job":
      return { method: "GET", path: `/api/jobs/${(args as CommandArgs["job"]).id}` };
    case "cancel_job":
      return { method: "POST", path: `/api/jobs/${(args as CommandArgs["cancel_job"]).id}/cancel`, body: {} };
    case "agreement":
      return { method: "GET", path: "/api/agreement" };
    case "disagreements":
      return { method: "POST", path: "/api/disagreements", body: (args as CommandArgs["disagreements"]).request };
    case "adjudicate":
      return { method: "POST", path: "/api/adjudicate", body: (args as CommandArgs["adjudicate"]).request };
    case "adjudications":
      return { method: "GET", path: `/api/samples/${(args as CommandArgs["adjudications"]).id}/adjudications` };
    case "exportPreview":
      return { method: "POST", path: "/api/export/preview", body: (args as CommandArgs["exportPreview"]).request };
    case "export":
      return { method: "POST", path: "/api/export", body: (args as CommandArgs["export"]).request };
    case "merge":
      return { method: "POST", path: "/api/merge", body: (args as CommandArgs["merge"]).request };
    case "analysis":
      return { method: "POST", path: "/api/analysis", body: (args as CommandArgs["analysis"]).request };
    case "analysisSamples":
      return { method: "POST", path: "/api/analysis/samples", body: (args as CommandArgs["analysisSamples"]).request };
    case "diff":
      return { method: "POST", path: "/api/diff", body: (args as CommandArgs["diff"]).request };
    case "diffSamples":
      return { method: "POST", path: "/api/diff/samples", body: (args as CommandArgs["diffSamples"]).request };
  }
}

type InvokeLike = (command: string, args: Record<string, unknown>) => Promise<unknown>;

/** Reads the message out of what a failed Tauri command rejected with (`ErrorView`, or text). */
export function invokeErrorMessage(error: unknown): string {
  if (typeof error === "string" && error.trim() !== "") return error;
  if (typeof error === "object" && error !== null && typeof (error as Partial<ErrorView>).message === "string") {
    return (error as ErrorView).message;
  }
  return `The desktop app could not carry out the command (${String(error)}).`;
}

/**
 * The desktop shell's transport: every command goes to the shell's one `api` command
 * (src-tauri), which hands it to the application API by name with the same arguments.
 */
export class TauriTransport implements Transport {
  constructor(private readonly invokeFn: InvokeLike = (command, args) => invoke(command, args)) {}

  async call(command: CommandName, args: CommandArgs[CommandName]): Promise<unknown> {
    try {
      return await this.invokeFn("api", { command, args });
    } catch (e) {
      throw new ApiFailure(invokeErrorMessage(e), 0);
    }
  }
}

/** Whether the UI runs inside the Tauri shell. */
export function inTauri(win: unknown = globalThis): boolean {
  return typeof win === "object" && win !== null && "__TAURI_INTERNALS__" in win;
}

const TOKEN_KEY = "fare-lens-token";

/**
 * The server token: taken once from the URL fragment `#token=...` (and removed from the address
 * bar), kept in sessionStorage for reloads of this tab.
 */
export function takeToken(loc: Location, storage: Storage, history?: History): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(loc.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    storage.setItem(TOKEN_KEY, token);
    history?.replaceState(null, "", loc.pathname + loc.search);
    return token;
  }
  return storage.getItem(TOKEN_KEY);
}

/** The application API, typed. */
export class ApiClient {
  constructor(private readonly transport: Transport) {}

  overview(): Promise<ProjectOverview> {
    return this.transport.call("overview", {}) as Promise<ProjectOverview>;
  }
  samples(query: SampleQuery): Promise<SamplePage> {
    return this.transport.call("samples", { query }) as Promise<SamplePage>;
  }
  counts(query: SampleQuery): Promise<QueueCounts> {
    return this.transport.call("counts", { query }) as Promise<QueueCounts>;
  }
  /** The sample at a position (from 0) of the queue's list, for far jumps of the virtual list. */
  position(query: SampleQuery, position: number): Promise<QueuePosition> {
    return this.transport.call("position", { request: { query, position } }) as Promise<QueuePosition>;
  }
  sample(id: number, run?: number): Promise<SampleDetail> {
    return this.transport.call("sample", { id, run }) as Promise<SampleDetail>;
  }
  /** The FARE prompt behind a judgment (its run's template and order), or the shipped one. */
  prompt(id: number, judgment?: number): Promise<PromptView> {
    return this.transport.call("prompt", { id, judgment }) as Promise<PromptView>;
  }
  decide(request: DecisionRequest): Promise<LabelView> {
    return this.transport.call("decide", { request }) as Promise<LabelView>;
  }
  /** The evaluator report: metrics per task, data set and source. */
  report(run?: number): Promise<Report> {
    return this.transport.call("report", { run }) as Promise<Report>;
  }
  /** The failure-mode analysis of a run (each task's newest when `run` is absent). */
  analysis(request: AnalysisRequest = {}): Promise<Analysis> {
    return this.transport.call("analysis", { request }) as Promise<Analysis>;
  }
  /** The sample ids (in id order) behind one cell of the analysis: a key within a scope. */
  analysisSamples(request: AnalysisSamplesRequest): Promise<number[]> {
    return this.transport.call("analysisSamples", { request }) as Promise<number[]>;
  }
  /** The checkpoint diff of two runs: what the later one fixed and broke. */
  diff(request: DiffRequest): Promise<RunDiff> {
    return this.transport.call("diff", { request }) as Promise<RunDiff>;
  }
  /** The sample ids (in id order) of one cell of the checkpoint diff. */
  diffSamples(request: DiffSamplesRequest): Promise<number[]> {
    return this.transport.call("diffSamples", { request }) as Promise<number[]>;
  }
  /** The first records of a file (a path on the machine running FARE Lens) as they would be imported. */
  importPreview(request: ImportPreviewRequest): Promise<ImportPreview> {
    return this.transport.call("importPreview", { request }) as Promise<ImportPreview>;
  }
  /** Imports a file, all or nothing; a bad file fails with a message naming its file and line. */
  import(request: ImportRequest): Promise<ImportDone> {
    return this.transport.call("import", { request }) as Promise<ImportDone>;
  }
  /** The saved review queues, newest first. */
  queues(): Promise<QueueView[]> {
    return this.transport.call("queues", {}) as Promise<QueueView[]>;
  }
  /** Saves a queue: the filters' samples or a list of samples, in a review order. */
  createQueue(request: QueueRequest): Promise<QueueView> {
    return this.transport.call("createQueue", { request }) as Promise<QueueView>;
  }
  /** Deletes a saved queue (its samples and labels stay); answers the queues left. */
  deleteQueue(id: number): Promise<QueueView[]> {
    return this.transport.call("deleteQueue", { id }) as Promise<QueueView[]>;
  }
  /** The models on disk, with memory estimates, and the devices this build runs. */
  models(): Promise<ModelList> {
    return this.transport.call("models", {}) as Promise<ModelList>;
  }
  /** Starts loading a model (or an endpoint); answers at once, `loading`. */
  loadModel(request: LoadRequest): Promise<WorkerView> {
    return this.transport.call("load_model", { request }) as Promise<WorkerView>;
  }
  /** Stops the model worker (and cancels its jobs). */
  unloadModel(): Promise<WorkerView> {
    return this.transport.call("unload_model", {}) as Promise<WorkerView>;
  }
  /** Where the model worker stands. */
  worker(): Promise<WorkerView> {
    return this.transport.call("worker", {}) as Promise<WorkerView>;
  }
  /** Starts judging samples with the loaded model; answers at once. */
  startJob(request: JobRequest): Promise<JobView> {
    return this.transport.call("start_job", { request }) as Promise<JobView>;
  }
  /** The jobs kept, newest first. */
  jobs(): Promise<JobView[]> {
    return this.transport.call("jobs", {}) as Promise<JobView[]>;
  }
  /** Where a job stands: progress, the output streaming, errors. */
  job(id: number): Promise<JobView> {
    return this.transport.call("job", { id }) as Promise<JobView>;
  }
  /** Asks a job to stop. */
  cancelJob(id: number): Promise<JobView> {
    return this.transport.call("cancel_job", { id }) as Promise<JobView>;
  }
  /** Agreement between annotators (kappa per pair, alpha) per task and per task and data set. */
  agreement(): Promise<AgreementReport> {
    return this.transport.call("agreement", {}) as Promise<AgreementReport>;
  }
  /** The samples annotators disagree on (the adjudication queue), one page. */
  disagreements(request: DisagreementQuery): Promise<DisagreementPage> {
    return this.transport.call("disagreements", { request }) as Promise<DisagreementPage>;
  }
  /** Records the current person's verdict as the sample's adjudicated one (no verdict: takes it back). */
  adjudicate(request: AdjudicationRequest): Promise<AdjudicationView> {
    return this.transport.call("adjudicate", { request }) as Promise<AdjudicationView>;
  }
  /** Every adjudication record of a sample, oldest first. */
  adjudications(id: number): Promise<AdjudicationView[]> {
    return this.transport.call("adjudications", { id }) as Promise<AdjudicationView[]>;
  }
  /** The first rows of an export as they would be written. */
  exportPreview(request: ExportRequest): Promise<ExportPreviewView> {
    return this.transport.call("exportPreview", { request }) as Promise<ExportPreviewView>;
  }
  /** Writes an export (a path on the machine running FARE Lens); an existing file only with `overwrite`. */
  export(request: ExportRequest): Promise<ExportDone> {
    return this.transport.call("export", { request }) as Promise<ExportDone>;
  }
  /** Combines project files of several annotators into a new file (never over an existing one). */
  merge(request: MergeRequest): Promise<MergeDone> {
    return this.transport.call("merge", { request }) as Promise<MergeDone>;
  }
}

/** The client for where the UI runs: Tauri when inside the shell, HTTP to its own origin otherwise. */
export function defaultClient(): ApiClient {
  if (inTauri()) return new ApiClient(new TauriTransport());
  const token = typeof window === "undefined" ? null : takeToken(window.location, window.sessionStorage, window.history);
  return new ApiClient(new HttpTransport("", () => token));
}
