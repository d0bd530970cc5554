//! `fare-lens serve`: a project's review UI and API over HTTP.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::Args;

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// The project file (created when missing).
    pub(crate) project: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub(crate) addr: std::net::SocketAddr,
    /// Who is annotating (default: $FARE_LENS_ANNOTATOR, else the login name).
    #[arg(long)]
    pub(crate) annotator: Option<String>,
    /// The token the API requires, at least 16 characters (a random one by default, loopback
    /// included: other users of the machine and other web sites must not reach the project).
    #[arg(long, env = "FARE_LENS_TOKEN")]
    pub(crate) token: Option<String>,
    /// A host name the server answers to besides loopback's and the address it listens on
    /// (the machine's name on the network; repeatable).
    #[arg(long = "allow-host")]
    pub(crate) allowed_hosts: Vec<String>,
    /// The built web UI (`ui/dist` of this checkout by default).
    #[arg(long)]
    pub(crate) ui: Option<PathBuf>,
    /// A folder of model folders and GGUF files for the model panel, besides the `models/`
    /// folder beside the project and the Hugging Face cache (repeatable).
    #[arg(long = "models")]
    pub(crate) model_folders: Vec<PathBuf>,
    /// An OpenAI-compatible endpoint (`http://host:port/v1`) the model panel may use with the
    /// API key in `OPENAI_API_KEY` (repeatable; also FARE_LENS_ENDPOINTS). An endpoint typed
    /// into the panel that is not configured gets no key.
    #[arg(long = "endpoint")]
    pub(crate) endpoints: Vec<String>,
    /// A folder whose files the web UI may import and export into, besides the project's own
    /// (repeatable). Nothing outside these, nothing hidden, and no file the server did not
    /// export is replaced.
    #[arg(long = "data")]
    pub(crate) data_folders: Vec<PathBuf>,
    /// Let people look but not change: every command that writes (decisions, imports,
    /// exports, queues, models and jobs) is refused.
    #[arg(long)]
    pub(crate) read_only: bool,
}

pub(crate) fn serve(args: &ServeArgs) -> Result<ExitCode> {
    let token = match &args.token {
        Some(token) => fare_server::Token::new(token).map_err(|e| anyhow!("--token: {e}"))?,
        None => fare_server::Token::random()?,
    };
    let project = fare_store::Project::open_or_create(&args.project)?;
    let annotator = args
        .annotator
        .clone()
        .unwrap_or_else(fare_app::naming::default_annotator);
    let open = fare_app::api::OpenProject::new(project, &annotator);
    let ui_dir = args
        .ui
        .clone()
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist")));
    if !ui_dir.join("index.html").is_file() {
        eprintln!(
            "warning: no built UI in {} (npm ci && npm run build in ui/); serving the API only",
            ui_dir.display()
        );
    }
    let options = fare_server::ServeOptions {
        token: token.clone(),
        allowed_hosts: args.allowed_hosts.clone(),
        ui_dir: Some(ui_dir),
        // The model panel runs models in this same binary, as `fare-lens serve-model`.
        worker: Some(fare_app::worker::WorkerCommand::this_executable()?),
        model_folders: args.model_folders.clone(),
        endpoints: fare_app::worker::ConfiguredEndpoints::with_environment(&args.endpoints)
            .map_err(anyhow::Error::msg)?,
        data_folders: args.data_folders.clone(),
        read_only: args.read_only,
    };
    // Refused now, before anything listens, rather than narrowed silently by the router.
    fare_server::data_access(&args.project, &args.data_folders).map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        println!(
            "FARE Lens: {} for {annotator} at http://{addr}/#token={}",
            args.project.display(),
            token.as_str()
        );
        fare_server::serve(listener, fare_server::router(open, &options, addr)).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
