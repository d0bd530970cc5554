//! The subcommands, one file each: its arguments and what it does.

pub(crate) mod agreement;
pub(crate) mod annotate;
pub(crate) mod bench;
pub(crate) mod convert;
pub(crate) mod datasets;
pub(crate) mod demo;
pub(crate) mod diff;
pub(crate) mod download;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod import_judgments;
pub(crate) mod judge;
pub(crate) mod merge;
pub(crate) mod models;
pub(crate) mod prompt;
pub(crate) mod report;
pub(crate) mod samples;
pub(crate) mod serve;
pub(crate) mod serve_model;
pub(crate) mod tags;

use std::path::PathBuf;

use clap::Args;

#[derive(Args)]
pub(crate) struct ProjectArgs {
    /// The project file (.sqlite).
    pub(crate) project: PathBuf,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}
