//! Positions in the queue: which sample is the Nth of the queue's list, so the UI's virtual list
//! can jump to a far row (its scroll thumb dragged to the end of a million samples) with one call
//! instead of walking keyset pages from the first. The list and its filters are
//! [`OpenProject::samples`]'s; the work is [`fare_store::Project::sample_at`]'s.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{ApiError, OpenProject, SampleQuery};

/// A position in the queue's list.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct PositionQuery {
    /// The queue's filters (its page fields, `after` and `limit`, are not used).
    pub query: SampleQuery,
    /// The position, from 0.
    pub position: u64,
}

/// The sample at a position of the queue's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct QueuePosition {
    /// The position asked for.
    pub position: u64,
    /// The cursor of the sample there (its id, or its rank in a saved queue), `None` when the
    /// list is shorter: where the page after that position starts (`SampleQuery::after`).
    pub cursor: Option<i64>,
}

impl OpenProject {
    /// The sample at a position of the queue's list (the order [`OpenProject::samples`] pages).
    pub fn position(&self, request: &PositionQuery) -> Result<QueuePosition, ApiError> {
        let cursor = self
            .project()
            .sample_at(&self.filter(&request.query), request.position)?;
        Ok(QueuePosition {
            position: request.position,
            cursor,
        })
    }
}
