//! The FARE models a person can fetch from the hub, with what each needs, shown before a
//! download starts (the license first: both are for non-commercial use).
//!
//! The sizes are the published repositories' (the download checks the hub's own file list and
//! free space before it starts); what a model needs to run is the engine's measured estimate.

use serde::Serialize;

/// A model of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogModel {
    /// The repository on the hub (`Salesforce/FARE-8B`).
    pub repo: &'static str,
    /// A short name for people.
    pub name: &'static str,
    /// The base model and architecture.
    pub architecture: &'static str,
    /// How the weights are stored.
    pub format: &'static str,
    /// The download, in bytes (about).
    pub download_bytes: u64,
    /// What it needs to run, in a sentence.
    pub needs: &'static str,
    /// The license's SPDX name.
    pub license: &'static str,
    /// What the license allows, in a sentence.
    pub license_note: &'static str,
    /// Whether the model can be converted to a Q8_0 GGUF file for CPUs (`fare-lens convert`).
    pub converts_to_gguf: bool,
}

/// The FARE models, the smaller download first.
pub fn catalog() -> &'static [CatalogModel] {
    &CATALOG
}

/// The catalog entry of `repo`, if it is one.
pub fn find(repo: &str) -> Option<&'static CatalogModel> {
    CATALOG.iter().find(|m| m.repo.eq_ignore_ascii_case(repo))
}

const LICENSE_NOTE: &str = "Creative Commons Attribution-NonCommercial 4.0: research and other \
non-commercial use, with attribution; no commercial use.";

static CATALOG: [CatalogModel; 2] = [
    CatalogModel {
        repo: "Salesforce/FARE-8B",
        name: "FARE-8B",
        architecture: "Qwen3-8B (qwen3, dense)",
        format: "safetensors, bf16",
        download_bytes: 16_400_000_000,
        needs: "A GPU with 24 GB of memory in bf16; on a CPU, convert it to Q8_0 GGUF \
                (about 8.7 GB, 12 GB of memory) after the download.",
        license: "cc-by-nc-4.0",
        license_note: LICENSE_NOTE,
        converts_to_gguf: true,
    },
    CatalogModel {
        repo: "Salesforce/FARE-20B",
        name: "FARE-20B",
        architecture: "gpt-oss-20b (gpt_oss, mixture of experts: 21B in all, 3.6B active)",
        format: "safetensors, experts in MXFP4",
        download_bytes: 13_000_000_000,
        needs: "A GPU with 24 GB of memory (experts kept in MXFP4 or Q8_0); on a CPU, 32 GB of \
                memory with the experts re-quantised to Q4_0 at load.",
        license: "cc-by-nc-4.0",
        license_note: LICENSE_NOTE,
        converts_to_gguf: false,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fare_models_are_listed_with_their_license() {
        let repos: Vec<&str> = catalog().iter().map(|m| m.repo).collect();
        assert_eq!(repos, ["Salesforce/FARE-8B", "Salesforce/FARE-20B"]);
        assert!(catalog().iter().all(|m| m.license == "cc-by-nc-4.0"));
        assert_eq!(find("salesforce/fare-8b").map(|m| m.name), Some("FARE-8B"));
        assert!(find("Qwen/Qwen3-8B").is_none());
    }
}
