//! How a person names a sample and who they are: one rule for the command line, the server and
//! the desktop.
//!
//! A sample is named by its **project id** (`42`, or `#42`), or by its **data set id**, the
//! `id` field of the file it came from: `3/gsm8k-12` (the data set's id or name, a slash, the
//! record's id), or `gsm8k-12` alone when only one data set has a record of that id. A number
//! is always a project id, so a file whose records have no id field (ids `0`, `1`, …) never
//! shadows the project's numbering; such a record is named `3/5`. An argument that could mean
//! two samples is refused, naming both.
//!
//! The person annotating, when they give no name, is [`default_annotator`]: the same name
//! wherever they label, so merge and agreement see one annotator.

use fare_store::{Project, StoreError};

use crate::api::{ApiError, OpenProject};

/// What a sample argument does not name.
#[derive(Debug, thiserror::Error)]
pub enum NamingError {
    /// The project file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No sample, or more than one, answers to the text.
    #[error("{0}")]
    Sample(String),
    /// No data set, or more than one, answers to the text.
    #[error("{0}")]
    Dataset(String),
}

/// The id of the data set `text` names: its id or its name, refused when none or several
/// answer to it.
pub fn resolve_dataset(project: &Project, text: &str) -> Result<i64, NamingError> {
    let datasets = project.datasets()?;
    pick_dataset(datasets.iter().map(|d| (d.id, d.name.as_str())), text)
}

fn pick_dataset<'a>(
    datasets: impl IntoIterator<Item = (i64, &'a str)>,
    text: &str,
) -> Result<i64, NamingError> {
    let found: Vec<i64> = datasets
        .into_iter()
        .filter(|(id, name)| *name == text || id.to_string() == text)
        .map(|(id, _)| id)
        .collect();
    match found.as_slice() {
        [id] => Ok(*id),
        [] => Err(NamingError::Dataset(format!(
            "no data set `{text}` in the project (see `fare-lens datasets`)"
        ))),
        _ => Err(NamingError::Dataset(format!(
            "several data sets are named `{text}`; give its id (see `fare-lens datasets`)"
        ))),
    }
}

/// The project id of the sample `text` names (see the module docs).
pub fn resolve_sample(project: &Project, text: &str) -> Result<i64, NamingError> {
    let text = text.trim();
    let number = text.strip_prefix('#').unwrap_or(text);
    if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        let id: i64 = number
            .parse()
            .map_err(|_| NamingError::Sample(format!("`{text}` is too large for a project id")))?;
        return match project.sample_name(id)? {
            Some(name) => Ok(name.id),
            None => Err(NamingError::Sample(format!(
                "no sample {id} in the project (a number is a project id, as `fare-lens samples` \
                 lists them; a data set's id is written DATASET/ID)"
            ))),
        };
    }
    let found = project.samples_by_record(text)?;
    if found.is_empty() {
        return Err(NamingError::Sample(format!(
            "no sample `{text}` in the project: give its project id (a number) or its data set's \
             id for it as DATASET/ID (see `fare-lens samples`)"
        )));
    }
    fare_store::query::the_one_named(text, &found).map_err(|e| match e {
        StoreError::Invalid(message) => NamingError::Sample(message),
        other => NamingError::Store(other),
    })
}

impl From<NamingError> for ApiError {
    fn from(e: NamingError) -> ApiError {
        match e {
            NamingError::Store(e) => ApiError::Store(e),
            NamingError::Sample(message) | NamingError::Dataset(message) => {
                ApiError::Invalid(message)
            }
        }
    }
}

impl OpenProject {
    /// The project id of the sample a person named (`42`, `#42`, `3/gsm8k-12`, `gsm8k-12`).
    pub fn find_sample(&self, name: &str) -> Result<i64, ApiError> {
        Ok(resolve_sample(self.project(), name)?)
    }
}

/// The annotator's name when the person gives none: `FARE_LENS_ANNOTATOR`, else the login
/// name (`USER`, `USERNAME`, `LOGNAME`), else `annotator`. Used by every shell.
pub fn default_annotator() -> String {
    default_annotator_from(|key| std::env::var(key).ok())
}

/// [`default_annotator`] over another environment.
pub fn default_annotator_from(env: impl Fn(&str) -> Option<String>) -> String {
    ["FARE_LENS_ANNOTATOR", "USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|key| {
            env(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| "annotator".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_set_is_named_by_its_id_or_its_one_name() {
        let sets = [(1, "gsm8k"), (2, "math"), (3, "math"), (4, "7")];
        assert_eq!(pick_dataset(sets, "gsm8k").unwrap(), 1);
        assert_eq!(pick_dataset(sets, "2").unwrap(), 2);
        let several = pick_dataset(sets, "math").unwrap_err().to_string();
        assert!(
            several.contains("several data sets are named `math`"),
            "{several}"
        );
        let none = pick_dataset(sets, "prm800k").unwrap_err().to_string();
        assert!(none.contains("no data set `prm800k`"), "{none}");
        // An id and a name that look alike are both candidates, so neither is guessed.
        assert!(pick_dataset(sets, "4").is_ok());
        assert!(pick_dataset([(4, "x"), (5, "4")], "4").is_err());
    }

    #[test]
    fn the_default_annotator_prefers_the_chosen_name_then_the_login() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(default_annotator_from(env(&[])), "annotator");
        assert_eq!(default_annotator_from(env(&[("LOGNAME", "lee")])), "lee");
        assert_eq!(
            default_annotator_from(env(&[("USERNAME", "win"), ("LOGNAME", "lee")])),
            "win"
        );
        assert_eq!(
            default_annotator_from(env(&[("USER", " ana "), ("USERNAME", "win")])),
            "ana"
        );
        assert_eq!(
            default_annotator_from(env(&[("FARE_LENS_ANNOTATOR", "Dr Ana"), ("USER", "ana")])),
            "Dr Ana"
        );
        assert_eq!(
            default_annotator_from(env(&[("FARE_LENS_ANNOTATOR", "  "), ("USER", "ana")])),
            "ana",
            "a blank name is no name"
        );
    }
}
