//! Saved review queues: the queue list's filter, or any list of samples (an analysis chart
//! cell's, a disagreement list's), saved in a review order: most uncertain first, confident but
//! wrong first, random with a seed, or as listed. The sample list then shows a queue through
//! [`SampleQuery::queue`](crate::api::SampleQuery), in its order, narrowed by any other filter.
//!
//! The ordering is [`fare_core::review_order`]'s; the samples' probabilities and votes come from
//! the run each task shows (or the run the request names), read by
//! [`fare_store::Project::confidence`].

use fare_core::review_order::{self, Measure, ReviewOrder};
use fare_store::{NewQueue, QueueInfo};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{ApiError, OpenProject, SampleQuery};

/// Which samples a new queue holds.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum QueueSamples {
    /// The samples the queue list's filters match (its page fields are not used).
    Filter {
        /// The filters.
        query: SampleQuery,
    },
    /// These samples, in this order.
    Samples {
        /// Sample ids.
        ids: Vec<i64>,
        /// Where the list came from, in words (a chart cell's name), kept with the queue.
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The run whose verdicts order them (each task's newest when absent).
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run_id: Option<i64>,
    },
}

/// A queue to make.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct QueueRequest {
    /// Its name; made from the order and size when absent or blank.
    #[ts(optional)]
    #[serde(default)]
    pub name: Option<String>,
    /// Its samples.
    pub samples: QueueSamples,
    /// Its order.
    pub order: ReviewOrder,
    /// The seed of a random order (any number; the same seed gives the same queue).
    #[ts(optional)]
    #[serde(default)]
    pub seed: Option<u32>,
}

/// A saved queue, as the queue picker shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct QueueView {
    /// Its id (`SampleQuery::queue`).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its order.
    pub order: ReviewOrder,
    /// What its scores measure (entropy, disagreement among K, probability of the verdict).
    pub measure: Measure,
    /// The seed of a random order.
    pub seed: Option<u32>,
    /// Where its samples came from, in words.
    pub from: String,
    /// How many samples it holds.
    pub samples: i64,
    /// Who made it.
    pub created_by: Option<String>,
    /// When (RFC 3339 UTC).
    pub created_at: String,
}

impl QueueView {
    fn from_info(info: QueueInfo) -> QueueView {
        let measure = info
            .spec
            .get("measure")
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or(Measure::None);
        let seed = info
            .spec
            .get("seed")
            .and_then(serde_json::Value::as_u64)
            .and_then(|s| u32::try_from(s).ok());
        let from = info
            .spec
            .get("from")
            .and_then(serde_json::Value::as_str)
            .unwrap_or(&info.origin)
            .to_owned();
        QueueView {
            id: info.id,
            name: info.name,
            order: info.ordering,
            measure,
            seed,
            from,
            samples: info.item_count,
            created_by: info.created_by,
            created_at: info.created_at,
        }
    }
}

/// The order in words, for a queue's default name.
fn order_words(order: ReviewOrder, measure: Measure, seed: u32) -> String {
    match (order, measure) {
        (ReviewOrder::Listed, _) => "As listed".to_owned(),
        (ReviewOrder::Uncertainty, Measure::Disagreement) => {
            "Most disagreement among samples first".to_owned()
        }
        (ReviewOrder::Uncertainty, _) => "Most uncertain first".to_owned(),
        (ReviewOrder::ConfidentWrong, _) => "Confident but wrong first".to_owned(),
        (ReviewOrder::Random, _) => format!("Random (seed {seed})"),
    }
}

impl OpenProject {
    /// The saved queues, newest first.
    pub fn queues(&self) -> Result<Vec<QueueView>, ApiError> {
        Ok(self
            .project()
            .queues()?
            .into_iter()
            .map(QueueView::from_info)
            .collect())
    }

    /// Makes and saves a queue.
    pub fn create_queue(&mut self, request: &QueueRequest) -> Result<QueueView, ApiError> {
        let seed = request.seed.unwrap_or(1);
        let (facts, origin, from) = match &request.samples {
            QueueSamples::Filter { query } => {
                let filter = self.filter(query);
                let from = match filter.queue {
                    Some(q) => format!("the filters on queue {q}"),
                    None => "the queue's filters".to_owned(),
                };
                (self.project().confidence(&filter)?, "filter", from)
            }
            QueueSamples::Samples { ids, from, run_id } => (
                self.project().confidence_of(ids, *run_id)?,
                "samples",
                from.clone()
                    .unwrap_or_else(|| "a list of samples".to_owned()),
            ),
        };
        let ordered = review_order::order(&facts, request.order, u64::from(seed));
        if ordered.items.is_empty() {
            return Err(ApiError::Invalid(match request.order {
                ReviewOrder::ConfidentWrong => {
                    "no sample there has a verdict that disagrees with its ground truth: the queue would be empty".to_owned()
                }
                _ => "no samples match: the queue would be empty".to_owned(),
            }));
        }
        let name = request
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map_or_else(
                || {
                    format!(
                        "{}, {} samples",
                        order_words(request.order, ordered.measure, seed),
                        ordered.items.len()
                    )
                },
                str::to_owned,
            );
        let mut spec = serde_json::json!({
            "samples": request.samples,
            "measure": ordered.measure,
            "from": from,
        });
        if request.order == ReviewOrder::Random {
            spec["seed"] = serde_json::json!(seed);
        }
        let annotator = self.annotator().to_owned();
        let info = self.project_mut().create_queue(
            &NewQueue {
                name: &name,
                origin,
                ordering: request.order,
                spec,
                created_by: Some(&annotator),
            },
            &ordered.items,
        )?;
        Ok(QueueView::from_info(info))
    }

    /// Deletes a saved queue; its samples and their labels stay.
    pub fn delete_queue(&mut self, id: i64) -> Result<Vec<QueueView>, ApiError> {
        self.project_mut().delete_queue(id)?;
        self.queues()
    }
}
