//! A FARE prompt as the model sees it: fare-core's system and user messages through the model's
//! chat template and tokenizer.

use fare_core::Prompt;

use crate::EngineError;
use crate::chat::{ChatTemplate, Message, RenderOptions};
use crate::tokenize::TextTokenizer;

/// The exact input of one generation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelInput {
    /// The rendered text.
    pub text: String,
    /// Its token ids.
    pub ids: Vec<u32>,
    /// Special tokens found inside the sample's own text (a warning for the user).
    pub special_tokens_in_text: Vec<String>,
}

/// The two messages of a FARE prompt.
pub fn messages(prompt: &Prompt) -> Vec<Message> {
    vec![
        Message::new("system", &prompt.system),
        Message::new("user", &prompt.user),
    ]
}

/// Renders and tokenises a FARE prompt for generation.
pub fn model_input(
    prompt: &Prompt,
    template: &ChatTemplate,
    tokenizer: &TextTokenizer,
    options: &RenderOptions,
) -> Result<ModelInput, EngineError> {
    let text = template.render(&messages(prompt), options)?;
    let ids = tokenizer.encode(&text)?;
    let mut special = tokenizer.special_tokens_in(&prompt.user);
    for token in tokenizer.special_tokens_in(&prompt.system) {
        if !special.contains(&token) {
            special.push(token);
        }
    }
    Ok(ModelInput {
        text,
        ids,
        special_tokens_in_text: special,
    })
}
