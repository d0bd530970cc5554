//! Verdicts: what an evaluator, a data set or a person decides about a sample.
//!
//! Every verdict has one canonical text form, used in project files, exports and on the command
//! line: `A` / `B`, a step index or `-1`, `correct` / `incorrect`, an integer rating.
//! [`Verdict::from_canonical`] reads that form back for a given task and checks it against the
//! sample (a step index must name an existing step).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sample::Task;

/// One of the two responses of a pairwise sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Side {
    /// The first response in the original order.
    A,
    /// The second response in the original order.
    B,
}

impl Side {
    /// The other response: what a verdict means once A and B trade places.
    #[must_use]
    pub fn swapped(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// The verdict of a verification task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Correctness {
    /// The response is correct.
    Correct,
    /// The response is not correct.
    Incorrect,
}

/// A decision about one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Pairwise: the better response.
    Pick(Side),
    /// Step-level: the index of the first wrong step (from 0), or `None` when no step is wrong
    /// (written `-1`).
    FirstError(Option<u32>),
    /// Verification: correct or incorrect.
    Correctness(Correctness),
    /// Single rating: the score.
    Rating(i32),
}

/// What a verdict has to agree with to be valid for a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerdictRules {
    /// The sample's task.
    pub task: Task,
    /// Number of steps of a step-level sample (a first error must be below it).
    pub step_count: usize,
    /// The inclusive range of a rating.
    pub rating_scale: (i32, i32),
}

impl VerdictRules {
    /// The rules for a sample of `task` with `step_count` steps and the default 1 to 10 scale.
    pub fn new(task: Task, step_count: usize) -> Self {
        VerdictRules {
            task,
            step_count,
            rating_scale: DEFAULT_RATING_SCALE,
        }
    }

    /// The rules of a verdict a model gave when `template` asked: a rating template's scale.
    /// What judging and importing a run's outputs check the model's verdicts against.
    pub fn under_template(task: Task, step_count: usize, template: &crate::Template) -> Self {
        let mut rules = VerdictRules::new(task, step_count);
        if template.task == Task::Rating {
            rules.rating_scale = template.rating_scale();
        }
        rules
    }

    /// The rules of a person's verdict (a label, an adjudication): the shipped template's
    /// scale, the same in every shell.
    pub fn for_person(task: Task, step_count: usize) -> Self {
        match crate::Template::builtin_for(task) {
            Some(template) => VerdictRules::under_template(task, step_count, &template),
            None => VerdictRules::new(task, step_count),
        }
    }

    /// The rules stored verdicts are read back under: any rating (the run's template decided
    /// its scale when it was written).
    pub fn stored(task: Task, step_count: usize) -> Self {
        VerdictRules {
            rating_scale: (i32::MIN, i32::MAX),
            ..VerdictRules::new(task, step_count)
        }
    }

    /// Every verdict these rules admit, in the order a person scans them: `A`, `B`; `-1`, `0`,
    /// `1`, ...; `correct`, `incorrect`; the rating scale from its low end.
    pub fn admissible(&self) -> Vec<Verdict> {
        match self.task {
            Task::Pairwise => vec![Verdict::Pick(Side::A), Verdict::Pick(Side::B)],
            Task::StepLevel => std::iter::once(Verdict::FirstError(None))
                .chain(
                    (0..u32::try_from(self.step_count).unwrap_or(u32::MAX))
                        .map(|i| Verdict::FirstError(Some(i))),
                )
                .collect(),
            Task::ReferenceFree | Task::ReferenceBased => vec![
                Verdict::Correctness(Correctness::Correct),
                Verdict::Correctness(Correctness::Incorrect),
            ],
            Task::Rating => (self.rating_scale.0..=self.rating_scale.1)
                .map(Verdict::Rating)
                .collect(),
        }
    }
}

/// The rating scale the provisional rating template asks for.
pub const DEFAULT_RATING_SCALE: (i32, i32) = (1, 10);

/// Why a verdict does not fit a sample.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidVerdict {
    /// The text is not a verdict of the task at all.
    #[error("`{text}` is not a {task} verdict (expected {expected})")]
    Malformed {
        /// The offending text.
        text: String,
        /// The task it was read for.
        task: Task,
        /// What the task accepts.
        expected: &'static str,
    },
    /// A first-error index past the last step.
    #[error("step {index} does not exist: the solution has {step_count} steps (0 to {last})", last = step_count.saturating_sub(1))]
    StepOutOfRange {
        /// The index read.
        index: i64,
        /// How many steps the sample has.
        step_count: usize,
    },
    /// A rating outside the scale.
    #[error("rating {value} is outside the scale {min} to {max}")]
    RatingOutOfRange {
        /// The rating read.
        value: i64,
        /// Lowest allowed.
        min: i32,
        /// Highest allowed.
        max: i32,
    },
    /// A verdict of another task.
    #[error("a {found} verdict does not fit a {task} sample")]
    WrongTask {
        /// The sample's task.
        task: Task,
        /// The task the verdict belongs to.
        found: Task,
    },
}

impl Verdict {
    /// The task this verdict belongs to (both verification tasks share one verdict type and
    /// report [`Task::ReferenceFree`]).
    pub fn task_family(self) -> Task {
        match self {
            Verdict::Pick(_) => Task::Pairwise,
            Verdict::FirstError(_) => Task::StepLevel,
            Verdict::Correctness(_) => Task::ReferenceFree,
            Verdict::Rating(_) => Task::Rating,
        }
    }

    /// The verdict written in its canonical form.
    pub fn canonical(self) -> String {
        self.to_string()
    }

    /// For pairwise verdicts, what the verdict means once A and B trade places; others unchanged.
    #[must_use]
    pub fn swapped(self) -> Verdict {
        match self {
            Verdict::Pick(side) => Verdict::Pick(side.swapped()),
            other => other,
        }
    }

    /// The step index as the evaluator writes it: `-1` for no error. `None` for other tasks.
    pub fn step_index(self) -> Option<i64> {
        match self {
            Verdict::FirstError(Some(i)) => Some(i64::from(i)),
            Verdict::FirstError(None) => Some(-1),
            _ => None,
        }
    }

    /// Checks that this verdict fits a sample.
    pub fn check(self, rules: &VerdictRules) -> Result<Verdict, InvalidVerdict> {
        let fits = matches!(
            (self, rules.task),
            (Verdict::Pick(_), Task::Pairwise)
                | (Verdict::FirstError(_), Task::StepLevel)
                | (
                    Verdict::Correctness(_),
                    Task::ReferenceFree | Task::ReferenceBased
                )
                | (Verdict::Rating(_), Task::Rating)
        );
        if !fits {
            return Err(InvalidVerdict::WrongTask {
                task: rules.task,
                found: self.task_family(),
            });
        }
        match self {
            Verdict::FirstError(Some(i)) if i as usize >= rules.step_count => {
                Err(InvalidVerdict::StepOutOfRange {
                    index: i64::from(i),
                    step_count: rules.step_count,
                })
            }
            Verdict::Rating(r) if r < rules.rating_scale.0 || r > rules.rating_scale.1 => {
                Err(InvalidVerdict::RatingOutOfRange {
                    value: i64::from(r),
                    min: rules.rating_scale.0,
                    max: rules.rating_scale.1,
                })
            }
            v => Ok(v),
        }
    }

    /// Reads a verdict in canonical form for a task, and checks it against the rules.
    ///
    /// Accepts exactly the canonical spellings (case-insensitive, surrounding whitespace
    /// ignored); the tolerant reading of model output is [`crate::parse`]'s job.
    pub fn from_canonical(text: &str, rules: &VerdictRules) -> Result<Verdict, InvalidVerdict> {
        let t = text.trim();
        let malformed = |expected| InvalidVerdict::Malformed {
            text: t.to_owned(),
            task: rules.task,
            expected,
        };
        let verdict = match rules.task {
            Task::Pairwise => match t.to_ascii_uppercase().as_str() {
                "A" => Verdict::Pick(Side::A),
                "B" => Verdict::Pick(Side::B),
                _ => return Err(malformed("A or B")),
            },
            Task::StepLevel => {
                let index: i64 = t
                    .parse()
                    .map_err(|_| malformed("a step index from 0, or -1 for no error"))?;
                Verdict::first_error_from_index(index, rules.step_count)?
            }
            Task::ReferenceFree | Task::ReferenceBased => match t.to_ascii_lowercase().as_str() {
                "correct" => Verdict::Correctness(Correctness::Correct),
                "incorrect" => Verdict::Correctness(Correctness::Incorrect),
                _ => return Err(malformed("correct or incorrect")),
            },
            Task::Rating => {
                let value: i64 = t.parse().map_err(|_| malformed("an integer rating"))?;
                let (min, max) = rules.rating_scale;
                let r = i32::try_from(value).map_err(|_| InvalidVerdict::RatingOutOfRange {
                    value,
                    min,
                    max,
                })?;
                Verdict::Rating(r)
            }
        };
        verdict.check(rules)
    }

    /// A step-level verdict from an index as evaluators write it (`-1` for no error).
    pub fn first_error_from_index(
        index: i64,
        step_count: usize,
    ) -> Result<Verdict, InvalidVerdict> {
        if index == -1 {
            return Ok(Verdict::FirstError(None));
        }
        match u32::try_from(index) {
            Ok(i) if (i as usize) < step_count => Ok(Verdict::FirstError(Some(i))),
            _ => Err(InvalidVerdict::StepOutOfRange { index, step_count }),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pick(Side::A) => f.write_str("A"),
            Verdict::Pick(Side::B) => f.write_str("B"),
            Verdict::FirstError(None) => f.write_str("-1"),
            Verdict::FirstError(Some(i)) => write!(f, "{i}"),
            Verdict::Correctness(Correctness::Correct) => f.write_str("correct"),
            Verdict::Correctness(Correctness::Incorrect) => f.write_str("incorrect"),
            Verdict::Rating(r) => write!(f, "{r}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_a_model_and_the_store_read_ratings_on_their_own_scales() {
        let shipped = crate::Template::builtin_for(Task::Rating).expect("a rating template");
        let person = VerdictRules::for_person(Task::Rating, 0);
        assert_eq!(person.rating_scale, shipped.rating_scale());
        let mut five = shipped.clone();
        five.rating_scale = Some((1, 5));
        let model = VerdictRules::under_template(Task::Rating, 0, &five);
        assert!(Verdict::from_canonical("5", &model).is_ok());
        assert!(Verdict::from_canonical("6", &model).is_err());
        // A template of another task says nothing of the scale.
        let step = crate::Template::builtin_for(Task::StepLevel).expect("a step template");
        let other = VerdictRules::under_template(Task::Rating, 0, &step);
        assert_eq!(other.rating_scale, DEFAULT_RATING_SCALE);
        // Stored verdicts were checked when written: any rating reads back.
        assert!(Verdict::from_canonical("1000", &VerdictRules::stored(Task::Rating, 0)).is_ok());
        assert_eq!(VerdictRules::stored(Task::StepLevel, 4).step_count, 4);
    }

    #[test]
    fn the_admissible_verdicts_are_every_one_that_checks_and_no_other() {
        let step = VerdictRules::new(Task::StepLevel, 3);
        let texts: Vec<String> = step
            .admissible()
            .into_iter()
            .map(Verdict::canonical)
            .collect();
        assert_eq!(texts, ["-1", "0", "1", "2"]);
        for task in Task::ALL {
            let rules = VerdictRules {
                rating_scale: (1, 5),
                ..VerdictRules::new(task, 4)
            };
            let all = rules.admissible();
            assert!(!all.is_empty(), "{task}");
            for verdict in &all {
                assert_eq!(verdict.check(&rules), Ok(*verdict), "{task}");
            }
        }
        let rating = VerdictRules {
            rating_scale: (1, 5),
            ..VerdictRules::new(Task::Rating, 0)
        };
        assert_eq!(rating.admissible().len(), 5);
        assert!(Verdict::Rating(6).check(&rating).is_err());
    }

    #[test]
    fn canonical_forms_round_trip() {
        let cases = [
            (Task::Pairwise, Verdict::Pick(Side::B)),
            (Task::StepLevel, Verdict::FirstError(None)),
            (Task::StepLevel, Verdict::FirstError(Some(2))),
            (
                Task::ReferenceBased,
                Verdict::Correctness(Correctness::Incorrect),
            ),
            (Task::Rating, Verdict::Rating(7)),
        ];
        for (task, v) in cases {
            let rules = VerdictRules::new(task, 3);
            assert_eq!(Verdict::from_canonical(&v.canonical(), &rules), Ok(v));
        }
    }

    #[test]
    fn out_of_range_values_are_rejected_with_the_reason() {
        let rules = VerdictRules::new(Task::StepLevel, 3);
        let err = Verdict::from_canonical("3", &rules).unwrap_err();
        assert_eq!(
            err.to_string(),
            "step 3 does not exist: the solution has 3 steps (0 to 2)"
        );
        assert!(Verdict::from_canonical("-2", &rules).is_err());
        let rating = VerdictRules::new(Task::Rating, 0);
        assert!(matches!(
            Verdict::from_canonical("11", &rating),
            Err(InvalidVerdict::RatingOutOfRange { value: 11, .. })
        ));
        assert!(Verdict::Pick(Side::A).check(&rules).is_err());
    }
}
