//! The known data sets: ProcessBench, PRM800K, JudgeBench, GSM8K (problems and model solutions)
//! and MATH. Each function turns one record into samples, or names the field that is wrong.
//!
//! Choices where the data sets leave room:
//! - GSM8K problems and MATH problems come with a worked reference solution only. They become
//!   reference-based verification samples whose response *is* that reference solution (ground
//!   truth: correct), which measures how often an evaluator rejects known-good solutions. GSM8K's
//!   calculator annotations (`<<3*4=12>>`) are removed from the response text.
//! - A GSM8K model-solutions record holds one solution per model; each becomes its own sample
//!   (`source` = the model's key), with `is_correct` as ground truth.
//! - PRM800K: the trace follows the labeller's chosen completion at each step (or the human's own
//!   completion where they wrote one); at the step where no completion was chosen, the first
//!   completion rated -1 ends the trace and is its first error. `finish_reason` `solution` means
//!   no error; a trace given up without an error found has no ground truth.

use fare_core::sample::Content;
use fare_core::{Correctness, Sample, Side, Verdict};
use serde_json::{Map, Value};

use super::{
    Converted, RecordContext, describe, integer, kind_of, metadata_except, optional_text, text,
};
use crate::error::FieldError;

fn steps_of(o: &Map<String, Value>, field: &str) -> Result<Vec<String>, FieldError> {
    let Some(value) = o.get(field) else {
        return Err(FieldError::new(field, "missing"));
    };
    let Value::Array(items) = value else {
        return Err(FieldError::new(
            field,
            format!("expected an array of step texts, found {}", kind_of(value)),
        ));
    };
    if items.is_empty() {
        return Err(FieldError::new(field, "the solution has no steps"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.as_str().map(str::to_owned).ok_or_else(|| {
                FieldError::new(
                    &format!("{field}[{i}]"),
                    format!("expected a string, found {}", kind_of(s)),
                )
            })
        })
        .collect()
}

/// A first-error label as evaluators write it (`-1` for none), checked against the steps.
fn first_error(field: &str, label: i64, step_count: usize) -> Result<Verdict, FieldError> {
    Verdict::first_error_from_index(label, step_count).map_err(|_| {
        FieldError::new(
            field,
            format!(
                "{label} is not -1 or a step index (the solution has {step_count} steps, 0 to {})",
                step_count.saturating_sub(1)
            ),
        )
    })
}

/// ProcessBench: one step-level sample per record; `source` is the split (the file's stem).
pub fn processbench(o: &Map<String, Value>, cx: RecordContext<'_>) -> Result<Sample, FieldError> {
    let id = match o.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(FieldError::new(
                "id",
                format!("expected a string, found {}", kind_of(other)),
            ));
        }
        None => return Err(FieldError::new("id", "missing")),
    };
    let steps = steps_of(o, "steps")?;
    let gold = first_error("label", integer(o, "label")?, steps.len())?;
    Ok(Sample {
        external_id: id,
        source: Some(cx.file_stem.to_owned()),
        question: text(o, "problem")?,
        content: Content::StepLevel { steps },
        gold: Some(gold),
        metadata: metadata_except(o, &["id", "problem", "steps", "label"]),
    })
}

/// JudgeBench: one pairwise sample per record; `label` is `A>B` or `B>A`.
pub fn judgebench(o: &Map<String, Value>, _cx: RecordContext<'_>) -> Result<Sample, FieldError> {
    let label = text(o, "label")?;
    let gold = match label.trim() {
        "A>B" | "A>>B" => Side::A,
        "B>A" | "B>>A" => Side::B,
        other => {
            return Err(FieldError::new(
                "label",
                format!("`{other}` is not A>B or B>A (FARE's pairwise task has no tie)"),
            ));
        }
    };
    Ok(Sample {
        external_id: text(o, "pair_id")?,
        source: optional_text(o, "source")?,
        question: text(o, "question")?,
        content: Content::Pairwise {
            response_a: text(o, "response_A")?,
            response_b: text(o, "response_B")?,
        },
        gold: Some(Verdict::Pick(gold)),
        metadata: metadata_except(
            o,
            &[
                "pair_id",
                "source",
                "question",
                "response_A",
                "response_B",
                "label",
            ],
        ),
    })
}

/// Splits a GSM8K answer into (solution without calculator annotations, final answer).
fn split_gsm8k_answer(field: &str, answer: &str) -> Result<(String, String), FieldError> {
    // The problem file ends answers with `#### N`, the model-solutions file with `A: N`.
    let Some((solution, final_answer)) = answer
        .rsplit_once("####")
        .or_else(|| answer.rsplit_once("\nA: "))
    else {
        return Err(FieldError::new(
            field,
            "no `#### <answer>` (or `A: <answer>`) line",
        ));
    };
    let final_answer = final_answer.trim();
    if final_answer.is_empty() {
        return Err(FieldError::new(field, "the `####` line is empty"));
    }
    let mut clean = String::with_capacity(solution.len());
    let mut rest = solution;
    while let Some(start) = rest.find("<<") {
        clean.push_str(&rest[..start]);
        let Some(end) = rest[start..].find(">>") else {
            rest = &rest[start..];
            break;
        };
        rest = &rest[start + end + 2..];
    }
    clean.push_str(rest);
    Ok((clean.trim().to_owned(), final_answer.to_owned()))
}

/// GSM8K problem: the reference solution as a reference-based sample (ground truth: correct).
pub fn gsm8k(o: &Map<String, Value>, cx: RecordContext<'_>) -> Result<Sample, FieldError> {
    let (solution, final_answer) = split_gsm8k_answer("answer", &text(o, "answer")?)?;
    Ok(Sample {
        external_id: cx.index.to_string(),
        source: Some(cx.file_stem.to_owned()),
        question: text(o, "question")?,
        content: Content::ReferenceBased {
            response: solution,
            reference: final_answer,
        },
        gold: Some(Verdict::Correctness(Correctness::Correct)),
        metadata: metadata_except(o, &["question", "answer"]),
    })
}

/// GSM8K model solutions: one reference-based sample per model's solution.
pub fn gsm8k_solutions(
    o: &Map<String, Value>,
    cx: RecordContext<'_>,
) -> Result<Vec<Converted>, FieldError> {
    let question = text(o, "question")?;
    let (_, reference) = split_gsm8k_answer("ground_truth", &text(o, "ground_truth")?)?;
    let mut out = Vec::new();
    for (key, value) in o {
        let Some(solution) = value.as_object().filter(|s| s.contains_key("is_correct")) else {
            continue;
        };
        let is_correct = match solution.get("is_correct") {
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(FieldError::new(
                    &format!("{key}.is_correct"),
                    format!("expected true or false, found {}", describe(other)),
                ));
            }
            None => continue,
        };
        let response = text(solution, "solution")
            .map_err(|e| FieldError::new(&format!("{key}.solution"), e.message))?;
        out.push(
            Sample {
                external_id: format!("{}/{key}", cx.index),
                source: Some(key.clone()),
                question: question.clone(),
                content: Content::ReferenceBased {
                    response,
                    reference: reference.clone(),
                },
                gold: Some(Verdict::Correctness(if is_correct {
                    Correctness::Correct
                } else {
                    Correctness::Incorrect
                })),
                metadata: Map::new(),
            }
            .into(),
        );
    }
    if out.is_empty() {
        return Err(FieldError::record(
            "no model solution (`{solution, is_correct}`) in the record",
        ));
    }
    Ok(out)
}

/// MATH problem: the reference solution as a reference-based sample (ground truth: correct).
pub fn math(o: &Map<String, Value>, cx: RecordContext<'_>) -> Result<Sample, FieldError> {
    let answer = match o.get("answer") {
        Some(Value::Number(n)) => n.to_string(),
        _ => text(o, "answer")?,
    };
    Ok(Sample {
        external_id: optional_text(o, "unique_id")?.unwrap_or_else(|| cx.index.to_string()),
        source: optional_text(o, "subject")?.or_else(|| Some(cx.file_stem.to_owned())),
        question: text(o, "problem")?,
        content: Content::ReferenceBased {
            response: text(o, "solution")?,
            reference: answer,
        },
        gold: Some(Verdict::Correctness(Correctness::Correct)),
        metadata: metadata_except(
            o,
            &["problem", "solution", "answer", "unique_id", "subject"],
        ),
    })
}

fn rating_of(completion: &Map<String, Value>) -> Option<i8> {
    completion
        .get("rating")
        .and_then(Value::as_i64)
        .and_then(|r| i8::try_from(r).ok())
}

/// PRM800K: the labelled trace as a step-level sample, with per-step ratings.
pub fn prm800k(o: &Map<String, Value>, cx: RecordContext<'_>) -> Result<Converted, FieldError> {
    let question = o
        .get("question")
        .and_then(Value::as_object)
        .ok_or_else(|| FieldError::new("question", "expected an object with `problem`"))?;
    let problem =
        text(question, "problem").map_err(|e| FieldError::new("question.problem", e.message))?;
    let label = o
        .get("label")
        .and_then(Value::as_object)
        .ok_or_else(|| FieldError::new("label", "expected an object with `steps`"))?;
    let Some(Value::Array(steps)) = label.get("steps") else {
        return Err(FieldError::new("label.steps", "expected an array"));
    };
    let mut texts = Vec::new();
    let mut ratings = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let field = format!("label.steps[{i}]");
        let step = step
            .as_object()
            .ok_or_else(|| FieldError::new(&field, "expected an object"))?;
        let completions: Vec<&Map<String, Value>> = match step.get("completions") {
            Some(Value::Array(c)) => c.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        };
        let chosen = step.get("chosen_completion").and_then(Value::as_u64);
        let human = step.get("human_completion").and_then(Value::as_object);
        let (completion, from_human) = if let Some(c) = chosen {
            let c = usize::try_from(c).unwrap_or(usize::MAX);
            let completion = completions.get(c).ok_or_else(|| {
                FieldError::new(
                    &format!("{field}.chosen_completion"),
                    format!("{c} is not one of the {} completions", completions.len()),
                )
            })?;
            (*completion, false)
        } else if let Some(h) = human {
            (h, true)
        } else {
            // Labelling stopped here: the first completion rated -1 is the first error.
            if let Some(wrong) = completions.iter().find(|c| rating_of(c) == Some(-1)) {
                texts.push(
                    text(wrong, "text")
                        .map_err(|e| FieldError::new(&format!("{field}.text"), e.message))?,
                );
                ratings.push(Some(-1));
            }
            break;
        };
        texts.push(
            text(completion, "text")
                .map_err(|e| FieldError::new(&format!("{field}.text"), e.message))?,
        );
        ratings.push(if from_human {
            None
        } else {
            rating_of(completion)
        });
    }
    if texts.is_empty() {
        return Err(FieldError::new("label.steps", "no labelled step"));
    }
    let finish = label
        .get("finish_reason")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let gold = match ratings.iter().position(|r| *r == Some(-1)) {
        Some(i) => Some(Verdict::FirstError(u32::try_from(i).ok())),
        None if finish == "solution" => Some(Verdict::FirstError(None)),
        None => None,
    };
    let mut metadata = metadata_except(o, &["question", "label"]);
    metadata.insert("finish_reason".into(), Value::String(finish));
    if let Some(answer) = question.get("ground_truth_answer") {
        metadata.insert("ground_truth_answer".into(), answer.clone());
    }
    let phase = if o.get("generation").is_some_and(|g| !g.is_null()) {
        "phase2"
    } else {
        "phase1"
    };
    Ok(Converted {
        sample: Sample {
            external_id: cx.index.to_string(),
            source: Some(phase.to_owned()),
            question: problem,
            content: Content::StepLevel { steps: texts },
            gold,
            metadata,
        },
        step_ratings: ratings,
        gold_tie: false,
        annotator_labels: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cx() -> RecordContext<'static> {
        RecordContext {
            index: 7,
            file_stem: "math",
        }
    }

    fn obj(v: &Value) -> &Map<String, Value> {
        v.as_object().unwrap()
    }

    #[test]
    fn processbench_labels_are_checked_against_the_steps() {
        let ok = json!({"id": "math-1", "generator": "g", "problem": "p", "steps": ["a", "b"], "final_answer_correct": false, "label": 1});
        let s = processbench(obj(&ok), cx()).unwrap();
        assert_eq!(s.gold, Some(Verdict::FirstError(Some(1))));
        assert_eq!(s.source.as_deref(), Some("math"));
        assert_eq!(s.metadata["generator"], "g");
        let bad = json!({"id": "x", "problem": "p", "steps": ["a", "b"], "label": 2});
        let e = processbench(obj(&bad), cx()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("label"));
        assert!(e.message.contains("2 steps"), "{}", e.message);
        let wrong_type = json!({"id": "x", "problem": "p", "steps": "a b", "label": 0});
        assert_eq!(
            processbench(obj(&wrong_type), cx())
                .unwrap_err()
                .field
                .as_deref(),
            Some("steps")
        );
    }

    #[test]
    fn gsm8k_answers_split_at_the_marks() {
        let (solution, answer) =
            split_gsm8k_answer("answer", "She sells 16 - 3 = <<16-3=13>>13 eggs.\n#### 13")
                .unwrap();
        assert_eq!(solution, "She sells 16 - 3 = 13 eggs.");
        assert_eq!(answer, "13");
        assert!(split_gsm8k_answer("answer", "no marker").is_err());
    }

    #[test]
    fn prm800k_trace_ends_at_the_first_wrong_completion() {
        let record = json!({
            "labeler": "l", "generation": 6,
            "question": {"problem": "p", "ground_truth_answer": "4"},
            "label": {"finish_reason": "found_error", "steps": [
                {"completions": [{"text": "s0", "rating": 1}], "chosen_completion": 0, "human_completion": null},
                {"completions": [{"text": "s1", "rating": 0}], "chosen_completion": 0, "human_completion": null},
                {"completions": [{"text": "ok", "rating": 1}, {"text": "bad", "rating": -1}], "chosen_completion": null, "human_completion": null}
            ]}
        });
        let c = prm800k(obj(&record), cx()).unwrap();
        assert_eq!(c.sample.content.steps(), ["s0", "s1", "bad"]);
        assert_eq!(c.sample.gold, Some(Verdict::FirstError(Some(2))));
        assert_eq!(c.step_ratings, vec![Some(1), Some(0), Some(-1)]);
        assert_eq!(c.sample.source.as_deref(), Some("phase2"));
    }
}
