//! `fare-lens convert`: a Qwen3 safetensors folder into a quantised GGUF file for CPUs, in a
//! folder of its own with the model's tokenizer and chat template beside it (how the engine
//! and the model list read a converted model).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Args)]
pub(crate) struct ConvertArgs {
    /// The model folder (config.json, safetensors, tokenizer.json).
    pub(crate) model: PathBuf,
    /// The folder to write (created): `model.QUANT.gguf` and the tokenizer files.
    #[arg(short, long)]
    pub(crate) output: PathBuf,
    /// f32, f16, q8_0, q4_0, q4_k or q6_k.
    #[arg(long, default_value = "q8_0")]
    pub(crate) quant: String,
}

pub(crate) fn convert(args: &ConvertArgs) -> Result<ExitCode> {
    let quant = fare_engine::convert::quantization(&args.quant).ok_or_else(|| {
        anyhow!(
            "unknown quantisation `{}` (f32, f16, q8_0, q4_0, q4_k, q6_k)",
            args.quant
        )
    })?;
    if args.output.extension().is_some_and(|e| e == "gguf") {
        bail!(
            "-o names a folder (the converted model keeps its tokenizer beside its GGUF file): \
             try -o {}",
            args.output.with_extension("").display()
        );
    }
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = ProgressBar::new(0).with_message(format!("converting {}", args.model.display()));
        bar.set_style(
            ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} tensors ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let result = fare_engine::convert::convert_for_cpu(
        &args.model,
        &args.output,
        quant,
        &mut |done, all| {
            bar.set_length(all as u64);
            bar.set_position(done as u64);
            true
        },
    );
    bar.finish_and_clear();
    let gguf = result?;
    let size = std::fs::metadata(&gguf).map_or(0, |m| m.len());
    println!(
        "{}: {} GGUF, {:.1} MB (judge with --model naming this file)",
        gguf.display(),
        args.quant,
        size as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
