//! `fare-lens annotate`: one annotation on one sample (what the app's keys do).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use fare_app::annotating::OnScreen;
use fare_core::{AnnotationAction, Verdict};

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
    let stored = project.sample(sample_id)?;
    let rules = fare_core::VerdictRules::for_person(
        stored.sample.task(),
        stored.sample.content.steps().len(),
    );
    let annotator = args
        .annotator
        .clone()
        .unwrap_or_else(fare_app::naming::default_annotator);
    let mut judgment_id = None;
    let action = if args.accept {
        match fare_app::annotating::verdict_on_screen(&project, sample_id, args.run)? {
            OnScreen::Verdict {
                verdict,
                judgment_id: shown,
            } => {
                judgment_id = Some(shown);
                AnnotationAction::Accept { verdict }
            }
            OnScreen::NoJudgment => bail!(
                "sample {sample_id} has no evaluator verdict to accept; give --verdict instead"
            ),
            OnScreen::NoVerdict { state } => bail!(
                "the evaluator's output for sample {sample_id} has no valid verdict ({state}); give --verdict instead"
            ),
        }
    } else if let Some(text) = &args.verdict {
        AnnotationAction::Correct {
            verdict: Verdict::from_canonical(text, &rules)
                .map_err(|e| anyhow!("sample {sample_id}: {e}"))?,
        }
    } else if let Some(tag) = &args.tag {
        AnnotationAction::Tag {
            tag: tag.clone(),
            on: true,
        }
    } else if let Some(tag) = &args.untag {
        AnnotationAction::Tag {
            tag: tag.clone(),
            on: false,
        }
    } else if args.wrong_reason {
        AnnotationAction::WrongReason { on: true }
    } else if let Some(note) = &args.note {
        AnnotationAction::Note { text: note.clone() }
    } else if args.undo {
        AnnotationAction::Undo
    } else if args.redo {
        AnnotationAction::Redo
    } else {
        bail!(
            "say what to record: --accept, --verdict V, --tag T, --untag T, --wrong-reason, --note N, --undo or --redo"
        );
    };
    let label = project.annotate(sample_id, &annotator, &action, judgment_id)?;
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
