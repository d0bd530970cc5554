//! `serve-model`: a local model served in the OpenAI dialect, one generation at a time. This is
//! the body of `fare-lens serve-model` and of the desktop app's model worker (the app starts
//! its own executable as `EXE serve-model MODEL --addr 127.0.0.1:0 …`, see [`crate::worker`]).
//! It prints `serving NAME at URL` once the model is loaded, then serves until ended.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use fare_engine::device::{DeviceChoice, WeightDtype};
use fare_engine::gpt_oss::ExpertWeights;

/// Why the model could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeModelError {
    /// The arguments do not read.
    #[error("{0}")]
    Arguments(String),
    /// The device or weight type cannot be used.
    #[error("{0}")]
    Device(String),
    /// The model did not load.
    #[error(transparent)]
    Load(#[from] fare_engine::EngineError),
    /// The server did not start.
    #[error(transparent)]
    Serve(#[from] fare_endpoint::EndpointError),
    /// Standard output went away.
    #[error("cannot print the address: {0}")]
    Io(#[from] std::io::Error),
}

/// What to serve, and how.
#[derive(Debug, Clone)]
pub struct ServeModel {
    /// A model folder (config.json, safetensors, tokenizer) or a GGUF file.
    pub model: PathBuf,
    /// Where to listen (port 0: a free one).
    pub addr: SocketAddr,
    /// The model's name for clients (default: the folder or file name).
    pub name: Option<String>,
    /// The device.
    pub device: DeviceChoice,
    /// A safetensors model's dtype (default: f32 on the CPU, bf16 on a GPU).
    pub dtype: Option<WeightDtype>,
    /// How a gpt-oss model keeps its experts (default: dequantised).
    pub experts: Option<ExpertWeights>,
    /// End when standard input closes (the parent that started the worker went away).
    pub exit_with_stdin: bool,
    /// The key every `/v1/` request must carry; `None`: read [`API_KEY_VAR`], and without it
    /// none.
    pub api_key: Option<String>,
}

/// The environment variable holding serve-model's API key (how the app gives its worker one:
/// a command line is readable by every user of the machine, the environment is not).
pub const API_KEY_VAR: &str = "FARE_LENS_API_KEY";

impl ServeModel {
    /// Reads the worker's arguments: `MODEL [--addr A] [--name N] [--device D] [--dtype T]
    /// [--experts E] [--exit-with-stdin]` (what [`crate::worker`] passes).
    pub fn from_args(args: &[String]) -> Result<ServeModel, ServeModelError> {
        let bad = |m: String| ServeModelError::Arguments(format!("serve-model: {m}"));
        let mut model = None;
        let mut serve = ServeModel {
            model: PathBuf::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            name: None,
            device: DeviceChoice::Cpu,
            dtype: None,
            experts: None,
            exit_with_stdin: false,
            api_key: None,
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let mut value = |flag: &str| {
                rest.next()
                    .cloned()
                    .ok_or_else(|| bad(format!("{flag} needs a value")))
            };
            match arg.as_str() {
                "--addr" => {
                    let text = value("--addr")?;
                    serve.addr = text.parse().map_err(|_| {
                        bad(format!("--addr {text}: not an address like 127.0.0.1:0"))
                    })?;
                }
                "--name" => serve.name = Some(value("--name")?),
                "--device" => {
                    serve.device =
                        value("--device")?
                            .parse()
                            .map_err(|e: fare_engine::EngineError| {
                                ServeModelError::Device(e.to_string())
                            })?;
                }
                "--dtype" => {
                    serve.dtype = Some(value("--dtype")?.parse().map_err(
                        |e: fare_engine::EngineError| ServeModelError::Device(e.to_string()),
                    )?);
                }
                "--experts" => {
                    serve.experts = Some(
                        value("--experts")?
                            .parse()
                            .map_err(|e: fare_engine::EngineError| bad(e.to_string()))?,
                    );
                }
                "--exit-with-stdin" => serve.exit_with_stdin = true,
                flag if flag.starts_with("--") => {
                    return Err(bad(format!("unknown option {flag}")));
                }
                path if model.is_none() => model = Some(PathBuf::from(path)),
                extra => return Err(bad(format!("one model only (also got {extra})"))),
            }
        }
        serve.model = model.ok_or_else(|| bad("which model? (a folder or a GGUF file)".into()))?;
        Ok(serve)
    }

    /// Loads the model and serves it until the process ends.
    pub fn run(&self) -> Result<(), ServeModelError> {
        let name = self.name.clone().unwrap_or_else(|| {
            self.model
                .file_stem()
                .map_or_else(|| "model".to_owned(), |s| s.to_string_lossy().into_owned())
        });
        if self.exit_with_stdin {
            std::thread::spawn(|| {
                // Read until end of file: the parent closed the pipe or went away.
                let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
                std::process::exit(0);
            });
        }
        let evaluator = crate::models::load_evaluator(
            &self.model,
            self.device,
            self.dtype,
            self.experts.unwrap_or_default(),
        )?;
        let mut options = fare_endpoint::ServeOptions::new(&name);
        options.addr = self.addr;
        options.api_key = self
            .api_key
            .clone()
            .or_else(|| std::env::var(API_KEY_VAR).ok())
            .filter(|k| !k.is_empty());
        let server = fare_endpoint::serve(evaluator, &options)?;
        if options.api_key.is_none() {
            eprintln!(
                "warning: no API key ({API_KEY_VAR} or --api-key): anyone who reaches {} may \
                 use the model{}",
                server.addr(),
                if server.addr().ip().is_loopback() {
                    ", other users of this machine included"
                } else {
                    ""
                }
            );
        }
        println!("serving {name} at {}", server.base_url());
        std::io::stdout().flush()?;
        server.wait();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn reads_the_arguments_the_worker_is_started_with() {
        let s = ServeModel::from_args(&args(
            "models/m.gguf --addr 127.0.0.1:0 --name m --device cpu --exit-with-stdin",
        ))
        .expect("reads");
        assert_eq!(s.model, PathBuf::from("models/m.gguf"));
        assert_eq!(s.addr.port(), 0);
        assert_eq!(s.name.as_deref(), Some("m"));
        assert!(s.exit_with_stdin && s.dtype.is_none());
        let s = ServeModel::from_args(&args("m --device cuda:1 --dtype bf16 --experts q8_0"))
            .expect("reads");
        assert_eq!(
            (s.device, s.dtype, s.experts),
            (
                DeviceChoice::Cuda(1),
                Some(WeightDtype::Bf16),
                Some(ExpertWeights::Q8_0)
            )
        );
    }

    #[test]
    fn names_what_is_wrong_with_the_arguments() {
        for (given, says) in [
            ("", "which model"),
            ("m --addr", "--addr needs a value"),
            ("m --addr nowhere", "not an address"),
            ("m --port 3", "unknown option --port"),
            ("a b", "one model only"),
            ("m --device tpu", "unknown device `tpu`"),
            ("m --dtype int8", "unknown dtype `int8` (f32, bf16, f16)"),
            (
                "m --experts mxfp4",
                "unknown expert format `mxfp4` (dequantized, q8_0, q4_0)",
            ),
        ] {
            let e = ServeModel::from_args(&args(given)).expect_err(given);
            assert!(e.to_string().contains(says), "{given}: {e}");
        }
    }
}
