//! The command registry: every command of the application API declared once, by name, with
//! its arguments, its answer, whether it writes, and the call it makes.
//!
//! Everything else is made from the list at the bottom of this file:
//!
//! - [`dispatch`] runs a project command by name, JSON in and JSON out; the desktop shell
//!   forwards the UI's `invoke("api", {command, args})` to it and `fare-lens serve` carries
//!   `POST /api/{command}` with the same body to it.
//! - [`ModelDesk::dispatch`] runs a model panel command (the model worker and its jobs, which
//!   never wait for the project: a job writes through a connection of its own).
//! - [`COMMANDS`] lists them all with [`CommandInfo`] (the server refuses writing commands
//!   when it serves read-only).
//! - [`export_typescript`] writes the UI's `CommandName`, `CommandArgs`, `CommandResults` and
//!   `WRITES` (`ui/src/lib/api/generated/commands.ts`) and every type they name.
//!
//! A new command is a function (an [`OpenProject`] method) and one line in the list.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use ts_rs::{Config, ExportError, TS, TypeVisitor};

use crate::agreement::{
    AdjudicationRequest, AdjudicationView, AgreementReport, DisagreementPage, DisagreementQuery,
};
use crate::analysis::{Analysis, AnalysisRequest, AnalysisSamplesRequest};
use crate::api::{
    ApiError, DecisionRequest, LabelView, OpenProject, ProjectOverview, PromptView, QueueCounts,
    SampleDetail, SamplePage, SampleQuery,
};
use crate::diff::{DiffRequest, DiffSamplesRequest, RunDiff};
use crate::downloads::{ConversionRequest, DownloadRequest, HubView, TransferView, Transfers};
use crate::exporting::{ExportDone, ExportPreviewView, ExportRequest, MergeDone, MergeRequest};
use crate::importing::{ImportDone, ImportPreview, ImportPreviewRequest, ImportRequest};
use crate::jobs::{JobRequest, JobSamples, JobTarget, JobView, Jobs};
use crate::models::ModelList;
use crate::queue::{PositionQuery, QueuePosition};
use crate::saved_queues::{QueueRequest, QueueView};
use crate::worker::{LoadRequest, ModelError, Worker, WorkerCommand, WorkerView};

/// Which side of the app runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The open project ([`dispatch`]).
    Project,
    /// The model worker and its jobs ([`ModelDesk::dispatch`]).
    Model,
}

/// What the registry says of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    /// Its name, as the UI and `POST /api/{name}` call it.
    pub name: &'static str,
    /// Where it runs.
    pub side: Side,
    /// Whether it changes the project, the files beside it or the model's state.
    pub writes: bool,
    /// What it does (its doc line).
    pub summary: &'static str,
}

/// The registry entry of `name`, if it is a command.
pub fn command(name: &str) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Reads a command's arguments; `null` (no arguments given) reads as `{}`.
fn read_args<T: DeserializeOwned>(command: &str, args: Value) -> Result<T, ApiError> {
    let args = if args.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        args
    };
    serde_json::from_value(args).map_err(|e| ApiError::Invalid(format!("command `{command}`: {e}")))
}

fn json<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Invalid(format!("answer not JSON: {e}")))
}

fn unknown(command: &str) -> String {
    let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    format!(
        "no command `{command}` (the commands are: {})",
        names.join(", ")
    )
}

/// What a model command may use besides the desk: where models are listed from, and how a
/// job's samples are named on the open project (the only moment a model command needs it).
pub struct ModelContext<'a> {
    /// The folders models are listed from.
    pub folders: &'a [PathBuf],
    /// Names a job's samples on the open project.
    pub samples: &'a dyn Fn(&JobTarget) -> Result<JobSamples, ApiError>,
}

/// The model panel's side of an app: the model worker (or endpoint) and its judging jobs.
#[derive(Debug)]
pub struct ModelDesk {
    /// The loaded model.
    pub worker: Worker,
    /// Its jobs.
    pub jobs: Jobs,
    /// Models downloaded from the hub and converted for CPUs.
    pub transfers: Transfers,
}

impl ModelDesk {
    /// A desk whose local models run as `command` (none: only endpoints).
    pub fn new(command: Option<WorkerCommand>) -> ModelDesk {
        ModelDesk::with_worker(Worker::new(command))
    }

    /// A desk judging with `worker`.
    pub fn with_worker(worker: Worker) -> ModelDesk {
        ModelDesk {
            worker,
            jobs: Jobs::new(),
            transfers: Transfers::new(),
        }
    }

    /// Whether `command` is one of the model panel's.
    pub fn knows(command: &str) -> bool {
        self::command(command).is_some_and(|c| c.side == Side::Model)
    }

    /// Unloads the model, cancelling its jobs first.
    pub fn unload(&self) -> WorkerView {
        self.jobs.cancel_all();
        self.worker.unload()
    }
}

/// Exports every type a command's arguments or answer name, and notes it for an import.
struct Exporter<'a> {
    cfg: &'a Config,
    /// Type name → its module (`./SampleQuery`), for `commands.ts`'s imports.
    imports: BTreeMap<String, String>,
    error: Option<ExportError>,
}

impl TypeVisitor for Exporter<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if self.error.is_some() {
            return;
        }
        let Some(path) = T::output_path() else { return };
        let module = path.with_extension("");
        self.imports.insert(
            T::ident(self.cfg),
            format!("./{}", module.to_string_lossy().replace('\\', "/")),
        );
        if let Err(e) = T::export_all(self.cfg) {
            self.error = Some(e);
        }
    }
}

impl Exporter<'_> {
    /// A type and the types it is made of (`Vec<QueueView>`: `QueueView`).
    fn all<T: TS + 'static + ?Sized>(&mut self) {
        self.visit::<T>();
        T::visit_generics(self);
    }
}

/// The one JSDoc line of a command.
fn jsdoc(summary: &str) -> String {
    if summary.is_empty() {
        String::new()
    } else {
        format!("  /** {} */\n", summary.replace("*/", "* /"))
    }
}

/// `true` for `writes`, `false` for `reads`.
macro_rules! writes {
    (writes) => {
        true
    };
    (reads) => {
        false
    };
}

/// The doc comment's text, one line.
macro_rules! summary {
    ($($doc:literal)*) => {
        concat!($($doc),*).trim_ascii()
    };
}

macro_rules! registry {
    (
        project {
            $(
                $(#[doc = $pdoc:literal])*
                $pname:ident ( $($pf:ident : $pt:ty),* $(,)? ) -> $pres:ty, $pwrite:ident
                    => |$pp:ident, $pa:ident| $pbody:expr;
            )*
        }
        model {
            $(
                $(#[doc = $mdoc:literal])*
                $mname:ident ( $($mf:ident : $mt:ty),* $(,)? ) -> $mres:ty, $mwrite:ident
                    => |$md:ident, $mcx:ident, $ma:ident| $mbody:expr;
            )*
        }
    ) => {
        /// The arguments of each command, a module per command (`args::sample::Args`).
        pub mod args {
            #![allow(missing_docs, reason = "each struct is its command's arguments")]
            use super::*;
            $(
                pub mod $pname {
                    use super::*;
                    #[derive(Debug, Deserialize, TS)]
                    #[serde(deny_unknown_fields)]
                    #[ts(optional_fields)]
                    pub struct Args { $(pub $pf: $pt,)* }
                }
            )*
            $(
                pub mod $mname {
                    use super::*;
                    #[derive(Debug, Deserialize, TS)]
                    #[serde(deny_unknown_fields)]
                    #[ts(optional_fields)]
                    pub struct Args { $(pub $mf: $mt,)* }
                }
            )*
        }

        /// Every command, project commands first, in the order they are declared.
        pub const COMMANDS: &[CommandInfo] = &[
            $(CommandInfo {
                name: stringify!($pname),
                side: Side::Project,
                writes: writes!($pwrite),
                summary: summary!($($pdoc)*),
            },)*
            $(CommandInfo {
                name: stringify!($mname),
                side: Side::Model,
                writes: writes!($mwrite),
                summary: summary!($($mdoc)*),
            },)*
        ];

        /// Runs the project command `command` with its JSON `args` on `project` and answers
        /// with JSON.
        pub fn dispatch(
            project: &mut OpenProject,
            command: &str,
            arguments: Value,
        ) -> Result<Value, ApiError> {
            $(
                if command == stringify!($pname) {
                    let $pa: args::$pname::Args = read_args(command, arguments)?;
                    let $pp: &mut OpenProject = project;
                    return json(&$pbody?);
                }
            )*
            if ModelDesk::knows(command) {
                return Err(ApiError::Invalid(format!(
                    "`{command}` is a model command, not a project one"
                )));
            }
            Err(ApiError::Invalid(unknown(command)))
        }

        impl ModelDesk {
            /// Runs the model command `command` with its JSON `args`.
            pub fn dispatch(
                &self,
                context: &ModelContext<'_>,
                command: &str,
                arguments: Value,
            ) -> Result<Value, ModelError> {
                $(
                    if command == stringify!($mname) {
                        let $ma: args::$mname::Args = read_args(command, arguments)?;
                        let ($md, $mcx) = (self, context);
                        return Ok(json(&$mbody?)?);
                    }
                )*
                Err(ModelError::Invalid(unknown(command)))
            }
        }

        /// Writes `commands.ts` (the UI's command names, each command's arguments and answer,
        /// which ones write) and every type it names into `cfg`'s output folder.
        pub fn export_typescript(cfg: &Config) -> Result<(), ExportError> {
            let mut exporter = Exporter { cfg, imports: BTreeMap::new(), error: None };
            let mut args = String::new();
            let mut results = String::new();
            $(
                <args::$pname::Args as TS>::visit_dependencies(&mut exporter);
                exporter.all::<$pres>();
                args.push_str(&jsdoc(summary!($($pdoc)*)));
                args.push_str(&format!("  {}: {};\n", stringify!($pname), <args::$pname::Args as TS>::inline(cfg)));
                results.push_str(&format!("  {}: {};\n", stringify!($pname), <$pres as TS>::name(cfg)));
            )*
            $(
                <args::$mname::Args as TS>::visit_dependencies(&mut exporter);
                exporter.all::<$mres>();
                args.push_str(&jsdoc(summary!($($mdoc)*)));
                args.push_str(&format!("  {}: {};\n", stringify!($mname), <args::$mname::Args as TS>::inline(cfg)));
                results.push_str(&format!("  {}: {};\n", stringify!($mname), <$mres as TS>::name(cfg)));
            )*
            if let Some(e) = exporter.error {
                return Err(e);
            }
            let mut text = String::from(
                "// Generated from the command registry (crates/fare-app/src/commands.rs) by \
                 `FARE_UPDATE_BINDINGS=1 cargo test -p fare-app --test ts_bindings`. Do not edit.\n",
            );
            for (name, module) in &exporter.imports {
                text.push_str(&format!("import type {{ {name} }} from \"{module}\";\n"));
            }
            text.push_str("\n/** The commands of the application API. */\nexport type CommandName =\n");
            for c in COMMANDS {
                text.push_str(&format!("  | \"{}\"\n", c.name));
            }
            text.push_str(";\n\n/** Each command's arguments (`POST /api/{command}`'s body). */\nexport interface CommandArgs {\n");
            text.push_str(&args);
            text.push_str("}\n\n/** Each command's answer. */\nexport interface CommandResults {\n");
            text.push_str(&results);
            text.push_str("}\n\n/** Whether a command changes the project, its files or the model's state. */\nexport const WRITES: Record<CommandName, boolean> = {\n");
            for c in COMMANDS {
                text.push_str(&format!("  {}: {},\n", c.name, c.writes));
            }
            text.push_str("};\n");
            let out = cfg.out_dir().join("commands.ts");
            std::fs::write(&out, text).map_err(ExportError::from)
        }
    };
}

registry! {
    project {
        /// The project at a glance: data sets, runs, sources, tags, who is annotating.
        overview() -> ProjectOverview, reads => |p, _a| p.overview();
        /// One page of the queue's samples.
        samples(query: SampleQuery) -> SamplePage, reads => |p, a| p.samples(&a.query);
        /// How many samples the queue holds and how many are reviewed.
        counts(query: SampleQuery) -> QueueCounts, reads => |p, a| p.counts(&a.query);
        /// The sample at a position (from 0) of the queue's list, for far jumps.
        position(request: PositionQuery) -> QueuePosition, reads
            => |p, a| p.position(&a.request);
        /// One sample, whole, with the verdict of a run (each task's newest by default).
        sample(id: i64, run: Option<i64>) -> SampleDetail, reads => |p, a| p.sample(a.id, a.run);
        /// The project id of a sample named by its project id or its data set's id for it.
        find_sample(name: String) -> i64, reads => |p, a| p.find_sample(&a.name);
        /// The FARE prompt behind a judgment (its run's template and order), or the shipped one.
        prompt(id: i64, judgment: Option<i64>) -> PromptView, reads
            => |p, a| p.prompt(a.id, a.judgment);
        /// Records the current person's decision on a sample.
        decide(request: DecisionRequest) -> LabelView, writes => |p, a| p.decide(&a.request);
        /// The first records of a file as they would be imported.
        import_preview(request: ImportPreviewRequest) -> ImportPreview, reads
            => |p, a| p.import_preview(&a.request);
        /// Imports a file, all or nothing.
        import(request: ImportRequest) -> ImportDone, writes => |p, a| p.import(&a.request);
        /// The saved review queues, newest first.
        queues() -> Vec<QueueView>, reads => |p, _a| p.queues();
        /// Saves a queue: the filters' samples or a list of samples, in a review order.
        create_queue(request: QueueRequest) -> QueueView, writes
            => |p, a| p.create_queue(&a.request);
        /// Deletes a saved queue (its samples and labels stay); answers the queues left.
        delete_queue(id: i64) -> Vec<QueueView>, writes => |p, a| p.delete_queue(a.id);
        /// Agreement between annotators per task and per task and data set.
        agreement() -> AgreementReport, reads => |p, _a| p.agreement();
        /// The samples annotators disagree on (the adjudication queue), one page.
        disagreements(request: DisagreementQuery) -> DisagreementPage, reads
            => |p, a| p.disagreements(&a.request);
        /// Records the current person's verdict as a sample's adjudicated one.
        adjudicate(request: AdjudicationRequest) -> AdjudicationView, writes
            => |p, a| p.adjudicate(&a.request);
        /// Every adjudication record of a sample, oldest first.
        adjudications(id: i64) -> Vec<AdjudicationView>, reads => |p, a| p.adjudications(a.id);
        /// The first rows of an export as they would be written.
        export_preview(request: ExportRequest) -> ExportPreviewView, reads
            => |p, a| p.export_preview(&a.request);
        /// Writes an export; an existing file only with `overwrite`.
        export(request: ExportRequest) -> ExportDone, writes => |p, a| p.export(&a.request);
        /// Combines project files of several annotators into a new file.
        merge(request: MergeRequest) -> MergeDone, writes
            => |p, a| crate::exporting::merge(&a.request, p.files(), Some(p.project().path()));
        /// The failure-mode analysis of a run (each task's newest when none is named).
        analysis(request: AnalysisRequest) -> Analysis, reads => |p, a| p.analysis(&a.request);
        /// The sample ids (in id order) behind one cell of the analysis.
        analysis_samples(request: AnalysisSamplesRequest) -> Vec<i64>, reads
            => |p, a| p.analysis_samples(&a.request);
        /// The checkpoint diff of two runs: what the later one fixed and broke.
        diff(request: DiffRequest) -> RunDiff, reads => |p, a| p.diff(&a.request);
        /// The sample ids (in id order) of one cell of the checkpoint diff.
        diff_samples(request: DiffSamplesRequest) -> Vec<i64>, reads
            => |p, a| p.diff_samples(&a.request);
    }
    model {
        /// The models on disk, with memory estimates, and the devices this build runs.
        models() -> ModelList, reads
            => |_d, cx, _a| Ok::<_, ModelError>(crate::models::list_models(cx.folders));
        /// Starts loading a model (or an endpoint); answers at once, `loading`.
        load_model(request: LoadRequest) -> WorkerView, writes
            => |d, cx, a| d.worker.load(&a.request, cx.folders);
        /// Stops the model worker (and cancels its jobs).
        unload_model() -> WorkerView, writes => |d, _cx, _a| Ok::<_, ModelError>(d.unload());
        /// Where the model worker stands.
        worker() -> WorkerView, reads => |d, _cx, _a| Ok::<_, ModelError>(d.worker.view());
        /// Starts judging samples with the loaded model; answers at once.
        start_job(request: JobRequest) -> JobView, writes
            => |d, cx, a| (cx.samples)(&a.request.target)
                .map_err(ModelError::from)
                .and_then(|chosen| d.jobs.start(&d.worker, chosen, &a.request));
        /// The jobs kept, newest first.
        jobs() -> Vec<JobView>, reads => |d, _cx, _a| Ok::<_, ModelError>(d.jobs.list());
        /// Where a job stands: progress, the output streaming, errors.
        job(id: u64) -> JobView, reads => |d, _cx, a| d.jobs.status(a.id);
        /// Asks a job to stop.
        cancel_job(id: u64) -> JobView, writes => |d, _cx, a| d.jobs.cancel(a.id);
        /// The FARE models of the hub, with what each needs, its license and what the Hugging
        /// Face cache holds of it.
        hub_models() -> HubView, reads
            => |_d, _cx, _a| Ok::<_, ModelError>(crate::downloads::hub_models(&crate::downloads::hub()));
        /// Starts downloading a model from the hub into the Hugging Face cache; answers at once.
        start_download(request: DownloadRequest) -> TransferView, writes
            => |d, _cx, a| d.transfers.start_download(crate::downloads::hub(), &a.request);
        /// Starts converting a Qwen3 safetensors model to Q8_0 GGUF for CPUs; answers at once.
        start_conversion(request: ConversionRequest) -> TransferView, writes
            => |d, cx, a| d.transfers.start_conversion(cx.folders, &a.request);
        /// The downloads and conversions kept, newest first.
        transfers() -> Vec<TransferView>, reads
            => |d, _cx, _a| Ok::<_, ModelError>(d.transfers.list());
        /// Where a download or conversion stands.
        transfer(id: u64) -> TransferView, reads => |d, _cx, a| d.transfers.status(a.id);
        /// Asks a download or conversion to stop (a download resumes from there next time).
        cancel_transfer(id: u64) -> TransferView, writes => |d, _cx, a| d.transfers.cancel(a.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn demo() -> (tempfile::TempDir, OpenProject) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("demo.sqlite");
        let project = crate::demo::build(&path).expect("demo builds");
        (dir, OpenProject::new(project, "tester"))
    }

    #[test]
    fn find_sample_reads_both_names_of_a_sample() {
        let (_dir, mut p) = demo();
        let row = p.samples(&SampleQuery::default()).expect("page").rows[3].clone();
        for name in [
            row.id.to_string(),
            format!("#{}", row.id),
            format!("{}/{}", row.dataset_id, row.external_id),
        ] {
            let found = dispatch(&mut p, "find_sample", json!({ "name": name })).expect("found");
            assert_eq!(found, json!(row.id), "{name}");
        }
        let e = dispatch(&mut p, "find_sample", json!({"name": "no-such-record"}))
            .expect_err("no such sample");
        assert!(e.to_string().contains("no sample `no-such-record`"), "{e}");
    }

    #[test]
    fn every_command_answers_as_its_method_does() {
        let (_dir, mut p) = demo();
        let overview = dispatch(&mut p, "overview", Value::Null).expect("overview");
        assert_eq!(
            overview["samples"],
            json!(p.overview().expect("ov").samples)
        );
        let page = dispatch(&mut p, "samples", json!({"query": {}})).expect("samples");
        let first = page["rows"][0]["id"].as_i64().expect("a first row");
        let counts = dispatch(&mut p, "counts", json!({"query": {}})).expect("counts");
        // Each listed source filters the queue to its count.
        let sources = overview["sources"].as_array().expect("sources");
        assert!(!sources.is_empty(), "the demo's samples have sources");
        for s in sources {
            let only = dispatch(
                &mut p,
                "counts",
                json!({"query": {"dataset_id": s["dataset_id"], "source": s["source"]}}),
            )
            .expect("counts of a source");
            assert_eq!(only["matching"], s["sample_count"], "{s}");
        }
        let at = dispatch(
            &mut p,
            "position",
            json!({"request": {"query": {}, "position": 0}}),
        )
        .expect("position");
        assert_eq!(at["cursor"], json!(first), "{at}");
        assert_eq!(counts["matching"], overview["samples"]);
        let sample = dispatch(&mut p, "sample", json!({"id": first})).expect("sample");
        assert_eq!(sample["id"], json!(first));
        let prompt = dispatch(&mut p, "prompt", json!({"id": first})).expect("prompt");
        assert!(prompt["system"].is_string(), "{prompt}");
        let label = dispatch(
            &mut p,
            "decide",
            json!({"request": {"sample_id": first, "decision": {"action": "correct", "verdict": "-1"}}}),
        )
        .expect("decide");
        assert_eq!(label["verdict"], json!("-1"));
        let after = dispatch(&mut p, "counts", json!({"query": {}})).expect("counts");
        assert_eq!(after["reviewed"], json!(1));
        // The demo's own pairwise file: a known format, already in the project.
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/demo/pairwise.jsonl"
        );
        let preview = dispatch(&mut p, "import_preview", json!({"request": {"path": file}}))
            .expect("preview");
        assert!(
            !preview["records"].as_array().expect("records").is_empty(),
            "{preview}"
        );
        let done = dispatch(&mut p, "import", json!({"request": {"path": file}})).expect("import");
        assert_eq!(done["already_imported"], json!(true), "{done}");
        // A queue of the step-level samples, most uncertain first, then listed in that order.
        let queue = dispatch(
            &mut p,
            "create_queue",
            json!({"request": {"samples": {"kind": "filter", "query": {"task": "step-level"}}, "order": "uncertainty"}}),
        )
        .expect("create_queue");
        assert_eq!(queue["order"], json!("uncertainty"), "{queue}");
        let listed = dispatch(&mut p, "queues", Value::Null).expect("queues");
        assert_eq!(listed[0], queue);
        let page = dispatch(&mut p, "samples", json!({"query": {"queue": queue["id"]}}))
            .expect("queue's samples");
        assert_eq!(
            page["rows"].as_array().map(Vec::len),
            queue["samples"]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .map(|n| n.min(100))
        );
        let left = dispatch(&mut p, "delete_queue", json!({"id": queue["id"]})).expect("delete");
        assert_eq!(left, json!([]));
    }

    #[test]
    fn agreement_adjudication_export_and_merge_answer_by_name() {
        let (dir, mut p) = demo();
        let id = p.samples(&SampleQuery::default()).expect("page").rows[0].id;
        let detail = p.sample(id, None).expect("sample");
        let (first, second) = (detail.admissible[0].clone(), detail.admissible[1].clone());
        for (who, verdict) in [("ana", &first), ("ben", &second)] {
            let mut other = OpenProject::open(p.project().path(), who).expect("open");
            dispatch(
                &mut other,
                "decide",
                json!({"request": {"sample_id": id, "decision": {"action": "correct", "verdict": verdict}}}),
            )
            .expect("decide");
        }
        let report = dispatch(&mut p, "agreement", Value::Null).expect("agreement");
        assert!(
            report["disagreements"].as_u64().expect("a count") >= 1,
            "{report}"
        );
        let page = dispatch(
            &mut p,
            "disagreements",
            json!({"request": {"open_only": true}}),
        )
        .expect("disagreements");
        let item = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|d| d["sample_id"] == json!(id))
            .expect("the split sample is listed")
            .clone();
        assert_eq!(item["verdicts"].as_array().map(Vec::len), Some(2), "{item}");
        let written = dispatch(
            &mut p,
            "adjudicate",
            json!({"request": {"sample_id": id, "verdict": first, "note": "checked"}}),
        )
        .expect("adjudicate");
        assert_eq!(written["adjudicator"], json!("tester"));
        let history = dispatch(&mut p, "adjudications", json!({"id": id})).expect("history");
        assert_eq!(history[0]["verdict"], json!(first));
        let page = dispatch(
            &mut p,
            "disagreements",
            json!({"request": {"open_only": true}}),
        )
        .expect("disagreements");
        assert!(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|d| d["sample_id"] != json!(id)),
            "adjudicated: no longer open"
        );
        let e = dispatch(
            &mut p,
            "adjudicate",
            json!({"request": {"sample_id": id, "verdict": "nonsense"}}),
        )
        .expect_err("not a verdict");
        assert!(e.to_string().contains("nonsense"), "{e}");

        let request = json!({"format": "labels-jsonl", "final_label": {"kind": "adjudicated"}});
        let preview = dispatch(
            &mut p,
            "export_preview",
            json!({"request": request.clone()}),
        )
        .expect("preview");
        assert!(
            !preview["rows"].as_array().expect("rows").is_empty(),
            "{preview}"
        );
        let out = dir.path().join("labels.jsonl");
        let mut request = request;
        request["path"] = json!(out.display().to_string());
        let done = dispatch(&mut p, "export", json!({"request": request.clone()})).expect("export");
        assert!(done["rows"].as_u64().expect("rows") > 0, "{done}");
        assert!(
            done["final_sources"]
                .as_array()
                .expect("sources")
                .iter()
                .any(|c| c["what"] == json!("adjudicated")),
            "{done}"
        );
        let e = dispatch(&mut p, "export", json!({"request": request.clone()}))
            .expect_err("never overwrites silently");
        assert!(e.to_string().contains("exists"), "{e}");
        request["overwrite"] = json!(true);
        dispatch(&mut p, "export", json!({"request": request})).expect("replacing was confirmed");
        let e = dispatch(
            &mut p,
            "export",
            json!({"request": {"format": "sft-jsonl", "path": "relative.jsonl"}}),
        )
        .expect_err("a relative path");
        assert!(e.to_string().contains("full path"), "{e}");
        let own_file = p.project().path().display().to_string();
        let e = dispatch(
            &mut p,
            "export",
            json!({"request": {"format": "sft-jsonl", "path": own_file, "overwrite": true}}),
        )
        .expect_err("never over the project itself");
        assert!(e.to_string().contains("this project's own file"), "{e}");
        assert!(p.overview().is_ok(), "the project is still there");

        let merged = dir.path().join("merged.sqlite");
        let own = p.project().path().display().to_string();
        let done = dispatch(
            &mut p,
            "merge",
            json!({"request": {"output": merged.display().to_string(), "inputs": [own.clone(), own]}}),
        )
        .expect("merge");
        assert_eq!(
            done["inputs"][1]["events"],
            json!(0),
            "a file merged with itself adds nothing"
        );
        assert!(merged.exists());
    }

    #[test]
    fn the_analysis_commands_answer_as_their_methods_do() {
        let (_dir, mut p) = demo();
        let analysis = dispatch(&mut p, "analysis", json!({"request": {}})).expect("analysis");
        let direct = p
            .analysis(&crate::analysis::AnalysisRequest::default())
            .expect("analysis");
        assert_eq!(analysis, json(&direct).expect("json"));
        // A bucket of the step-level group, opened as its samples.
        let group = direct
            .groups
            .iter()
            .find(|g| g.task == fare_core::Task::StepLevel && g.source.is_none())
            .expect("a step-level group");
        let bucket = &group.gold.step.as_ref().expect("step cells").buckets[0];
        let ids = dispatch(
            &mut p,
            "analysis_samples",
            json!({"request": {"key": bucket.key, "scope": {"task": "step-level", "dataset_id": group.dataset_id}}}),
        )
        .expect("analysis_samples");
        assert_eq!(ids.as_array().map(Vec::len), Some(bucket.count), "{ids}");
        let runs: Vec<i64> = direct.runs.values().copied().collect();
        let diff = dispatch(
            &mut p,
            "diff",
            json!({"request": {"before": runs[0], "after": runs[1], "reference": "gold"}}),
        )
        .expect("diff");
        assert_eq!(diff["reference"], json!("gold"), "{diff}");
        let cell = &diff["rows"][0]["cells"][4];
        let ids = dispatch(
            &mut p,
            "diff_samples",
            json!({"request": {"before": runs[0], "after": runs[1], "reference": "gold",
                               "task": diff["rows"][0]["task"], "key": cell["key"]}}),
        )
        .expect("diff_samples");
        assert_eq!(json!(ids.as_array().map(Vec::len)), cell["count"], "{ids}");
        let e = dispatch(
            &mut p,
            "analysis_samples",
            json!({"request": {"key": "offset:one"}}),
        )
        .expect_err("a bad key");
        assert!(e.to_string().contains("not an analysis key"), "{e}");
    }

    #[test]
    fn the_model_desk_answers_without_a_model_and_names_what_is_missing() {
        let (dir, p) = demo();
        let desk = ModelDesk::new(None);
        let folders = vec![dir.path().join("models")];
        let unused = |_: &JobTarget| -> Result<JobSamples, ApiError> { unreachable!() };
        let cx = ModelContext {
            folders: &folders,
            samples: &unused,
        };
        let list = desk.dispatch(&cx, "models", Value::Null).expect("models");
        assert!(
            list["models"].as_array().is_some_and(Vec::is_empty),
            "{list}"
        );
        let worker = desk.dispatch(&cx, "worker", json!({})).expect("worker");
        assert_eq!(worker["state"], json!("unloaded"), "{worker}");
        let id = p.samples(&SampleQuery::default()).expect("page").rows[0].id;
        let named = |target: &JobTarget| p.job_samples(target);
        let with_project = ModelContext {
            folders: &folders,
            samples: &named,
        };
        let e = desk
            .dispatch(
                &with_project,
                "start_job",
                json!({"request": {"target": {"kind": "samples", "ids": [id]}}}),
            )
            .expect_err("no model is loaded");
        assert!(!e.to_string().is_empty());
        let e = desk
            .dispatch(&cx, "job", json!({"id": 99}))
            .expect_err("no such job");
        assert!(!e.to_string().is_empty());
        assert!(ModelDesk::knows("cancel_job") && !ModelDesk::knows("decide"));
    }

    #[test]
    fn unknown_commands_and_bad_arguments_are_named() {
        let (_dir, mut p) = demo();
        let e = dispatch(&mut p, "drop_tables", Value::Null).expect_err("unknown");
        assert!(e.to_string().contains("no command `drop_tables`"), "{e}");
        let e = dispatch(&mut p, "sample", json!({"id": "seven"})).expect_err("bad id");
        assert!(e.to_string().starts_with("command `sample`:"), "{e}");
        let e = dispatch(&mut p, "overview", json!({"extra": 1})).expect_err("extra field");
        assert!(e.to_string().contains("command `overview`"), "{e}");
        let e = dispatch(&mut p, "load_model", Value::Null).expect_err("a model command");
        assert!(e.to_string().contains("a model command"), "{e}");
    }

    #[test]
    fn every_registered_command_is_dispatched_and_named_once() {
        let (dir, mut p) = demo();
        let desk = ModelDesk::new(None);
        let folders = vec![dir.path().join("models")];
        let unused = |_: &JobTarget| -> Result<JobSamples, ApiError> { unreachable!() };
        let cx = ModelContext {
            folders: &folders,
            samples: &unused,
        };
        let mut names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len(), "a name is declared twice");
        for c in COMMANDS {
            assert!(!c.summary.is_empty(), "{} has no doc line", c.name);
            // Arguments of the wrong shape: the command is found, its arguments refused.
            let e = match c.side {
                Side::Project => dispatch(&mut p, c.name, json!({"nonsense": 1}))
                    .expect_err("bad arguments")
                    .to_string(),
                Side::Model => desk
                    .dispatch(&cx, c.name, json!({"nonsense": 1}))
                    .expect_err("bad arguments")
                    .to_string(),
            };
            assert!(
                e.starts_with(&format!("command `{}`:", c.name)),
                "{}: {e}",
                c.name
            );
        }
        assert_eq!(command("decide").map(|c| c.writes), Some(true));
        assert_eq!(command("samples").map(|c| c.writes), Some(false));
        assert!(command("report").is_none());
    }
}
