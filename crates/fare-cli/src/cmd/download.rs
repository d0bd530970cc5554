//! `fare-lens download`: a model from the Hugging Face hub into its cache, with a progress bar
//! (bytes, speed, time left); without a name, the FARE models and what the cache holds of each.
//! Interrupted (Ctrl-C, a broken connection), the same command resumes where it stopped.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use fare_app::downloads::{HeldView, hub_models};
use fare_hub::{Cancel, DownloadOptions, bytes_in_words};
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::print_json;

#[derive(Args)]
pub(crate) struct DownloadArgs {
    /// The model on the hub (`Salesforce/FARE-8B`); none: list the FARE models.
    pub(crate) repo: Option<String>,
    /// A branch, tag or commit.
    #[arg(long, default_value = "main")]
    pub(crate) revision: String,
    /// Only this file of the repository (repeatable; default: the files a model needs).
    #[arg(long = "file")]
    pub(crate) files: Vec<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn download(args: &DownloadArgs) -> Result<ExitCode> {
    let hub = fare_app::downloads::hub();
    let Some(repo) = &args.repo else {
        let view = hub_models(&hub);
        if args.json {
            print_json(&view)?;
            return Ok(ExitCode::SUCCESS);
        }
        println!("From {} into {}:", view.endpoint, view.cache);
        for m in &view.models {
            let held = match &m.held {
                HeldView::Nothing => "not downloaded".to_owned(),
                HeldView::Partial { bytes } => {
                    format!("{} kept of an unfinished download", bytes_in_words(*bytes))
                }
                HeldView::Downloaded { path } => format!("downloaded: {path}"),
            };
            println!(
                "\n{}  ({}, {}, about {})\n  needs: {}\n  license: {} ({})\n  {held}",
                m.repo,
                m.architecture,
                m.format,
                bytes_in_words(m.download_bytes),
                m.needs,
                m.license,
                m.license_note
            );
        }
        println!("\nfare-lens download REPO fetches one (HF_TOKEN is sent when set).");
        return Ok(ExitCode::SUCCESS);
    };

    if let Some(m) = fare_hub::catalog::find(repo) {
        eprintln!(
            "{}: {}, about {}. License {}: {}",
            m.repo,
            m.format,
            bytes_in_words(m.download_bytes),
            m.license,
            m.license_note
        );
    }
    let bar = if args.json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{wide_bar} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    };
    let options = DownloadOptions {
        revision: args.revision.clone(),
        files: (!args.files.is_empty()).then(|| args.files.clone()),
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a speed in bytes per second, shown rounded"
    )]
    let result = hub.download(repo, &options, &Cancel::new(), &mut |p| {
        bar.set_length(p.total_bytes);
        bar.set_position(p.done_bytes);
        let left = p
            .seconds_left
            .map_or_else(String::new, |s| format!(", {} left", duration(s)));
        bar.set_message(format!(
            "{}/s{left}  {} ({}/{})",
            bytes_in_words(p.bytes_per_second as u64),
            p.file,
            (p.files_done + 1).min(p.files.max(1)),
            p.files
        ));
    });
    bar.finish_and_clear();
    let done = result?;
    if args.json {
        print_json(&serde_json::json!({
            "repo": done.repo,
            "commit": done.commit,
            "snapshot": done.snapshot,
            "files": done.files,
            "bytes": done.bytes,
            "fetched_bytes": done.fetched_bytes,
            "resumed_bytes": done.resumed_bytes,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} files, {} ({} fetched{}) in {}",
        done.repo,
        done.files,
        bytes_in_words(done.bytes),
        bytes_in_words(done.fetched_bytes),
        if done.resumed_bytes > 0 {
            format!(", resumed after {}", bytes_in_words(done.resumed_bytes))
        } else {
            String::new()
        },
        done.snapshot.display()
    );
    println!(
        "judge with it: fare-lens judge PROJECT --model {}",
        done.snapshot.display()
    );
    if fare_hub::catalog::find(repo).is_some_and(|m| m.converts_to_gguf) {
        println!(
            "without a GPU, convert it first: fare-lens convert {} -o models/{}-q8_0",
            done.snapshot.display(),
            repo.rsplit('/').next().unwrap_or(repo)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `1 h 05 min`, `4 min 10 s`, `12 s`.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a non-negative number of seconds, rounded"
)]
fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}
