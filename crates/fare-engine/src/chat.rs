//! Chat templates: the Jinja program each model ships to turn messages into its prompt text.
//!
//! Rendered with minijinja under the settings `transformers` uses for chat templates
//! (`trim_blocks`, `lstrip_blocks`, loop controls, Python string methods such as `startswith`
//! and `split`, `raise_exception`, `tojson`), so the text is byte-identical to
//! `apply_chat_template(..., add_generation_prompt=True)`. For Qwen3 (FARE-8B) the non-thinking
//! mode is `enable_thinking = false`, which writes an empty `<think>` block.

use std::path::Path;

use minijinja::{Environment, ErrorKind, Value, context};
use serde::{Deserialize, Serialize};

use crate::EngineError;

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
    /// gpt-oss's reasoning effort (`low`, `medium`, `high`).
    pub reasoning_effort: Option<String>,
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
        env.add_function(
            "raise_exception",
            |message: String| -> Result<Value, minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_template("chat", &self.source)
            .map_err(|e| EngineError::Template(e.to_string()))?;
        let template = env
            .get_template("chat")
            .map_err(|e| EngineError::Template(e.to_string()))?;
        template
            .render(context! {
                messages => Value::from(minijinja::value::Serde(messages)),
                add_generation_prompt => options.add_generation_prompt,
                enable_thinking => options.enable_thinking,
                reasoning_effort => options.reasoning_effort.clone(),
                bos_token => self.bos_token.clone(),
                eos_token => self.eos_token.clone(),
            })
            .map_err(|e| EngineError::Template(format!("{e:#}")))
    }
}
