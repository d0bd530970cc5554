//! `fare-lens annotate`: one annotation on one sample (what the app's keys do).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use fare_app::annotating::{AnnotateError, Annotation};
use fare_core::Verdict;

use crate::output::{open, print_json, resolve_sample};

#[derive(Args)]
pub(crate) struct AnnotateArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// The sample: its project id (a number, as `samples` lists it), or its data set's id for it
    /// as DATASET/ID (e.g. 2/gsm8k-12; the ID alone when no other data set has it).
    pub(crate) sample: String,
    /// Accept the evaluator's verdict (of the newest run, or --run).
    #[arg(long, group = "action")]
    pub(crate) accept: bool,
    /// Correct the verdict: A/B, a step number or -1, correct/incorrect, a rating.
    #[arg(long, group = "action", allow_hyphen_values = true)]
    pub(crate) verdict: Option<String>,
    /// Set a failure-mode tag.
    #[arg(long, group = "action")]
    pub(crate) tag: Option<String>,
    /// Remove a failure-mode tag.
    #[arg(long, group = "action")]
    pub(crate) untag: Option<String>,
    /// Mark "right verdict, wrong reason".
    #[arg(long, group = "action")]
    pub(crate) wrong_reason: bool,
    /// Replace the note.
    #[arg(long, group = "action")]
    pub(crate) note: Option<String>,
    /// Undo the latest edit.
    #[arg(long, group = "action")]
    pub(crate) undo: bool,
    /// Redo the latest undone edit.
    #[arg(long, group = "action")]
    pub(crate) redo: bool,
    /// Who annotates (default: $FARE_LENS_ANNOTATOR, else the login name).
    #[arg(long)]
    pub(crate) annotator: Option<String>,
    /// The run whose verdict --accept accepts.
    #[arg(long)]
    pub(crate) run: Option<i64>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn annotate(args: &AnnotateArgs) -> Result<ExitCode> {
    let mut project = open(&args.project)?;
    let sample_id = resolve_sample(&project, &args.sample)?;
    let annotator = args
        .annotator
        .clone()
        .unwrap_or_else(fare_app::naming::default_annotator);
    let label =
        fare_app::annotating::annotate(&mut project, sample_id, &annotator, &annotation(args)?)
            .map_err(|e| match e {
                AnnotateError::NothingToAccept { .. } | AnnotateError::NoValidVerdict { .. } => {
                    anyhow!("{e}; give --verdict instead")
                }
                other => other.into(),
            })?;
    if args.json {
        print_json(&label)?;
    } else {
        let l = &label.label;
        println!(
            "sample {sample_id} by {}: {} {}{}{}",
            label.annotator,
            l.decision.as_str(),
            l.verdict.map(Verdict::canonical).unwrap_or_default(),
            if l.tags.is_empty() {
                String::new()
            } else {
                format!(
                    " tags {}",
                    l.tags.iter().cloned().collect::<Vec<_>>().join(",")
                )
            },
            if l.wrong_reason {
                " (right verdict, wrong reason)"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The one annotation the flags ask for.
fn annotation(args: &AnnotateArgs) -> Result<Annotation> {
    Ok(if args.accept {
        Annotation::Accept { run: args.run }
    } else if let Some(text) = &args.verdict {
        Annotation::Correct(text.clone())
    } else if let Some(tag) = &args.tag {
        Annotation::Tag(tag.clone())
    } else if let Some(tag) = &args.untag {
        Annotation::Untag(tag.clone())
    } else if args.wrong_reason {
        Annotation::WrongReason
    } else if let Some(note) = &args.note {
        Annotation::Note(note.clone())
    } else if args.undo {
        Annotation::Undo
    } else if args.redo {
        Annotation::Redo
    } else {
        bail!(
            "say what to record: --accept, --verdict V, --tag T, --untag T, --wrong-reason, --note N, --undo or --redo"
        );
    })
}
