//! Prompt templates as versioned data, and their exact rendering.
//!
//! A template is a TOML document (the shipped ones live in `assets/templates/`, one per task):
//! the system message, the user message with `{placeholders}`, optional blocks, an optional
//! direct-judgment variant, and where the text comes from (`provenance`). FARE was trained on
//! these exact bytes, so rendering is a single pass of plain substitution: a placeholder is
//! replaced by the sample's field and the inserted text is never scanned again (a question that
//! contains `{response_a}` stays as written).
//!
//! The [`Template::content_hash`] covers everything that changes what the model sees, and is how
//! runs and exports name the template they used.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sample::{Content, Sample, Task};
use crate::verdict::DEFAULT_RATING_SCALE;

/// Where a template's wording comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provenance {
    /// Copied from the FARE model cards: the wording the models were trained on.
    ModelCard,
    /// Written by us in the same style; FARE's own wording is not public. Shown as such in the UI.
    Provisional,
}

/// The direct-judgment variant: a verdict without a critique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectMode {
    /// Where the direct-mode wording comes from.
    pub provenance: Provenance,
    /// A note on the wording's origin.
    #[serde(default)]
    pub source: String,
    /// The system message used instead of the template's own.
    pub system: String,
}

/// A prompt template for one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The task the template is for.
    pub task: Task,
    /// A short name, unique with the version.
    pub name: String,
    /// The version of this wording.
    pub version: u32,
    /// Where the wording comes from.
    pub provenance: Provenance,
    /// A note on the wording's origin.
    #[serde(default)]
    pub source: String,
    /// The inclusive rating scale (rating task only).
    #[serde(default)]
    pub rating_scale: Option<(i32, i32)>,
    /// The system message.
    pub system: String,
    /// The user message, with placeholders.
    pub user: String,
    /// Blocks inserted by `{?name}` only when the sample has the field `name`.
    #[serde(default)]
    pub optional: BTreeMap<String, String>,
    /// The direct-judgment variant, when the template has one.
    #[serde(default)]
    pub direct: Option<DirectMode>,
}

/// Critique-then-verdict (FARE's default) or verdict only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum PromptMode {
    /// An explanation followed by `Verdict:`.
    #[default]
    Critique,
    /// The verdict alone.
    Direct,
}

impl PromptMode {
    /// The stored and shown name: `critique` or `direct`.
    pub fn as_str(self) -> &'static str {
        match self {
            PromptMode::Critique => "critique",
            PromptMode::Direct => "direct",
        }
    }

    /// The mode a stored name means; `None` for any other text.
    pub fn from_name(name: &str) -> Option<PromptMode> {
        match name {
            "critique" => Some(PromptMode::Critique),
            "direct" => Some(PromptMode::Direct),
            _ => None,
        }
    }
}

/// For pairwise samples: the order in which the two responses are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResponseOrder {
    /// A first, as in the data.
    #[default]
    Original,
    /// B shown as assistant A and A as assistant B, to measure position bias.
    Swapped,
}

/// The two messages sent to the evaluator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// The task protocol.
    pub system: String,
    /// The data.
    pub user: String,
}

/// What is wrong with a template file or a rendering request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The TOML does not parse or misses a field.
    #[error("template is not valid TOML: {0}")]
    Syntax(String),
    /// A `{placeholder}` that the task does not provide.
    #[error(
        "{place} uses the placeholder `{{{name}}}`, which a {task} template cannot fill (known: {known})"
    )]
    UnknownPlaceholder {
        /// Which text holds it.
        place: &'static str,
        /// The placeholder's name.
        name: String,
        /// The template's task.
        task: Task,
        /// The placeholders that exist.
        known: String,
    },
    /// A field every sample of the task has, never used by the user message.
    #[error("the user message never inserts `{{{name}}}`, so the evaluator would not see it")]
    MissingPlaceholder {
        /// The missing placeholder.
        name: &'static str,
    },
    /// `{?name}` without an `[optional]` block of that name.
    #[error("`{{?{name}}}` has no [optional] block named `{name}`")]
    MissingOptionalBlock {
        /// The block's name.
        name: String,
    },
    /// A sample of another task.
    #[error("a {template} template cannot render a {sample} sample")]
    WrongTask {
        /// The template's task.
        template: Task,
        /// The sample's task.
        sample: Task,
    },
    /// Direct mode asked of a template without one.
    #[error("template `{0}` has no direct-judgment variant")]
    NoDirectMode(String),
}

/// The placeholders each task fills: (name, always present).
fn placeholders(task: Task) -> &'static [(&'static str, bool)] {
    match task {
        Task::Pairwise => &[
            ("question", true),
            ("response_a", true),
            ("response_b", true),
        ],
        Task::StepLevel => &[("question", true), ("tagged_steps", true)],
        Task::ReferenceFree => &[("question", true), ("response", true)],
        Task::ReferenceBased => &[("question", true), ("response", true), ("reference", true)],
        Task::Rating => &[
            ("question", true),
            ("response", true),
            ("rubric", false),
            ("reference", false),
        ],
    }
}

/// One piece of a template text.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Field(&'a str),
    Optional(&'a str),
}

/// Splits a template text into literal text and placeholders. Only `{name}` and `{?name}` with
/// `name` made of lowercase letters, digits and `_` are placeholders; other braces are text.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let optional = bytes.get(i + 1) == Some(&b'?');
            let name_start = i + 1 + usize::from(optional);
            let name_len = bytes[name_start..]
                .iter()
                .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || **b == b'_')
                .count();
            let close = name_start + name_len;
            if name_len > 0 && bytes.get(close) == Some(&b'}') {
                if literal_start < i {
                    out.push(Piece::Text(&text[literal_start..i]));
                }
                let name = &text[name_start..close];
                out.push(if optional {
                    Piece::Optional(name)
                } else {
                    Piece::Field(name)
                });
                i = close + 1;
                literal_start = i;
                continue;
            }
        }
        i += 1;
    }
    if literal_start < text.len() {
        out.push(Piece::Text(&text[literal_start..]));
    }
    out
}

/// Wraps steps as FARE's step-level template expects: `<step i> text</step i>`, one per line.
pub fn tag_steps(steps: &[String]) -> String {
    let mut out = String::new();
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "<step {i}> {step}</step {i}>");
    }
    out
}

impl Template {
    /// Reads and checks a template from its TOML text.
    pub fn from_toml(text: &str) -> Result<Template, TemplateError> {
        let template: Template =
            toml::from_str(text).map_err(|e| TemplateError::Syntax(e.to_string()))?;
        template.validate()?;
        Ok(template)
    }

    /// The template as TOML, for storing in a project file.
    pub fn to_toml(&self) -> String {
        // Serialising a plain struct of strings and maps cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// The five templates shipped with FARE Lens, one per task.
    pub fn builtin() -> Vec<Template> {
        const FILES: [&str; 5] = [
            include_str!("../../../assets/templates/pairwise.toml"),
            include_str!("../../../assets/templates/step-level.toml"),
            include_str!("../../../assets/templates/reference-free.toml"),
            include_str!("../../../assets/templates/reference-based.toml"),
            include_str!("../../../assets/templates/rating.toml"),
        ];
        // The shipped files are checked by this crate's tests; a broken one is a build defect.
        FILES
            .iter()
            .filter_map(|text| Template::from_toml(text).ok())
            .collect()
    }

    /// The shipped template for a task.
    pub fn builtin_for(task: Task) -> Option<Template> {
        Template::builtin().into_iter().find(|t| t.task == task)
    }

    /// The inclusive rating scale (1 to 10 unless the template says otherwise).
    pub fn rating_scale(&self) -> (i32, i32) {
        self.rating_scale.unwrap_or(DEFAULT_RATING_SCALE)
    }

    fn validate(&self) -> Result<(), TemplateError> {
        let known = placeholders(self.task);
        let known_list = || {
            known
                .iter()
                .map(|(n, _)| format!("{{{n}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let is_known = |name: &str| known.iter().any(|(n, _)| *n == name);
        let mut texts: Vec<(&'static str, &str)> = vec![
            ("the system message", &self.system),
            ("the user message", &self.user),
        ];
        if let Some(direct) = &self.direct {
            texts.push(("the direct system message", &direct.system));
        }
        for block in self.optional.values() {
            texts.push(("an [optional] block", block));
        }
        for (place, text) in texts {
            for piece in pieces(text) {
                match piece {
                    Piece::Field(name) if !is_known(name) => {
                        return Err(TemplateError::UnknownPlaceholder {
                            place,
                            name: name.to_owned(),
                            task: self.task,
                            known: known_list(),
                        });
                    }
                    Piece::Optional(name) if !self.optional.contains_key(name) => {
                        return Err(TemplateError::MissingOptionalBlock {
                            name: name.to_owned(),
                        });
                    }
                    _ => {}
                }
            }
        }
        for (name, required) in known {
            let used = pieces(&self.user)
                .iter()
                .any(|p| matches!(p, Piece::Field(n) if n == name));
            if *required && !used {
                return Err(TemplateError::MissingPlaceholder { name });
            }
        }
        Ok(())
    }

    /// A stable hex digest of everything that changes what the model sees.
    pub fn content_hash(&self) -> String {
        #[derive(Serialize)]
        struct Hashed<'a> {
            task: Task,
            system: &'a str,
            user: &'a str,
            optional: &'a BTreeMap<String, String>,
            direct_system: Option<&'a str>,
            rating_scale: (i32, i32),
        }
        let hashed = Hashed {
            task: self.task,
            system: &self.system,
            user: &self.user,
            optional: &self.optional,
            direct_system: self.direct.as_ref().map(|d| d.system.as_str()),
            rating_scale: self.rating_scale(),
        };
        let bytes = serde_json::to_vec(&hashed).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        digest.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// Renders the prompt for a sample, byte for byte as the model was trained on.
    pub fn render(
        &self,
        sample: &Sample,
        mode: PromptMode,
        order: ResponseOrder,
    ) -> Result<Prompt, TemplateError> {
        if sample.task() != self.task {
            return Err(TemplateError::WrongTask {
                template: self.task,
                sample: sample.task(),
            });
        }
        let fields = Fields::of(sample, order);
        let system_text = match mode {
            PromptMode::Critique => &self.system,
            PromptMode::Direct => {
                &self
                    .direct
                    .as_ref()
                    .ok_or_else(|| TemplateError::NoDirectMode(self.name.clone()))?
                    .system
            }
        };
        Ok(Prompt {
            system: self.fill(system_text, &fields),
            user: self.fill(&self.user, &fields),
        })
    }

    fn fill(&self, text: &str, fields: &Fields<'_>) -> String {
        let mut out = String::with_capacity(text.len() + 256);
        for piece in pieces(text) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(name) => out.push_str(fields.get(name).unwrap_or_default()),
                Piece::Optional(name) => {
                    if fields.get(name).is_some()
                        && let Some(block) = self.optional.get(name)
                    {
                        out.push_str(&self.fill(block, fields));
                    }
                }
            }
        }
        out
    }
}

/// The values a sample gives its placeholders.
struct Fields<'a> {
    question: &'a str,
    content: &'a Content,
    order: ResponseOrder,
    tagged_steps: String,
}

impl<'a> Fields<'a> {
    fn of(sample: &'a Sample, order: ResponseOrder) -> Self {
        Fields {
            question: &sample.question,
            content: &sample.content,
            order,
            tagged_steps: tag_steps(sample.content.steps()),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        let swapped = self.order == ResponseOrder::Swapped;
        match (name, self.content) {
            ("question", _) => Some(self.question),
            ("tagged_steps", Content::StepLevel { .. }) => Some(&self.tagged_steps),
            (
                "response_a",
                Content::Pairwise {
                    response_a,
                    response_b,
                },
            ) => Some(if swapped { response_b } else { response_a }),
            (
                "response_b",
                Content::Pairwise {
                    response_a,
                    response_b,
                },
            ) => Some(if swapped { response_a } else { response_b }),
            (
                "response",
                Content::ReferenceFree { response }
                | Content::ReferenceBased { response, .. }
                | Content::Rating { response, .. },
            ) => Some(response),
            ("reference", Content::ReferenceBased { reference, .. }) => Some(reference),
            ("reference", Content::Rating { reference, .. }) => reference.as_deref(),
            ("rubric", Content::Rating { rubric, .. }) => rubric.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(content: Content) -> Sample {
        Sample {
            external_id: "s1".into(),
            source: None,
            question: "What is 3 + 4?".into(),
            content,
            gold: None,
            metadata: serde_json::Map::new(),
        }
    }

    #[test]
    fn every_task_ships_a_valid_template() {
        let builtin = Template::builtin();
        assert_eq!(builtin.len(), 5, "a shipped template failed to load");
        for task in Task::ALL {
            let t = Template::builtin_for(task).expect("template for every task");
            let expected = if matches!(task, Task::Pairwise | Task::StepLevel) {
                Provenance::ModelCard
            } else {
                Provenance::Provisional
            };
            assert_eq!(t.provenance, expected, "{task}");
            assert_eq!(
                t.direct.as_ref().map(|d| d.provenance),
                Some(Provenance::Provisional)
            );
        }
    }

    #[test]
    fn steps_are_tagged_exactly_as_the_model_card_shows() {
        let steps = vec![
            "Let x be the number of apples.".to_owned(),
            "Then 3x = 12, so x = 5.".to_owned(),
            "The answer is 5.".to_owned(),
        ];
        assert_eq!(
            tag_steps(&steps),
            "<step 0> Let x be the number of apples.</step 0>\n<step 1> Then 3x = 12, so x = 5.</step 1>\n<step 2> The answer is 5.</step 2>"
        );
    }

    #[test]
    fn step_level_prompt_is_byte_exact() {
        let t = Template::builtin_for(Task::StepLevel).expect("step-level template");
        let s = sample(Content::StepLevel {
            steps: vec!["3 + 4 = 7.".into(), "The answer is 7.".into()],
        });
        let p = t
            .render(&s, PromptMode::Critique, ResponseOrder::Original)
            .expect("render");
        assert_eq!(
            p.user,
            "[User Question]\nWhat is 3 + 4?\n\n[The Start of Assistant's Answer]\n<step 0> 3 + 4 = 7.</step 0>\n<step 1> The answer is 7.</step 1>\n[The End of Assistant's Answer]"
        );
        assert!(p.system.starts_with("Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant"));
        assert!(
            p.system
                .ends_with("Verdict: The step number with the error or -1 if no error occurs")
        );
        assert!(
            p.system.contains("Before providing an your final verdict"),
            "trained typo kept"
        );
    }

    #[test]
    fn inserted_text_is_never_rescanned() {
        let t = Template::builtin_for(Task::Pairwise).expect("pairwise template");
        let mut s = sample(Content::Pairwise {
            response_a: "{response_b} and {question}".into(),
            response_b: "B".into(),
        });
        s.question = "Is {response_a} a {placeholder}?".into();
        let p = t
            .render(&s, PromptMode::Critique, ResponseOrder::Original)
            .expect("render");
        assert!(
            p.user
                .starts_with("[User Question]\nIs {response_a} a {placeholder}?\n\n")
        );
        assert!(p.user.contains("[The Start of Assistant A's Answer]\n{response_b} and {question}\n[The End of Assistant A's Answer]"));
    }

    #[test]
    fn swapped_order_exchanges_the_responses() {
        let t = Template::builtin_for(Task::Pairwise).expect("pairwise template");
        let s = sample(Content::Pairwise {
            response_a: "first".into(),
            response_b: "second".into(),
        });
        let p = t
            .render(&s, PromptMode::Critique, ResponseOrder::Swapped)
            .expect("render");
        assert!(p.user.contains("Assistant A's Answer]\nsecond\n"));
        assert!(p.user.contains("Assistant B's Answer]\nfirst\n"));
    }

    #[test]
    fn optional_blocks_appear_only_with_their_field() {
        let t = Template::builtin_for(Task::Rating).expect("rating template");
        let without = sample(Content::Rating {
            response: "7".into(),
            rubric: None,
            reference: None,
        });
        let with = sample(Content::Rating {
            response: "7".into(),
            rubric: Some("Exact answer only.".into()),
            reference: None,
        });
        let a = t
            .render(&without, PromptMode::Critique, ResponseOrder::Original)
            .expect("render");
        let b = t
            .render(&with, PromptMode::Critique, ResponseOrder::Original)
            .expect("render");
        assert_eq!(
            a.user,
            "[User Question]\nWhat is 3 + 4?\n\n[The Start of Assistant's Answer]\n7\n[The End of Assistant's Answer]"
        );
        assert_eq!(
            b.user,
            "[User Question]\nWhat is 3 + 4?\n\n[Rubric]\nExact answer only.\n\n[The Start of Assistant's Answer]\n7\n[The End of Assistant's Answer]"
        );
    }

    #[test]
    fn direct_mode_uses_its_own_system_message() {
        let t = Template::builtin_for(Task::StepLevel).expect("template");
        let s = sample(Content::StepLevel {
            steps: vec!["x".into()],
        });
        let p = t
            .render(&s, PromptMode::Direct, ResponseOrder::Original)
            .expect("render");
        assert!(p.system.contains("Do not provide an explanation."));
        assert!(!p.system.contains("Explanation: Your explanation here"));
    }

    #[test]
    fn bad_templates_are_rejected_with_the_reason() {
        let base = Template::builtin_for(Task::Pairwise).expect("template");
        let mut typo = base.clone();
        typo.user = typo.user.replace("{response_b}", "{respnse_b}");
        let err = Template::from_toml(&typo.to_toml()).expect_err("typo");
        assert!(
            matches!(err, TemplateError::UnknownPlaceholder { ref name, .. } if name == "respnse_b"),
            "{err}"
        );
        let mut missing = base.clone();
        missing.user = missing.user.replace("{response_b}", "B");
        assert_eq!(
            Template::from_toml(&missing.to_toml()),
            Err(TemplateError::MissingPlaceholder { name: "response_b" })
        );
        assert!(matches!(
            Template::from_toml("task = 3"),
            Err(TemplateError::Syntax(_))
        ));
    }

    #[test]
    fn content_hash_follows_the_text_not_the_comments() {
        let a = Template::builtin_for(Task::Pairwise).expect("template");
        let mut b = a.clone();
        b.source = "another note".into();
        assert_eq!(a.content_hash(), b.content_hash());
        b.system.push(' ');
        assert_ne!(a.content_hash(), b.content_hash());
        assert_eq!(a.content_hash().len(), 64);
        let round_trip = Template::from_toml(&a.to_toml()).expect("round trip");
        assert_eq!(round_trip, a);
    }
}
