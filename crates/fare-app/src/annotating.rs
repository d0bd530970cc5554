//! Annotating a sample without the review view (the command line, scripts): one
//! [`Annotation`] recorded by [`annotate`], and the verdict on screen, which accepting takes,
//! chosen by the view's own rule (the named run's, else the newest run of the sample's task; its
//! first original-order judgment).

use fare_core::{AnnotationAction, Verdict, VerdictRules};
use fare_store::{Project, StoreError, StoredLabel};

/// One thing a person records on a sample, as they say it outside the review view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Annotation {
    /// Accept the evaluator's verdict on screen: of this run, else the newest of the task.
    Accept {
        /// The run whose verdict is accepted.
        run: Option<i64>,
    },
    /// Correct the verdict, written as the sample's task writes it (`A`, `3`, `-1`, `correct`,
    /// a rating).
    Correct(String),
    /// Set a failure-mode tag.
    Tag(String),
    /// Remove a failure-mode tag.
    Untag(String),
    /// Mark "right verdict, wrong reason".
    WrongReason,
    /// Replace the note.
    Note(String),
    /// Undo the latest edit.
    Undo,
    /// Redo the latest undone edit.
    Redo,
}

/// Why an annotation was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    /// The project file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Accepting, where the run shown has no judgment of the sample.
    #[error("sample {sample_id} has no evaluator verdict to accept")]
    NothingToAccept {
        /// The sample.
        sample_id: i64,
    },
    /// Accepting, where the judgment shown has no valid verdict.
    #[error("the evaluator's output for sample {sample_id} has no valid verdict ({state})")]
    NoValidVerdict {
        /// The sample.
        sample_id: i64,
        /// The judgment's state (`unparseable`, `truncated`).
        state: &'static str,
    },
    /// A correction its task does not admit.
    #[error("sample {sample_id}: {message}")]
    NotAVerdict {
        /// The sample.
        sample_id: i64,
        /// What is wrong with it.
        message: String,
    },
}

/// Records `annotation` on sample `sample_id` by `annotator`, as the review view's keys do: an
/// accept takes the verdict on screen and remembers its judgment; a correction is read by the
/// sample's own rules.
pub fn annotate(
    project: &mut Project,
    sample_id: i64,
    annotator: &str,
    annotation: &Annotation,
) -> Result<StoredLabel, AnnotateError> {
    let mut judgment_id = None;
    let action = match annotation {
        Annotation::Accept { run } => match verdict_on_screen(project, sample_id, *run)? {
            OnScreen::Verdict {
                verdict,
                judgment_id: shown,
            } => {
                judgment_id = Some(shown);
                AnnotationAction::Accept { verdict }
            }
            OnScreen::NoJudgment => return Err(AnnotateError::NothingToAccept { sample_id }),
            OnScreen::NoVerdict { state } => {
                return Err(AnnotateError::NoValidVerdict { sample_id, state });
            }
        },
        Annotation::Correct(text) => {
            let stored = project.sample(sample_id)?;
            let rules =
                VerdictRules::for_person(stored.sample.task(), stored.sample.content.steps().len());
            AnnotationAction::Correct {
                verdict: Verdict::from_canonical(text, &rules).map_err(|e| {
                    AnnotateError::NotAVerdict {
                        sample_id,
                        message: e.to_string(),
                    }
                })?,
            }
        }
        Annotation::Tag(tag) => AnnotationAction::Tag {
            tag: tag.clone(),
            on: true,
        },
        Annotation::Untag(tag) => AnnotationAction::Tag {
            tag: tag.clone(),
            on: false,
        },
        Annotation::WrongReason => AnnotationAction::WrongReason { on: true },
        Annotation::Note(text) => AnnotationAction::Note { text: text.clone() },
        Annotation::Undo => AnnotationAction::Undo,
        Annotation::Redo => AnnotationAction::Redo,
    };
    Ok(project.annotate(sample_id, annotator, &action, judgment_id)?)
}

/// What accepting the evaluator's verdict on a sample would accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnScreen {
    /// This verdict, of this judgment.
    Verdict {
        /// The evaluator's verdict.
        verdict: Verdict,
        /// The judgment it is read from.
        judgment_id: i64,
    },
    /// The run shown has no judgment of the sample.
    NoJudgment,
    /// The judgment shown has no valid verdict (`unparseable` or `truncated`).
    NoVerdict {
        /// Its state.
        state: &'static str,
    },
}

/// The evaluator's verdict on screen for a sample: of `run`, else of the newest run of the
/// sample's task.
pub fn verdict_on_screen(
    project: &Project,
    sample_id: i64,
    run: Option<i64>,
) -> Result<OnScreen, StoreError> {
    let task = project.sample(sample_id)?.sample.task();
    let run = project.shown_runs(run)?.of(task);
    let Some(judgment) = project
        .judgments_of(sample_id)?
        .into_iter()
        .find(|j| !j.swapped && j.attempt == 0 && Some(j.run_id) == run)
    else {
        return Ok(OnScreen::NoJudgment);
    };
    Ok(match judgment.judgment.verdict() {
        Some(verdict) => OnScreen::Verdict {
            verdict,
            judgment_id: judgment.id,
        },
        None => OnScreen::NoVerdict {
            state: judgment.judgment.outcome.state(),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a failing fixture should stop the test where it failed"
    )]

    use fare_core::Decision;
    use fare_io::import::{ImportOptions, import_file};
    use fare_testkit::data::{PROCESSBENCH_GSM8K, Scratch};

    use super::*;

    /// The demo project, and a ProcessBench split no run has judged.
    fn project(scratch: &Scratch) -> Project {
        let mut project = crate::demo::build(&scratch.path().join("demo.sqlite")).unwrap();
        let data = scratch.write("gsm8k.json", PROCESSBENCH_GSM8K);
        import_file(&mut project, &data, &ImportOptions::default(), &mut |_| {}).unwrap();
        project
    }

    fn named(project: &Project, record: &str) -> i64 {
        project.sample_by_record(record).unwrap()
    }

    #[test]
    fn accepting_takes_the_verdict_on_screen_and_a_correction_is_read_by_the_samples_rules() {
        let scratch = Scratch::new();
        let mut project = project(&scratch);
        let id = named(&project, "demo-step-1");
        let tag = project.tags().unwrap().remove(0).id;
        let shown = verdict_on_screen(&project, id, None).unwrap();
        let judgment = project.judgments_of(id).unwrap().remove(0);
        assert_eq!(
            shown,
            OnScreen::Verdict {
                verdict: Verdict::FirstError(Some(1)),
                judgment_id: judgment.id,
            }
        );
        let label = annotate(&mut project, id, "ana", &Annotation::Accept { run: None }).unwrap();
        assert_eq!(label.annotator, "ana");
        assert_eq!(label.label.decision, Decision::Accepted);
        assert_eq!(label.label.verdict, Some(Verdict::FirstError(Some(1))));

        let label = annotate(&mut project, id, "ana", &Annotation::Correct("0".into())).unwrap();
        assert_eq!(label.label.decision, Decision::Corrected);
        assert_eq!(label.label.verdict, Some(Verdict::FirstError(Some(0))));
        // demo-step-1 has steps 0 to 2 only; a step past them is refused, naming the sample.
        let err = annotate(&mut project, id, "ana", &Annotation::Correct("7".into())).unwrap_err();
        assert!(matches!(err, AnnotateError::NotAVerdict { .. }), "{err}");
        assert!(
            err.to_string().starts_with(&format!("sample {id}: ")),
            "{err}"
        );
        let label = annotate(&mut project, id, "ana", &Annotation::Undo).unwrap();
        assert_eq!(
            label.label.decision,
            Decision::Accepted,
            "the refusal recorded nothing"
        );
        let label = annotate(&mut project, id, "ana", &Annotation::Tag(tag.clone())).unwrap();
        assert!(label.label.tags.contains(&tag));
        let label = annotate(&mut project, id, "ana", &Annotation::Untag(tag.clone())).unwrap();
        assert!(label.label.tags.is_empty());
        let label = annotate(&mut project, id, "ana", &Annotation::WrongReason).unwrap();
        assert!(label.label.wrong_reason);
        let label = annotate(
            &mut project,
            id,
            "ana",
            &Annotation::Note("see step 1".into()),
        )
        .unwrap();
        assert_eq!(label.label.note.as_deref(), Some("see step 1"));
        let label = annotate(&mut project, id, "ana", &Annotation::Undo).unwrap();
        assert_eq!(label.label.note, None);
        let label = annotate(&mut project, id, "ana", &Annotation::Redo).unwrap();
        assert_eq!(label.label.note.as_deref(), Some("see step 1"));
    }

    #[test]
    fn a_sample_without_a_judgment_or_a_valid_verdict_has_nothing_to_accept() {
        let scratch = Scratch::new();
        let mut project = project(&scratch);
        let unjudged = named(&project, "gsm8k-1");
        assert_eq!(
            verdict_on_screen(&project, unjudged, None).unwrap(),
            OnScreen::NoJudgment
        );
        let err = annotate(
            &mut project,
            unjudged,
            "ana",
            &Annotation::Accept { run: None },
        )
        .unwrap_err();
        assert!(
            matches!(err, AnnotateError::NothingToAccept { sample_id } if sample_id == unjudged),
            "{err}"
        );
        // A demo output cut off before its verdict.
        let id = named(&project, "demo-step-24");
        assert_eq!(
            verdict_on_screen(&project, id, None).unwrap(),
            OnScreen::NoVerdict { state: "truncated" }
        );
        let err = annotate(&mut project, id, "ana", &Annotation::Accept { run: None }).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("the evaluator's output for sample {id} has no valid verdict (truncated)")
        );
        assert!(
            project.labels_of(id).unwrap().is_empty(),
            "nothing recorded"
        );
    }

    #[test]
    fn the_verdict_on_screen_is_of_the_run_named_else_the_newest_of_the_task() {
        let scratch = Scratch::new();
        let mut project = project(&scratch);
        let id = named(&project, "demo-step-1");
        let first = project.judgments_of(id).unwrap().remove(0);
        // A second run of the task, which judges the sample otherwise.
        let outputs = scratch.write(
            "again.jsonl",
            "{\"sample\": \"demo-step-1\", \"output\": \"Step 0 is wrong.\\nVerdict: 0\"}\n",
        );
        let report = fare_io::judgments::import_judgments(
            &mut project,
            &outputs,
            &fare_io::judgments::JudgmentImportOptions::new("second"),
            &mut |_| {},
        )
        .unwrap();
        let newest = project
            .judgments_of(id)
            .unwrap()
            .into_iter()
            .find(|j| j.run_id == report.run_id)
            .unwrap();
        assert_eq!(
            verdict_on_screen(&project, id, None).unwrap(),
            OnScreen::Verdict {
                verdict: Verdict::FirstError(Some(0)),
                judgment_id: newest.id
            }
        );
        assert_eq!(
            verdict_on_screen(&project, id, Some(first.run_id)).unwrap(),
            OnScreen::Verdict {
                verdict: Verdict::FirstError(Some(1)),
                judgment_id: first.id
            }
        );
        let label = annotate(
            &mut project,
            id,
            "ana",
            &Annotation::Accept {
                run: Some(first.run_id),
            },
        )
        .unwrap();
        assert_eq!(label.label.verdict, Some(Verdict::FirstError(Some(1))));
    }
}
