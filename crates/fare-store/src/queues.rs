//! Saved queues: ordered lists of samples to review (`queues`, `queue_items`).
//!
//! A queue is a snapshot taken when it is made: the samples of a filter, of an analysis chart
//! cell or of any list, in an order from [`fare_core::review_order`]. The sample list shows a
//! queue through [`SampleFilter::queue`](crate::SampleFilter), paged by rank, and every other
//! filter narrows it further. What the ordering needs of each sample (the shown run's verdict
//! probabilities, its K votes, whether it is wrong) is read in one pass by
//! [`Project::confidence`].

use fare_core::review_order::{Confidence, ReviewOrder};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::Serialize;

use crate::project::Project;
use crate::query::SampleFilter;
use crate::{Result, StoreError};

/// A saved queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueInfo {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// How it was made: `filter`, `samples`, `cell`, ….
    pub origin: String,
    /// Its order.
    pub ordering: ReviewOrder,
    /// What it was made with (the filter, the seed, what the scores measure), as JSON.
    pub spec: serde_json::Value,
    /// How many samples it holds.
    pub item_count: i64,
    /// Who made it.
    pub created_by: Option<String>,
    /// When (RFC 3339 UTC).
    pub created_at: String,
}

/// A queue to make.
#[derive(Debug, Clone)]
pub struct NewQueue<'a> {
    /// Its name (not empty).
    pub name: &'a str,
    /// How it was made.
    pub origin: &'a str,
    /// Its order.
    pub ordering: ReviewOrder,
    /// What it was made with.
    pub spec: serde_json::Value,
    /// Who makes it.
    pub created_by: Option<&'a str>,
}

impl Project {
    /// Saves a queue of `items` (sample id, score) in that order, in one transaction. Every
    /// sample must exist; a sample listed twice keeps its first place.
    pub fn create_queue(
        &mut self,
        queue: &NewQueue<'_>,
        items: &[(i64, Option<f64>)],
    ) -> Result<QueueInfo> {
        let name = queue.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("a queue needs a name".into()));
        }
        let tx = self.conn.transaction()?;
        let now = Project::now(&tx)?;
        tx.execute(
            "INSERT INTO queues (name, origin, ordering, spec, item_count, created_by, created_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
            params![
                name,
                queue.origin,
                queue.ordering.as_str(),
                queue.spec.to_string(),
                queue.created_by,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        let mut rank = 0i64;
        {
            let mut exists = tx.prepare_cached("SELECT 1 FROM samples WHERE id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO queue_items (queue_id, rank, sample_id, score) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for &(sample, score) in items {
                if !seen.insert(sample) {
                    continue;
                }
                if !exists.exists([sample])? {
                    return Err(StoreError::Invalid(format!(
                        "no sample with id {sample}: the queue was not made"
                    )));
                }
                rank += 1;
                insert.execute(params![id, rank, sample, score])?;
            }
        }
        tx.execute(
            "UPDATE queues SET item_count = ?2 WHERE id = ?1",
            params![id, rank],
        )?;
        tx.commit()?;
        self.queue(id)
    }

    /// One saved queue.
    pub fn queue(&self, id: i64) -> Result<QueueInfo> {
        self.conn
            .query_row(
                "SELECT id, name, origin, ordering, spec, item_count, created_by, created_at FROM queues WHERE id = ?1",
                [id],
                read_queue,
            )
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("no queue with id {id}")))?
    }

    /// Every saved queue, newest first.
    pub fn queues(&self) -> Result<Vec<QueueInfo>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, origin, ordering, spec, item_count, created_by, created_at FROM queues ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], read_queue)?;
        rows.map(|r| r?).collect()
    }

    /// Deletes a saved queue (its samples and their labels stay).
    pub fn delete_queue(&mut self, id: i64) -> Result<()> {
        let deleted = self
            .conn
            .execute("DELETE FROM queues WHERE id = ?1", [id])?;
        if deleted == 0 {
            return Err(StoreError::Invalid(format!("no queue with id {id}")));
        }
        Ok(())
    }

    /// The samples of a filter in its list's order, with what ordering them for review needs:
    /// the shown run's verdict, its agreement with the ground truth, its stored verdict
    /// probabilities (original order, first attempt) and, for K judgments, the majority's votes.
    /// One pass, however many samples.
    pub fn confidence(&self, filter: &SampleFilter) -> Result<Vec<Confidence>> {
        let runs = self.shown_runs(filter.run_id)?.sql();
        let (clause, values) = Self::where_clause(filter, &runs, true, "s.id");
        let (from, order) = match filter.queue {
            Some(queue) => (
                format!(
                    "queue_items q JOIN samples s ON s.id = q.sample_id AND q.queue_id = {queue}"
                ),
                "q.rank",
            ),
            None => ("samples s".to_owned(), "s.id"),
        };
        let sql = format!(
            "SELECT s.id, j.verdict, j.agrees_with_gold, j.verdict_probs, v.votes, v.attempts, v.agrees_with_gold, v.verdict
             FROM {from}
             LEFT JOIN judgments j ON j.sample_id = s.id AND j.run_id = {runs} AND j.response_order = 'original' AND j.attempt = 0
             LEFT JOIN votes v ON v.sample_id = s.id AND v.run_id = {runs} AND v.response_order = 'original'
             WHERE {clause} AND ?1 IS NULL ORDER BY {order}"
        );
        let mut all = vec![Value::Null];
        all.extend(values);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(all), read_facts)?;
        rows.map(|r| confidence_of(r?)).collect()
    }

    /// [`Project::confidence`] of the given samples, in the order given, from the run each
    /// task shows (or `run`). Unknown ids are left out.
    pub fn confidence_of(&self, samples: &[i64], run: Option<i64>) -> Result<Vec<Confidence>> {
        let runs = self.shown_runs(run)?.sql();
        let sql = format!(
            "SELECT s.id, j.verdict, j.agrees_with_gold, j.verdict_probs, v.votes, v.attempts, v.agrees_with_gold, v.verdict
             FROM samples s
             LEFT JOIN judgments j ON j.sample_id = s.id AND j.run_id = {runs} AND j.response_order = 'original' AND j.attempt = 0
             LEFT JOIN votes v ON v.sample_id = s.id AND v.run_id = {runs} AND v.response_order = 'original'
             WHERE s.id = ?1"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut out = Vec::with_capacity(samples.len());
        for &id in samples {
            if let Some(facts) = stmt.query_row([id], read_facts).optional()? {
                out.push(confidence_of(facts)?);
            }
        }
        Ok(out)
    }
}

/// One row of a confidence query.
type Facts = (
    i64,
    Option<String>,
    Option<bool>,
    Option<String>,
    Option<u32>,
    Option<u32>,
    Option<bool>,
    Option<String>,
);

fn read_facts(r: &rusqlite::Row<'_>) -> rusqlite::Result<Facts> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn confidence_of(facts: Facts) -> Result<Confidence> {
    let (sample_id, verdict, agrees, probs, votes, attempts, majority_agrees, majority) = facts;
    let k = attempts.filter(|a| *a > 1);
    let (entropy, chosen_probability) = match probs.as_deref() {
        Some(p) => distribution(p, verdict.as_deref())?,
        None => None,
    }
    .map_or((None, None), |(e, c)| (Some(e), c));
    // With K judgments the shown verdict is the majority's.
    let (agrees, has_verdict) = match k {
        Some(_) => (majority_agrees, majority.is_some()),
        None => (agrees, verdict.is_some()),
    };
    Ok(Confidence {
        sample_id,
        wrong: agrees.filter(|_| has_verdict).map(|a| !a),
        entropy,
        chosen_probability,
        votes: k.and_then(|a| votes.map(|v| (v, a))),
    })
}

/// The entropy (bits) of a stored distribution and the probability of the verdict given.
fn distribution(stored: &str, verdict: Option<&str>) -> Result<Option<(f64, Option<f64>)>> {
    let probs = crate::rows::recorded_probs(stored).map_err(StoreError::Corrupt)?;
    Ok(probs
        .entropy_bits()
        .map(|entropy| (entropy, verdict.and_then(|v| probs.prob(v)))))
}

fn read_queue(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<QueueInfo>> {
    let ordering: String = r.get(3)?;
    let spec: String = r.get(4)?;
    let info = (|| {
        Ok(QueueInfo {
            id: r.get(0)?,
            name: r.get(1)?,
            origin: r.get(2)?,
            ordering: ReviewOrder::parse(&ordering)
                .ok_or_else(|| StoreError::Corrupt(format!("queue order `{ordering}`")))?,
            spec: serde_json::from_str(&spec)
                .map_err(|e| StoreError::Corrupt(format!("queue spec: {e}")))?,
            item_count: r.get(5)?,
            created_by: r.get(6)?,
            created_at: r.get(7)?,
        })
    })();
    Ok(info)
}
