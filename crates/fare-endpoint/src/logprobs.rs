//! Verdict probabilities from the log-probabilities a server streamed with the output.
//!
//! The verdict's value is found in the raw output (after the last `Verdict` label), the token
//! that begins it is found among the streamed tokens, and each of that position's top
//! alternatives is read as the beginning of a verdict: an alternative counts for verdict `v`
//! when `v` is the only admissible verdict whose text begins with it.
//!
//! What this approximation does and does not do:
//! - A verdict written in several tokens is judged by its first token. `-` can only begin `-1`
//!   and counts for it; `1` where steps 1, 10 and 11 all exist is ambiguous and counts for none.
//!   When the verdict actually written is ambiguous in that sense, there are no probabilities.
//! - Only verdicts seen among the alternatives are listed; the rest of the distribution (below
//!   the server's top-k, or alternatives that begin no verdict) is not guessed. The `mass`
//!   of [`VerdictProbs`] says how much of the model's distribution the listed verdicts covered.
//! - Nothing is returned when the streamed tokens do not spell the output's end exactly (a
//!   server that writes tokens in another form), or when there were no log-probabilities.

use fare_core::{Judgment, Verdict, VerdictProbs, VerdictRules};

/// One generated token with its log-probability and the top alternatives at its position.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    /// The token's text.
    pub token: String,
    /// Its log-probability (natural log).
    pub logprob: f64,
    /// The most probable tokens at this position with theirs.
    pub top: Vec<(String, f64)>,
}

/// Every verdict a sample admits, with its text.
fn admissible(rules: &VerdictRules) -> Vec<(Verdict, String)> {
    rules
        .admissible()
        .into_iter()
        .map(|v| (v, v.canonical().to_ascii_lowercase()))
        .collect()
}

/// The verdict that `start` (the beginning of a token's text at the verdict position) begins,
/// when exactly one admissible verdict begins so.
fn verdict_begun_by(start: &str, verdicts: &[(Verdict, String)]) -> Option<Verdict> {
    let start = start
        .trim_end_matches(|c: char| c.is_whitespace() || "]).,;:*`'\"".contains(c))
        .to_ascii_lowercase();
    if start.is_empty() {
        return None;
    }
    let mut found = verdicts
        .iter()
        .filter(|(_, text)| text.starts_with(&start) || start == *text);
    let (verdict, _) = found.next()?;
    found.next().is_none().then_some(*verdict)
}

/// Where the verdict's value begins in `raw`: its text after the last `verdict` label, as a whole
/// word.
fn value_start(raw: &str, verdict: Verdict) -> Option<usize> {
    let lower = raw.to_ascii_lowercase();
    let label = lower.rfind("verdict")? + "verdict".len();
    let value = verdict.canonical().to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut from = label;
    while let Some(at) = lower[from..].find(&value) {
        let at = from + at;
        let end = at + value.len();
        let before_ok = at == 0 || {
            let b = bytes[at - 1];
            !b.is_ascii_alphanumeric() && b != b'-'
        };
        let after_ok = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The probabilities of the admissible verdicts at the verdict position, when the streamed
/// log-probabilities allow it (see the module doc for the approximation).
pub fn verdict_probs(
    judgment: &Judgment,
    rules: &VerdictRules,
    tokens: &[TokenLogprob],
) -> Option<VerdictProbs> {
    let verdict = judgment.verdict()?;
    let raw = &judgment.raw_output;
    let start = value_start(raw, verdict)?;
    let tail = &raw[start..];
    // Walk back from the end until the tokens cover the tail; they must spell it exactly.
    let mut covered = String::new();
    let mut index = tokens.len();
    while covered.len() < tail.len() {
        index = index.checked_sub(1)?;
        covered.insert_str(0, &tokens[index].token);
    }
    if !covered.ends_with(tail) || !raw.ends_with(covered.as_str()) {
        return None;
    }
    let at = &tokens[index];
    let prefix = &covered[..covered.len() - tail.len()];
    let prefix = prefix.trim_start();
    let verdicts = admissible(rules);
    let begun = |text: &str| -> Option<Verdict> {
        let rest = text.trim_start().strip_prefix(prefix)?;
        verdict_begun_by(rest, &verdicts)
    };
    if begun(&at.token) != Some(verdict) {
        return None;
    }
    // Each distinct alternative once (the chosen token is usually among them).
    let mut alternatives: Vec<(&str, f64)> = vec![(at.token.as_str(), at.logprob)];
    for (token, logprob) in &at.top {
        if !alternatives.iter().any(|(t, _)| t == token) {
            alternatives.push((token, *logprob));
        }
    }
    let mut by_verdict: Vec<(Verdict, f64)> = Vec::new();
    for (token, logprob) in alternatives {
        let Some(v) = begun(token) else { continue };
        match by_verdict.iter_mut().find(|(seen, _)| *seen == v) {
            Some((_, total)) => *total = log_add(*total, logprob),
            None => by_verdict.push((v, logprob)),
        }
    }
    // In the order of the verdicts, as VerdictProbs stores them.
    by_verdict.sort_by_key(|(v, _)| verdicts.iter().position(|(a, _)| a == v));
    VerdictProbs::from_log_probs(by_verdict)
}

fn log_add(a: f64, b: f64) -> f64 {
    let max = a.max(b);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + ((a - max).exp() + (b - max).exp()).ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fare_core::{Correctness, Side, Task};
    use fare_core::{Finish, read_output};

    fn token(text: &str, logprob: f64, top: &[(&str, f64)]) -> TokenLogprob {
        TokenLogprob {
            token: text.into(),
            logprob,
            top: top.iter().map(|(t, p)| ((*t).to_owned(), *p)).collect(),
        }
    }

    fn plain(texts: &[&str]) -> Vec<TokenLogprob> {
        texts.iter().map(|t| token(t, -0.01, &[])).collect()
    }

    #[test]
    fn pairwise_alternatives_at_the_verdict_become_probabilities() {
        let rules = VerdictRules::new(Task::Pairwise, 0);
        let mut tokens = plain(&[
            "Explanation",
            ": A is [A",
            "]",
            " better",
            ".\n",
            "Verdict",
            ": [",
        ]);
        tokens.push(token(
            "A",
            0.7f64.ln(),
            &[
                ("A", 0.7f64.ln()),
                ("B", 0.2f64.ln()),
                (" A", 0.05f64.ln()),
                ("C", 0.05f64.ln()),
            ],
        ));
        tokens.extend(plain(&["]"]));
        let raw: String = tokens.iter().map(|t| t.token.as_str()).collect();
        let judgment = read_output(&raw, &rules, Finish::Stopped);
        let probs = verdict_probs(&judgment, &rules, &tokens).expect("probabilities");
        // `A` and ` A` both begin A; `C` begins nothing.
        assert!((probs.mass - 0.95).abs() < 1e-9, "{probs:?}");
        assert!((probs.prob(Verdict::Pick(Side::A)) - 0.75 / 0.95).abs() < 1e-9);
        assert!((probs.prob(Verdict::Pick(Side::B)) - 0.2 / 0.95).abs() < 1e-9);
    }

    #[test]
    fn a_minus_begins_minus_one_and_ambiguous_digits_count_for_nothing() {
        let rules = VerdictRules::new(Task::StepLevel, 12);
        let mut tokens = plain(&["Verdict", ":"]);
        tokens.push(token(
            " -",
            0.5f64.ln(),
            &[
                (" -", 0.5f64.ln()),
                (" 1", 0.3f64.ln()),
                (" 3", 0.1f64.ln()),
            ],
        ));
        tokens.extend(plain(&["1"]));
        let raw: String = tokens.iter().map(|t| t.token.as_str()).collect();
        assert_eq!(raw, "Verdict: -1");
        let judgment = read_output(&raw, &rules, Finish::Stopped);
        let probs = verdict_probs(&judgment, &rules, &tokens).expect("probabilities");
        assert_eq!(
            probs
                .probs
                .iter()
                .map(|(v, _)| v.canonical())
                .collect::<Vec<_>>(),
            ["-1", "3"],
            "` 1` could begin 1, 10 or 11"
        );
        assert!((probs.mass - 0.6).abs() < 1e-9);

        // The verdict 1 itself is ambiguous with 12 steps: no probabilities.
        let tokens = vec![
            token("Verdict: ", -0.1, &[]),
            token("1", -0.1, &[("1", -0.1)]),
        ];
        let judgment = read_output("Verdict: 1", &rules, Finish::Stopped);
        assert_eq!(verdict_probs(&judgment, &rules, &tokens), None);
        // With two steps it is not.
        let rules = VerdictRules::new(Task::StepLevel, 2);
        let judgment = read_output("Verdict: 1", &rules, Finish::Stopped);
        let probs = verdict_probs(&judgment, &rules, &tokens).expect("probabilities");
        assert!((probs.prob(Verdict::FirstError(Some(1))) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn no_probabilities_without_logprobs_or_when_the_tokens_do_not_spell_the_output() {
        let rules = VerdictRules::new(Task::ReferenceFree, 0);
        let judgment = read_output("Verdict: incorrect", &rules, Finish::Stopped);
        assert_eq!(verdict_probs(&judgment, &rules, &[]), None);
        let tokens = plain(&["Verdict: ", "wrong"]);
        assert_eq!(verdict_probs(&judgment, &rules, &tokens), None);
        let tokens = vec![
            token("Verdict:", -0.1, &[]),
            token(
                " in",
                -0.2,
                &[(" in", -0.2), (" correct", -1.8), (" maybe", -3.0)],
            ),
            token("correct", -0.01, &[]),
        ];
        let probs = verdict_probs(&judgment, &rules, &tokens).expect("probabilities");
        assert_eq!(
            probs.most_likely(),
            Some(Verdict::Correctness(Correctness::Incorrect))
        );
        assert_eq!(probs.probs.len(), 2);
    }
}
