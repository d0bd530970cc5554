//! What the subcommands share: printing JSON, opening a project, progress bars, percentages, naming a sample.

use std::io::IsTerminal;

use anyhow::Result;
use fare_store::Project;
use indicatif::{ProgressBar, ProgressStyle};

pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub(crate) fn open(path: &std::path::Path) -> Result<Project> {
    Ok(Project::open(path)?)
}

pub(crate) fn progress_bar(message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {pos} ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

pub(crate) fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |v| format!("{:.1}", v * 100.0))
}

pub(crate) fn resolve_sample(project: &Project, text: &str) -> Result<i64> {
    Ok(fare_app::naming::resolve_sample(project, text)?)
}
