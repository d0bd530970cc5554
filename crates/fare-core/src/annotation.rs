//! Annotation events and the label they add up to.
//!
//! Nothing a person decides is ever overwritten: each decision is an event appended to the
//! project (who, when, what). The current label of a sample for one annotator is derived by
//! replaying that annotator's events in order. Undo and redo are events too: they move a cursor
//! over the annotator's edits, and a new edit after an undo drops the undone edits from the label
//! (they stay in the event log).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::verdict::Verdict;

/// What a person did to a sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum AnnotationAction {
    /// The evaluator's verdict is right; `verdict` records which verdict was accepted.
    Accept {
        /// The accepted verdict.
        verdict: Verdict,
    },
    /// The right verdict is another one.
    Correct {
        /// The human verdict.
        verdict: Verdict,
    },
    /// Mark or unmark "right verdict, wrong reason".
    WrongReason {
        /// Whether the mark is set.
        on: bool,
    },
    /// Add or remove a failure-mode tag.
    Tag {
        /// The tag's identifier.
        tag: String,
        /// Whether the tag is set.
        on: bool,
    },
    /// Replace the note (empty text removes it).
    Note {
        /// The note.
        text: String,
    },
    /// Back to unreviewed (verdict, mark, tags and note cleared).
    Clear,
    /// Take back the latest edit not yet undone.
    Undo,
    /// Re-apply the latest undone edit.
    Redo,
}

impl AnnotationAction {
    /// Undo and redo move the cursor; every other action is an edit.
    pub fn is_edit(&self) -> bool {
        !matches!(self, AnnotationAction::Undo | AnnotationAction::Redo)
    }
}

/// One stored annotation event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationEvent {
    /// Who made it.
    pub annotator: String,
    /// When, as RFC 3339 UTC.
    pub at: String,
    /// What was done.
    pub action: AnnotationAction,
}

/// Whether and how a sample was reviewed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// No verdict decided yet.
    #[default]
    Unreviewed,
    /// The evaluator's verdict was accepted.
    Accepted,
    /// The evaluator's verdict was corrected.
    Corrected,
}

impl Decision {
    /// The name as stored: `unreviewed`, `accepted`, `corrected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Unreviewed => "unreviewed",
            Decision::Accepted => "accepted",
            Decision::Corrected => "corrected",
        }
    }
}

/// The current label of one sample by one annotator.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Label {
    /// Accepted, corrected or not yet reviewed.
    pub decision: Decision,
    /// The human verdict (the accepted or the corrected one).
    pub verdict: Option<Verdict>,
    /// "Right verdict, wrong reason".
    pub wrong_reason: bool,
    /// Failure-mode tags set.
    pub tags: BTreeSet<String>,
    /// The note, if any.
    pub note: Option<String>,
    /// Whether an undo would change something.
    pub can_undo: bool,
    /// Whether a redo would change something.
    pub can_redo: bool,
}

impl Label {
    /// Replays actions in the order they were made.
    pub fn from_actions<'a>(actions: impl IntoIterator<Item = &'a AnnotationAction>) -> Label {
        let mut applied: Vec<&AnnotationAction> = Vec::new();
        let mut undone: Vec<&AnnotationAction> = Vec::new();
        for action in actions {
            match action {
                AnnotationAction::Undo => {
                    if let Some(edit) = applied.pop() {
                        undone.push(edit);
                    }
                }
                AnnotationAction::Redo => {
                    if let Some(edit) = undone.pop() {
                        applied.push(edit);
                    }
                }
                edit => {
                    undone.clear();
                    applied.push(edit);
                }
            }
        }
        let mut label = Label::default();
        for edit in &applied {
            label.apply(edit);
        }
        label.can_undo = !applied.is_empty();
        label.can_redo = !undone.is_empty();
        label
    }

    fn apply(&mut self, action: &AnnotationAction) {
        match action {
            AnnotationAction::Accept { verdict } => {
                self.decision = Decision::Accepted;
                self.verdict = Some(*verdict);
            }
            AnnotationAction::Correct { verdict } => {
                self.decision = Decision::Corrected;
                self.verdict = Some(*verdict);
            }
            AnnotationAction::WrongReason { on } => self.wrong_reason = *on,
            AnnotationAction::Tag { tag, on: true } => {
                self.tags.insert(tag.clone());
            }
            AnnotationAction::Tag { tag, on: false } => {
                self.tags.remove(tag);
            }
            AnnotationAction::Note { text } => {
                self.note = (!text.trim().is_empty()).then(|| text.clone());
            }
            AnnotationAction::Clear => *self = Label::default(),
            AnnotationAction::Undo | AnnotationAction::Redo => {}
        }
    }

    /// Whether the person did anything that stays (a verdict, a mark, a tag or a note).
    pub fn is_empty(&self) -> bool {
        self.decision == Decision::Unreviewed
            && !self.wrong_reason
            && self.tags.is_empty()
            && self.note.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Side;

    fn correct(step: u32) -> AnnotationAction {
        AnnotationAction::Correct {
            verdict: Verdict::FirstError(Some(step)),
        }
    }

    #[test]
    fn later_edits_win_and_nothing_is_lost() {
        let events = [
            AnnotationAction::Accept {
                verdict: Verdict::Pick(Side::A),
            },
            AnnotationAction::Tag {
                tag: "position-bias".into(),
                on: true,
            },
            AnnotationAction::Correct {
                verdict: Verdict::Pick(Side::B),
            },
            AnnotationAction::Note {
                text: "B handles n = 0".into(),
            },
        ];
        let label = Label::from_actions(&events);
        assert_eq!(label.decision, Decision::Corrected);
        assert_eq!(label.verdict, Some(Verdict::Pick(Side::B)));
        assert!(label.tags.contains("position-bias"));
        assert_eq!(label.note.as_deref(), Some("B handles n = 0"));
    }

    #[test]
    fn undo_redo_move_a_cursor_over_edits() {
        use AnnotationAction::{Redo, Undo};
        let label = Label::from_actions(&[correct(2), correct(3), Undo]);
        assert_eq!(label.verdict, Some(Verdict::FirstError(Some(2))));
        assert!(label.can_redo);
        let label = Label::from_actions(&[correct(2), correct(3), Undo, Redo]);
        assert_eq!(label.verdict, Some(Verdict::FirstError(Some(3))));
        assert!(!label.can_redo);
        // A new edit after an undo drops the undone edit: redo has nothing to bring back.
        let label = Label::from_actions(&[correct(2), correct(3), Undo, correct(4), Redo]);
        assert_eq!(label.verdict, Some(Verdict::FirstError(Some(4))));
        let label = Label::from_actions(&[correct(2), correct(4), Undo, Undo]);
        assert_eq!(
            label,
            Label {
                can_redo: true,
                ..Label::default()
            }
        );
        // Undo past the beginning is harmless.
        let label = Label::from_actions(&[Undo, correct(1), Undo, Undo, Redo]);
        assert_eq!(label.verdict, Some(Verdict::FirstError(Some(1))));
    }

    #[test]
    fn clear_returns_to_unreviewed_and_can_be_undone() {
        let label = Label::from_actions(&[correct(1), AnnotationAction::Clear]);
        assert!(label.is_empty());
        let label =
            Label::from_actions(&[correct(1), AnnotationAction::Clear, AnnotationAction::Undo]);
        assert_eq!(label.decision, Decision::Corrected);
    }
}
