//! Field templates: one mapping target made of several fields of a record.
//!
//! A mapping target normally names one field (`question = "problem"`). When the text is spread
//! over several fields (an instruction and an input, a system prompt and a user turn), the target
//! is a template instead: `question = "{instruction}\n\n{input?}"`. `{field}` is a field that
//! must be there; `{field?}` one that may be missing, null or empty, in which case it is left out
//! together with the text written before it, so no stray separator remains (`{{` and `}}` write
//! braces). Field paths reach into objects with dots, as elsewhere in a mapping.

use serde_json::Value;

use super::kind_of;
use crate::error::FieldError;

/// A target made of the fields of a record and the text between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTemplate {
    /// Each field with the text written before it (after the previous field).
    parts: Vec<Part>,
    /// The text after the last field.
    suffix: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    lead: String,
    path: String,
    optional: bool,
}

/// Whether a mapping's source is a template rather than one field's path.
pub fn is_template(source: &str) -> bool {
    source.contains('{')
}

/// A field's value at a dotted path; `None` when it is absent or null.
pub fn lookup<'v>(record: &'v Value, path: &str) -> Option<&'v Value> {
    let mut value = record;
    for part in path.split('.') {
        value = value.get(part)?;
    }
    (!value.is_null()).then_some(value)
}

impl FieldTemplate {
    /// Reads a template; the error says what is wrong with it.
    pub fn parse(source: &str) -> Result<FieldTemplate, String> {
        let mut literal = String::new();
        let mut parts = Vec::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some('{') | None => {
                                return Err(format!(
                                    "template `{source}`: a `{{` is not closed (write `{{{{` for a brace)"
                                ));
                            }
                            Some(c) => name.push(c),
                        }
                    }
                    let (path, optional) = match name.trim().strip_suffix('?') {
                        Some(path) => (path.trim().to_owned(), true),
                        None => (name.trim().to_owned(), false),
                    };
                    if path.is_empty() {
                        return Err(format!("template `{source}`: `{{}}` names no field"));
                    }
                    parts.push(Part {
                        lead: std::mem::take(&mut literal),
                        path,
                        optional,
                    });
                }
                '}' => {
                    return Err(format!(
                        "template `{source}`: a `}}` opens nothing (write `}}}}` for a brace)"
                    ));
                }
                c => literal.push(c),
            }
        }
        if parts.is_empty() {
            return Err(format!("template `{source}` names no field"));
        }
        Ok(FieldTemplate {
            parts,
            suffix: literal,
        })
    }

    /// The fields it reads, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().map(|p| p.path.as_str())
    }

    /// The text for one record; `None` when every field is missing. A field left out takes the
    /// text written before it along. A missing field that is not
    /// optional is an error naming it.
    pub fn fill(&self, record: &Value) -> Result<Option<String>, FieldError> {
        let mut out = String::new();
        let mut any = false;
        for (i, part) in self.parts.iter().enumerate() {
            let text = match lookup(record, &part.path) {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                Some(other) => {
                    return Err(FieldError::new(
                        &part.path,
                        format!("expected text, found {}", kind_of(other)),
                    ));
                }
            };
            match text.filter(|t| !(part.optional && t.trim().is_empty())) {
                Some(text) => {
                    if any || i == 0 {
                        out.push_str(&part.lead);
                    } else {
                        // The fields before it were left out, and so is the separator before
                        // it, but not a label written with it ("\nQuestion: " keeps "Question: ").
                        out.push_str(part.lead.trim_start());
                    }
                    out.push_str(&text);
                    any = true;
                }
                None if part.optional => {}
                None => return Err(FieldError::new(&part.path, "missing")),
            }
        }
        Ok(any.then(|| out + &self.suffix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fill(template: &str, record: &Value) -> Option<String> {
        FieldTemplate::parse(template)
            .unwrap()
            .fill(record)
            .unwrap()
    }

    #[test]
    fn fields_are_joined_and_missing_optional_ones_leave_no_separator() {
        let t = "{instruction}\n\n{input?}";
        let full = json!({"instruction": "Sum these.", "input": "2, 3"});
        assert_eq!(fill(t, &full).as_deref(), Some("Sum these.\n\n2, 3"));
        for missing in [
            json!({"instruction": "Sum these."}),
            json!({"instruction": "Sum these.", "input": null}),
            json!({"instruction": "Sum these.", "input": " "}),
        ] {
            assert_eq!(fill(t, &missing).as_deref(), Some("Sum these."));
        }
        let system_first = "{system?}\n\n{user}";
        assert_eq!(
            fill(system_first, &json!({"user": "Hi"})).as_deref(),
            Some("Hi")
        );
        let labelled = "Context: {ctx?}\nQuestion: {q}";
        assert_eq!(
            fill(labelled, &json!({"q": "Why?"})).as_deref(),
            Some("Question: Why?")
        );
        assert_eq!(
            fill("{{{a.b}}} #{n}", &json!({"a": {"b": "x"}, "n": 3})).as_deref(),
            Some("{x} #3")
        );
        assert_eq!(fill("{a?} {b?}", &json!({})), None);
    }

    #[test]
    fn a_missing_required_field_and_bad_templates_are_named() {
        let t = FieldTemplate::parse("{instruction}\n\n{input}").unwrap();
        let e = t.fill(&json!({"instruction": "x"})).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("input"));
        let e = t
            .fill(&json!({"instruction": ["x"], "input": "y"}))
            .unwrap_err();
        assert!(e.message.contains("an array"), "{}", e.message);
        assert!(
            FieldTemplate::parse("{open")
                .unwrap_err()
                .contains("not closed")
        );
        assert!(FieldTemplate::parse("{}").unwrap_err().contains("no field"));
        assert!(
            FieldTemplate::parse("a } b {c}")
                .unwrap_err()
                .contains("opens nothing")
        );
        assert_eq!(
            FieldTemplate::parse("{a} {b?}")
                .unwrap()
                .paths()
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
    }
}
