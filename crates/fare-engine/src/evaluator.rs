//! An evaluator ready to judge: a model with its tokenizer, chat template and stop tokens,
//! loaded from a model folder or a GGUF file, and one judgment of one FARE prompt.
//!
//! [`Judge`] is what every backend offers the judging pipeline: this local evaluator, or an
//! OpenAI-compatible endpoint.
//!
//! After generating, the local evaluator also scores every admissible verdict at the verdict
//! position ([`crate::score`]) for step-level, pairwise and verification prompts, unless
//! [`Evaluator::score_verdicts`] is off. The prompt is not processed again: scoring starts from
//! the state the generation left (see [`Model::score_continuations`]). Scoring time counts in
//! [`JudgeOutput::elapsed`] and not in [`JudgeOutput::tokens_per_second`], which stays the
//! decode speed.
//!
//! [`BatchedEvaluator`] is the same evaluator on a [`Batcher`]: it forks into as many judges
//! as the batch holds sequences, so a judging run's workers share every forward pass; each
//! judgment (its generation and its verdict scoring) is the one [`Evaluator::judge`] makes.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::{DType, Device};
use fare_core::{Finish, Judgment, Prompt, VerdictProbs, VerdictRules, read_output};

use crate::EngineError;
use crate::batch::{BatchOptions, Batcher};
use crate::chat::{ChatTemplate, RenderOptions};
use crate::generate::{Ending, Generation, SamplingParams, generate};
use crate::model::{LoadOptions, Model};
use crate::prompt::{ModelInput, model_input};
use crate::score::{ScoringInput, score_verdicts, scores_task};
use crate::tokenize::TextTokenizer;

/// Tokens that end an assistant turn in the chat formats the engine knows.
const TURN_ENDS: [&str; 5] = [
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|return|>",
    "<|call|>",
];

/// The token ids that end an answer: the turn ends of the chat formats the engine knows that
/// the vocabulary has, the template's end-of-sequence token, and the `eos_token_id` (one id or a
/// list) of the model's `generation_config.json` when there is one. For gpt-oss that is
/// `<|return|>` 200002, `<|call|>` 200012 and `<|endoftext|>` 199999.
pub fn stop_tokens(
    tokenizer: &TextTokenizer,
    template: &ChatTemplate,
    generation_config: Option<&Path>,
) -> Result<Vec<u32>, EngineError> {
    let mut stop: Vec<u32> = TURN_ENDS
        .iter()
        .copied()
        .chain(template.eos_token())
        .filter_map(|t| tokenizer.token_id(t))
        .collect();
    if let Some(path) = generation_config
        && let Ok(text) = std::fs::read_to_string(path)
    {
        let bad = |message: String| EngineError::ModelFile {
            path: path.to_owned(),
            message,
        };
        let config: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let ids = match &config["eos_token_id"] {
            serde_json::Value::Null => Vec::new(),
            serde_json::Value::Array(ids) => ids.iter().collect(),
            one => vec![one],
        };
        for id in ids {
            let id = id
                .as_u64()
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| bad(format!("`eos_token_id` holds {id}, not a token id")))?;
            stop.push(id);
        }
    }
    stop.sort_unstable();
    stop.dedup();
    Ok(stop)
}

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
    /// Whether [`Evaluator::judge`] also scores the admissible verdicts by teacher forcing
    /// (default true; costs about one pass over the output and a few tokens per verdict).
    pub score_verdicts: bool,
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
    /// Time from request to the last token, and to the verdict probabilities when they were
    /// read after generating.
    pub elapsed: Duration,
    /// Decode speed (output tokens per second after the prompt, or over the whole request when
    /// the backend cannot tell the prompt's time apart).
    pub tokens_per_second: f64,
    /// How likely each admissible verdict was, when the backend can tell.
    pub verdict_probs: Option<VerdictProbs>,
    /// The output had no verdict line, so `verdict_probs` was read after a `Verdict:` appended
    /// to it: a guess at what the model would have said, to be shown as such.
    pub verdict_probs_forced: bool,
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
            verdict_probs_forced: false,
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
    /// template inside, or beside it in its folder when it has none inside).
    pub fn load(path: &Path, device: &Device, dtype: DType) -> Result<Evaluator, EngineError> {
        Self::load_with(path, device, LoadOptions::new(dtype))
    }

    /// As [`Evaluator::load`], with a gpt-oss model's experts kept as `options` say.
    pub fn load_with(
        path: &Path,
        device: &Device,
        options: LoadOptions,
    ) -> Result<Evaluator, EngineError> {
        let model = Model::load_with(path, device, options)?;
        let beside = crate::discover::tokenizer_beside(path);
        let (tokenizer, template) = if let Some(dir) = beside {
            // A GGUF file written by `fare-lens convert`: the model's own tokenizer.json and
            // chat template beside it, not a reconstruction inside it.
            (
                TextTokenizer::from_file(&dir.join("tokenizer.json"))?,
                ChatTemplate::from_model_dir(dir)?,
            )
        } else if path.is_file() {
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
        let generation_config = if path.is_dir() {
            Some(path.join("generation_config.json"))
        } else {
            beside.map(|dir| dir.join("generation_config.json"))
        };
        let stop_tokens = stop_tokens(&tokenizer, &template, generation_config.as_deref())?;
        Ok(Evaluator {
            model,
            tokenizer,
            template,
            stop_tokens,
            path: path.to_owned(),
            score_verdicts: true,
        })
    }

    /// Judges one prompt: renders it in the model's chat format (with `params`' reasoning
    /// effort), generates until a stop token, reads the verdict (from the `final` channel of
    /// harmony output), and scores the admissible verdicts (see the module doc). Returns `None`
    /// when `on_text` cancelled it.
    pub fn judge(
        &mut self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError> {
        let input = render(prompt, params, &self.template, &self.tokenizer)?;
        let scoring = self.score_verdicts && scores_task(rules.task);
        let generation = generate(
            &mut self.model,
            &self.tokenizer,
            &input.ids,
            &self.stop_tokens,
            params,
            on_text,
        );
        let generation = match generation {
            Ok(generation) if generation.ending != Ending::Cancelled => generation,
            cancelled_or_failed => {
                self.model.clear_cache();
                return cancelled_or_failed.map(|_| None);
            }
        };
        let mut output = read_generation(&generation, rules);
        if scoring {
            let started = Instant::now();
            let scored = score_verdicts(
                &mut self.model,
                &self.tokenizer,
                &input,
                &generation.text,
                rules,
            );
            self.model.clear_cache();
            if let Some(scored) = scored? {
                output.verdict_probs = Some(scored.probs);
                output.verdict_probs_forced = scored.forced;
            }
            output.elapsed += started.elapsed();
        }
        Ok(Some(output))
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

/// `prompt` in the model's chat format, with `params`' reasoning effort.
fn render(
    prompt: &Prompt,
    params: &SamplingParams,
    template: &ChatTemplate,
    tokenizer: &TextTokenizer,
) -> Result<ModelInput, EngineError> {
    model_input(
        prompt,
        template,
        tokenizer,
        &RenderOptions {
            add_generation_prompt: true,
            enable_thinking: Some(false),
            reasoning_effort: Some(params.reasoning_effort),
            now: None,
        },
    )
}

/// The judgment read from a finished generation (not cancelled).
fn read_generation(generation: &Generation, rules: &VerdictRules) -> JudgeOutput {
    let finish = if generation.ending == Ending::Length {
        Finish::Length
    } else {
        Finish::Stopped
    };
    let judgment = read_output(&generation.text, rules, finish);
    JudgeOutput::from_generation(generation, judgment)
}

/// An evaluator whose model runs on a [`Batcher`]: clones (and [`Judge::fork`]s) share it, so
/// judgments made at once on several threads share the model's forward passes.
#[derive(Debug, Clone)]
pub struct BatchedEvaluator {
    batcher: Arc<Batcher>,
    tokenizer: Arc<TextTokenizer>,
    template: Arc<ChatTemplate>,
    stop_tokens: Arc<[u32]>,
    path: PathBuf,
    /// As [`Evaluator::score_verdicts`].
    pub score_verdicts: bool,
}

impl BatchedEvaluator {
    /// Moves `evaluator`'s model onto a batcher with `options`.
    pub fn new(
        evaluator: Evaluator,
        options: BatchOptions,
    ) -> Result<BatchedEvaluator, EngineError> {
        let Evaluator {
            model,
            tokenizer,
            template,
            stop_tokens,
            path,
            score_verdicts,
        } = evaluator;
        Ok(BatchedEvaluator {
            batcher: Arc::new(Batcher::start(model, options)?),
            tokenizer: Arc::new(tokenizer),
            template: Arc::new(template),
            stop_tokens: stop_tokens.into(),
            path,
            score_verdicts,
        })
    }

    /// The batcher its judgments run on.
    pub fn batcher(&self) -> &Batcher {
        &self.batcher
    }

    /// Judges one prompt in the batch, as [`Evaluator::judge`] does alone.
    pub fn judge(
        &self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError> {
        let input = render(prompt, params, &self.template, &self.tokenizer)?;
        let scoring = self.score_verdicts && scores_task(rules.task);
        let (generation, kept) = if scoring {
            self.batcher.generate_kept(
                &self.tokenizer,
                &input.ids,
                &self.stop_tokens,
                params,
                on_text,
            )?
        } else {
            let generation = self.batcher.generate(
                &self.tokenizer,
                &input.ids,
                &self.stop_tokens,
                params,
                None,
                on_text,
            )?;
            (generation, None)
        };
        if generation.ending == Ending::Cancelled {
            return Ok(None);
        }
        let mut output = read_generation(&generation, rules);
        if let Some(kept) = kept {
            let started = Instant::now();
            if let Some(input) =
                ScoringInput::new(&self.tokenizer, &input, &generation.text, rules)?
            {
                let log_probs =
                    kept.score_continuations(&input.context, &input.candidates, &input.continuing)?;
                if let Some(scored) = input.read(log_probs) {
                    output.verdict_probs = Some(scored.probs);
                    output.verdict_probs_forced = scored.forced;
                }
            }
            output.elapsed += started.elapsed();
        }
        Ok(Some(output))
    }
}

impl Judge for BatchedEvaluator {
    fn judge(
        &mut self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError> {
        BatchedEvaluator::judge(self, prompt, rules, params, on_text)
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn kind(&self) -> &'static str {
        "local"
    }

    fn fork(&self) -> Option<Box<dyn Judge>> {
        Some(Box::new(self.clone()))
    }

    fn parallelism(&self) -> usize {
        self.batcher.options().max_sequences
    }
}
