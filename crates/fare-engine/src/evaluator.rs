//! An evaluator ready to judge: a model with its tokenizer, chat template and stop tokens,
//! loaded from a model folder or a GGUF file, and one judgment of one FARE prompt.
//!
//! [`Judge`] is what every backend offers the judging pipeline: this local evaluator, or an
//! OpenAI-compatible endpoint.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use candle_core::{DType, Device};
use fare_core::{Finish, Judgment, Prompt, VerdictProbs, VerdictRules, read_output};

use crate::EngineError;
use crate::chat::{ChatTemplate, RenderOptions};
use crate::generate::{Ending, Generation, SamplingParams, generate};
use crate::model::Model;
use crate::prompt::model_input;
use crate::tokenize::TextTokenizer;

/// Tokens that end an assistant turn in the chat formats the engine knows.
const TURN_ENDS: [&str; 5] = [
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|return|>",
    "<|call|>",
];

/// A loaded evaluator.
#[derive(Debug)]
pub struct Evaluator {
    /// The model.
    pub model: Model,
    /// Its tokenizer.
    pub tokenizer: TextTokenizer,
    /// Its chat template.
    pub template: ChatTemplate,
    /// Token ids that end generation.
    pub stop_tokens: Vec<u32>,
    /// Where it was loaded from.
    pub path: PathBuf,
}

/// One judgment with what it cost.
#[derive(Debug, Clone)]
pub struct JudgeOutput {
    /// The output and the verdict read from it.
    pub judgment: Judgment,
    /// Prompt length in tokens.
    pub prompt_tokens: usize,
    /// Output length in tokens.
    pub output_tokens: usize,
    /// Time from request to the last token.
    pub elapsed: Duration,
    /// Decode speed (output tokens per second after the prompt, or over the whole request when
    /// the backend cannot tell the prompt's time apart).
    pub tokens_per_second: f64,
    /// How likely each admissible verdict was, when the backend can tell.
    pub verdict_probs: Option<VerdictProbs>,
}

impl JudgeOutput {
    /// The output of a local generation, with the verdict read from it.
    pub fn from_generation(generation: &Generation, judgment: Judgment) -> JudgeOutput {
        JudgeOutput {
            judgment,
            prompt_tokens: generation.prompt_tokens,
            output_tokens: generation.tokens.len(),
            elapsed: generation.elapsed,
            tokens_per_second: generation.decode_tokens_per_second(),
            verdict_probs: None,
        }
    }
}

/// Something that judges FARE prompts: a local [`Evaluator`] or a remote endpoint.
pub trait Judge: Send {
    /// Judges one prompt; `on_text` receives the output as it grows and may break to cancel, in
    /// which case the result is `None`.
    fn judge(
        &mut self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError>;

    /// Where the model is: a path or a URL (run provenance).
    fn location(&self) -> String;

    /// `local` or `endpoint` (run provenance).
    fn kind(&self) -> &'static str;

    /// Another judge on the same model that can work at the same time as this one (a remote
    /// endpoint with N requests in flight); `None` when judgments must go one at a time.
    fn fork(&self) -> Option<Box<dyn Judge>> {
        None
    }

    /// How many judges may work at once (`fork` is asked for one less than this).
    fn parallelism(&self) -> usize {
        1
    }
}

impl Evaluator {
    /// Loads a model folder (safetensors with tokenizer.json) or a GGUF file (tokenizer and chat
    /// template inside).
    pub fn load(path: &Path, device: &Device, dtype: DType) -> Result<Evaluator, EngineError> {
        let model = Model::load(path, device, dtype)?;
        let (tokenizer, template) = if path.is_file() {
            (
                TextTokenizer::from_gguf(path)?,
                ChatTemplate::from_gguf(path)?,
            )
        } else {
            (
                TextTokenizer::from_file(&path.join("tokenizer.json"))?,
                ChatTemplate::from_model_dir(path)?,
            )
        };
        if tokenizer.vocab_size() > model.vocab_size {
            return Err(EngineError::ModelFile {
                path: path.to_owned(),
                message: format!(
                    "the tokenizer has {} tokens but the model only {} logits: they do not belong together",
                    tokenizer.vocab_size(),
                    model.vocab_size
                ),
            });
        }
        let mut stop_tokens: Vec<u32> = TURN_ENDS
            .iter()
            .copied()
            .chain(template.eos_token())
            .filter_map(|t| tokenizer.token_id(t))
            .collect();
        stop_tokens.sort_unstable();
        stop_tokens.dedup();
        Ok(Evaluator {
            model,
            tokenizer,
            template,
            stop_tokens,
            path: path.to_owned(),
        })
    }

    /// Judges one prompt: renders it in the model's chat format, generates, and reads the verdict.
    /// Returns `None` when `on_text` cancelled it.
    pub fn judge(
        &mut self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError> {
        let input = model_input(
            prompt,
            &self.template,
            &self.tokenizer,
            &RenderOptions {
                add_generation_prompt: true,
                enable_thinking: Some(false),
                reasoning_effort: None,
            },
        )?;
        let generation = generate(
            &mut self.model,
            &self.tokenizer,
            &input.ids,
            &self.stop_tokens,
            params,
            on_text,
        )?;
        let finish = match generation.ending {
            Ending::Cancelled => return Ok(None),
            Ending::Length => Finish::Length,
            Ending::Stopped => Finish::Stopped,
        };
        let judgment = read_output(&generation.text, rules, finish);
        Ok(Some(JudgeOutput::from_generation(&generation, judgment)))
    }
}

impl Judge for Evaluator {
    fn judge(
        &mut self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError> {
        Evaluator::judge(self, prompt, rules, params, on_text)
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}
