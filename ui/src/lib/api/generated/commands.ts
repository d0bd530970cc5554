// Generated from the command registry (crates/fare-app/src/commands.rs) by `FARE_UPDATE_BINDINGS=1 cargo test -p fare-app --test ts_bindings`. Do not edit.
import type { AdjudicationRequest } from "./AdjudicationRequest";
import type { AdjudicationView } from "./AdjudicationView";
import type { AgreementReport } from "./AgreementReport";
import type { Analysis } from "./Analysis";
import type { AnalysisRequest } from "./AnalysisRequest";
import type { AnalysisSamplesRequest } from "./AnalysisSamplesRequest";
import type { ConversionRequest } from "./ConversionRequest";
import type { DecisionRequest } from "./DecisionRequest";
import type { DiffRequest } from "./DiffRequest";
import type { DiffSamplesRequest } from "./DiffSamplesRequest";
import type { DisagreementPage } from "./DisagreementPage";
import type { DisagreementQuery } from "./DisagreementQuery";
import type { DownloadRequest } from "./DownloadRequest";
import type { ExportDone } from "./ExportDone";
import type { ExportPreviewView } from "./ExportPreviewView";
import type { ExportRequest } from "./ExportRequest";
import type { HubView } from "./HubView";
import type { ImportDone } from "./ImportDone";
import type { ImportPreview } from "./ImportPreview";
import type { ImportPreviewRequest } from "./ImportPreviewRequest";
import type { ImportRequest } from "./ImportRequest";
import type { JobRequest } from "./JobRequest";
import type { JobView } from "./JobView";
import type { LabelView } from "./LabelView";
import type { LoadRequest } from "./LoadRequest";
import type { MergeDone } from "./MergeDone";
import type { MergeRequest } from "./MergeRequest";
import type { ModelList } from "./ModelList";
import type { PositionQuery } from "./PositionQuery";
import type { ProjectOverview } from "./ProjectOverview";
import type { PromptView } from "./PromptView";
import type { QueueCounts } from "./QueueCounts";
import type { QueuePosition } from "./QueuePosition";
import type { QueueRequest } from "./QueueRequest";
import type { QueueView } from "./QueueView";
import type { RunDiff } from "./RunDiff";
import type { SampleDetail } from "./SampleDetail";
import type { SamplePage } from "./SamplePage";
import type { SampleQuery } from "./SampleQuery";
import type { TransferView } from "./TransferView";
import type { WorkerView } from "./WorkerView";

/** The commands of the application API. */
export type CommandName =
  | "overview"
  | "samples"
  | "counts"
  | "position"
  | "sample"
  | "find_sample"
  | "prompt"
  | "decide"
  | "import_preview"
  | "import"
  | "queues"
  | "create_queue"
  | "delete_queue"
  | "agreement"
  | "disagreements"
  | "adjudicate"
  | "adjudications"
  | "export_preview"
  | "export"
  | "merge"
  | "analysis"
  | "analysis_samples"
  | "diff"
  | "diff_samples"
  | "models"
  | "load_model"
  | "unload_model"
  | "worker"
  | "start_job"
  | "jobs"
  | "job"
  | "cancel_job"
  | "hub_models"
  | "start_download"
  | "start_conversion"
  | "transfers"
  | "transfer"
  | "cancel_transfer"
;

/** Each command's arguments (`POST /api/{command}`'s body). */
export interface CommandArgs {
  /** The project at a glance: data sets, runs, sources, tags, who is annotating. */
  overview: Record<symbol, never>;
  /** One page of the queue's samples. */
  samples: { query: SampleQuery, };
  /** How many samples the queue holds and how many are reviewed. */
  counts: { query: SampleQuery, };
  /** The sample at a position (from 0) of the queue's list, for far jumps. */
  position: { request: PositionQuery, };
  /** One sample, whole, with the verdict of a run (each task's newest by default). */
  sample: { id: number, run?: number, };
  /** The project id of a sample named by its project id or its data set's id for it. */
  find_sample: { name: string, };
  /** The FARE prompt behind a judgment (its run's template and order), or the shipped one. */
  prompt: { id: number, judgment?: number, };
  /** Records the current person's decision on a sample. */
  decide: { request: DecisionRequest, };
  /** The first records of a file as they would be imported. */
  import_preview: { request: ImportPreviewRequest, };
  /** Imports a file, all or nothing. */
  import: { request: ImportRequest, };
  /** The saved review queues, newest first. */
  queues: Record<symbol, never>;
  /** Saves a queue: the filters' samples or a list of samples, in a review order. */
  create_queue: { request: QueueRequest, };
  /** Deletes a saved queue (its samples and labels stay); answers the queues left. */
  delete_queue: { id: number, };
  /** Agreement between annotators per task and per task and data set. */
  agreement: Record<symbol, never>;
  /** The samples annotators disagree on (the adjudication queue), one page. */
  disagreements: { request: DisagreementQuery, };
  /** Records the current person's verdict as a sample's adjudicated one. */
  adjudicate: { request: AdjudicationRequest, };
  /** Every adjudication record of a sample, oldest first. */
  adjudications: { id: number, };
  /** The first rows of an export as they would be written. */
  export_preview: { request: ExportRequest, };
  /** Writes an export; an existing file only with `overwrite`. */
  export: { request: ExportRequest, };
  /** Combines project files of several annotators into a new file. */
  merge: { request: MergeRequest, };
  /** The failure-mode analysis of a run (each task's newest when none is named). */
  analysis: { request: AnalysisRequest, };
  /** The sample ids (in id order) behind one cell of the analysis. */
  analysis_samples: { request: AnalysisSamplesRequest, };
  /** The checkpoint diff of two runs: what the later one fixed and broke. */
  diff: { request: DiffRequest, };
  /** The sample ids (in id order) of one cell of the checkpoint diff. */
  diff_samples: { request: DiffSamplesRequest, };
  /** The models on disk, with memory estimates, and the devices this build runs. */
  models: Record<symbol, never>;
  /** Starts loading a model (or an endpoint); answers at once, `loading`. */
  load_model: { request: LoadRequest, };
  /** Stops the model worker (and cancels its jobs). */
  unload_model: Record<symbol, never>;
  /** Where the model worker stands. */
  worker: Record<symbol, never>;
  /** Starts judging samples with the loaded model; answers at once. */
  start_job: { request: JobRequest, };
  /** The jobs kept, newest first. */
  jobs: Record<symbol, never>;
  /** Where a job stands: progress, the output streaming, errors. */
  job: { id: number, };
  /** Asks a job to stop. */
  cancel_job: { id: number, };
  /** The FARE models of the hub, with what each needs, its license and what the Hugging Face cache holds of it. */
  hub_models: Record<symbol, never>;
  /** Starts downloading a model from the hub into the Hugging Face cache; answers at once. */
  start_download: { request: DownloadRequest, };
  /** Starts converting a Qwen3 safetensors model to Q8_0 GGUF for CPUs; answers at once. */
  start_conversion: { request: ConversionRequest, };
  /** The downloads and conversions kept, newest first. */
  transfers: Record<symbol, never>;
  /** Where a download or conversion stands. */
  transfer: { id: number, };
  /** Asks a download or conversion to stop (a download resumes from there next time). */
  cancel_transfer: { id: number, };
}

/** Each command's answer. */
export interface CommandResults {
  overview: ProjectOverview;
  samples: SamplePage;
  counts: QueueCounts;
  position: QueuePosition;
  sample: SampleDetail;
  find_sample: number;
  prompt: PromptView;
  decide: LabelView;
  import_preview: ImportPreview;
  import: ImportDone;
  queues: Array<QueueView>;
  create_queue: QueueView;
  delete_queue: Array<QueueView>;
  agreement: AgreementReport;
  disagreements: DisagreementPage;
  adjudicate: AdjudicationView;
  adjudications: Array<AdjudicationView>;
  export_preview: ExportPreviewView;
  export: ExportDone;
  merge: MergeDone;
  analysis: Analysis;
  analysis_samples: Array<number>;
  diff: RunDiff;
  diff_samples: Array<number>;
  models: ModelList;
  load_model: WorkerView;
  unload_model: WorkerView;
  worker: WorkerView;
  start_job: JobView;
  jobs: Array<JobView>;
  job: JobView;
  cancel_job: JobView;
  hub_models: HubView;
  start_download: TransferView;
  start_conversion: TransferView;
  transfers: Array<TransferView>;
  transfer: TransferView;
  cancel_transfer: TransferView;
}

/** Whether a command changes the project, its files or the model's state. */
export const WRITES: Record<CommandName, boolean> = {
  overview: false,
  samples: false,
  counts: false,
  position: false,
  sample: false,
  find_sample: false,
  prompt: false,
  decide: true,
  import_preview: false,
  import: true,
  queues: false,
  create_queue: true,
  delete_queue: true,
  agreement: false,
  disagreements: false,
  adjudicate: true,
  adjudications: false,
  export_preview: false,
  export: true,
  merge: true,
  analysis: false,
  analysis_samples: false,
  diff: false,
  diff_samples: false,
  models: false,
  load_model: true,
  unload_model: true,
  worker: false,
  start_job: true,
  jobs: false,
  job: false,
  cancel_job: true,
  hub_models: false,
  start_download: true,
  start_conversion: true,
  transfers: false,
  transfer: false,
  cancel_transfer: true,
};
