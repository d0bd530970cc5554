//! Verdict probabilities by teacher forcing: how likely the evaluator found each admissible
//! verdict at the place where it wrote its verdict. This is what lets the UI show where the
//! model thinks the first error is, and order the queue by uncertainty.
//!
//! The scoring context is the prompt's token ids followed by the output up to the value of its
//! **last** `Verdict:` line (the line `fare_core::read_output` reads, found by the same rules:
//! markdown decoration, `Final verdict:`, a value on the next line, the harmony `final`
//! channel), the model's own spacing and decoration included (`**Verdict:** ` stays). Each
//! admissible verdict is then scored in the form the FARE interface shows the models writing:
//! step-level `-1`, `0`, `1` ...; pairwise `[A]`, `[B]`; verification `correct`, `incorrect`.
//! Rating is not scored. An output with no verdict line (truncated or unparseable) gets one
//! forced: `\nVerdict: ` is appended after it (for harmony output
//! with no final channel open, a final channel holding `Verdict: ` is opened after it, since
//! `fare_core::read_output` reads verdicts there only), and the result says so
//! ([`ScoredVerdicts::forced`]).
//!
//! Tokenisation in context: a candidate's tokens are those of `prompt + prefix + candidate` after
//! the tokens of `prompt + prefix` (the rendered prompt text, then the output up to the value).
//! They are not always a continuation of the tokens without the candidate: the space of
//! `Verdict: ` merges into ` -1` in Qwen3's tokenizer (`:`, ` ` becomes `:`, ` -`, `1`). So the
//! context is cut where the tokens without a candidate and every joined tokenisation still
//! agree, and each candidate is the rest of its joined tokenisation: all candidates are scored
//! from the same context, each in its canonical tokenisation (not summed over the other
//! tokenisations of the same text). The output is tokenised together with the prompt text, not
//! on its own: some tokenizers (SmolLM2's GGUF one) put a space before the first word of a text,
//! which would be a space the model never saw. This is the generated token sequence whenever the
//! model wrote canonical tokens, the usual case; the prompt's own ids are reused (its kept state
//! spares a second pass over it) whenever the joined tokens start with them.
//!
//! Step indices share first tokens (`1`, `10`, `11`): a candidate that is a prefix of another
//! is scored as not followed by a token starting with a digit, so `1` does not include `12`
//! (see [`crate::model::Model::score_continuations`]).

use fare_core::{Side, Task, Verdict, VerdictProbs, VerdictRules};

use crate::EngineError;
use crate::model::Model;
use crate::prompt::ModelInput;
use crate::tokenize::TextTokenizer;

/// The verdict distribution of one output.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredVerdicts {
    /// Each admissible verdict's probability at the verdict position.
    pub probs: VerdictProbs,
    /// The output had no verdict line, so `\nVerdict: ` was appended after it to score the
    /// verdicts: a guess at what the model would have said, to be shown as such.
    pub forced: bool,
}

/// Whether verdicts of `task` are scored (every task but rating).
pub fn scores_task(task: Task) -> bool {
    task != Task::Rating
}

/// The verdicts scored for a sample: all it admits ([`VerdictRules::admissible`]), none for
/// rating.
pub fn admissible_verdicts(rules: &VerdictRules) -> Vec<Verdict> {
    if scores_task(rules.task) {
        rules.admissible()
    } else {
        Vec::new()
    }
}

/// A verdict as the FARE models write it after `Verdict: ` (`[A]`, `-1`, `3`, `correct`).
pub fn written_form(verdict: Verdict) -> String {
    match verdict {
        Verdict::Pick(Side::A) => "[A]".into(),
        Verdict::Pick(Side::B) => "[B]".into(),
        other => other.canonical(),
    }
}

/// The text the verdict is scored after: the output up to the value of its last verdict line,
/// or the output with `\nVerdict: ` appended when it has none (then `true`).
pub fn verdict_prefix(output: &str) -> (String, bool) {
    match verdict_value_start(output) {
        Some(ValueStart::At(at)) => (output[..at].to_owned(), false),
        Some(ValueStart::AfterColon(at)) => (format!("{} ", &output[..at]), false),
        None if output.contains("<|channel|>") && !ends_in_final_channel(output) => {
            // Harmony output with no final channel open: the verdict is forced in a final
            // channel opened after the model's last message, where it would be read.
            let head = output.trim_end();
            let close = if head.ends_with("<|end|>") {
                ""
            } else {
                "<|end|>"
            };
            (
                format!("{head}{close}<|start|>assistant{HARMONY_FINAL}Verdict: "),
                true,
            )
        }
        None => {
            let head = output.trim_end();
            let separator = if head.is_empty() { "" } else { "\n" };
            (format!("{head}{separator}Verdict: "), true)
        }
    }
}

/// Scores every admissible verdict of `rules` after `output`, generated from `input`.
/// `None` for rating, or when the model gave every verdict probability zero.
pub fn score_verdicts(
    model: &mut Model,
    tokenizer: &TextTokenizer,
    input: &ModelInput,
    output: &str,
    rules: &VerdictRules,
) -> Result<Option<ScoredVerdicts>, EngineError> {
    let Some(scoring) = ScoringInput::new(tokenizer, input, output, rules)? else {
        return Ok(None);
    };
    let log_probs =
        model.score_continuations(&scoring.context, &scoring.candidates, &scoring.continuing)?;
    Ok(scoring.read(log_probs))
}

/// What [`score_verdicts`] asks the model: a context, each admissible verdict's tokens after
/// it, and the tokens that must not follow a verdict that is a prefix of another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoringInput {
    /// The admissible verdicts.
    pub verdicts: Vec<Verdict>,
    /// The token ids before the verdict: the prompt and the output up to the value.
    pub context: Vec<u32>,
    /// Each verdict's tokens after the context, in the order of `verdicts`.
    pub candidates: Vec<Vec<u32>>,
    /// The tokens starting with a digit for step-level (`1` must not go on as `12`); empty
    /// otherwise.
    pub continuing: Vec<u32>,
    /// Whether the verdict line was forced (see [`ScoredVerdicts::forced`]).
    pub forced: bool,
}

impl ScoringInput {
    /// The scoring input of `output`, generated from `input`; `None` for rating.
    pub fn new(
        tokenizer: &TextTokenizer,
        input: &ModelInput,
        output: &str,
        rules: &VerdictRules,
    ) -> Result<Option<ScoringInput>, EngineError> {
        let verdicts = admissible_verdicts(rules);
        if verdicts.is_empty() {
            return Ok(None);
        }
        let (prefix, forced) = verdict_prefix(output);
        let before = format!("{}{prefix}", input.text);
        let before_ids = tokenizer.encode(&before)?;
        let joined = verdicts
            .iter()
            .map(|v| tokenizer.encode(&format!("{before}{}", written_form(*v))))
            .collect::<Result<Vec<_>, _>>()?;
        let shared = joined
            .iter()
            .map(|ids| common_prefix_len(&before_ids, ids))
            .min()
            .unwrap_or(before_ids.len());
        let mut context = before_ids;
        context.truncate(shared);
        let candidates = joined.iter().map(|ids| ids[shared..].to_vec()).collect();
        let continuing = if rules.task == Task::StepLevel {
            tokenizer.digit_led_tokens()
        } else {
            Vec::new()
        };
        Ok(Some(ScoringInput {
            verdicts,
            context,
            candidates,
            continuing,
            forced,
        }))
    }
}

impl ScoringInput {
    /// The verdict probabilities from each candidate's log-probability (in the order of
    /// `candidates`); `None` when the model gave every verdict probability zero.
    pub fn read(self, log_probs: Vec<f64>) -> Option<ScoredVerdicts> {
        VerdictProbs::from_log_probs(self.verdicts.into_iter().zip(log_probs).collect()).map(
            |probs| ScoredVerdicts {
                probs,
                forced: self.forced,
            },
        )
    }
}

fn common_prefix_len(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Where the value of the last verdict line starts.
enum ValueStart {
    /// At this byte offset of the output.
    At(usize),
    /// Nothing follows the label: the colon ends before this offset.
    AfterColon(usize),
}

const HARMONY_FINAL: &str = "<|channel|>final<|message|>";
const HARMONY_ENDS: [&str; 4] = ["<|return|>", "<|end|>", "<|call|>", "<|start|>"];

/// Whether harmony output ends inside a `final` channel message (one still being written).
fn ends_in_final_channel(output: &str) -> bool {
    output
        .rfind(HARMONY_FINAL)
        .is_some_and(|at| !HARMONY_ENDS.iter().any(|end| output[at..].contains(end)))
}

/// The value of the last `Verdict:` line, by `fare_core::parse`'s rules (kept in step with
/// them by this module's tests, which read each scored text back with `read_output`).
fn verdict_value_start(output: &str) -> Option<ValueStart> {
    let (answer_start, answer) = if output.contains("<|channel|>") {
        let start = output.rfind(HARMONY_FINAL)? + HARMONY_FINAL.len();
        let rest = &output[start..];
        let end = HARMONY_ENDS
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
            .unwrap_or(rest.len());
        (start, &rest[..end])
    } else {
        (0, output)
    };
    let mut lines = Vec::new();
    let mut offset = answer_start;
    for line in answer.split_inclusive('\n') {
        lines.push((offset, line));
        offset += line.len();
    }
    let mut found = None;
    for (index, &(start, line)) in lines.iter().enumerate() {
        let Some(after) = verdict_label(line) else {
            continue;
        };
        let colon_end = start + line.len() - after.len();
        let value = after.trim_start_matches(|c: char| is_decoration(c) && c != '-');
        if value.trim_matches(is_decoration).is_empty() {
            // The value is on the next non-empty line, if any.
            found = Some(
                match lines[index + 1..]
                    .iter()
                    .find(|(_, l)| !l.trim().is_empty())
                {
                    Some(&(next_start, next)) => {
                        ValueStart::At(next_start + next.len() - next.trim_start().len())
                    }
                    None => ValueStart::AfterColon(colon_end),
                },
            );
            continue;
        }
        found = Some(ValueStart::At(colon_end + after.len() - value.len()));
    }
    found
}

fn is_decoration(c: char) -> bool {
    matches!(c, '#' | '*' | '_' | '>' | '`' | '-' | '=' | '~') || c.is_whitespace()
}

/// When `line` is a verdict label (`Verdict:`, `**Verdict:**`, `# Final verdict:` ...), the text
/// after the colon.
fn verdict_label(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches(is_decoration);
    let lower = rest.to_ascii_lowercase();
    let skip = if lower.starts_with("final ") {
        "final ".len()
    } else {
        0
    };
    if !lower[skip..].starts_with("verdict") {
        return None;
    }
    rest[skip + "verdict".len()..]
        .trim_start_matches(is_decoration)
        .strip_prefix(':')
}

#[cfg(test)]
mod tests {
    use fare_core::{Finish, Outcome, read_output};

    use super::*;

    /// Every scored text reads back, through the product's parser, as the verdict scored: the
    /// prefix is cut where `read_output` reads the value.
    #[test]
    fn each_scored_text_reads_back_as_its_verdict() {
        let outputs = [
            ("Explanation: fine.\nVerdict: 1", Task::StepLevel),
            (
                "Explanation: [A] is wrong.\n**Verdict:** [B]",
                Task::Pairwise,
            ),
            ("x\n# Verdict: [A]\nmore", Task::Pairwise),
            ("Verdict: 2\nOn reflection\nVerdict: -1.", Task::StepLevel),
            ("**Verdict**: 1.", Task::StepLevel),
            ("Final verdict:\n\n  2", Task::StepLevel),
            ("verdict:", Task::Pairwise),
            ("Explanation: cut off mid", Task::StepLevel),
            ("", Task::Pairwise),
            ("Verdict: **correct**", Task::ReferenceBased),
            ("The critique.\n\n", Task::ReferenceFree),
            (
                "<|channel|>analysis<|message|>Verdict: 1<|end|><|start|>assistant<|channel|>final<|message|>Explanation: x\nVerdict: 2<|return|>",
                Task::StepLevel,
            ),
        ];
        for (output, task) in outputs {
            let rules = VerdictRules::new(task, 12);
            let (prefix, forced) = verdict_prefix(output);
            assert_eq!(
                forced,
                !output.to_ascii_lowercase().contains("verdict"),
                "{output:?}"
            );
            assert!(
                forced || output.starts_with(&prefix) || prefix.ends_with(": "),
                "{output:?} → {prefix:?}"
            );
            for verdict in admissible_verdicts(&rules) {
                let text = format!("{prefix}{}", written_form(verdict));
                assert_eq!(
                    read_output(&text, &rules, Finish::Stopped).outcome,
                    Outcome::Parsed { verdict },
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn a_harmony_output_without_a_final_verdict_gets_one_forced_in_a_final_channel() {
        let rules = VerdictRules::new(Task::StepLevel, 4);
        for output in [
            "<|channel|>analysis<|message|>Step 1 is wrong. Verdict: 1 maybe",
            "<|channel|>analysis<|message|>Thinking.<|end|>",
            "<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Explanation: no verdict line",
        ] {
            let (prefix, forced) = verdict_prefix(output);
            assert!(forced, "{output:?}");
            assert!(
                prefix.ends_with("<|end|><|start|>assistant<|channel|>final<|message|>Verdict: ")
                    || prefix.ends_with("no verdict line\nVerdict: "),
                "{prefix:?}"
            );
            let judgment = read_output(&format!("{prefix}2"), &rules, Finish::Stopped);
            assert_eq!(
                judgment.outcome,
                Outcome::Parsed {
                    verdict: Verdict::FirstError(Some(2))
                },
                "{prefix:?}"
            );
            assert!(judgment.analysis.is_some());
        }
    }

    #[test]
    fn the_prefix_keeps_the_models_own_spacing_and_decoration() {
        assert_eq!(
            verdict_prefix("E: x\n**Verdict:** [B]"),
            ("E: x\n**Verdict:** ".to_owned(), false)
        );
        assert_eq!(
            verdict_prefix("Verdict: **2**"),
            ("Verdict: **".to_owned(), false)
        );
        assert_eq!(
            verdict_prefix("Verdict: -1"),
            ("Verdict: ".to_owned(), false)
        );
        assert_eq!(verdict_prefix("Verdict:"), ("Verdict: ".to_owned(), false));
        assert_eq!(
            verdict_prefix("Explanation: cut off \n"),
            ("Explanation: cut off\nVerdict: ".to_owned(), true)
        );
    }

    #[test]
    fn admissible_verdicts_follow_the_task() {
        let step = admissible_verdicts(&VerdictRules::new(Task::StepLevel, 3));
        let texts: Vec<String> = step.iter().map(|v| written_form(*v)).collect();
        assert_eq!(texts, ["-1", "0", "1", "2"]);
        let pair = admissible_verdicts(&VerdictRules::new(Task::Pairwise, 0));
        assert_eq!(
            pair.iter().map(|v| written_form(*v)).collect::<Vec<_>>(),
            ["[A]", "[B]"]
        );
        assert!(admissible_verdicts(&VerdictRules::new(Task::Rating, 0)).is_empty());
        assert!(!scores_task(Task::Rating) && scores_task(Task::ReferenceFree));
    }
}
