//! `fare-lens serve-model`: a local model as an OpenAI-compatible endpoint.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use fare_engine::device::{DeviceChoice, WeightDtype};
use fare_engine::gpt_oss::ExpertWeights;

#[derive(Args)]
pub(crate) struct ServeModelArgs {
    /// The model: a folder (config.json, safetensors, tokenizer) or a GGUF file.
    pub(crate) model: PathBuf,
    /// Where to listen (loopback by default; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub(crate) addr: std::net::SocketAddr,
    /// The model's name for clients (default: the folder or file name).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// cpu, cuda or metal (GPUs need a build with that feature).
    #[arg(long, default_value = "cpu")]
    pub(crate) device: DeviceChoice,
    /// The weight and activation type of a safetensors model: f32, bf16 or f16 (default: f32 on
    /// the CPU, bf16 on a GPU). A GGUF file keeps its own types.
    #[arg(long)]
    pub(crate) dtype: Option<WeightDtype>,
    /// How a gpt-oss model keeps its experts: dequantized (to --dtype; default), q8_0 or q4_0
    /// (re-quantised at load: about 24 GB and 14 GB for gpt-oss-20b instead of 42 GB in bf16).
    #[arg(long)]
    pub(crate) experts: Option<ExpertWeights>,
    /// Stop serving when standard input closes: a parent process that starts the server as its
    /// worker keeps a pipe open, so the worker ends with it however the parent ends.
    #[arg(long)]
    pub(crate) exit_with_stdin: bool,
    /// The key every `/v1/` request must carry (`Authorization: Bearer KEY`; clients such as
    /// `judge --model http://…` send `$OPENAI_API_KEY`). Without one, anyone who reaches the
    /// address may use the model.
    #[arg(long, env = "FARE_LENS_API_KEY", hide_env_values = true)]
    pub(crate) api_key: Option<String>,
}

pub(crate) fn serve_model(args: &ServeModelArgs) -> Result<ExitCode> {
    fare_app::serve_model::ServeModel {
        model: args.model.clone(),
        addr: args.addr,
        name: args.name.clone(),
        device: args.device,
        dtype: args.dtype,
        experts: args.experts,
        exit_with_stdin: args.exit_with_stdin,
        api_key: args.api_key.clone(),
    }
    .run()?;
    Ok(ExitCode::SUCCESS)
}
