//! Reading the verdict out of an evaluator's raw output.
//!
//! The rules follow FARE's interface: read only the final answer (the harmony `final` channel
//! when the output has channels), take the **last** `Verdict:` line (tolerating markdown
//! decoration, brackets, the word "step", trailing punctuation), and check the value against the
//! sample. Everything else is unparseable, a state of its own that is never mapped to a verdict;
//! output cut off by the token limit before a complete verdict is truncated.
//!
//! A critique often quotes `[A]` or mentions a step number before its verdict, so nothing is
//! ever read outside the verdict line.

use serde::{Deserialize, Serialize};

use crate::judgment::{Judgment, Outcome};
use crate::sample::Task;
use crate::verdict::{Correctness, Side, Verdict, VerdictRules};

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finish {
    /// The model ended its answer (or the output came from a file with no such information).
    #[default]
    Stopped,
    /// The token limit was reached.
    Length,
}

const HARMONY_FINAL: &str = "<|channel|>final<|message|>";
const HARMONY_ANALYSIS: &str = "<|channel|>analysis<|message|>";
const HARMONY_ENDS: [&str; 4] = ["<|return|>", "<|end|>", "<|call|>", "<|start|>"];

/// Reads an evaluator's raw output for a sample.
pub fn read_output(raw: &str, rules: &VerdictRules, finish: Finish) -> Judgment {
    let (answer, analysis, has_channels) = split_harmony(raw);
    if has_channels && answer.is_none() {
        return Judgment {
            raw_output: raw.to_owned(),
            outcome: if finish == Finish::Length {
                Outcome::Truncated
            } else {
                Outcome::Unparseable {
                    reason: "the output has no final channel".into(),
                }
            },
            critique: String::new(),
            analysis,
        };
    }
    let answer = answer.unwrap_or(raw);
    let Some(line) = last_verdict_line(answer) else {
        return Judgment {
            raw_output: raw.to_owned(),
            outcome: if finish == Finish::Length {
                Outcome::Truncated
            } else {
                Outcome::Unparseable {
                    reason: "no `Verdict:` line".into(),
                }
            },
            critique: critique_of(answer, answer.len()),
            analysis,
        };
    };
    let critique = critique_of(answer, line.start);
    // Under the token limit, a verdict on the very last line may have been cut mid-value
    // (`Verdict: 1` of an intended `Verdict: 12`): do not trust it.
    let cut_off = finish == Finish::Length && !answer[line.end..].contains('\n');
    let outcome = if cut_off {
        Outcome::Truncated
    } else {
        match read_value(line.value, rules) {
            Ok(verdict) => Outcome::Parsed { verdict },
            Err(reason) => Outcome::Unparseable { reason },
        }
    };
    Judgment {
        raw_output: raw.to_owned(),
        outcome,
        critique,
        analysis,
    }
}

/// Splits harmony output into (final channel text, analysis text, whether channels exist).
fn split_harmony(raw: &str) -> (Option<&str>, Option<String>, bool) {
    if !raw.contains("<|channel|>") {
        return (None, None, false);
    }
    let body = |from: usize| {
        let rest = &raw[from..];
        let end = HARMONY_ENDS
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
            .unwrap_or(rest.len());
        &rest[..end]
    };
    let analysis: Vec<&str> = raw
        .match_indices(HARMONY_ANALYSIS)
        .map(|(i, m)| body(i + m.len()).trim())
        .collect();
    let analysis = (!analysis.is_empty()).then(|| analysis.join("\n\n"));
    let answer = raw
        .rfind(HARMONY_FINAL)
        .map(|i| body(i + HARMONY_FINAL.len()));
    (answer, analysis, true)
}

/// A `Verdict:` line: where it starts and ends in the text, and the text after the colon.
struct VerdictLine<'a> {
    start: usize,
    end: usize,
    value: &'a str,
}

fn is_decoration(c: char) -> bool {
    matches!(c, '#' | '*' | '_' | '>' | '`' | '-' | '=' | '~') || c.is_whitespace()
}

/// The last line of `text` that reads `Verdict:` once decoration is removed. When nothing follows
/// the colon, the value is the next non-empty line.
fn last_verdict_line(text: &str) -> Option<VerdictLine<'_>> {
    let mut found = None;
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .map(|l| {
            let start = offset;
            offset += l.len();
            (start, l)
        })
        .collect();
    for (index, (start, line)) in lines.iter().enumerate() {
        let Some(after) = verdict_label(line) else {
            continue;
        };
        let value = after.trim_matches(|c: char| is_decoration(c) && c != '-');
        let value = value.trim();
        if value.trim_matches(is_decoration).is_empty() {
            // `Verdict:` alone: the value is on the next non-empty line, if any.
            if let Some((next_start, next)) = lines[index + 1..]
                .iter()
                .find(|(_, l)| !l.trim().is_empty())
            {
                found = Some(VerdictLine {
                    start: *start,
                    end: next_start + next.trim_end_matches(['\r', '\n']).len(),
                    value: next.trim(),
                });
            } else {
                found = Some(VerdictLine {
                    start: *start,
                    end: start + line.trim_end_matches(['\r', '\n']).len(),
                    value: "",
                });
            }
            continue;
        }
        found = Some(VerdictLine {
            start: *start,
            end: start + line.trim_end_matches(['\r', '\n']).len(),
            value,
        });
    }
    found
}

/// When `line` is a verdict label (`Verdict:`, `**Verdict:**`, `# Final verdict:` ...), the text
/// after the colon.
fn verdict_label(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches(is_decoration);
    let lower = rest.to_ascii_lowercase();
    let mut skip = 0;
    if lower.starts_with("final ") {
        skip = "final ".len();
    }
    if !lower[skip..].starts_with("verdict") {
        return None;
    }
    let after_word = &rest[skip + "verdict".len()..];
    let after_decoration = after_word.trim_start_matches(is_decoration);
    after_decoration.strip_prefix(':')
}

/// Strips markdown, brackets, quotes and trailing punctuation around a verdict value.
fn clean(value: &str) -> String {
    let stripped: String = value
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`' | '[' | ']' | '"' | '\'' | '\\'))
        .collect();
    stripped
        .trim()
        .trim_end_matches(['.', '!', ',', ';', ':'])
        .trim()
        .to_ascii_lowercase()
}

fn read_value(value: &str, rules: &VerdictRules) -> Result<Verdict, String> {
    if value.trim().is_empty() {
        return Err("the `Verdict:` line is empty".into());
    }
    let cleaned = clean(value);
    let shown: String = value.chars().take(60).collect();
    match rules.task {
        Task::Pairwise => read_side(&cleaned)
            .map(Verdict::Pick)
            .ok_or_else(|| format!("`{shown}` is not A or B")),
        Task::StepLevel => {
            let index = read_step_index(&cleaned)
                .ok_or_else(|| format!("`{shown}` is not a step number or -1"))?;
            Verdict::first_error_from_index(index, rules.step_count).map_err(|e| e.to_string())
        }
        Task::ReferenceFree | Task::ReferenceBased => read_correctness(&cleaned)
            .map(Verdict::Correctness)
            .ok_or_else(|| format!("`{shown}` is not correct or incorrect")),
        Task::Rating => {
            let value =
                read_rating(&cleaned).ok_or_else(|| format!("`{shown}` is not a rating"))?;
            let (min, max) = rules.rating_scale;
            match i32::try_from(value) {
                Ok(r) if (min..=max).contains(&r) => Ok(Verdict::Rating(r)),
                _ => Err(format!(
                    "rating {value} is outside the scale {min} to {max}"
                )),
            }
        }
    }
}

fn read_side(cleaned: &str) -> Option<Side> {
    let words: Vec<&str> = cleaned
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    let side = |w: &str| match w {
        "a" => Some(Side::A),
        "b" => Some(Side::B),
        _ => None,
    };
    match words.as_slice() {
        [w] => side(w),
        [prefix, w] if matches!(*prefix, "assistant" | "response" | "answer" | "model") => side(w),
        _ => None,
    }
}

/// A leading integer, after an optional "step"; the rest may explain but name no other number.
fn read_step_index(cleaned: &str) -> Option<i64> {
    let rest = cleaned.trim_start_matches('(');
    let rest = rest
        .strip_prefix("step number")
        .or_else(|| rest.strip_prefix("step"))
        .unwrap_or(rest);
    let (number, tail) = leading_integer(rest.trim_start())?;
    if tail.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let tail = tail.trim_start();
    // Allow a short parenthetical or clause ("-1 (no error)"), not a second verdict.
    if !(tail.is_empty() || tail.starts_with(['(', ',', '-', '–', '—', ':'])) {
        return None;
    }
    Some(number)
}

fn read_correctness(cleaned: &str) -> Option<Correctness> {
    // The first word need not start the text ("→ correct"): the rest is what follows the word.
    let start = cleaned.find(char::is_alphanumeric)?;
    let end = cleaned[start..]
        .find(|c: char| !c.is_alphanumeric())
        .map_or(cleaned.len(), |e| start + e);
    let (first, rest) = (&cleaned[start..end], &cleaned[end..]);
    let rest_mentions_other = |other: &str| rest.contains(other);
    match first {
        "correct" if !rest_mentions_other("incorrect") => Some(Correctness::Correct),
        "incorrect" if !rest_mentions_other(" correct") => Some(Correctness::Incorrect),
        _ => None,
    }
}

/// A leading integer, optionally written `7/10` or `7 out of 10`.
fn read_rating(cleaned: &str) -> Option<i64> {
    let (number, tail) = leading_integer(cleaned)?;
    let tail = tail.trim_start();
    let tail = tail
        .strip_prefix('/')
        .or_else(|| tail.strip_prefix("out of"))
        .map_or(tail, |t| {
            t.trim_start()
                .trim_start_matches(|c: char| c.is_ascii_digit())
        });
    if tail.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(number)
}

/// Splits `-12 rest` into (-12, " rest").
fn leading_integer(text: &str) -> Option<(i64, &str)> {
    let sign = usize::from(text.starts_with('-'));
    let digits = text[sign..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let end = sign + digits;
    Some((text[..end].parse().ok()?, &text[end..]))
}

/// The explanation: after the first `Explanation:` label if any, up to `end`.
fn critique_of(answer: &str, end: usize) -> String {
    let head = &answer[..end];
    let mut start = 0;
    let mut offset = 0;
    for line in head.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(is_decoration);
        if trimmed
            .get(.."explanation".len())
            .is_some_and(|w| w.eq_ignore_ascii_case("explanation"))
        {
            let after = trimmed["explanation".len()..].trim_start_matches(is_decoration);
            if let Some(text) = after.strip_prefix(':') {
                start = offset + (line.len() - text.len());
                break;
            }
        }
        offset += line.len();
    }
    head[start..]
        .trim_start_matches(is_decoration)
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(task: Task, steps: usize, raw: &str) -> Outcome {
        read_output(raw, &VerdictRules::new(task, steps), Finish::Stopped).outcome
    }

    fn parsed(v: Verdict) -> Outcome {
        Outcome::Parsed { verdict: v }
    }

    fn unparseable(outcome: &Outcome) -> bool {
        matches!(outcome, Outcome::Unparseable { .. })
    }

    /// The adversarial table: outputs that fool naive parsers.
    #[test]
    fn adversarial_outputs() {
        use Verdict::{Correctness as C, FirstError, Pick, Rating};
        let pair = |raw| read(Task::Pairwise, 0, raw);
        let step = |raw| read(Task::StepLevel, 4, raw);
        // A critique that quotes [A] before choosing B.
        assert_eq!(
            pair("Explanation: [A] claims x=3, which is wrong.\nVerdict: [B]"),
            parsed(Pick(Side::B))
        );
        // Decorations.
        assert_eq!(
            read(Task::ReferenceFree, 0, "Verdict: →→→ correct"),
            parsed(C(Correctness::Correct))
        );
        assert_eq!(
            read(Task::ReferenceBased, 0, "Verdict: « incorrect »"),
            parsed(C(Correctness::Incorrect))
        );
        assert_eq!(pair("# Verdict: [A]"), parsed(Pick(Side::A)));
        assert_eq!(pair("**Verdict:** [B]"), parsed(Pick(Side::B)));
        assert_eq!(pair("**Verdict**: [[A]]."), parsed(Pick(Side::A)));
        assert_eq!(pair("Verdict: Assistant B"), parsed(Pick(Side::B)));
        assert_eq!(pair("verdict:\n\n[A]"), parsed(Pick(Side::A)));
        // Two verdicts: the last one counts.
        assert_eq!(
            pair("Verdict: [A]\nOn reflection, B handles the edge case.\nVerdict: [B]"),
            parsed(Pick(Side::B))
        );
        // Ambiguous or absent.
        assert!(unparseable(&pair("Verdict: [A] or [B]")));
        assert!(unparseable(&pair("Verdict: tie")));
        assert!(unparseable(&pair("Both answers are fine. I prefer [A].")));
        assert!(unparseable(&pair("Verdict:")));
        // Step-level.
        assert_eq!(step("Verdict: 1"), parsed(FirstError(Some(1))));
        assert_eq!(step("Verdict: -1"), parsed(FirstError(None)));
        assert_eq!(step("**Verdict:** -1."), parsed(FirstError(None)));
        assert_eq!(step("Verdict: [2]"), parsed(FirstError(Some(2))));
        assert_eq!(step("Verdict: step 3"), parsed(FirstError(Some(3))));
        assert_eq!(step("**Verdict**: 1."), parsed(FirstError(Some(1))));
        assert_eq!(step("Verdict: -1 (no error)"), parsed(FirstError(None)));
        assert_eq!(
            step("Step 0 is fine, step 2 is wrong.\nVerdict: 2"),
            parsed(FirstError(Some(2)))
        );
        assert!(unparseable(&step("Verdict: [4]")), "beyond the last step");
        assert!(unparseable(&step("Verdict: -2")));
        assert!(unparseable(&step("Verdict: 1 or 2")));
        assert!(unparseable(&step("Verdict: none")));
        assert!(unparseable(&step("The error is in step 2.")));
        // Verification and rating.
        let verify = |raw| read(Task::ReferenceBased, 0, raw);
        assert_eq!(
            verify("Verdict: Incorrect."),
            parsed(C(Correctness::Incorrect))
        );
        assert_eq!(
            verify("Verdict: **correct**"),
            parsed(C(Correctness::Correct))
        );
        assert!(unparseable(&verify("Verdict: correct or incorrect")));
        assert!(unparseable(&verify("Verdict: partially")));
        let rate = |raw| read(Task::Rating, 0, raw);
        assert_eq!(rate("Verdict: 7"), parsed(Rating(7)));
        assert_eq!(rate("Verdict: 8/10"), parsed(Rating(8)));
        assert!(unparseable(&rate("Verdict: 11")));
        assert!(unparseable(&rate("Verdict: 7 or 8")));
    }

    #[test]
    fn harmony_final_channel_is_the_only_answer() {
        let raw = "<|channel|>analysis<|message|>Step 1 looks wrong. Verdict: 1<|end|><|start|>assistant<|channel|>final<|message|>Explanation: step 2 divides by zero.\nVerdict: 2<|return|>";
        let r = read_output(raw, &VerdictRules::new(Task::StepLevel, 3), Finish::Stopped);
        assert_eq!(r.outcome, parsed(Verdict::FirstError(Some(2))));
        assert_eq!(r.critique, "step 2 divides by zero.");
        assert_eq!(
            r.analysis.as_deref(),
            Some("Step 1 looks wrong. Verdict: 1")
        );
        let no_final = "<|channel|>analysis<|message|>Verdict: [A]<|end|>";
        assert!(
            unparseable(&read(Task::Pairwise, 0, no_final)),
            "analysis never counts"
        );
    }

    #[test]
    fn truncated_outputs_are_their_own_state() {
        let rules = VerdictRules::new(Task::StepLevel, 20);
        let cut = read_output(
            "Explanation: step 0 is fine, step 1",
            &rules,
            Finish::Length,
        );
        assert_eq!(cut.outcome, Outcome::Truncated);
        let maybe_cut = read_output("Explanation: x\nVerdict: 1", &rules, Finish::Length);
        assert_eq!(
            maybe_cut.outcome,
            Outcome::Truncated,
            "`1` may be the start of `12`"
        );
        let complete = read_output(
            "Explanation: x\nVerdict: 1\nMore text",
            &rules,
            Finish::Length,
        );
        assert_eq!(complete.outcome, parsed(Verdict::FirstError(Some(1))));
        let harmony = read_output(
            "<|channel|>analysis<|message|>thinking",
            &rules,
            Finish::Length,
        );
        assert_eq!(harmony.outcome, Outcome::Truncated);
    }

    #[test]
    fn critique_is_the_explanation_without_the_verdict() {
        let r = read_output(
            "Explanation: Step 1 adds instead of multiplying.\nSo it is wrong.\n\nVerdict: 1",
            &VerdictRules::new(Task::StepLevel, 3),
            Finish::Stopped,
        );
        assert_eq!(
            r.critique,
            "Step 1 adds instead of multiplying.\nSo it is wrong."
        );
        let bare = read_output(
            "A is better.\nVerdict: [A]",
            &VerdictRules::new(Task::Pairwise, 0),
            Finish::Stopped,
        );
        assert_eq!(bare.critique, "A is better.");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Critique text that holds no verdict line of its own.
        fn critique() -> impl Strategy<Value = String> {
            "[a-zA-Z0-9 \\[\\]\\.,:#*\\n]{0,200}".prop_filter("no verdict line", |s| {
                !s.lines().any(|l| verdict_label(l).is_some())
            })
        }

        fn decorate(v: &str, style: u8) -> String {
            match style % 6 {
                0 => format!("Verdict: {v}"),
                1 => format!("**Verdict:** {v}"),
                2 => format!("# Verdict: [{v}]"),
                3 => format!("**Verdict**: {v}."),
                4 => format!("VERDICT: `{v}`"),
                _ => format!("Final verdict:\n{v}"),
            }
        }

        proptest! {
            #[test]
            fn decorated_step_verdicts_parse(c in critique(), steps in 1usize..40, pick in -1i64..40, style in 0u8..6) {
                let index = pick.min(i64::try_from(steps).expect("small") - 1);
                let raw = format!("Explanation: {c}\n{}", decorate(&index.to_string(), style));
                let rules = VerdictRules::new(Task::StepLevel, steps);
                let expected = Verdict::first_error_from_index(index, steps).expect("in range");
                prop_assert_eq!(read_output(&raw, &rules, Finish::Stopped).outcome, parsed(expected));
            }

            #[test]
            fn decorated_pair_verdicts_parse(c in critique(), b in any::<bool>(), style in 0u8..6) {
                let side = if b { "B" } else { "A" };
                let raw = format!("Explanation: {c}\n{}", decorate(side, style));
                let rules = VerdictRules::new(Task::Pairwise, 0);
                let expected = Verdict::Pick(if b { Side::B } else { Side::A });
                prop_assert_eq!(read_output(&raw, &rules, Finish::Stopped).outcome, parsed(expected));
            }

            #[test]
            fn verdict_values_decorated_with_any_unicode_read_without_panicking(
                before in "[^\\pL\\pN\\n]{0,6}",
                after in "[^\\pL\\pN\\n]{0,6}",
                correct in any::<bool>(),
                style in 0u8..6,
            ) {
                // Arrows, dashes, emoji, CJK punctuation before or after the value: the text
                // around the word is sliced at character boundaries, never inside one.
                let value = if correct { "correct" } else { "incorrect" };
                let raw = decorate(&format!("{before}{value}{after}"), style);
                for task in [Task::ReferenceFree, Task::ReferenceBased] {
                    let rules = VerdictRules::new(task, 0);
                    let outcome = read_output(&raw, &rules, Finish::Stopped).outcome;
                    if let Outcome::Parsed { verdict } = outcome {
                        prop_assert_eq!(verdict, Verdict::Correctness(if correct { Correctness::Correct } else { Correctness::Incorrect }));
                    }
                }
            }

            #[test]
            fn any_text_reads_without_panicking_and_verdicts_fit(raw in "\\PC{0,300}", steps in 0usize..10) {
                for task in Task::ALL {
                    let rules = VerdictRules::new(task, steps);
                    if let Outcome::Parsed { verdict } = read_output(&raw, &rules, Finish::Stopped).outcome {
                        prop_assert_eq!(verdict.check(&rules), Ok(verdict));
                    }
                }
            }
        }
    }
}
