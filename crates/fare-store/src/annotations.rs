//! Annotators, annotation events and the current labels derived from them.
//!
//! [`Project::annotate`] appends one event and rebuilds that sample's label for that annotator
//! by replaying all their events ([`fare_core::Label::from_actions`]), in one transaction.
//! Labels are a cache of the events: [`Project::rebuild_labels`] recomputes them all.

use fare_core::verdict::DEFAULT_RATING_SCALE;
use fare_core::{AnnotationAction, Label, Verdict, VerdictRules};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::project::Project;
use crate::rows::{judgment_rating_scale, rules_of, sample_task, verdict_from_db};
use crate::{Result, StoreError};

/// The current label of a sample by one annotator, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredLabel {
    /// The sample.
    pub sample_id: i64,
    /// Who.
    pub annotator: String,
    /// The label.
    pub label: Label,
    /// When the first and latest events were made.
    pub first_at: String,
    /// When the latest event was made.
    pub updated_at: String,
}

/// A failure-mode tag of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectTag {
    /// Identifier.
    pub id: String,
    /// Name shown.
    pub name: String,
    /// Meaning.
    pub description: String,
    /// Shipped with FARE Lens (not added by a user).
    pub builtin: bool,
}

fn action_columns(
    action: &AnnotationAction,
) -> (
    &'static str,
    Option<String>,
    Option<&str>,
    Option<bool>,
    Option<&str>,
) {
    match action {
        AnnotationAction::Accept { verdict } => {
            ("accept", Some(verdict.canonical()), None, None, None)
        }
        AnnotationAction::Correct { verdict } => {
            ("correct", Some(verdict.canonical()), None, None, None)
        }
        AnnotationAction::WrongReason { on } => ("wrong-reason", None, None, Some(*on), None),
        AnnotationAction::Tag { tag, on } => ("tag", None, Some(tag), Some(*on), None),
        AnnotationAction::Note { text } => ("note", None, None, None, Some(text)),
        AnnotationAction::Clear => ("clear", None, None, None, None),
        AnnotationAction::Undo => ("undo", None, None, None, None),
        AnnotationAction::Redo => ("redo", None, None, None, None),
    }
}

fn action_from_columns(
    kind: &str,
    verdict: Option<Verdict>,
    tag: Option<String>,
    flag: Option<bool>,
    note: Option<String>,
) -> Result<AnnotationAction> {
    let corrupt = || StoreError::Corrupt(format!("annotation event `{kind}` misses a field"));
    Ok(match kind {
        "accept" => AnnotationAction::Accept {
            verdict: verdict.ok_or_else(corrupt)?,
        },
        "correct" => AnnotationAction::Correct {
            verdict: verdict.ok_or_else(corrupt)?,
        },
        "wrong-reason" => AnnotationAction::WrongReason {
            on: flag.ok_or_else(corrupt)?,
        },
        "tag" => AnnotationAction::Tag {
            tag: tag.ok_or_else(corrupt)?,
            on: flag.ok_or_else(corrupt)?,
        },
        "note" => AnnotationAction::Note {
            text: note.unwrap_or_default(),
        },
        "clear" => AnnotationAction::Clear,
        "undo" => AnnotationAction::Undo,
        "redo" => AnnotationAction::Redo,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown annotation action `{other}`"
            )));
        }
    })
}

pub(crate) fn annotator_id(tx: &Transaction<'_>, name: &str) -> Result<i64> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("an annotator needs a name".into()));
    }
    let now = Project::now(tx)?;
    tx.execute(
        "INSERT INTO annotators (name, created_at) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
        params![name, now],
    )?;
    Ok(
        tx.query_row("SELECT id FROM annotators WHERE name = ?1", [name], |r| {
            r.get(0)
        })?,
    )
}

/// Appends one annotation event.
pub(crate) fn insert_event(
    tx: &Transaction<'_>,
    sample_id: i64,
    annotator_id: i64,
    judgment_id: Option<i64>,
    at: &str,
    action: &AnnotationAction,
) -> Result<()> {
    let (kind, verdict, tag, flag, note) = action_columns(action);
    tx.prepare_cached(
        "INSERT INTO annotation_events (sample_id, annotator_id, judgment_id, at, action, verdict, tag, flag, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![sample_id, annotator_id, judgment_id, at, kind, verdict, tag, flag, note])?;
    Ok(())
}

/// What replaying the events of one (sample, annotator) gives.
struct Replayed {
    label: Label,
    first_at: String,
    updated_at: String,
    judgment_id: Option<i64>,
}

/// Replays the events of (sample, annotator) in the order they were made; `None` without events.
fn replay(
    conn: &Connection,
    sample_id: i64,
    annotator_id: i64,
    rules: &VerdictRules,
) -> Result<Option<Replayed>> {
    let mut stmt = conn.prepare_cached(
        "SELECT action, verdict, tag, flag, note, at, judgment_id FROM annotation_events WHERE sample_id = ?1 AND annotator_id = ?2 ORDER BY id",
    )?;
    let mut rows = stmt.query(params![sample_id, annotator_id])?;
    let mut actions = Vec::new();
    let (mut first_at, mut updated_at, mut judgment_id) = (None, String::new(), None);
    while let Some(r) = rows.next()? {
        let kind: String = r.get(0)?;
        let verdict: Option<String> = r.get(1)?;
        let verdict = verdict.map(|v| verdict_from_db(&v, rules)).transpose()?;
        actions.push(action_from_columns(
            &kind,
            verdict,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        )?);
        let at: String = r.get(5)?;
        first_at.get_or_insert_with(|| at.clone());
        updated_at = at;
        if let Some(j) = r.get::<_, Option<i64>>(6)? {
            judgment_id = Some(j);
        }
    }
    Ok(first_at.map(|first_at| Replayed {
        label: Label::from_actions(&actions),
        first_at,
        updated_at,
        judgment_id,
    }))
}

/// Replays the events of (sample, annotator) and writes the label row.
pub(crate) fn rebuild_label(
    tx: &Transaction<'_>,
    sample_id: i64,
    annotator_id: i64,
) -> Result<Option<StoredLabel>> {
    let (task, step_count) = sample_task(tx, sample_id)?;
    let rules = rules_of(&task, step_count)?;
    let replayed = replay(tx, sample_id, annotator_id, &rules)?;
    tx.execute(
        "DELETE FROM labels WHERE sample_id = ?1 AND annotator_id = ?2",
        params![sample_id, annotator_id],
    )?;
    let Some(Replayed {
        label,
        first_at,
        updated_at,
        judgment_id,
    }) = replayed
    else {
        return Ok(None);
    };
    let tags = serde_json::to_string(&label.tags).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO labels (sample_id, annotator_id, decision, verdict, wrong_reason, tags, note, judgment_id, first_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            sample_id,
            annotator_id,
            label.decision.as_str(),
            label.verdict.map(Verdict::canonical),
            label.wrong_reason,
            tags,
            label.note,
            judgment_id,
            first_at,
            updated_at
        ],
    )?;
    let mut insert_tag = tx.prepare_cached(
        "INSERT INTO label_tags (sample_id, annotator_id, tag) VALUES (?1, ?2, ?3)",
    )?;
    for tag in &label.tags {
        insert_tag.execute(params![sample_id, annotator_id, tag])?;
    }
    let annotator: String = tx.query_row(
        "SELECT name FROM annotators WHERE id = ?1",
        [annotator_id],
        |r| r.get(0),
    )?;
    Ok(Some(StoredLabel {
        sample_id,
        annotator,
        label,
        first_at,
        updated_at,
    }))
}

impl Project {
    /// Records one annotation event and returns the sample's new label for that annotator.
    ///
    /// Verdicts are checked against the sample (a step that does not exist, a verdict of another
    /// task) and tags against the project's tags; nothing is written when a check fails.
    pub fn annotate(
        &mut self,
        sample_id: i64,
        annotator: &str,
        action: &AnnotationAction,
        judgment_id: Option<i64>,
    ) -> Result<StoredLabel> {
        let tx = self.conn.transaction()?;
        let (task, step_count) = sample_task(&tx, sample_id)?;
        let rules = rules_of(&task, step_count)?;
        if let Some(judgment_id) = judgment_id {
            let judged: Option<i64> = tx
                .query_row(
                    "SELECT sample_id FROM judgments WHERE id = ?1",
                    [judgment_id],
                    |r| r.get(0),
                )
                .optional()?;
            if judged != Some(sample_id) {
                return Err(StoreError::Invalid(format!(
                    "judgment {judgment_id} is not a judgment of sample {sample_id}"
                )));
            }
        }
        if let AnnotationAction::Accept { verdict } | AnnotationAction::Correct { verdict } = action
        {
            // A rating follows the scale of the judgment it reviews, else the default scale.
            let rating_scale = match judgment_id {
                Some(j) if matches!(verdict, Verdict::Rating(_)) => judgment_rating_scale(&tx, j)?,
                _ => DEFAULT_RATING_SCALE,
            };
            verdict
                .check(&VerdictRules {
                    rating_scale,
                    ..rules
                })
                .map_err(|e| StoreError::Invalid(format!("sample {sample_id}: {e}")))?;
        }
        if let AnnotationAction::Tag { tag, .. } = action {
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM failure_tags WHERE id = ?1)",
                [tag],
                |r| r.get(0),
            )?;
            if !known {
                return Err(StoreError::Invalid(format!(
                    "unknown tag `{tag}` (see the project's tags, or add it first)"
                )));
            }
        }
        let annotator_id = annotator_id(&tx, annotator)?;
        let now = Project::now(&tx)?;
        insert_event(&tx, sample_id, annotator_id, judgment_id, &now, action)?;
        let label = rebuild_label(&tx, sample_id, annotator_id)?
            .ok_or_else(|| StoreError::Corrupt("the event just written is missing".into()))?;
        tx.commit()?;
        Ok(label)
    }

    /// The current labels of a sample, one per annotator who touched it, ordered by name.
    ///
    /// Each label is replayed from the events, so `can_undo` and `can_redo` are exact.
    pub fn labels_of(&self, sample_id: i64) -> Result<Vec<StoredLabel>> {
        let (task, step_count) = sample_task(&self.conn, sample_id)?;
        let rules = rules_of(&task, step_count)?;
        let annotators: Vec<(i64, String)> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT a.id, a.name FROM annotators a
                 WHERE EXISTS (SELECT 1 FROM annotation_events e WHERE e.sample_id = ?1 AND e.annotator_id = a.id)
                 ORDER BY a.name",
            )?;
            stmt.query_map([sample_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut out = Vec::with_capacity(annotators.len());
        for (annotator_id, annotator) in annotators {
            if let Some(r) = replay(&self.conn, sample_id, annotator_id, &rules)? {
                out.push(StoredLabel {
                    sample_id,
                    annotator,
                    label: r.label,
                    first_at: r.first_at,
                    updated_at: r.updated_at,
                });
            }
        }
        Ok(out)
    }

    /// Recomputes every label from the events (after a merge or a hand edit).
    pub fn rebuild_labels(&mut self) -> Result<usize> {
        let tx = self.conn.transaction()?;
        // Labels without events (edited in by hand, or left by a bug) go too.
        tx.execute_batch("DELETE FROM label_tags; DELETE FROM labels;")?;
        let pairs: Vec<(i64, i64)> = {
            let mut stmt =
                tx.prepare("SELECT DISTINCT sample_id, annotator_id FROM annotation_events")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (sample, annotator) in &pairs {
            rebuild_label(&tx, *sample, *annotator)?;
        }
        tx.commit()?;
        Ok(pairs.len())
    }

    /// The project's failure-mode tags.
    pub fn tags(&self) -> Result<Vec<ProjectTag>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, description, builtin FROM failure_tags ORDER BY builtin DESC, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ProjectTag {
                id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
                builtin: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds a failure-mode tag of the user's own beside the shipped ones. The id is lowercase
    /// letters, digits and `-`; an id already in the project is refused.
    pub fn add_tag(&mut self, id: &str, name: &str, description: &str) -> Result<ProjectTag> {
        if !fare_core::taxonomy::is_valid_tag_id(id) {
            return Err(StoreError::Invalid(format!(
                "`{id}` is not a tag id: use lowercase letters, digits and `-` (at most 64)"
            )));
        }
        let name = if name.trim().is_empty() {
            id
        } else {
            name.trim()
        };
        self.conn
            .execute(
                "INSERT INTO failure_tags (id, name, description, tasks, inferable, builtin) VALUES (?1, ?2, ?3, '[]', 0, 0)",
                params![id, name, description.trim()],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::Invalid(format!("the project already has a tag `{id}`"))
                }
                e => e.into(),
            })?;
        Ok(ProjectTag {
            id: id.to_owned(),
            name: name.to_owned(),
            description: description.trim().to_owned(),
            builtin: false,
        })
    }
}
