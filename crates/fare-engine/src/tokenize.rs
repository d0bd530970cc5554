//! Turning prompt text into token ids with a model's `tokenizer.json`, as `transformers` does
//! for a rendered chat (`add_special_tokens=False`: the template already wrote them).
//!
//! Note: special-token strings inside the text (`<|im_end|>` in a problem or a trace) become
//! special tokens, exactly as in `transformers`; [`TextTokenizer::special_tokens_in`] finds them
//! so the product can warn that untrusted text carries control tokens.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::EngineError;

/// A model's tokenizer.
pub struct TextTokenizer {
    inner: Tokenizer,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTokenizer")
            .field("vocab_size", &self.inner.get_vocab_size(true))
            .finish()
    }
}

impl TextTokenizer {
    /// Loads `tokenizer.json`.
    pub fn from_file(path: &Path) -> Result<TextTokenizer, EngineError> {
        let inner = Tokenizer::from_file(path).map_err(|e| EngineError::ModelFile {
            path: path.to_owned(),
            message: format!("not a usable tokenizer.json: {e}"),
        })?;
        Ok(TextTokenizer { inner })
    }

    /// The tokenizer stored inside a GGUF file (`tokenizer.ggml.*` metadata).
    pub fn from_gguf(path: &Path) -> Result<TextTokenizer, EngineError> {
        use candle_core::quantized::gguf_file;
        use candle_core::quantized::tokenizer::TokenizerFromGguf;
        let mut file = std::fs::File::open(path).map_err(|e| EngineError::ModelFile {
            path: path.to_owned(),
            message: format!("cannot open: {e}"),
        })?;
        let content = gguf_file::Content::read(&mut file).map_err(|e| EngineError::ModelFile {
            path: path.to_owned(),
            message: format!("not a readable GGUF file: {e}"),
        })?;
        let inner = Tokenizer::from_gguf(&content).map_err(|e| EngineError::ModelFile {
            path: path.to_owned(),
            message: format!("no usable tokenizer inside: {e}"),
        })?;
        Ok(TextTokenizer { inner })
    }

    /// The number of tokens in the vocabulary, special tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The token ids of a rendered prompt.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, EngineError> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| EngineError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// The text of token ids (special tokens kept).
    pub fn decode(&self, ids: &[u32]) -> Result<String, EngineError> {
        self.inner
            .decode(ids, false)
            .map_err(|e| EngineError::Tokenizer(e.to_string()))
    }

    /// The id of a token written as text (`<|im_end|>`), if the vocabulary has it.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Every token whose text starts with an ASCII digit (`1`, `12`, `0.`): the tokens that make
    /// a number longer. Read from the vocabulary's token strings (byte-level and SentencePiece
    /// vocabularies write digits as themselves) and checked by decoding; a digit reachable only
    /// through a byte-fallback token (`<0x31>`) is not listed.
    pub fn digit_led_tokens(&self) -> Vec<u32> {
        let digit_led = |text: &str| text.starts_with(|c: char| c.is_ascii_digit());
        let mut ids: Vec<u32> = self
            .inner
            .get_vocab(true)
            .into_iter()
            .filter(|(token, _)| digit_led(token))
            .map(|(_, id)| id)
            .filter(|&id| self.inner.decode(&[id], false).is_ok_and(|t| digit_led(&t)))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Every special token that appears literally in `text`, in order of first appearance.
    pub fn special_tokens_in(&self, text: &str) -> Vec<String> {
        let mut found: Vec<(usize, String)> = self
            .inner
            .get_added_tokens_decoder()
            .values()
            .filter(|t| t.special)
            .filter_map(|t| text.find(&t.content).map(|at| (at, t.content.clone())))
            .collect();
        found.sort();
        found.into_iter().map(|(_, t)| t).collect()
    }
}
