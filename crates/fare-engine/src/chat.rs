//! Chat templates: the Jinja program each model ships to turn messages into its prompt text.
//!
//! Rendered with minijinja under the settings `transformers` uses for chat templates
//! (`trim_blocks`, `lstrip_blocks`, loop controls, Python string methods such as `startswith`
//! and `split`, `raise_exception`, `strftime_now`, and `tojson` as Python's `json.dumps` writes
//! it), so the text is byte-identical to `apply_chat_template(..., add_generation_prompt=True)`.
//! For Qwen3 (FARE-8B) the non-thinking mode is `enable_thinking = false`, which writes an empty
//! `<think>` block; for gpt-oss (FARE-20B) `reasoning_effort` fills the `Reasoning:` line of the
//! harmony system message and FARE's system protocol becomes the developer message
//! ([`crate::harmony`]). Options left unset are not passed at all, so a template's own
//! `is defined` defaults apply, as in `transformers`.
//!
//! Known difference: `strftime_now` reads the clock in UTC, where `transformers` uses the local
//! time zone (the date in a gpt-oss prompt can differ near midnight). [`RenderOptions::now`]
//! fixes the time for reproducible prompts and tests.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use minijinja::value::Kwargs;
use minijinja::{Environment, ErrorKind, Value};
use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::harmony::ReasoningEffort;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message of `role` with `content`.
    pub fn new(role: &str, content: &str) -> Self {
        Message {
            role: role.to_owned(),
            content: content.to_owned(),
        }
    }
}

/// Options of one rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Open the assistant's turn at the end (what generation needs).
    pub add_generation_prompt: bool,
    /// Qwen3's thinking switch (`Some(false)` for FARE-8B: an empty think block).
    pub enable_thinking: Option<bool>,
    /// gpt-oss's reasoning effort (unset: the template's default, `medium` for gpt-oss).
    pub reasoning_effort: Option<ReasoningEffort>,
    /// The time `strftime_now` reads (unset: the clock).
    pub now: Option<SystemTime>,
}

/// A model's chat template.
#[derive(Debug, Clone)]
pub struct ChatTemplate {
    source: String,
    bos_token: Option<String>,
    eos_token: Option<String>,
}

/// A special token in tokenizer_config.json: a string, or an object with `content`.
fn token_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => {
            o.get("content").and_then(|c| c.as_str()).map(str::to_owned)
        }
        _ => None,
    }
}

impl ChatTemplate {
    /// A template from its Jinja source and the tokenizer's special tokens.
    pub fn new(source: &str, bos_token: Option<&str>, eos_token: Option<&str>) -> Self {
        ChatTemplate {
            source: source.to_owned(),
            bos_token: bos_token.map(str::to_owned),
            eos_token: eos_token.map(str::to_owned),
        }
    }

    /// The template of a model folder: `chat_template.jinja` when present, else the
    /// `chat_template` of `tokenizer_config.json` (a string, or a list whose `default` entry is
    /// used).
    pub fn from_model_dir(dir: &Path) -> Result<ChatTemplate, EngineError> {
        let config_path = dir.join("tokenizer_config.json");
        let config: Option<serde_json::Value> = match std::fs::read_to_string(&config_path) {
            Ok(text) => Some(
                serde_json::from_str(&text).map_err(|e| EngineError::ModelFile {
                    path: config_path.clone(),
                    message: format!("not valid JSON: {e}"),
                })?,
            ),
            Err(_) => None,
        };
        let bos = token_text(config.as_ref().and_then(|c| c.get("bos_token")));
        let eos = token_text(config.as_ref().and_then(|c| c.get("eos_token")));
        let jinja = dir.join("chat_template.jinja");
        if let Ok(source) = std::fs::read_to_string(&jinja) {
            return Ok(ChatTemplate {
                source,
                bos_token: bos,
                eos_token: eos,
            });
        }
        let source = match config.as_ref().and_then(|c| c.get("chat_template")) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(named)) => named
                .iter()
                .find(|t| t.get("name").and_then(|n| n.as_str()) == Some("default"))
                .and_then(|t| t.get("template").and_then(|s| s.as_str()))
                .map(str::to_owned)
                .ok_or_else(|| EngineError::ModelFile {
                    path: config_path.clone(),
                    message: "`chat_template` lists templates but none named `default`".into(),
                })?,
            _ => {
                return Err(EngineError::ModelFile {
                    path: dir.to_owned(),
                    message: "no chat template: neither chat_template.jinja nor a `chat_template` in tokenizer_config.json".into(),
                });
            }
        };
        Ok(ChatTemplate {
            source,
            bos_token: bos,
            eos_token: eos,
        })
    }

    /// The chat template stored inside a GGUF file (`tokenizer.chat_template`).
    pub fn from_gguf(path: &Path) -> Result<ChatTemplate, EngineError> {
        use candle_core::quantized::gguf_file;
        let fail = |message: String| EngineError::ModelFile {
            path: path.to_owned(),
            message,
        };
        let mut file = std::fs::File::open(path).map_err(|e| fail(format!("cannot open: {e}")))?;
        let content = gguf_file::Content::read(&mut file)
            .map_err(|e| fail(format!("not a readable GGUF file: {e}")))?;
        let text = |key: &str| {
            content
                .metadata
                .get(key)
                .and_then(|v| v.to_string().ok())
                .cloned()
        };
        let source = text("tokenizer.chat_template")
            .ok_or_else(|| fail("no chat template inside (tokenizer.chat_template)".into()))?;
        let token = |key: &str| -> Option<String> {
            let id = content.metadata.get(key)?.to_u32().ok()?;
            match content.metadata.get("tokenizer.ggml.tokens")? {
                gguf_file::Value::Array(tokens) => tokens
                    .get(usize::try_from(id).ok()?)?
                    .to_string()
                    .ok()
                    .cloned(),
                _ => None,
            }
        };
        Ok(ChatTemplate {
            source,
            bos_token: token("tokenizer.ggml.bos_token_id"),
            eos_token: token("tokenizer.ggml.eos_token_id"),
        })
    }

    /// The end-of-sequence token the template was given.
    pub fn eos_token(&self) -> Option<&str> {
        self.eos_token.as_deref()
    }

    /// Renders the messages into the prompt text.
    pub fn render(
        &self,
        messages: &[Message],
        options: &RenderOptions,
    ) -> Result<String, EngineError> {
        let mut env = Environment::new();
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .map_err(|e| EngineError::Template(e.to_string()))?,
        );
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        // A chat template comes with the model's files, from whoever made them: a loop that
        // never ends runs out of fuel (a real template spends a few thousand units).
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.add_function(
            "raise_exception",
            |message: String| -> Result<Value, minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        let now = options.now.unwrap_or_else(SystemTime::now);
        env.add_function(
            "strftime_now",
            move |format: String| -> Result<String, minijinja::Error> {
                strftime(now, &format)
                    .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e))
            },
        );
        env.add_filter("tojson", tojson);
        env.add_template("chat", &self.source)
            .map_err(|e| EngineError::Template(e.to_string()))?;
        let template = env
            .get_template("chat")
            .map_err(|e| EngineError::Template(e.to_string()))?;
        // Only what is set is passed: templates test `is defined` for their defaults.
        let mut context: BTreeMap<&str, Value> = BTreeMap::new();
        context.insert("messages", Value::from(minijinja::value::Serde(messages)));
        context.insert(
            "add_generation_prompt",
            Value::from(options.add_generation_prompt),
        );
        if let Some(thinking) = options.enable_thinking {
            context.insert("enable_thinking", Value::from(thinking));
        }
        if let Some(effort) = options.reasoning_effort {
            context.insert("reasoning_effort", Value::from(effort.as_str()));
        }
        if let Some(bos) = &self.bos_token {
            context.insert("bos_token", Value::from(bos.as_str()));
        }
        if let Some(eos) = &self.eos_token {
            context.insert("eos_token", Value::from(eos.as_str()));
        }
        template
            .render(context)
            .map_err(|e| EngineError::Template(format!("{e:#}")))
    }
}

/// The instructions a chat template may run for one prompt.
pub const TEMPLATE_FUEL: u64 = 5_000_000;

/// The widest `tojson(indent=N)` (real templates use 2 or 4).
const MAX_INDENT: usize = 16;

/// `tojson` as `transformers` defines it for chat templates: Python's `json.dumps` with
/// `ensure_ascii=False` (so `", "` and `": "` between items, non-ASCII kept), and its `indent`,
/// `sort_keys` and `ensure_ascii` arguments.
#[allow(
    clippy::needless_pass_by_value,
    reason = "minijinja hands a filter its keyword arguments by value"
)]
fn tojson(value: &Value, kwargs: Kwargs) -> Result<Value, minijinja::Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    let ensure_ascii: Option<bool> = kwargs.get("ensure_ascii")?;
    kwargs.assert_all_used()?;
    if indent.is_some_and(|n| n > MAX_INDENT) {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("tojson: an indent of at most {MAX_INDENT}"),
        ));
    }
    let json = serde_json::to_value(value)
        .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, format!("tojson: {e}")))?;
    let mut out = String::new();
    python_json(
        &json,
        &PythonJson {
            indent,
            sort_keys: sort_keys.unwrap_or(false),
            ensure_ascii: ensure_ascii.unwrap_or(false),
        },
        0,
        &mut out,
    );
    Ok(Value::from(out))
}

struct PythonJson {
    indent: Option<usize>,
    sort_keys: bool,
    ensure_ascii: bool,
}

fn python_string(text: &str, ensure_ascii: bool, out: &mut String) {
    // serde_json escapes exactly what Python does with ensure_ascii=False.
    let escaped = serde_json::Value::String(text.to_owned()).to_string();
    if !ensure_ascii {
        out.push_str(&escaped);
        return;
    }
    for c in escaped.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
}

fn python_json(value: &serde_json::Value, style: &PythonJson, depth: usize, out: &mut String) {
    use serde_json::Value as J;
    let (item_separator, newline) = match style.indent {
        Some(width) => (",", Some(width)),
        None => (", ", None),
    };
    let open_line = |out: &mut String, level: usize| {
        if let Some(width) = newline {
            out.push('\n');
            out.push_str(&" ".repeat(width * level));
        }
    };
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => out.push_str(&n.to_string()),
        J::String(s) => python_string(s, style.ensure_ascii, out),
        J::Array(items) if items.is_empty() => out.push_str("[]"),
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_separator);
                }
                open_line(out, depth + 1);
                python_json(item, style, depth + 1, out);
            }
            open_line(out, depth);
            out.push(']');
        }
        J::Object(map) if map.is_empty() => out.push_str("{}"),
        J::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(item_separator);
                }
                open_line(out, depth + 1);
                python_string(key, style.ensure_ascii, out);
                out.push_str(": ");
                python_json(item, style, depth + 1, out);
            }
            open_line(out, depth);
            out.push('}');
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `time` formatted as Python's `strftime` does, in UTC, for the directives chat templates use
/// (`%Y %y %m %d %e %j %H %I %M %S %p %b %B %a %A %%`); any other is an error naming it.
fn strftime(time: SystemTime, format: &str) -> Result<String, String> {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year_march = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_march = (5 * day_of_year_march + 2) / 153;
    let day = day_of_year_march - (153 * month_march + 2) / 5 + 1;
    let month = if month_march < 10 {
        month_march + 3
    } else {
        month_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let before_month = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let month_index = usize::try_from(month - 1).unwrap_or(0);
    let day_of_year = before_month[month_index] + day + i64::from(leap && month > 2);
    // 1970-01-01 was a Thursday (index 3 from Monday).
    let weekday = usize::try_from((days + 3).rem_euclid(7)).unwrap_or(0);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Writing to a String cannot fail.
        let _ = match chars.next() {
            Some('Y') => write!(out, "{year}"),
            Some('y') => write!(out, "{:02}", year.rem_euclid(100)),
            Some('m') => write!(out, "{month:02}"),
            Some('d') => write!(out, "{day:02}"),
            Some('e') => write!(out, "{day:>2}"),
            Some('j') => write!(out, "{day_of_year:03}"),
            Some('H') => write!(out, "{hour:02}"),
            Some('I') => write!(out, "{:02}", (hour + 11) % 12 + 1),
            Some('M') => write!(out, "{minute:02}"),
            Some('S') => write!(out, "{second:02}"),
            Some('p') => out.write_str(if hour < 12 { "AM" } else { "PM" }),
            Some('B') => out.write_str(MONTHS[month_index]),
            Some('b') => out.write_str(&MONTHS[month_index][..3]),
            Some('A') => out.write_str(WEEKDAYS[weekday]),
            Some('a') => out.write_str(&WEEKDAYS[weekday][..3]),
            Some('%') => out.write_char('%'),
            Some(other) => return Err(format!("strftime_now: `%{other}` is not supported")),
            None => return Err("strftime_now: the format ends with `%`".into()),
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::time::Duration;

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn strftime_writes_python_dates_in_utc() {
        // 2025-08-05 17:04:09 UTC, a Tuesday (Python: datetime(2025,8,5,17,4,9).strftime(...)).
        let t = at(1_754_413_449);
        assert_eq!(strftime(t, "%Y-%m-%d").unwrap(), "2025-08-05");
        assert_eq!(strftime(t, "%d %b %Y").unwrap(), "05 Aug 2025");
        assert_eq!(
            strftime(t, "%A %B %e %j %H:%M:%S %I%p %y %%").unwrap(),
            "Tuesday August  5 217 17:04:09 05PM 25 %"
        );
        assert_eq!(strftime(at(0), "%Y-%m-%d %a").unwrap(), "1970-01-01 Thu");
        // A leap day and the last day of a leap year.
        assert_eq!(
            strftime(at(951_782_400), "%Y-%m-%d %j").unwrap(),
            "2000-02-29 060"
        );
        assert_eq!(
            strftime(at(1_735_603_200), "%Y-%m-%d %j").unwrap(),
            "2024-12-31 366"
        );
        assert!(strftime(t, "%Q").unwrap_err().contains("%Q"));
    }

    #[test]
    fn tojson_writes_what_python_json_dumps_writes() {
        let source = "{{ messages[0]|tojson }}";
        let one = ChatTemplate::new(source, None, None)
            .render(
                &[Message::new("user", "é \"q\"\n<|end|>")],
                &RenderOptions::default(),
            )
            .unwrap();
        assert_eq!(one, r#"{"role": "user", "content": "é \"q\"\n<|end|>"}"#);
        let two = ChatTemplate::new(
            "{{ messages|tojson(indent=2, sort_keys=true) }}",
            None,
            None,
        )
        .render(&[Message::new("user", "x")], &RenderOptions::default())
        .unwrap();
        assert_eq!(
            two,
            "[\n  {\n    \"content\": \"x\",\n    \"role\": \"user\"\n  }\n]"
        );
        let ascii = ChatTemplate::new(
            "{{ messages[0].content|tojson(ensure_ascii=true) }}",
            None,
            None,
        )
        .render(&[Message::new("user", "é🙂")], &RenderOptions::default())
        .unwrap();
        assert_eq!(ascii, r#""\u00e9\ud83d\ude42""#);
        let unknown = ChatTemplate::new("{{ 1|tojson(separators=1) }}", None, None)
            .render(&[], &RenderOptions::default());
        assert!(unknown.is_err());
    }

    #[test]
    fn a_template_that_never_ends_runs_out_of_fuel_and_indents_are_bounded() {
        let endless = ChatTemplate::new(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            None,
            None,
        )
        .render(&[], &RenderOptions::default())
        .unwrap_err();
        assert!(endless.to_string().contains("fuel"), "{endless}");
        let wide = ChatTemplate::new("{{ messages|tojson(indent=1000000000) }}", None, None)
            .render(&[Message::new("user", "x")], &RenderOptions::default())
            .unwrap_err();
        assert!(wide.to_string().contains("indent of at most 16"), "{wide}");
    }

    #[test]
    fn unset_options_are_undefined_in_the_template() {
        let template = ChatTemplate::new(
            "{{ reasoning_effort is defined }} {{ enable_thinking is defined }} {% if reasoning_effort is not defined %}{% set reasoning_effort = 'medium' %}{% endif %}{{ reasoning_effort }}",
            None,
            None,
        );
        assert_eq!(
            template.render(&[], &RenderOptions::default()).unwrap(),
            "False False medium",
            "undefined, and written as Python writes booleans"
        );
        let high = RenderOptions {
            reasoning_effort: Some(ReasoningEffort::High),
            enable_thinking: Some(false),
            ..RenderOptions::default()
        };
        assert_eq!(template.render(&[], &high).unwrap(), "True True high");
    }
}
