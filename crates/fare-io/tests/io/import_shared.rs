//! Imports every real data set kept beside the project (`../shared/data`) into a fresh project
//! and checks exact record and sample counts, ground truth, and that re-importing is a no-op.
//! When the folder is absent the test says so and checks nothing else.

use std::path::{Path, PathBuf};

use fare_core::Verdict;
use fare_io::formats::Format;
use fare_io::import::{ImportOptions, import_file};
use fare_store::{Project, SampleFilter};

fn shared_data() -> Option<PathBuf> {
    fare_testkit::shared_data("")
}

fn import(project: &mut Project, path: &Path) -> fare_io::import::ImportReport {
    import_file(project, path, &ImportOptions::default(), &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shared_data_set_imports_with_exact_counts() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open_or_create(&dir.path().join("p.sqlite")).unwrap();
    let cases: &[(&str, Format, i64, i64)] = &[
        ("processbench/gsm8k.json", Format::ProcessBench, 400, 400),
        ("processbench/math.json", Format::ProcessBench, 1000, 1000),
        (
            "processbench/olympiadbench.json",
            Format::ProcessBench,
            1000,
            1000,
        ),
        (
            "processbench/omnimath.json",
            Format::ProcessBench,
            1000,
            1000,
        ),
        (
            "judgebench/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl",
            Format::JudgeBench,
            350,
            350,
        ),
        (
            "judgebench/dataset=judgebench,response_model=claude-3-5-sonnet-20240620.jsonl",
            Format::JudgeBench,
            270,
            270,
        ),
        ("gsm8k/test.jsonl", Format::Gsm8k, 1319, 1319),
        (
            "gsm8k/example_model_solutions.first300.jsonl",
            Format::Gsm8kSolutions,
            300,
            1200,
        ),
        ("prm800k/math_splits/test.jsonl", Format::Math, 500, 500),
        (
            "prm800k/openr_samples/samples_prm800k.jsonl",
            Format::Prm800k,
            6,
            6,
        ),
        (
            "prm800k/tongyx361_examples/prm800k-phase1-test-example.json",
            Format::Prm800k,
            1,
            1,
        ),
        (
            "prm800k/tongyx361_examples/prm800k-phase1-train-example.json",
            Format::Prm800k,
            3,
            3,
        ),
        (
            "prm800k/tongyx361_examples/prm800k-phase2-test-example.json",
            Format::Prm800k,
            1,
            1,
        ),
        (
            "prm800k/tongyx361_examples/prm800k-phase2-train-example.jsonl",
            Format::Prm800k,
            9,
            9,
        ),
    ];
    for (file, format, records, samples) in cases {
        let report = import(&mut project, &data.join(file));
        assert_eq!(report.format, *format, "{file}");
        assert_eq!(
            (report.dataset.record_count, report.dataset.sample_count),
            (*records, *samples),
            "{file}"
        );
        assert!(report.skipped.is_empty(), "{file}");
    }
    let again = import(&mut project, &data.join("processbench/math.json"));
    assert!(again.already_imported, "re-import is a no-op");
    let total: i64 = cases.iter().map(|c| c.3).sum();
    assert_eq!(
        project.count_samples(&SampleFilter::default()).unwrap(),
        total
    );

    // Spot checks of ground truth against the files.
    let processbench_errors: i64 = project
        .raw_connection()
        .query_row("SELECT count(*) FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE d.name = 'gsm8k' AND d.format = 'processbench' AND s.gold_verdict != '-1'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        processbench_errors, 207,
        "ProcessBench gsm8k has 207 erroneous and 193 correct solutions"
    );
    let first = project.sample(1).unwrap();
    assert_eq!(first.sample.external_id, "gsm8k-0");
    assert_eq!(first.sample.gold, Some(Verdict::FirstError(Some(1))));
    let incorrect: i64 = project
        .raw_connection()
        .query_row("SELECT count(*) FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE d.format = 'gsm8k-solutions' AND s.gold_verdict = 'incorrect'", [], |r| r.get(0))
        .unwrap();
    assert!(incorrect > 0 && incorrect < 1200);
}
