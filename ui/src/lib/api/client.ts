// The one typed client of the application API (crates/fare-app/src/commands.rs, the command
// registry). Every screen talks to the project through `ApiClient`; how a call travels is a
// `Transport`: HTTP to `fare-lens serve` (`POST /api/{command}`, the arguments as the body), or
// Tauri `invoke` in the desktop shell (the same names and arguments). The command names, their
// arguments and answers are generated from the registry (./generated/commands.ts, by ts-rs):
// never copy them here. A new command needs no code here: `client.call("name", args)`.
import { invoke } from "@tauri-apps/api/core";
import type { CommandArgs, CommandName, CommandResults } from "./generated/commands";
import type { DecisionRequest } from "./generated/DecisionRequest";
import type { ErrorView } from "./generated/ErrorView";
import type { ImportDone } from "./generated/ImportDone";
import type { ImportPreview } from "./generated/ImportPreview";
import type { ImportPreviewRequest } from "./generated/ImportPreviewRequest";
import type { ImportRequest } from "./generated/ImportRequest";
import type { LabelView } from "./generated/LabelView";
import type { ProjectOverview } from "./generated/ProjectOverview";
import type { QueueCounts } from "./generated/QueueCounts";
import type { SampleDetail } from "./generated/SampleDetail";
import type { PromptView } from "./generated/PromptView";
import type { SamplePage } from "./generated/SamplePage";
import type { SampleQuery } from "./generated/SampleQuery";
import type { QueuePosition } from "./generated/QueuePosition";
import type { JobRequest } from "./generated/JobRequest";
import type { JobView } from "./generated/JobView";
import type { LoadRequest } from "./generated/LoadRequest";
import type { ModelList } from "./generated/ModelList";
import type { WorkerView } from "./generated/WorkerView";
import type { HubView } from "./generated/HubView";
import type { DownloadRequest } from "./generated/DownloadRequest";
import type { ConversionRequest } from "./generated/ConversionRequest";
import type { TransferView } from "./generated/TransferView";
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

export type { CommandArgs, CommandName, CommandResults } from "./generated/commands";
export { WRITES } from "./generated/commands";

/** Carries one command to the project and brings back its JSON answer. */
export interface Transport {
  call<C extends CommandName>(command: C, args: CommandArgs[C]): Promise<unknown>;
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

/** HTTP to `fare-lens serve`: `POST /api/{command}`, the arguments as the JSON body, `Authorization: Bearer` when a token is known. */
export class HttpTransport implements Transport {
  constructor(
    private readonly base: string = "",
    private readonly token: () => string | null = () => null,
    private readonly fetchFn: FetchLike = (input, init) => fetch(input, init),
  ) {}

  async call<C extends CommandName>(command: C, args: CommandArgs[C]): Promise<unknown> {
    const headers: Record<string, string> = { Accept: "application/json", "Content-Type": "application/json" };
    const token = this.token();
    if (token) headers["Authorization"] = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.fetchFn(`${this.base}/api/${command}`, {
        method: "POST",
        headers,
        body: JSON.stringify(args ?? {}),
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

  async call<C extends CommandName>(command: C, args: CommandArgs[C]): Promise<unknown> {
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

  /** Any command of the registry, by name, with its arguments and its answer's type. */
  call<C extends CommandName>(command: C, args: CommandArgs[C]): Promise<CommandResults[C]> {
    return this.transport.call(command, args) as Promise<CommandResults[C]>;
  }

  overview(): Promise<ProjectOverview> {
    return this.call("overview", {});
  }
  samples(query: SampleQuery): Promise<SamplePage> {
    return this.call("samples", { query });
  }
  counts(query: SampleQuery): Promise<QueueCounts> {
    return this.call("counts", { query });
  }
  /** The sample at a position (from 0) of the queue's list, for far jumps of the virtual list. */
  position(query: SampleQuery, position: number): Promise<QueuePosition> {
    return this.call("position", { request: { query, position } });
  }
  sample(id: number, run?: number): Promise<SampleDetail> {
    return this.call("sample", { id, run });
  }
  /** The FARE prompt behind a judgment (its run's template and order), or the shipped one. */
  prompt(id: number, judgment?: number): Promise<PromptView> {
    return this.call("prompt", { id, judgment });
  }
  decide(request: DecisionRequest): Promise<LabelView> {
    return this.call("decide", { request });
  }
  /** The failure-mode analysis of a run (each task's newest when `run` is absent). */
  analysis(request: AnalysisRequest = {}): Promise<Analysis> {
    return this.call("analysis", { request });
  }
  /** The sample ids (in id order) behind one cell of the analysis: a key within a scope. */
  analysisSamples(request: AnalysisSamplesRequest): Promise<number[]> {
    return this.call("analysis_samples", { request });
  }
  /** The checkpoint diff of two runs: what the later one fixed and broke. */
  diff(request: DiffRequest): Promise<RunDiff> {
    return this.call("diff", { request });
  }
  /** The sample ids (in id order) of one cell of the checkpoint diff. */
  diffSamples(request: DiffSamplesRequest): Promise<number[]> {
    return this.call("diff_samples", { request });
  }
  /** The first records of a file (a path on the machine running FARE Lens) as they would be imported. */
  importPreview(request: ImportPreviewRequest): Promise<ImportPreview> {
    return this.call("import_preview", { request });
  }
  /** Imports a file, all or nothing; a bad file fails with a message naming its file and line. */
  import(request: ImportRequest): Promise<ImportDone> {
    return this.call("import", { request });
  }
  /** The saved review queues, newest first. */
  queues(): Promise<QueueView[]> {
    return this.call("queues", {});
  }
  /** Saves a queue: the filters' samples or a list of samples, in a review order. */
  createQueue(request: QueueRequest): Promise<QueueView> {
    return this.call("create_queue", { request });
  }
  /** Deletes a saved queue (its samples and labels stay); answers the queues left. */
  deleteQueue(id: number): Promise<QueueView[]> {
    return this.call("delete_queue", { id });
  }
  /** The models on disk, with memory estimates, and the devices this build runs. */
  models(): Promise<ModelList> {
    return this.call("models", {});
  }
  /** Starts loading a model (or an endpoint); answers at once, `loading`. */
  loadModel(request: LoadRequest): Promise<WorkerView> {
    return this.call("load_model", { request });
  }
  /** Stops the model worker (and cancels its jobs). */
  unloadModel(): Promise<WorkerView> {
    return this.call("unload_model", {});
  }
  /** Where the model worker stands. */
  worker(): Promise<WorkerView> {
    return this.call("worker", {});
  }
  /** Starts judging samples with the loaded model; answers at once. */
  startJob(request: JobRequest): Promise<JobView> {
    return this.call("start_job", { request });
  }
  /** The jobs kept, newest first. */
  jobs(): Promise<JobView[]> {
    return this.call("jobs", {});
  }
  /** Where a job stands: progress, the output streaming, errors. */
  job(id: number): Promise<JobView> {
    return this.call("job", { id });
  }
  /** Asks a job to stop. */
  cancelJob(id: number): Promise<JobView> {
    return this.call("cancel_job", { id });
  }
  /** The FARE models of the hub, what each needs, its license and what the cache holds of it. */
  hubModels(): Promise<HubView> {
    return this.call("hub_models", {});
  }
  /** Starts downloading a model from the hub into the Hugging Face cache; answers at once. */
  startDownload(request: DownloadRequest): Promise<TransferView> {
    return this.call("start_download", { request });
  }
  /** Starts converting a Qwen3 safetensors model to Q8_0 GGUF for CPUs; answers at once. */
  startConversion(request: ConversionRequest): Promise<TransferView> {
    return this.call("start_conversion", { request });
  }
  /** The downloads and conversions kept, newest first. */
  transfers(): Promise<TransferView[]> {
    return this.call("transfers", {});
  }
  /** Where a download or conversion stands. */
  transfer(id: number): Promise<TransferView> {
    return this.call("transfer", { id });
  }
  /** Asks a download or conversion to stop. */
  cancelTransfer(id: number): Promise<TransferView> {
    return this.call("cancel_transfer", { id });
  }
  /** Agreement between annotators (kappa per pair, alpha) per task and per task and data set. */
  agreement(): Promise<AgreementReport> {
    return this.call("agreement", {});
  }
  /** The samples annotators disagree on (the adjudication queue), one page. */
  disagreements(request: DisagreementQuery): Promise<DisagreementPage> {
    return this.call("disagreements", { request });
  }
  /** Records the current person's verdict as the sample's adjudicated one (no verdict: takes it back). */
  adjudicate(request: AdjudicationRequest): Promise<AdjudicationView> {
    return this.call("adjudicate", { request });
  }
  /** Every adjudication record of a sample, oldest first. */
  adjudications(id: number): Promise<AdjudicationView[]> {
    return this.call("adjudications", { id });
  }
  /** The first rows of an export as they would be written. */
  exportPreview(request: ExportRequest): Promise<ExportPreviewView> {
    return this.call("export_preview", { request });
  }
  /** Writes an export (a path on the machine running FARE Lens); an existing file only with `overwrite`. */
  export(request: ExportRequest): Promise<ExportDone> {
    return this.call("export", { request });
  }
  /** Combines project files of several annotators into a new file (never over an existing one). */
  merge(request: MergeRequest): Promise<MergeDone> {
    return this.call("merge", { request });
  }
}

/** The client for where the UI runs: Tauri when inside the shell, HTTP to its own origin otherwise. */
export function defaultClient(): ApiClient {
  if (inTauri()) return new ApiClient(new TauriTransport());
  const token = typeof window === "undefined" ? null : takeToken(window.location, window.sessionStorage, window.history);
  return new ApiClient(new HttpTransport("", () => token));
}
