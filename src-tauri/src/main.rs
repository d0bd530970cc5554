//! `fare-lens-desktop [PROJECT]`: starts the desktop app on PROJECT, or on the project used
//! last (the bundled demo on first launch). `fare-lens-desktop serve-model MODEL …` is the
//! app's own model worker (see `fare_app::worker`).

// No console window beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    // The model worker: the app starts its own executable as `EXE serve-model MODEL …`, so a
    // crash or an out-of-memory in model code never takes the window down.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve-model") {
        let served = fare_app::serve_model::ServeModel::from_args(&args[1..]).and_then(|s| s.run());
        return match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut launch = fare_lens_desktop::Launch {
        state_dir: std::env::var_os("FARE_LENS_STATE_DIR").map(PathBuf::from),
        ..Default::default()
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("-h" | "--help") => {
                println!(
                    "FARE Lens desktop app\n\nUsage: fare-lens-desktop [--data FOLDER]... [PROJECT]\n\n\
                     Opens PROJECT (a .sqlite project file), or the project used last, or the \
                     bundled demo on first launch.\n\n\
                     --data FOLDER  files inside FOLDER may be imported and exported by typing \
                     their paths (otherwise only files chosen in the app's file dialogs); \
                     repeatable\n\n\
                     FARE_LENS_STATE_DIR: where the recent list and the demo project are kept.\n\
                     FARE_LENS_ENDPOINTS: OpenAI-compatible endpoints that get OPENAI_API_KEY."
                );
                return ExitCode::SUCCESS;
            }
            Some("--data") => {
                let Some(folder) = args.next() else {
                    eprintln!("fare-lens-desktop: --data needs a folder (see --help)");
                    return ExitCode::from(2);
                };
                launch.data_folders.push(PathBuf::from(folder));
            }
            Some(flag) if flag.starts_with('-') => {
                eprintln!("fare-lens-desktop: unknown option {flag} (see --help)");
                return ExitCode::from(2);
            }
            _ => launch.project = Some(PathBuf::from(arg)),
        }
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // WebKitGTK's DMA-BUF renderer paints blank windows with NVIDIA drivers.
        // SAFETY: the first thing in `main`, before any other thread exists.
        #[allow(
            unsafe_code,
            reason = "setting the environment before any thread starts"
        )]
        unsafe {
            std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
        }
    }
    match fare_lens_desktop::run(launch) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fare-lens-desktop: {e}");
            ExitCode::FAILURE
        }
    }
}
