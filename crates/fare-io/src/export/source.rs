//! What the exporters read from a project, shared by all formats.
//!
//! A [`Scope`] is the checked [`ExportOptions`]: the evaluator runs (the named one for every
//! task, else each task's newest run, as the sample list shows them), the annotator and the
//! data set, and what counts as the final human verdict. It walks the samples in id order with
//! one SQL cursor ([`Scope::for_each_sample`]), and for each sample gives the run's judgment,
//! the labels in scope, the final verdict ([`Scope::final_of`]) and the prompt template. Reads
//! happen while the cursor is open, so the whole export sees one snapshot of the project.

use std::cell::Cell;
use std::collections::BTreeMap;

use fare_core::{FinalLabel, FinalSource, PromptMode, Resolved, Side, Task, Template, Verdict};
use fare_store::{Project, StoreError, StoredLabel};

use super::{ExportError, ExportOptions};

/// The evaluator run an export takes its verdicts from.
pub(super) struct Run {
    /// Its id.
    pub(super) id: i64,
    /// The model's name.
    pub(super) model: String,
    /// The template's name and version (`fare-pairwise v1`), when the run has one.
    pub(super) template_name: Option<String>,
    /// The template's content hash.
    pub(super) template_hash: Option<String>,
    /// The template, read back from the project (an error text when it no longer reads).
    template: Option<Result<Template, String>>,
    /// Critique or direct, as the run was made.
    pub(super) mode: PromptMode,
}

/// A data set's names, as rows show them.
pub(super) struct DatasetNames {
    /// The data set's name.
    pub(super) name: String,
    /// The file it was imported from.
    pub(super) source_file: String,
}

/// The run's first original-order judgment of a sample (`attempt = 0`).
pub(super) struct EvaluatorJudgment {
    /// The run it belongs to.
    pub(super) run_id: i64,
    /// `parsed`, `unparseable` or `truncated`.
    pub(super) state: String,
    /// The verdict in canonical form (in the data's labels for pairwise), when parsed.
    pub(super) verdict: Option<String>,
    /// The explanation the evaluator gave.
    pub(super) critique: String,
    /// The output as generated.
    pub(super) raw_output: String,
    /// Whether the verdict equals the ground truth (None without ground truth).
    pub(super) agrees_with_gold: Option<bool>,
}

/// The checked export options.
pub(super) struct Scope {
    /// The run shown for each task.
    shown: fare_store::ShownRuns,
    /// Those runs, by id.
    runs: BTreeMap<i64, Run>,
    /// Only this annotator's labels.
    annotator: Option<String>,
    /// Only this data set's samples.
    dataset_id: Option<i64>,
    /// Every data set's names, by id.
    datasets: BTreeMap<i64, DatasetNames>,
    /// The templates shipped with FARE Lens, for samples the run's template does not fit.
    builtin: Vec<Template>,
    /// What counts as the final human verdict.
    pub(super) final_label: FinalLabel,
    /// Told the number of samples done so far, now and then.
    pub(super) progress: Option<Box<dyn Fn(u64)>>,
    /// Stop after the sample that brings the rows written to this many (a preview).
    pub(super) max_rows: Option<u64>,
    /// Rows written so far (counted by the writers through [`Scope::wrote`]).
    written: Cell<u64>,
}

/// A sample's final human verdict in an export, and whose it is.
pub(super) struct Final {
    /// The verdict and its source, or why there is none.
    pub(super) resolved: Resolved<Verdict>,
    /// Whose verdict it is: the adjudicator, or the most recently updated label that has it
    /// (the first annotator by name on a tie).
    pub(super) annotator: Option<String>,
    /// Whether a label that has the verdict (the chosen annotator's, with that choice) is
    /// marked "right verdict, wrong reason".
    pub(super) wrong_reason: bool,
}

impl Scope {
    /// Checks the options against the project.
    pub(super) fn resolve(
        project: &Project,
        options: &ExportOptions,
    ) -> Result<Scope, ExportError> {
        let datasets: BTreeMap<i64, DatasetNames> = project
            .datasets()?
            .into_iter()
            .map(|d| {
                (
                    d.id,
                    DatasetNames {
                        name: d.name,
                        source_file: d.source_file,
                    },
                )
            })
            .collect();
        if let Some(id) = options.dataset_id
            && !datasets.contains_key(&id)
        {
            return Err(ExportError::UnknownDataset(id));
        }
        let annotator = options.annotator.as_deref().map(str::trim);
        if let Some(name) = annotator
            && !project.annotator_exists(name)?
        {
            return Err(ExportError::UnknownAnnotator(name.to_owned()));
        }
        let shown = project.shown_runs(options.run_id)?;
        let mut runs = BTreeMap::new();
        for id in shown.0.iter().flatten().chain(options.run_id.iter()) {
            if !runs.contains_key(id) {
                runs.insert(
                    *id,
                    read_run(project, *id)?.ok_or(ExportError::UnknownRun(*id))?,
                );
            }
        }
        Ok(Scope {
            shown,
            runs,
            annotator: annotator.map(str::to_owned),
            dataset_id: options.dataset_id,
            datasets,
            builtin: Template::builtin(),
            final_label: options.final_label.clone(),
            progress: None,
            max_rows: None,
            written: Cell::new(0),
        })
    }

    /// Counts rows written (so a preview stops when it has enough).
    pub(super) fn wrote(&self, rows: u64) {
        self.written.set(self.written.get() + rows);
    }

    /// The final human verdict of a sample under the export's choice, from the labels in scope
    /// and the sample's adjudication.
    pub(super) fn final_of(
        &self,
        project: &Project,
        sample_id: i64,
        labels: &[StoredLabel],
    ) -> Result<Final, StoreError> {
        let adjudication = match self.final_label {
            FinalLabel::Adjudicated => project.adjudication_of(sample_id)?,
            _ => None,
        };
        let resolved = fare_store::adjudication::final_of(
            &self.final_label,
            labels,
            adjudication.as_ref().and_then(|a| a.verdict),
        );
        let Resolved::Verdict { verdict, source } = resolved else {
            return Ok(Final {
                resolved,
                annotator: None,
                wrong_reason: false,
            });
        };
        let agreeing: Vec<&StoredLabel> = labels
            .iter()
            .filter(|l| l.label.verdict == Some(verdict))
            .filter(|l| match &self.final_label {
                FinalLabel::Annotator { name } => l.annotator == *name,
                _ => true,
            })
            .collect();
        let mut newest: Option<&StoredLabel> = None;
        for label in &agreeing {
            if newest.is_none_or(|n| label.updated_at > n.updated_at) {
                newest = Some(label);
            }
        }
        let annotator = match source {
            FinalSource::Adjudicated => adjudication.map(|a| a.adjudicator),
            _ => newest.map(|l| l.annotator.clone()),
        };
        Ok(Final {
            resolved,
            annotator,
            wrong_reason: agreeing.iter().any(|l| l.label.wrong_reason),
        })
    }

    /// Calls `each` with every sample id in scope, in id order, and returns how many there were.
    pub(super) fn for_each_sample(
        &self,
        project: &Project,
        mut each: impl FnMut(i64) -> Result<(), ExportError>,
    ) -> Result<u64, ExportError> {
        let mut count: u64 = 0;
        project.scan_sample_ids(self.dataset_id, |id| -> Result<bool, ExportError> {
            if self.max_rows.is_some_and(|max| self.written.get() >= max) {
                return Ok(false);
            }
            each(id)?;
            count += 1;
            if let Some(progress) = &self.progress
                && count.is_multiple_of(1024)
            {
                progress(count);
            }
            Ok(true)
        })?;
        Ok(count)
    }

    /// The names of a data set.
    pub(super) fn dataset(&self, id: i64) -> Result<&DatasetNames, ExportError> {
        self.datasets.get(&id).ok_or_else(|| {
            StoreError::Corrupt(format!("a sample belongs to the unknown data set {id}")).into()
        })
    }

    /// The run's first original-order judgment of a sample, when the run judged it.
    pub(super) fn evaluator(
        &self,
        project: &Project,
        sample_id: i64,
    ) -> Result<Option<EvaluatorJudgment>, StoreError> {
        let task: Task = fare_store::rows::sample_task_of(project, sample_id)?;
        let Some(run) = self.shown.of(task) else {
            return Ok(None);
        };
        Ok(project
            .first_judgment(run, sample_id)?
            .map(|j| EvaluatorJudgment {
                run_id: run,
                state: j.state,
                verdict: j.verdict,
                critique: j.critique,
                raw_output: j.raw_output,
                agrees_with_gold: j.agrees_with_gold,
            }))
    }

    /// The labels of a sample in scope (the chosen annotator's, else everyone's), by annotator
    /// name. Labels that hold nothing (cleared, or every edit undone) are left out.
    pub(super) fn labels(
        &self,
        project: &Project,
        sample_id: i64,
    ) -> Result<Vec<StoredLabel>, StoreError> {
        let mut labels = project.labels_of(sample_id)?;
        labels.retain(|l| {
            !l.label.is_empty() && self.annotator.as_ref().is_none_or(|a| *a == l.annotator)
        });
        Ok(labels)
    }

    /// A run of the scope by id.
    pub(super) fn run(&self, id: i64) -> Option<&Run> {
        self.runs.get(&id)
    }

    /// The template a prompt of `task` in `mode` is rendered with: the task's run's, when it is
    /// for that task and has the mode, else the one shipped for the task.
    pub(super) fn template(&self, task: Task, mode: PromptMode) -> Result<&Template, ExportError> {
        let fits =
            |t: &Template| t.task == task && (mode == PromptMode::Critique || t.direct.is_some());
        let run = self.shown.of(task).and_then(|id| self.runs.get(&id));
        if let Some(stored) = run.and_then(|r| r.template.as_ref()) {
            match stored {
                Ok(t) if fits(t) => return Ok(t),
                Ok(_) => {}
                Err(e) => return Err(ExportError::Template(e.clone())),
            }
        }
        self.builtin.iter().find(|t| fits(t)).ok_or_else(|| {
            ExportError::Template(format!("no shipped {task} template for this mode"))
        })
    }
}

/// A verdict as the model writes it after `Verdict:`: `[A]` / `[B]`, a step index or `-1`,
/// `correct` / `incorrect`, the rating.
pub(super) fn model_form(verdict: Verdict) -> String {
    match verdict {
        Verdict::Pick(Side::A) => "[A]".to_owned(),
        Verdict::Pick(Side::B) => "[B]".to_owned(),
        other => other.canonical(),
    }
}

fn read_run(project: &Project, id: i64) -> Result<Option<Run>, StoreError> {
    let Some(run) = project.run_record(id)? else {
        return Ok(None);
    };
    let (body, mode, template_name) = (run.template_body, run.mode, run.template_name);
    let template = body.map(|b| {
        Template::from_toml(&b).map_err(|e| {
            format!(
                "the template of run {id} ({}) no longer reads: {e}",
                template_name.as_deref().unwrap_or("unnamed")
            )
        })
    });
    Ok(Some(Run {
        id,
        model: run.model,
        template_name,
        template_hash: run.template_hash,
        template,
        mode,
    }))
}
