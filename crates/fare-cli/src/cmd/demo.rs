//! `fare-lens demo`: the bundled demo project, built, shown or served.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use crate::cmd::report::{ReportArgs, report};
use crate::cmd::samples::{SamplesArgs, samples};
use crate::cmd::serve::{ServeArgs, serve};

#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Where to write it.
    #[arg(default_value = "fare-lens-demo.sqlite")]
    pub(crate) project: PathBuf,
    /// Print the report as machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Then serve it for review in the browser (an existing demo is reopened as it is,
    /// with its annotations).
    #[arg(long)]
    pub(crate) serve: bool,
    /// Where to serve it.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub(crate) addr: std::net::SocketAddr,
}

/// Builds the demo (or reopens it to serve), then shows or serves it.
pub(crate) fn demo(args: &DemoArgs) -> Result<ExitCode> {
    let project = args.project.clone();
    let (json, addr) = (args.json, args.addr);
    if args.serve {
        if !project.exists() {
            drop(fare_app::demo::build(&project)?);
        } else if !fare_app::demo::is_demo(&project) {
            bail!(fare_app::demo::DemoError::NotADemo(project));
        }
        serve(&ServeArgs {
            project,
            addr,
            annotator: None,
            token: None,
            allowed_hosts: Vec::new(),
            ui: None,
            model_folders: Vec::new(),
            endpoints: Vec::new(),
            data_folders: Vec::new(),
            read_only: false,
        })
    } else {
        drop(fare_app::demo::build(&project)?);
        if json {
            return report(&ReportArgs {
                project,
                run: None,
                json: true,
            });
        }
        println!("demo project written to {}\n", project.display());
        samples(&SamplesArgs {
            project: project.clone(),
            task: None,
            dataset: None,
            source: None,
            review: None,
            evaluator: None,
            tag: None,
            search: None,
            run: None,
            after: 0,
            limit: 50,
            json: false,
        })?;
        println!();
        report(&ReportArgs {
            project,
            run: None,
            json: false,
        })
    }
}
