//! How many samples of an import get each label: the distribution a mapping produces, shown by
//! `import --dry-run` and the import preview so that a wrong mapping is seen before anything is
//! written. Counted from the converted samples themselves ([`Converted`]), so it is what the
//! import writes, not a second reading of the file.

use std::collections::BTreeMap;

use serde::Serialize;

use super::labels::LabelRow;
use super::{AnnotatorLabel, Converted, LabelValue};

/// The label written for "no label".
pub const NO_LABEL: &str = "none";

/// Labels and how many samples have each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelCounts(BTreeMap<String, u64>);

/// One label and its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelCount {
    /// The label: a canonical verdict (`A`, `-1`, `correct`, `7`), `tie`, or `none`.
    pub label: String,
    /// How many samples have it.
    pub count: u64,
}

impl LabelCounts {
    /// Counts one label.
    pub fn add(&mut self, label: Option<LabelValue>) {
        let key = label.map_or_else(|| NO_LABEL.to_owned(), |l| l.to_string());
        *self.0.entry(key).or_default() += 1;
    }

    /// How many samples have `label` (`tie`, `none`, `A` ...).
    pub fn count(&self, label: &str) -> u64 {
        self.0.get(label).copied().unwrap_or(0)
    }

    /// How many were counted.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Each label with its count, in reading order: numbers ascending, `A` before `B`, then
    /// words, `tie` and last `none`.
    pub fn entries(&self) -> Vec<LabelCount> {
        let mut entries: Vec<LabelCount> = self
            .0
            .iter()
            .map(|(label, count)| LabelCount {
                label: label.clone(),
                count: *count,
            })
            .collect();
        entries.sort_by_key(|e| {
            let rank = match e.label.as_str() {
                NO_LABEL => 3,
                "tie" => 2,
                l if l.parse::<i64>().is_ok() => 0,
                _ => 1,
            };
            (rank, e.label.parse::<i64>().unwrap_or(0), e.label.clone())
        });
        entries
    }

    /// `A 12, B 9, tie 3, none 1`.
    pub fn summary(&self) -> String {
        self.entries()
            .iter()
            .map(|e| format!("{} {}", e.label, e.count))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Serialize for LabelCounts {
    /// As its [`LabelCounts::entries`].
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.entries().serialize(serializer)
    }
}

/// The labels of an import: the ground truth, and each annotator's column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LabelDistribution {
    /// The ground truth of each sample.
    pub ground_truth: LabelCounts,
    /// Each annotator's labels, by annotator (a sample their column leaves empty is `none`).
    pub annotators: BTreeMap<String, LabelCounts>,
}

impl LabelDistribution {
    /// Counts one converted sample.
    pub fn add(&mut self, converted: &Converted) {
        self.ground_truth.add(converted.ground_truth());
        converted
            .annotator_labels
            .iter()
            .for_each(|l| self.add_annotator(l));
    }

    /// Counts one row of a labels export: its sample's ground truth when it is the first row of
    /// that sample (a sample has one row per annotator), and its annotator's label.
    pub fn add_labels_row(&mut self, row: &LabelRow, first_of_its_sample: bool) {
        if first_of_its_sample {
            self.ground_truth.add(row.ground_truth());
        }
        if let Some(label) = row.annotator_label() {
            self.add_annotator(&label);
        }
    }

    fn add_annotator(&mut self, label: &AnnotatorLabel) {
        self.annotators
            .entry(label.annotator.clone())
            .or_default()
            .add(label.label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fare_core::{Side, Verdict};

    #[test]
    fn labels_are_listed_in_reading_order() {
        let mut counts = LabelCounts::default();
        for label in [
            None,
            Some(LabelValue::Tie),
            Some(LabelValue::Verdict(Verdict::Pick(Side::B))),
            Some(LabelValue::Verdict(Verdict::Pick(Side::A))),
            Some(LabelValue::Verdict(Verdict::Pick(Side::B))),
        ] {
            counts.add(label);
        }
        assert_eq!(counts.summary(), "A 1, B 2, tie 1, none 1");
        assert_eq!((counts.count("B"), counts.total()), (2, 5));
        let mut steps = LabelCounts::default();
        for step in [Some(10), None, Some(2)] {
            steps.add(Some(LabelValue::Verdict(Verdict::FirstError(step))));
        }
        assert_eq!(steps.summary(), "-1 1, 2 1, 10 1");
    }
}
