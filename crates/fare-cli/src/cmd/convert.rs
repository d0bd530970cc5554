//! `fare-lens convert`: a Qwen3 safetensors folder into a quantised GGUF file for CPUs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Args;

use crate::output::progress_bar;

#[derive(Args)]
pub(crate) struct ConvertArgs {
    /// The model folder (config.json and safetensors).
    pub(crate) model: PathBuf,
    /// The GGUF file to write.
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
    let bar = progress_bar(&format!("converting {}", args.model.display()));
    let result = fare_engine::convert::qwen3_to_gguf(&args.model, &args.output, quant);
    bar.finish_and_clear();
    result?;
    let size = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    println!(
        "{}: {} GGUF, {:.1} MB",
        args.output.display(),
        args.quant,
        size as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
