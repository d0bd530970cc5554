//! The UI's TypeScript types are generated from the application API's Rust types and committed
//! in `ui/src/lib/api/generated/`. This test regenerates them and fails when the committed files
//! differ; `FARE_UPDATE_BINDINGS=1 cargo test -p fare-app --test ts_bindings` rewrites them.

#![allow(
    clippy::unwrap_used,
    reason = "a failing file operation should stop the test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fare_app::agreement::{
    AdjudicationRequest, AdjudicationView, AgreementReport, DisagreementPage, DisagreementQuery,
};
use fare_app::analysis::{Analysis, AnalysisRequest, AnalysisSamplesRequest};
use fare_app::api::{
    DecisionRequest, ErrorView, ProjectOverview, PromptView, QueueCounts, SampleDetail, SamplePage,
    SampleQuery,
};
use fare_app::diff::{DiffRequest, DiffSamplesRequest, RunDiff};
use fare_app::exporting::{ExportDone, ExportPreviewView, ExportRequest, MergeDone, MergeRequest};
use fare_app::importing::{ImportDone, ImportPreview, ImportPreviewRequest, ImportRequest};
use fare_app::jobs::{JobRequest, JobView};
use fare_app::models::ModelList;
use fare_app::queue::{PositionQuery, QueuePosition};
use fare_app::saved_queues::{QueueRequest, QueueView};
use fare_app::session::SessionView;
use fare_app::worker::{LoadRequest, WorkerView};
use ts_rs::{Config, TS};

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ts"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_committed_typescript_types_match_the_rust_types() {
    let fresh = tempfile::tempdir().unwrap();
    // Ids and counts fit in a JavaScript number: JSON carries them as numbers.
    let cfg = Config::new()
        .with_out_dir(fresh.path())
        .with_large_int("number");
    SampleQuery::export_all(&cfg).unwrap();
    SamplePage::export_all(&cfg).unwrap();
    QueueCounts::export_all(&cfg).unwrap();
    SampleDetail::export_all(&cfg).unwrap();
    DecisionRequest::export_all(&cfg).unwrap();
    ProjectOverview::export_all(&cfg).unwrap();
    ErrorView::export_all(&cfg).unwrap();
    PromptView::export_all(&cfg).unwrap();
    SessionView::export_all(&cfg).unwrap();
    ImportPreviewRequest::export_all(&cfg).unwrap();
    ImportPreview::export_all(&cfg).unwrap();
    ImportRequest::export_all(&cfg).unwrap();
    ImportDone::export_all(&cfg).unwrap();
    QueueRequest::export_all(&cfg).unwrap();
    QueueView::export_all(&cfg).unwrap();
    PositionQuery::export_all(&cfg).unwrap();
    QueuePosition::export_all(&cfg).unwrap();
    ModelList::export_all(&cfg).unwrap();
    LoadRequest::export_all(&cfg).unwrap();
    WorkerView::export_all(&cfg).unwrap();
    JobRequest::export_all(&cfg).unwrap();
    JobView::export_all(&cfg).unwrap();
    AgreementReport::export_all(&cfg).unwrap();
    DisagreementQuery::export_all(&cfg).unwrap();
    DisagreementPage::export_all(&cfg).unwrap();
    AdjudicationRequest::export_all(&cfg).unwrap();
    AdjudicationView::export_all(&cfg).unwrap();
    ExportRequest::export_all(&cfg).unwrap();
    ExportPreviewView::export_all(&cfg).unwrap();
    ExportDone::export_all(&cfg).unwrap();
    MergeRequest::export_all(&cfg).unwrap();
    MergeDone::export_all(&cfg).unwrap();
    Analysis::export_all(&cfg).unwrap();
    AnalysisRequest::export_all(&cfg).unwrap();
    AnalysisSamplesRequest::export_all(&cfg).unwrap();
    RunDiff::export_all(&cfg).unwrap();
    DiffRequest::export_all(&cfg).unwrap();
    DiffSamplesRequest::export_all(&cfg).unwrap();
    let generated = read_dir(fresh.path());
    let committed_dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/api/generated");
    if std::env::var_os("FARE_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &generated {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
    }
    let committed = read_dir(&committed_dir);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        generated.keys().collect::<Vec<_>>(),
        "the generated TypeScript files differ from ui/src/lib/api/generated: run FARE_UPDATE_BINDINGS=1 cargo test -p fare-app --test ts_bindings"
    );
    for (name, text) in &generated {
        assert_eq!(
            &committed[name], text,
            "{name} is out of date: run FARE_UPDATE_BINDINGS=1 cargo test -p fare-app --test ts_bindings"
        );
    }
}
