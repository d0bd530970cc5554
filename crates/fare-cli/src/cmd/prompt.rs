//! `fare-lens prompt`: exactly what a model will see for a sample (the rendered prompt and its token ids).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use fare_core::Task;

use crate::output::{open, print_json, resolve_sample};

#[derive(Args)]
pub(crate) struct PromptArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// The sample: its project id, or DATASET/ID (see `annotate`).
    pub(crate) sample: String,
    /// The model folder (tokenizer.json with tokenizer_config.json or chat_template.jinja).
    #[arg(long)]
    pub(crate) model: PathBuf,
    /// A template file to use instead of the shipped one of the sample's task.
    #[arg(long)]
    pub(crate) template: Option<PathBuf>,
    /// Direct judgment (verdict only) instead of critique then verdict.
    #[arg(long)]
    pub(crate) direct: bool,
    /// Show A and B swapped (pairwise samples).
    #[arg(long)]
    pub(crate) swapped: bool,
    /// gpt-oss's reasoning effort (low, medium or high) for templates that read it.
    #[arg(long, default_value = "medium")]
    pub(crate) reasoning_effort: fare_engine::harmony::ReasoningEffort,
    /// Also print the token ids.
    #[arg(long)]
    pub(crate) ids: bool,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn prompt(args: &PromptArgs) -> Result<ExitCode> {
    use fare_engine::chat::RenderOptions;
    let project = open(&args.project)?;
    let sample_id = resolve_sample(&project, &args.sample)?;
    let stored = project.sample(sample_id)?;
    let task = stored.sample.task();
    let template = match &args.template {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read the template", path.display()))?;
            fare_core::Template::from_toml(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        }
        None => fare_core::Template::builtin_for(task)
            .ok_or_else(|| anyhow!("no shipped template for {task}"))?,
    };
    if args.swapped && task != Task::Pairwise {
        bail!("only pairwise samples can be swapped; sample {sample_id} is {task}");
    }
    let mode = if args.direct {
        fare_core::PromptMode::Direct
    } else {
        fare_core::PromptMode::Critique
    };
    let order = if args.swapped {
        fare_core::ResponseOrder::Swapped
    } else {
        fare_core::ResponseOrder::Original
    };
    let messages = template.render(&stored.sample, mode, order)?;
    let chat = fare_engine::ChatTemplate::from_model_dir(&args.model)?;
    let tokenizer = fare_engine::TextTokenizer::from_file(&args.model.join("tokenizer.json"))?;
    let input = fare_engine::prompt::model_input(
        &messages,
        &chat,
        &tokenizer,
        &RenderOptions {
            add_generation_prompt: true,
            // Qwen3 templates read it (FARE-8B is non-thinking); others ignore it.
            enable_thinking: Some(false),
            reasoning_effort: Some(args.reasoning_effort),
            now: None,
        },
    )?;
    if !input.special_tokens_in_text.is_empty() {
        eprintln!(
            "warning: the sample's text contains control tokens of this model ({}); the model reads them as such",
            input.special_tokens_in_text.join(", ")
        );
    }
    if args.json {
        print_json(&serde_json::json!({
            "sample": sample_id,
            "template": template.name,
            "template_hash": template.content_hash(),
            "text": input.text,
            "ids": input.ids,
            "tokens": input.ids.len(),
            "special_tokens_in_text": input.special_tokens_in_text,
        }))?;
    } else {
        print!("{}", input.text);
        if args.ids {
            println!("\n\n{} tokens: {:?}", input.ids.len(), input.ids);
        }
    }
    Ok(ExitCode::SUCCESS)
}
