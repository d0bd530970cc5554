//! Annotating a sample without the review view (the command line, scripts): the verdict on
//! screen, which accepting takes, chosen by the view's own rule (the named run's, else the newest
//! run of the sample's task; its first original-order judgment).

use fare_core::Verdict;
use fare_store::{Project, StoreError};

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
