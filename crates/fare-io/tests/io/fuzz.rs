//! Fuzzing the record readers: real-shaped files (ProcessBench JSON, JSONL, a CSV with a field
//! mapping, a labels CSV and a labels Parquet export) and random bytes, mutated at random
//! (bytes flipped, inserted, deleted, the file cut short), imported into a fresh project. An
//! import may fail, with a message naming the file; it may not panic, and a failed import leaves
//! no data set behind (nothing half-imported).
//!
//! proptest drives it; `FARE_LENS_FUZZ_CASES` sets the cases per target (64 by default, what
//! CI runs; a longer run: `FARE_LENS_FUZZ_CASES=20000 cargo test -p fare-io --test fuzz
//! --release`).

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::path::{Path, PathBuf};

use fare_core::AnnotationAction;
use fare_io::export::{ExportFormat, ExportOptions, export};
use fare_io::import::{ImportOptions, import_file};
use fare_store::Project;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FARE_LENS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

const PROCESSBENCH: &str = r#"[{"id": "g-0", "generator": "m", "problem": "What is $2+2$?", "steps": ["2 + 2 = 5.", "So **5**."], "final_answer_correct": false, "label": 0},
 {"id": "g-1", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1}]"#;

const JUDGEBENCH: &str = concat!(
    r#"{"pair_id": "p-0", "original_id": "0", "source": "mmlu", "question": "Q?", "response_model": "m", "response_A": "yes", "response_B": "no", "label": "A>B"}"#,
    "\n",
    r#"{"pair_id": "p-1", "original_id": "1", "source": "livebench", "question": "Q2?", "response_model": "m", "response_A": "x", "response_B": "y", "label": "B>A"}"#,
    "\n"
);

const PRM800K: &str = concat!(
    r#"{"labeler": "l", "timestamp": "t", "is_quality_control_question": false, "is_initial_screening_question": false, "question": {"problem": "2x=4?", "ground_truth_answer": "2"}, "label": {"steps": [{"completions": [{"text": "x = 2", "rating": 1}], "chosen_completion": 0}], "finish_reason": "solution"}}"#,
    "\n"
);

/// The seed files, made once: each a real shape of data users import.
fn seeds() -> &'static [(&'static str, Vec<u8>)] {
    static SEEDS: std::sync::OnceLock<Vec<(&'static str, Vec<u8>)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        make_seeds(dir.path())
    })
}

fn make_seeds(dir: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let mut seeds = vec![
        ("pb.json", PROCESSBENCH.as_bytes().to_vec()),
        ("jb.jsonl", JUDGEBENCH.as_bytes().to_vec()),
        ("prm.jsonl", PRM800K.as_bytes().to_vec()),
        (
            "mine.csv",
            b"question,answer,ok\n\"What, is 2+2?\",4,1\nWhy?,\"because\n\"\"so\"\"\",0\n".to_vec(),
        ),
    ];
    // Labels exports of a small labelled project, as CSV and Parquet.
    let project_path = dir.join("seed.sqlite");
    let mut project = Project::open_or_create(&project_path).unwrap();
    let data = dir.join("seed-pb.json");
    std::fs::write(&data, PROCESSBENCH).unwrap();
    import_file(&mut project, &data, &ImportOptions::default(), &mut |_| {}).unwrap();
    project
        .annotate(
            1,
            "ana",
            &AnnotationAction::Note {
                text: "=1+1 'quoted'".into(),
            },
            None,
        )
        .unwrap();
    for (name, format) in [
        ("labels.csv", ExportFormat::LabelsCsv),
        ("labels.parquet", ExportFormat::LabelsParquet),
    ] {
        let out = dir.join(name);
        export(&project, format, &ExportOptions::default(), &out).unwrap();
        seeds.push((name, std::fs::read(&out).unwrap()));
    }
    seeds
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Cut(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (
            any::<usize>(),
            prop::collection::vec(
                prop_oneof![
                    any::<u8>(),
                    prop::sample::select(b"{}[]\",:\n\r\\0-9eE.".to_vec())
                ],
                1..16
            )
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Mutation::Delete(at, n)),
        any::<usize>().prop_map(Mutation::Cut),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Flip(at, b) => {
                if !bytes.is_empty() {
                    let i = at % bytes.len();
                    bytes[i] ^= b | 1;
                }
            }
            Mutation::Insert(at, more) => {
                let i = at % (bytes.len() + 1);
                bytes.splice(i..i, more.iter().copied());
            }
            Mutation::Delete(at, n) => {
                let i = at % len;
                let end = (i + n).min(bytes.len());
                if i < end {
                    bytes.drain(i..end);
                }
            }
            Mutation::Cut(at) => bytes.truncate(at % len),
        }
    }
    bytes
}

/// Imports `bytes` as file `name` into a fresh project: Ok or an error naming the file, and
/// after an error no data set.
fn import_survives(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let file: PathBuf = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    let project_path = dir.join(format!("{name}.sqlite"));
    let _ = std::fs::remove_file(&project_path);
    let mut project = Project::open_or_create(&project_path).unwrap();
    let options = ImportOptions {
        max_record_bytes: 1 << 16,
        ..ImportOptions::default()
    };
    let outcome = import_file(&mut project, &file, &options, &mut |_| {});
    if let Err(e) = outcome {
        let message = e.to_string();
        prop_assert!(
            message.contains(name),
            "the error does not name the file: {message}"
        );
        prop_assert!(
            project.datasets().unwrap().is_empty(),
            "a failed import left a data set: {message}"
        );
    }
    // With skip_invalid too, the good records go in and the bad are reported, without a panic.
    let _ = std::fs::remove_file(&project_path);
    let mut project = Project::open_or_create(&project_path).unwrap();
    let skipping = ImportOptions {
        skip_invalid: true,
        ..options
    };
    let _ = import_file(&mut project, &file, &skipping, &mut |_| {});
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_files_import_or_fail_cleanly(seed in 0usize..6, mutations in prop::collection::vec(mutation(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let seeds = seeds();
        let (name, bytes) = &seeds[seed % seeds.len()];
        import_survives(dir.path(), name, &mutate(bytes.clone(), &mutations))?;
    }

    #[test]
    fn random_bytes_import_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..512), ext in prop::sample::select(vec!["json", "jsonl", "csv", "parquet", "txt"])) {
        let dir = tempfile::tempdir().unwrap();
        import_survives(dir.path(), &format!("random.{ext}"), &bytes)?;
    }

    #[test]
    fn random_bytes_after_a_parquet_magic_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().unwrap();
        let mut file = b"PAR1".to_vec();
        file.extend(bytes);
        file.extend(b"PAR1");
        import_survives(dir.path(), "random.parquet", &file)?;
    }
}

/// The first crash the fuzzer found: a labels Parquet export mutated so that a column chunk's
/// offset reads negative, on which the parquet crate asserts (it panicked the import).
#[test]
fn a_parquet_footer_with_a_negative_offset_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = seeds();
    let (name, bytes) = &seeds[5];
    assert_eq!(*name, "labels.parquet");
    let mutated = mutate(
        bytes.clone(),
        &[
            Mutation::Insert(9_068_319_761_537_336_850, vec![0; 5]),
            Mutation::Insert(13_217_639_846_618_723_870, vec![0; 14]),
            Mutation::Delete(845_574_395_321_252_800, 22),
            Mutation::Flip(12_454_537_725_517_474_594, 128),
        ],
    );
    let file = dir.path().join("labels.parquet");
    std::fs::write(&file, &mutated).unwrap();
    let mut project = Project::open_or_create(&dir.path().join("p.sqlite")).unwrap();
    let outcome = import_file(&mut project, &file, &ImportOptions::default(), &mut |_| {});
    if let Err(e) = outcome {
        assert!(e.to_string().contains("labels.parquet"), "{e}");
        assert!(project.datasets().unwrap().is_empty());
    }
}
