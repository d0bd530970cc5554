//! The failure-mode tags: why an evaluator got a sample wrong.
//!
//! The default taxonomy ships in `assets/taxonomy.toml`; a project copies it on creation and users
//! add their own tags beside it.

use serde::{Deserialize, Serialize};

use crate::sample::Task;

/// A failure-mode tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureTag {
    /// A short stable identifier (`missed-error`), used in files and on the command line.
    pub id: String,
    /// The name shown to people.
    pub name: String,
    /// What the tag means.
    pub description: String,
    /// The tasks the tag applies to; empty for all.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Whether the app can infer the tag from the data.
    #[serde(default)]
    pub inferable: bool,
}

impl FailureTag {
    /// Whether the tag applies to samples of `task`.
    pub fn applies_to(&self, task: Task) -> bool {
        self.tasks.is_empty() || self.tasks.contains(&task)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    tag: Vec<FailureTag>,
}

/// The default taxonomy shipped with FARE Lens.
pub fn default_taxonomy() -> Vec<FailureTag> {
    // The shipped file is checked by this module's tests; a broken one is a build defect.
    toml::from_str::<TaxonomyFile>(include_str!("../../../assets/taxonomy.toml"))
        .map(|f| f.tag)
        .unwrap_or_default()
}

/// Whether `id` is a well-formed tag identifier: lowercase letters, digits and `-`.
pub fn is_valid_tag_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_taxonomy_loads_with_unique_valid_ids() {
        let tags = default_taxonomy();
        assert!(tags.len() >= 12, "the shipped taxonomy failed to load");
        let mut ids: Vec<&str> = tags.iter().map(|t| t.id.as_str()).collect();
        assert!(ids.iter().all(|id| is_valid_tag_id(id)));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), tags.len(), "duplicate tag id");
        for id in [
            "unparseable",
            "truncated",
            "missed-error",
            "false-alarm",
            "position-bias",
            "length-bias",
            "reference-ignored",
        ] {
            assert!(tags.iter().any(|t| t.id == id), "{id} missing");
        }
    }
}
