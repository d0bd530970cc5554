//! `fare-lens tags`: the failure-mode tags, and adding one's own.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::output::{open, print_json};

#[derive(Args)]
pub(crate) struct TagsArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// Add a tag with this id (lowercase letters, digits and `-`).
    #[arg(long)]
    pub(crate) add: Option<String>,
    /// The new tag's name, as shown.
    #[arg(long, requires = "add")]
    pub(crate) name: Option<String>,
    /// What the new tag means.
    #[arg(long, requires = "add")]
    pub(crate) description: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn tags(args: &TagsArgs) -> Result<ExitCode> {
    let mut project = open(&args.project)?;
    if let Some(id) = &args.add {
        let tag = project.add_tag(
            id,
            args.name.as_deref().unwrap_or_default(),
            args.description.as_deref().unwrap_or_default(),
        )?;
        if args.json {
            print_json(&tag)?;
        } else {
            println!("added tag `{}` ({})", tag.id, tag.name);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let tags = project.tags()?;
    if args.json {
        print_json(&tags)?;
    } else {
        for t in &tags {
            let origin = if t.builtin { "" } else { " (yours)" };
            println!("{:<28} {}{origin}: {}", t.id, t.name, t.description);
        }
    }
    Ok(ExitCode::SUCCESS)
}
