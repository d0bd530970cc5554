//! One entry point for every command of the application API, by name, JSON in and JSON out.
//!
//! The desktop shell forwards the UI's `invoke("api", {command, args})` here, so a command is
//! added once (in [`api`](crate::api) and in this table) and the shell never changes. The
//! command names and argument objects are the UI client's (`ui/src/lib/api/client.ts`,
//! `CommandArgs`); the HTTP server carries the same calls under REST routes of its own.
//!
//! Project commands ([`dispatch`]) run on the open project; the model panel's commands
//! ([`ModelDesk::dispatch`]) run on the model worker and its jobs, which never wait for the
//! project (a job writes through a connection of its own).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use std::path::PathBuf;

use crate::agreement::{AdjudicationRequest, DisagreementQuery};
use crate::api::{ApiError, DecisionRequest, OpenProject, SampleQuery};
use crate::exporting::{ExportRequest, MergeRequest};
use crate::importing::{ImportPreviewRequest, ImportRequest};
use crate::jobs::{JobRequest, JobSamples, JobTarget, Jobs};
use crate::queue::PositionQuery;
use crate::saved_queues::QueueRequest;
use crate::worker::{LoadRequest, ModelError, Worker, WorkerCommand};

/// The commands [`dispatch`] knows, as the UI names them.
pub const COMMANDS: [&str; 24] = [
    "overview",
    "samples",
    "counts",
    "position",
    "sample",
    "prompt",
    "decide",
    "report",
    "importPreview",
    "import",
    "queues",
    "createQueue",
    "deleteQueue",
    "agreement",
    "disagreements",
    "adjudicate",
    "adjudications",
    "exportPreview",
    "export",
    "merge",
    "analysis",
    "analysisSamples",
    "diff",
    "diffSamples",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    query: SampleQuery,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleArgs {
    id: i64,
    run: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptArgs {
    id: i64,
    judgment: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideArgs {
    request: DecisionRequest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request<T> {
    request: T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdArgs {
    id: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportArgs {
    run: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleIdArgs {
    id: i64,
}

/// Reads a command's arguments; `null` (no arguments given) reads as `{}`.
fn args<T: DeserializeOwned>(command: &str, args: Value) -> Result<T, ApiError> {
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

/// Runs `command` with its JSON `args` on `project` and answers with JSON.
pub fn dispatch(
    project: &mut OpenProject,
    command: &str,
    arguments: Value,
) -> Result<Value, ApiError> {
    match command {
        "overview" => {
            args::<NoArgs>(command, arguments)?;
            json(&project.overview()?)
        }
        "samples" => json(&project.samples(&args::<Query>(command, arguments)?.query)?),
        "counts" => json(&project.counts(&args::<Query>(command, arguments)?.query)?),
        "position" => {
            let a: Request<PositionQuery> = args(command, arguments)?;
            json(&project.position(&a.request)?)
        }
        "sample" => {
            let a: SampleArgs = args(command, arguments)?;
            json(&project.sample(a.id, a.run)?)
        }
        "prompt" => {
            let a: PromptArgs = args(command, arguments)?;
            json(&project.prompt(a.id, a.judgment)?)
        }
        "decide" => json(&project.decide(&args::<DecideArgs>(command, arguments)?.request)?),
        "report" => json(&project.report(args::<ReportArgs>(command, arguments)?.run)?),
        "importPreview" => {
            let a: Request<ImportPreviewRequest> = args(command, arguments)?;
            json(&project.import_preview(&a.request)?)
        }
        "import" => {
            let a: Request<ImportRequest> = args(command, arguments)?;
            json(&project.import(&a.request)?)
        }
        "queues" => {
            args::<NoArgs>(command, arguments)?;
            json(&project.queues()?)
        }
        "createQueue" => {
            let a: Request<QueueRequest> = args(command, arguments)?;
            json(&project.create_queue(&a.request)?)
        }
        "deleteQueue" => json(&project.delete_queue(args::<IdArgs>(command, arguments)?.id)?),
        "agreement" => {
            args::<NoArgs>(command, arguments)?;
            json(&project.agreement()?)
        }
        "disagreements" => {
            let a: Request<DisagreementQuery> = args(command, arguments)?;
            json(&project.disagreements(&a.request)?)
        }
        "adjudicate" => {
            let a: Request<AdjudicationRequest> = args(command, arguments)?;
            json(&project.adjudicate(&a.request)?)
        }
        "adjudications" => {
            json(&project.adjudications(args::<SampleIdArgs>(command, arguments)?.id)?)
        }
        "exportPreview" => {
            let a: Request<ExportRequest> = args(command, arguments)?;
            json(&project.export_preview(&a.request)?)
        }
        "export" => {
            let a: Request<ExportRequest> = args(command, arguments)?;
            json(&project.export(&a.request)?)
        }
        "merge" => {
            let a: Request<MergeRequest> = args(command, arguments)?;
            json(&crate::exporting::merge(
                &a.request,
                project.files(),
                Some(project.project().path()),
            )?)
        }
        "analysis" => {
            let a: Request<crate::analysis::AnalysisRequest> = args(command, arguments)?;
            json(&project.analysis(&a.request)?)
        }
        "analysisSamples" => {
            let a: Request<crate::analysis::AnalysisSamplesRequest> = args(command, arguments)?;
            json(&project.analysis_samples(&a.request)?)
        }
        "diff" => {
            let a: Request<crate::diff::DiffRequest> = args(command, arguments)?;
            json(&project.diff(&a.request)?)
        }
        "diffSamples" => {
            let a: Request<crate::diff::DiffSamplesRequest> = args(command, arguments)?;
            json(&project.diff_samples(&a.request)?)
        }
        other => Err(ApiError::Invalid(format!(
            "no command `{other}` (the commands are: {})",
            COMMANDS.join(", ")
        ))),
    }
}

/// The model panel's commands, as the UI names them.
pub const MODEL_COMMANDS: [&str; 8] = [
    "models",
    "load_model",
    "unload_model",
    "worker",
    "start_job",
    "jobs",
    "job",
    "cancel_job",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobId {
    id: u64,
}

/// The model panel's side of an app: the model worker (or endpoint) and its judging jobs.
#[derive(Debug)]
pub struct ModelDesk {
    /// The loaded model.
    pub worker: Worker,
    /// Its jobs.
    pub jobs: Jobs,
}

impl ModelDesk {
    /// A desk whose local models run as `command` (none: only endpoints).
    pub fn new(command: Option<WorkerCommand>) -> ModelDesk {
        ModelDesk {
            worker: Worker::new(command),
            jobs: Jobs::new(),
        }
    }

    /// A desk judging with `worker`.
    pub fn with_worker(worker: Worker) -> ModelDesk {
        ModelDesk {
            worker,
            jobs: Jobs::new(),
        }
    }

    /// Whether `command` is one of the model panel's.
    pub fn knows(command: &str) -> bool {
        MODEL_COMMANDS.contains(&command)
    }

    /// Runs a model command. `folders`: where models are listed from; `samples` names a job's
    /// samples on the open project (the only moment a model command needs the project).
    pub fn dispatch(
        &self,
        folders: &[PathBuf],
        command: &str,
        arguments: Value,
        samples: impl FnOnce(&JobTarget) -> Result<JobSamples, ApiError>,
    ) -> Result<Value, ModelError> {
        let model_json = |value: Result<Value, ApiError>| value.map_err(ModelError::from);
        match command {
            "models" => {
                args::<NoArgs>(command, arguments)?;
                model_json(json(&crate::models::list_models(folders)))
            }
            "load_model" => {
                let a: Request<LoadRequest> = args(command, arguments)?;
                model_json(json(&self.worker.load(&a.request, folders)?))
            }
            "unload_model" => {
                args::<NoArgs>(command, arguments)?;
                self.jobs.cancel_all();
                model_json(json(&self.worker.unload()))
            }
            "worker" => {
                args::<NoArgs>(command, arguments)?;
                model_json(json(&self.worker.view()))
            }
            "start_job" => {
                let a: Request<JobRequest> = args(command, arguments)?;
                let chosen = samples(&a.request.target)?;
                model_json(json(&self.jobs.start(&self.worker, chosen, &a.request)?))
            }
            "jobs" => {
                args::<NoArgs>(command, arguments)?;
                model_json(json(&self.jobs.list()))
            }
            "job" => model_json(json(
                &self.jobs.status(args::<JobId>(command, arguments)?.id)?,
            )),
            "cancel_job" => model_json(json(
                &self.jobs.cancel(args::<JobId>(command, arguments)?.id)?,
            )),
            other => Err(ModelError::Invalid(format!("no model command `{other}`"))),
        }
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
        dispatch(&mut p, "report", json!({})).expect("report");
        // The demo's own pairwise file: a known format, already in the project.
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/demo/pairwise.jsonl"
        );
        let preview =
            dispatch(&mut p, "importPreview", json!({"request": {"path": file}})).expect("preview");
        assert!(
            !preview["records"].as_array().expect("records").is_empty(),
            "{preview}"
        );
        let done = dispatch(&mut p, "import", json!({"request": {"path": file}})).expect("import");
        assert_eq!(done["already_imported"], json!(true), "{done}");
        // A queue of the step-level samples, most uncertain first, then listed in that order.
        let queue = dispatch(
            &mut p,
            "createQueue",
            json!({"request": {"samples": {"kind": "filter", "query": {"task": "step-level"}}, "order": "uncertainty"}}),
        )
        .expect("createQueue");
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
        let left = dispatch(&mut p, "deleteQueue", json!({"id": queue["id"]})).expect("delete");
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
        let preview = dispatch(&mut p, "exportPreview", json!({"request": request.clone()}))
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
        // The report is the same analysis.
        assert_eq!(
            dispatch(&mut p, "report", json!({})).expect("report"),
            analysis
        );
        // A bucket of the step-level group, opened as its samples.
        let group = direct
            .groups
            .iter()
            .find(|g| g.task == fare_core::Task::StepLevel && g.source.is_none())
            .expect("a step-level group");
        let bucket = &group.gold.step.as_ref().expect("step cells").buckets[0];
        let ids = dispatch(
            &mut p,
            "analysisSamples",
            json!({"request": {"key": bucket.key, "scope": {"task": "step-level", "dataset_id": group.dataset_id}}}),
        )
        .expect("analysisSamples");
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
            "diffSamples",
            json!({"request": {"before": runs[0], "after": runs[1], "reference": "gold",
                               "task": diff["rows"][0]["task"], "key": cell["key"]}}),
        )
        .expect("diffSamples");
        assert_eq!(json!(ids.as_array().map(Vec::len)), cell["count"], "{ids}");
        let e = dispatch(
            &mut p,
            "analysisSamples",
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
        let list = desk
            .dispatch(&folders, "models", Value::Null, |_| unreachable!())
            .expect("models");
        assert!(
            list["models"].as_array().is_some_and(Vec::is_empty),
            "{list}"
        );
        let worker = desk
            .dispatch(&folders, "worker", json!({}), |_| unreachable!())
            .expect("worker");
        assert_eq!(worker["state"], json!("unloaded"), "{worker}");
        let id = p.samples(&SampleQuery::default()).expect("page").rows[0].id;
        let e = desk
            .dispatch(
                &folders,
                "start_job",
                json!({"request": {"target": {"kind": "samples", "ids": [id]}}}),
                |target| p.job_samples(target),
            )
            .expect_err("no model is loaded");
        assert!(!e.to_string().is_empty());
        let e = desk
            .dispatch(&folders, "job", json!({"id": 99}), |_| unreachable!())
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
    }
}
