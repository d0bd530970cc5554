//! "Get a model": the FARE models of the hub with what each needs, its license and what the
//! Hugging Face cache already holds of it ([`hub_models`]), and the model panel's transfers,
//! each on a thread of its own while the person keeps working ([`Transfers`]):
//!
//! - a **download** of a hub repository into the Hugging Face cache ([`fare_hub`]: free space
//!   checked first, resumed after a cancel or a restart, every file checked against the hub's
//!   hash), after which the model is in the list ([`crate::models::list_models`] reads the
//!   cache);
//! - a **conversion** of a Qwen3 safetensors model (FARE-8B) into a Q8_0 GGUF folder in the
//!   project's `models/` folder, for machines without a GPU.
//!
//! Their status is polled: bytes (or tensors) done of all, speed, time left, errors. One
//! download and one conversion at a time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use fare_hub::cache::{Held, RepoCache};
use fare_hub::{Cancel, DownloadOptions, Hub, HubError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::jobs::JobState;
use crate::worker::ModelError;

/// What the cache holds of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HeldView {
    /// Nothing.
    Nothing,
    /// An unfinished download (resumed from there).
    Partial {
        /// Bytes kept.
        bytes: u64,
    },
    /// The whole model.
    Downloaded {
        /// Its snapshot folder (what a load names).
        path: String,
    },
}

/// A model of the catalog, as "Get a model" lists it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HubModelView {
    /// The repository (`Salesforce/FARE-8B`).
    pub repo: String,
    /// A short name.
    pub name: String,
    /// The base model and architecture.
    pub architecture: String,
    /// How its weights are stored.
    pub format: String,
    /// The download, in bytes (about).
    pub download_bytes: u64,
    /// What it needs to run.
    pub needs: String,
    /// The license (SPDX).
    pub license: String,
    /// What the license allows.
    pub license_note: String,
    /// Whether it can be converted to a Q8_0 GGUF for CPUs once downloaded.
    pub converts_to_gguf: bool,
    /// What the cache holds of it.
    pub held: HeldView,
}

/// What "Get a model" shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HubView {
    /// The FARE models.
    pub models: Vec<HubModelView>,
    /// The hub downloads come from (`HF_ENDPOINT`).
    pub endpoint: String,
    /// The cache they go into (`HF_HOME`, `HF_HUB_CACHE`).
    pub cache: String,
    /// Bytes free where the cache is (none when it cannot be read).
    pub free_bytes: Option<u64>,
    /// Whether a token will be sent (`HF_TOKEN`, or the token file of `huggingface-cli login`).
    pub token_set: bool,
    /// Whether this build and machine have a GPU; without one, a downloaded FARE-8B is offered
    /// the conversion to Q8_0.
    pub has_gpu: bool,
}

/// The hub as the environment names it.
pub fn hub() -> Hub {
    Hub::from_env()
}

/// The FARE models with what the cache holds of each.
pub fn hub_models(hub: &Hub) -> HubView {
    let cache = hub.cache();
    let free = nearest_existing(cache).and_then(|p| fs4::available_space(p).ok());
    HubView {
        models: fare_hub::catalog()
            .iter()
            .map(|m| HubModelView {
                repo: m.repo.to_owned(),
                name: m.name.to_owned(),
                architecture: m.architecture.to_owned(),
                format: m.format.to_owned(),
                download_bytes: m.download_bytes,
                needs: m.needs.to_owned(),
                license: m.license.to_owned(),
                license_note: m.license_note.to_owned(),
                converts_to_gguf: m.converts_to_gguf,
                held: held(cache, m.repo),
            })
            .collect(),
        endpoint: hub.endpoint().to_owned(),
        cache: cache.display().to_string(),
        free_bytes: free,
        token_set: hub.has_token(),
        has_gpu: crate::models::gpu_memory().is_some() || candle_core::utils::metal_is_available(),
    }
}

/// What the cache at `cache` holds of `repo`.
pub fn held(cache: &Path, repo: &str) -> HeldView {
    match RepoCache::new(cache, repo).held() {
        Held::Nothing => HeldView::Nothing,
        Held::Partial { bytes } => HeldView::Partial { bytes },
        Held::Snapshot { path } => HeldView::Downloaded {
            path: path.display().to_string(),
        },
    }
}

fn nearest_existing(path: &Path) -> Option<&Path> {
    path.ancestors().find(|p| p.exists())
}

/// A download to start.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DownloadRequest {
    /// The repository (`Salesforce/FARE-8B`).
    pub repo: String,
    /// A branch, tag or commit (`main` when absent).
    #[serde(default)]
    #[ts(optional)]
    pub revision: Option<String>,
}

/// A conversion to start.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ConversionRequest {
    /// The model, as the model list names its path (a Qwen3 safetensors folder).
    pub path: String,
}

/// What a transfer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum TransferKind {
    /// A download from the hub (counted in bytes).
    Download,
    /// A conversion to Q8_0 GGUF (counted in tensors).
    Conversion,
}

/// A transfer, as the model panel shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransferView {
    /// Its id.
    pub id: u64,
    /// Download or conversion.
    pub kind: TransferKind,
    /// Where it stands.
    pub state: JobState,
    /// The repository downloaded, or the model converted.
    pub model: String,
    /// What it is doing now: `listing`, `resuming`, `downloading`, `finishing`, `converting`.
    pub phase: String,
    /// The file being fetched.
    pub file: String,
    /// Bytes (a download) or tensors (a conversion) done.
    pub done: u64,
    /// Of all (0 until known).
    pub total: u64,
    /// Bytes per second over the last seconds (a download).
    pub bytes_per_second: f64,
    /// Seconds left at that pace, once there is one.
    pub seconds_left: Option<f64>,
    /// Bytes an interrupted download had kept, which this one resumed from.
    pub resumed_bytes: u64,
    /// The model made: the snapshot folder, or the converted GGUF file.
    pub path: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

#[derive(Debug)]
struct Transfer {
    view: Mutex<TransferView>,
    cancel: Cancel,
}

impl Transfer {
    fn lock(&self) -> MutexGuard<'_, TransferView> {
        self.view.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The model panel's downloads and conversions, newest first.
#[derive(Debug, Default)]
pub struct Transfers {
    list: Mutex<Vec<Arc<Transfer>>>,
    next: AtomicU64,
}

impl Transfers {
    /// None yet.
    pub fn new() -> Transfers {
        Transfers::default()
    }

    fn all(&self) -> MutexGuard<'_, Vec<Arc<Transfer>>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every transfer kept, newest first.
    pub fn list(&self) -> Vec<TransferView> {
        self.all().iter().map(|t| t.lock().clone()).collect()
    }

    /// One transfer.
    pub fn status(&self, id: u64) -> Result<TransferView, ModelError> {
        self.all()
            .iter()
            .find(|t| t.lock().id == id)
            .map(|t| t.lock().clone())
            .ok_or_else(|| ModelError::Invalid(format!("no download or conversion {id}")))
    }

    /// Asks a transfer to stop.
    pub fn cancel(&self, id: u64) -> Result<TransferView, ModelError> {
        let all = self.all();
        let transfer = all
            .iter()
            .find(|t| t.lock().id == id)
            .ok_or_else(|| ModelError::Invalid(format!("no download or conversion {id}")))?;
        transfer.cancel.cancel();
        let mut view = transfer.lock();
        if view.state == JobState::Running {
            view.state = JobState::Cancelling;
        }
        Ok(view.clone())
    }

    /// Asks every transfer to stop (the app is closing).
    pub fn cancel_all(&self) {
        for t in self.all().iter() {
            t.cancel.cancel();
        }
    }

    fn start(&self, kind: TransferKind, model: &str) -> Result<Arc<Transfer>, ModelError> {
        let mut all = self.all();
        if let Some(running) = all.iter().find(|t| {
            let v = t.lock();
            v.kind == kind && v.state.is_running()
        }) {
            let v = running.lock();
            return Err(ModelError::Invalid(format!(
                "{} {} is still going on: wait for it or cancel it first",
                match kind {
                    TransferKind::Download => "the download of",
                    TransferKind::Conversion => "the conversion of",
                },
                v.model
            )));
        }
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let transfer = Arc::new(Transfer {
            view: Mutex::new(TransferView {
                id,
                kind,
                state: JobState::Running,
                model: model.to_owned(),
                phase: "starting".to_owned(),
                file: String::new(),
                done: 0,
                total: 0,
                bytes_per_second: 0.0,
                seconds_left: None,
                resumed_bytes: 0,
                path: None,
                error: None,
            }),
            cancel: Cancel::new(),
        });
        all.insert(0, Arc::clone(&transfer));
        Ok(transfer)
    }

    /// Starts downloading `request.repo` from `hub` into its cache; answers at once.
    pub fn start_download(
        &self,
        hub: Hub,
        request: &DownloadRequest,
    ) -> Result<TransferView, ModelError> {
        fare_hub::download::check_repo_name(&request.repo)
            .map_err(|e| ModelError::Invalid(e.to_string()))?;
        let transfer = self.start(TransferKind::Download, &request.repo)?;
        let view = transfer.lock().clone();
        let repo = request.repo.clone();
        let options = DownloadOptions {
            revision: request
                .revision
                .clone()
                .unwrap_or_else(|| "main".to_owned()),
            files: None,
        };
        std::thread::spawn(move || {
            let result = hub.download(&repo, &options, &transfer.cancel, &mut |p| {
                let mut v = transfer.lock();
                p.phase.as_str().clone_into(&mut v.phase);
                v.file.clone_from(&p.file);
                v.done = p.done_bytes;
                v.total = p.total_bytes;
                v.bytes_per_second = p.bytes_per_second;
                v.seconds_left = p.seconds_left;
            });
            let mut v = transfer.lock();
            match result {
                Ok(done) => {
                    v.state = JobState::Finished;
                    "finished".clone_into(&mut v.phase);
                    v.done = done.bytes;
                    v.total = done.bytes;
                    v.resumed_bytes = done.resumed_bytes;
                    v.seconds_left = None;
                    v.path = Some(done.snapshot.display().to_string());
                }
                Err(HubError::Cancelled) => {
                    v.state = JobState::Cancelled;
                    v.seconds_left = None;
                }
                Err(e) => {
                    v.state = JobState::Failed;
                    v.seconds_left = None;
                    v.error = Some(e.to_string());
                }
            }
        });
        Ok(view)
    }

    /// Starts converting the Qwen3 safetensors model at `request.path` (one of `folders`' or
    /// the cache's models) into `folders[0]/NAME-q8_0/`; answers at once.
    pub fn start_conversion(
        &self,
        folders: &[PathBuf],
        request: &ConversionRequest,
    ) -> Result<TransferView, ModelError> {
        let found = crate::models::find_model(folders, &request.path).ok_or_else(|| {
            ModelError::Invalid(format!("{} is not one of the models listed", request.path))
        })?;
        if found.format != fare_engine::discover::WeightsFormat::Safetensors
            || found.architecture.as_deref() != Some("qwen3")
        {
            return Err(ModelError::Invalid(format!(
                "{} is not a Qwen3 safetensors model: only those (FARE-8B) are converted",
                found.name
            )));
        }
        let target = folders
            .first()
            .ok_or_else(|| ModelError::Invalid("no models folder to write into".to_owned()))?
            .join(format!(
                "{}-q8_0",
                found.name.rsplit('/').next().unwrap_or(&found.name)
            ));
        let transfer = self.start(TransferKind::Conversion, &found.name)?;
        let view = transfer.lock().clone();
        let source = found.path.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let cancel = transfer.cancel.clone();
            let result = fare_engine::convert::convert_for_cpu(
                &source,
                &target,
                candle_core::quantized::GgmlDType::Q8_0,
                &mut |done, total| {
                    let mut v = transfer.lock();
                    "converting".clone_into(&mut v.phase);
                    v.done = done as u64;
                    v.total = total as u64;
                    let elapsed = started.elapsed().as_secs_f64();
                    v.seconds_left = (done > 0 && elapsed > 0.0)
                        .then(|| elapsed / done as f64 * (total.saturating_sub(done)) as f64);
                    !cancel.is_cancelled()
                },
            );
            let mut v = transfer.lock();
            v.seconds_left = None;
            match result {
                Err(fare_engine::EngineError::Cancelled) => {
                    v.state = JobState::Cancelled;
                }
                Ok(gguf) => {
                    v.state = JobState::Finished;
                    "finished".clone_into(&mut v.phase);
                    v.path = Some(gguf.display().to_string());
                }
                Err(e) => {
                    v.state = JobState::Failed;
                    v.error = Some(e.to_string());
                }
            }
        });
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_says_what_the_cache_holds_of_each_model() {
        let dir = tempfile::tempdir().expect("temp dir");
        let hub = Hub::new("http://127.0.0.1:9", None, dir.path().join("hub"));
        let view = hub_models(&hub);
        assert_eq!(view.models.len(), 2);
        assert!(view.models.iter().all(|m| m.held == HeldView::Nothing));
        assert!(view.free_bytes.is_some_and(|b| b > 0));
        assert!(!view.token_set);

        let repo = RepoCache::new(hub.cache(), "Salesforce/FARE-8B");
        repo.make_blobs_folder().expect("writable");
        std::fs::write(repo.incomplete("ab"), [0u8; 10]).expect("write");
        assert_eq!(
            held(hub.cache(), "Salesforce/FARE-8B"),
            HeldView::Partial { bytes: 10 }
        );
    }

    fn until_ended(transfers: &Transfers, id: u64) -> TransferView {
        let deadline = Instant::now() + std::time::Duration::from_mins(2);
        loop {
            let v = transfers.status(id).expect("kept");
            if !v.state.is_running() || Instant::now() > deadline {
                return v;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn a_qwen3_model_converts_to_q8_0_into_the_models_folder_with_its_tokenizer() {
        let Some(tokenizer) = fare_testkit::qwen3_tokenizer() else {
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let models = dir.path().join("models");
        let source = models.join("qwen3-tiny");
        std::fs::create_dir_all(&source).expect("folder");
        let fixture =
            fare_testkit::workspace().join("crates/fare-engine/tests/fixtures/qwen3-tiny");
        for file in ["config.json", "model.safetensors"] {
            std::fs::copy(fixture.join(file), source.join(file)).expect("copy");
        }
        for file in ["tokenizer.json", "tokenizer_config.json"] {
            std::fs::copy(tokenizer.join(file), source.join(file)).expect("copy");
        }
        let transfers = Transfers::new();
        let folders = vec![models.clone()];
        let started = transfers
            .start_conversion(
                &folders,
                &ConversionRequest {
                    path: source.display().to_string(),
                },
            )
            .expect("starts");
        assert_eq!(started.kind, TransferKind::Conversion);
        let ended = until_ended(&transfers, started.id);
        assert_eq!(ended.state, JobState::Finished, "{ended:?}");
        assert!(ended.total > 0 && ended.done == ended.total, "{ended:?}");
        let gguf = models.join("qwen3-tiny-q8_0/model.q8_0.gguf");
        assert_eq!(ended.path.as_deref(), gguf.to_str());
        assert!(models.join("qwen3-tiny-q8_0/tokenizer.json").is_file());

        // Only Qwen3 safetensors models convert; a path that is not listed is refused.
        let e = transfers
            .start_conversion(
                &folders,
                &ConversionRequest {
                    path: gguf.display().to_string(),
                },
            )
            .expect_err("a GGUF");
        assert!(
            e.to_string().contains("not a Qwen3 safetensors model"),
            "{e}"
        );
        let e = transfers
            .start_conversion(
                &folders,
                &ConversionRequest {
                    path: "/etc".into(),
                },
            )
            .expect_err("not listed");
        assert!(
            e.to_string().contains("not one of the models listed"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_name_is_refused_and_an_unreachable_hub_is_reported() {
        let transfers = Transfers::new();
        let dir = tempfile::tempdir().expect("temp dir");
        // Nothing listens on port 9 of loopback: the download fails, reported as such.
        let hub = Hub::new("http://127.0.0.1:9", None, dir.path().join("hub"));
        let e = transfers
            .start_download(
                hub.clone(),
                &DownloadRequest {
                    repo: "../etc".into(),
                    revision: None,
                },
            )
            .expect_err("not a name");
        assert!(e.to_string().contains("ORG/NAME"), "{e}");
        let first = transfers
            .start_download(
                hub.clone(),
                &DownloadRequest {
                    repo: "org/model".into(),
                    revision: None,
                },
            )
            .expect("starts");
        let ended = until_ended(&transfers, first.id);
        assert_eq!(ended.state, JobState::Failed, "{ended:?}");
        assert!(
            ended
                .error
                .as_deref()
                .is_some_and(|e| e.contains("could not reach")),
            "{ended:?}"
        );
    }
}
