//! `fare-lens models`: the models found on disk and in the Hugging Face cache.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::output::print_json;

#[derive(Args)]
pub(crate) struct ModelsArgs {
    /// A folder holding model folders or GGUF files (default: ./models).
    #[arg(long = "dir")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn models(args: &ModelsArgs) -> Result<ExitCode> {
    let dirs = if args.dirs.is_empty() {
        vec![PathBuf::from("models")]
    } else {
        args.dirs.clone()
    };
    let hub = fare_app::models::hugging_face_cache();
    let found = fare_engine::discover::discover(&dirs, hub.as_deref());
    if args.json {
        print_json(&found)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        println!(
            "no models in {}{}",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if hub.is_some() {
                " or the Hugging Face cache"
            } else {
                ""
            }
        );
    }
    for m in &found {
        println!(
            "{:<32} {:<11} {:<8} {:<9} {:>9.1} MB  {}  {}",
            m.name,
            m.format,
            m.architecture.as_deref().unwrap_or("?"),
            m.dtype.as_deref().unwrap_or("?"),
            m.size as f64 / 1e6,
            m.problem
                .as_deref()
                .map_or_else(|| "usable".to_owned(), |p| format!("not usable: {p}")),
            m.path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
