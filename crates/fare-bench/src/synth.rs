//! `fare-bench synth`: a synthetic project of any size, written through the store.
//!
//! Three phases, each timed:
//!
//! 1. **Samples**: step-level samples with ground truth ([`crate::text`]), all in one
//!    [`fare_store::ImportWriter`] transaction: exactly what an import of a data set does.
//! 2. **Judgments**: one evaluator run judging every sample (~20% disagree with the ground truth,
//!    ~3% unparseable). The first `api_judgments` go through [`Project::add_judgment`], one
//!    transaction each, to measure that path; the rest are written with raw SQL in **one**
//!    transaction on [`Project::connection`], with the same columns and the same critique
//!    full-text rows as `add_judgment`. This bypasses the per-judgment transactions (and the
//!    per-judgment checks) only for speed: a million separate commits would take far longer than
//!    the benchmark is about.
//! 3. **Human labels**: about 5% of samples get an accept or a correction (sometimes a failure
//!    tag and a note) through [`Project::annotate`], the product's own path.
//!
//! Everything is derived from the seed and the sample's index, so two runs with the same options
//! write the same project (apart from times).

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fare_core::{
    AnnotationAction, Content, Finish, Judgment, Outcome, Sample, Task, Template, Verdict,
    VerdictRules, read_output,
};
use fare_store::{NewDataset, NewJudgment, NewRun, Project};
use rusqlite::params;

use crate::mem;
use crate::text::{self, JudgeKind, Rng, stream};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Number of samples.
    pub samples: u64,
    /// Steps of each sample.
    pub steps_per_sample: usize,
    /// The seed of all text and labels.
    pub seed: u64,
    /// Fraction of samples with [`text::RARE_WORD`] planted (the full-text search target).
    pub rare_fraction: f64,
    /// Fraction of samples a person labels.
    pub labelled_fraction: f64,
    /// How many judgments go through [`Project::add_judgment`] (one transaction each).
    pub api_judgments: u64,
    /// When set, the page cache of the project's connection in MiB (`PRAGMA cache_size`),
    /// to see what a larger cache than SQLite's default (2 MiB) changes.
    pub cache_mib: Option<u32>,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            samples: 1_000_000,
            steps_per_sample: 10,
            seed: 42,
            rare_fraction: 0.001,
            labelled_fraction: 0.05,
            api_judgments: 1_000,
            cache_mib: None,
        }
    }
}

/// The figures of one synthetic project.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthReport {
    /// Samples written.
    pub samples: u64,
    /// Steps written.
    pub steps: u64,
    /// Samples holding the rare word.
    pub rare_samples: u64,
    /// Time of the samples' transaction (generation included).
    pub import_time: Duration,
    /// Of which spent generating text.
    pub generation_time: Duration,
    /// Judgments written through `add_judgment`, and the time they took.
    pub api_judgments: (u64, Duration),
    /// Judgments written in one raw transaction, and the time they took.
    pub bulk_judgments: (u64, Duration),
    /// Annotation events written through `annotate`, and the time they took.
    pub annotations: (u64, Duration),
    /// Samples labelled.
    pub labelled_samples: u64,
}

/// Progress, about every tenth of a phase, on standard error.
fn progress(phase: &str, done: u64, total: u64, started: Instant) {
    let step = (total / 10).max(1);
    if done > 0 && done.is_multiple_of(step) {
        eprintln!(
            "  {phase}: {done}/{total} ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
}

/// Writes a synthetic project at `path` (which must not exist yet) and prints its figures.
pub fn synth(path: &Path, options: &SynthOptions, out: &mut dyn Write) -> Result<SynthReport> {
    if path.exists() {
        bail!(
            "{} already exists: synth writes a new project (remove the file or pick another path)",
            path.display()
        );
    }
    let mut project = Project::open_or_create(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    if let Some(mib) = options.cache_mib {
        // A negative cache_size is in KiB.
        project
            .raw_connection()
            .pragma_update(None, "cache_size", -i64::from(mib) * 1024)?;
        writeln!(out, "page cache: {mib} MiB")?;
    }
    let n = options.samples;
    let steps = options.steps_per_sample;

    // 1. Samples, one transaction.
    let started = Instant::now();
    let mut generation_time = Duration::ZERO;
    let mut rare_samples = 0;
    let mut sample_ids = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    let dataset = NewDataset {
        name: "synthetic".into(),
        source_file: format!(
            "synthetic (seed {}, {n} samples, {steps} steps each)",
            options.seed
        ),
        format: "synthetic".into(),
        content_hash: format!("synthetic-{}-{n}-{steps}", options.seed),
        mapping: None,
    };
    let mut writer = project.begin_import(&dataset)?;
    for i in 0..n {
        let t = Instant::now();
        let body = text::sample_text(options.seed, i, steps, options.rare_fraction);
        rare_samples += u64::from(body.has_rare_word);
        let mut metadata = serde_json::Map::new();
        metadata.insert("generator".into(), body.generator.into());
        let sample = Sample {
            external_id: format!("synth-{i}"),
            source: Some(body.split.to_owned()),
            question: body.question,
            content: Content::StepLevel { steps: body.steps },
            gold: Some(Verdict::FirstError(text::gold(options.seed, i, steps))),
            metadata,
        };
        generation_time += t.elapsed();
        sample_ids.push(writer.add(i, &sample, &[])?);
        progress("samples", i + 1, n, started);
    }
    writer.finish(n, 0)?;
    let import_time = started.elapsed();

    // 2. Judgments of one run.
    let template = Template::builtin_for(Task::StepLevel)
        .context("the shipped step-level template is missing")?;
    let run_id = project.begin_run(&NewRun {
        model_name: "synthetic-judge".into(),
        model_kind: "external".into(),
        model_location: None,
        template,
        mode: fare_core::PromptMode::Critique,
        params: serde_json::json!({ "seed": options.seed }),
        status: fare_store::RunStatus::Imported,
        label: Some("synthetic evaluator (fare-bench)".into()),
    })?;
    let rules = VerdictRules::new(Task::StepLevel, steps);
    let judge = |i: u64| {
        let gold = text::gold(options.seed, i, steps);
        let (raw, kind) = text::judge_output(options.seed, i, steps, gold);
        let mut rng = Rng::for_sample(options.seed, i, stream::JUDGE ^ 0xFF);
        let tokens = (
            u32::try_from(rng.range(400, 2_000)).unwrap_or(0),
            u32::try_from(rng.range(60, 600)).unwrap_or(0),
            rng.range(200, 9_000),
        );
        (read_output(&raw, &rules, Finish::Stopped), kind, tokens)
    };
    let mut judgment_ids = Vec::with_capacity(sample_ids.len());
    let api_n = options.api_judgments.min(n);
    let started = Instant::now();
    for (i, &sample_id) in (0..api_n).zip(&sample_ids) {
        let (judgment, _, (prompt_tokens, output_tokens, latency)) = judge(i);
        judgment_ids.push(project.add_judgment(
            run_id,
            &NewJudgment {
                sample_id,
                swapped: false,
                attempt: 0,
                judgment: &judgment,
                prompt_tokens: Some(prompt_tokens),
                output_tokens: Some(output_tokens),
                latency_ms: Some(latency),
                verdict_probs: None,
            },
        )?);
    }
    let api_time = started.elapsed();
    let started = Instant::now();
    bulk_judgments(
        &project,
        run_id,
        &sample_ids[judgment_ids.len()..],
        api_n,
        &judge,
        &mut judgment_ids,
    )?;
    let bulk_time = started.elapsed();
    project.end_run(run_id, fare_store::RunStatus::Imported)?;

    // 3. Human labels through the product's path.
    let started = Instant::now();
    let (mut events, mut labelled) = (0u64, 0u64);
    for (i, (&sample_id, &judgment_id)) in (0..n).zip(sample_ids.iter().zip(&judgment_ids)) {
        progress("labels (samples scanned)", i + 1, n, started);
        let mut rng = Rng::for_sample(options.seed, i, stream::LABEL);
        if !rng.chance(options.labelled_fraction) {
            continue;
        }
        labelled += 1;
        let gold = text::gold(options.seed, i, steps);
        let (_, kind) = text::judge_output(options.seed, i, steps, gold);
        let annotator = rng.pick(&["alice", "bob", "chen"]);
        let verdict = Verdict::FirstError(gold);
        let mut actions = vec![if kind == JudgeKind::Agrees {
            AnnotationAction::Accept { verdict }
        } else {
            AnnotationAction::Correct { verdict }
        }];
        if kind != JudgeKind::Agrees && rng.chance(0.5) {
            let tag = match (kind, gold) {
                (JudgeKind::Unparseable, _) => "unparseable",
                (_, Some(_)) => "missed-error",
                (_, None) => "false-alarm",
            };
            actions.push(AnnotationAction::Tag {
                tag: tag.into(),
                on: true,
            });
        }
        if rng.chance(0.1) {
            actions.push(AnnotationAction::Note {
                text: format!("checked step by step ({annotator})"),
            });
        }
        for action in &actions {
            project.annotate(sample_id, annotator, action, Some(judgment_id))?;
            events += 1;
        }
    }
    let label_time = started.elapsed();

    let report = SynthReport {
        samples: n,
        steps: n * steps as u64,
        rare_samples,
        import_time,
        generation_time,
        api_judgments: (api_n, api_time),
        bulk_judgments: (n - api_n, bulk_time),
        annotations: (events, label_time),
        labelled_samples: labelled,
    };
    print_report(&report, &project, out)?;
    Ok(report)
}

/// Writes the judgments of `sample_ids` (sample `first_index` onwards) in one transaction,
/// column for column as [`Project::add_judgment`] would, critique full-text rows included.
fn bulk_judgments(
    project: &Project,
    run_id: i64,
    sample_ids: &[i64],
    first_index: u64,
    judge: &dyn Fn(u64) -> (Judgment, JudgeKind, (u32, u32, u64)),
    judgment_ids: &mut Vec<i64>,
) -> Result<()> {
    let conn = project.raw_connection();
    let tx = conn.unchecked_transaction()?;
    let now: String = tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |r| {
        r.get(0)
    })?;
    let mut insert = tx.prepare(
        "INSERT INTO judgments (run_id, sample_id, response_order, attempt, raw_output, critique, analysis, parse_state, parse_error, verdict, agrees_with_gold, prompt_tokens, output_tokens, latency_ms, verdict_probs, created_at)
         VALUES (?1, ?2, 'original', 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NULL, ?13)",
    )?;
    let mut gold_of = tx.prepare("SELECT step_count, gold_verdict FROM samples WHERE id = ?1")?;
    let total = sample_ids.len() as u64;
    let started = Instant::now();
    for (k, (&sample_id, i)) in sample_ids.iter().zip(first_index..).enumerate() {
        let (judgment, _, (prompt_tokens, output_tokens, latency)) = judge(i);
        // Agreement as add_judgment computes it: against the stored ground truth.
        let (step_count, gold): (usize, Option<String>) =
            gold_of.query_row([sample_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let rules = VerdictRules::new(Task::StepLevel, step_count);
        let gold = gold
            .map(|g| Verdict::from_canonical(&g, &rules))
            .transpose()
            .map_err(|e| anyhow::anyhow!("sample {sample_id}: stored ground truth: {e}"))?;
        let verdict = judgment.verdict();
        let agrees = gold.map(|g| verdict == Some(g));
        let (parse_error, state) = match &judgment.outcome {
            Outcome::Unparseable { reason } => (Some(reason.as_str()), "unparseable"),
            other => (None, other.state()),
        };
        insert.execute(params![
            run_id,
            sample_id,
            judgment.raw_output,
            judgment.critique,
            judgment.analysis,
            state,
            parse_error,
            verdict.map(Verdict::canonical),
            agrees,
            prompt_tokens,
            output_tokens,
            i64::try_from(latency).unwrap_or(i64::MAX),
            now,
        ])?;
        let id = tx.last_insert_rowid();
        judgment_ids.push(id);
        progress("judgments", k as u64 + 1, total, started);
    }
    drop((insert, gold_of));
    // Critiques join each sample's search row, as add_judgment does one by one.
    fare_store::search::rebuild_search_index(&tx)?;
    tx.commit()?;
    Ok(())
}

fn rate(count: u64, time: Duration) -> f64 {
    count as f64 / time.as_secs_f64().max(1e-9)
}

fn print_report(report: &SynthReport, project: &Project, out: &mut dyn Write) -> Result<()> {
    let secs = |d: Duration| d.as_secs_f64();
    writeln!(
        out,
        "samples: {} samples, {} steps in {:.2} s (one transaction): {:.0} samples/s, {:.0} steps/s; text generation {:.2} s of it",
        report.samples,
        report.steps,
        secs(report.import_time),
        rate(report.samples, report.import_time),
        rate(report.steps, report.import_time),
        secs(report.generation_time),
    )?;
    let store_time = report.import_time.saturating_sub(report.generation_time);
    writeln!(
        out,
        "samples, store only: {:.0} samples/s, {:.0} steps/s",
        rate(report.samples, store_time),
        rate(report.steps, store_time),
    )?;
    writeln!(
        out,
        "rare word `{}`: planted in {} samples ({:.3}%)",
        text::RARE_WORD,
        report.rare_samples,
        100.0 * report.rare_samples as f64 / report.samples.max(1) as f64
    )?;
    let (api, api_time) = report.api_judgments;
    writeln!(
        out,
        "judgments via add_judgment (one transaction each): {api} in {:.2} s: {:.0}/s",
        secs(api_time),
        rate(api, api_time)
    )?;
    let (bulk, bulk_time) = report.bulk_judgments;
    writeln!(
        out,
        "judgments via one raw transaction: {bulk} in {:.2} s: {:.0}/s",
        secs(bulk_time),
        rate(bulk, bulk_time)
    )?;
    let (events, label_time) = report.annotations;
    writeln!(
        out,
        "annotations via annotate (one transaction each): {events} events on {} samples in {:.2} s: {:.0} events/s",
        report.labelled_samples,
        secs(label_time),
        rate(events, label_time)
    )?;
    let before = mem::disk_size(project.path());
    let started = Instant::now();
    project
        .raw_connection()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let checkpoint = started.elapsed();
    let after = mem::disk_size(project.path());
    writeln!(
        out,
        "file: {:.1} MB, write-ahead log before checkpoint {:.1} MB (checkpoint(TRUNCATE) {:.2} s, log after {:.1} MB)",
        mem::mb(after.db),
        mem::mb(before.wal),
        secs(checkpoint),
        mem::mb(after.wal)
    )?;
    if let Some(peak) = mem::peak_rss_bytes() {
        writeln!(
            out,
            "peak memory (VmHWM): {:.1} MB, ratio {:.2} of the 500 MB goal",
            mem::mb(peak),
            mem::mb(peak) / 500.0
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_project_has_every_part() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let options = SynthOptions {
            samples: 2_000,
            steps_per_sample: 4,
            api_judgments: 100,
            rare_fraction: 0.01,
            ..SynthOptions::default()
        };
        let mut out = Vec::new();
        let report = synth(&path, &options, &mut out).unwrap();
        assert_eq!(report.steps, 8_000);
        let project = Project::open(&path).unwrap();
        let conn = project.raw_connection();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM samples"), 2_000);
        assert_eq!(count("SELECT count(*) FROM steps"), 8_000);
        assert_eq!(count("SELECT count(*) FROM judgments"), 2_000);
        let disagree = count("SELECT count(*) FROM judgments WHERE agrees_with_gold = 0");
        assert!((300..=500).contains(&disagree), "{disagree}");
        assert!(count("SELECT count(*) FROM judgments WHERE parse_state = 'unparseable'") > 20);
        let labelled = count("SELECT count(*) FROM labels");
        assert!((60..=150).contains(&labelled), "{labelled}");
        assert!(count("SELECT count(*) FROM label_tags") > 0);
        let rare = count(&format!(
            "SELECT count(*) FROM sample_text WHERE sample_text MATCH '{}'",
            text::RARE_WORD
        ));
        assert_eq!(rare, i64::try_from(report.rare_samples).unwrap());
        // The bulk path and add_judgment agree on what they store.
        let api_disagree = count(
            "SELECT count(*) FROM judgments WHERE id <= 100 AND agrees_with_gold = 0 AND parse_state = 'parsed'",
        );
        assert!(api_disagree > 0);
        assert!(count("SELECT count(*) FROM sample_text WHERE critiques MATCH 'step'") > 1_900);
        assert!(
            synth(&path, &options, &mut Vec::new()).is_err(),
            "overwrites"
        );
    }
}
