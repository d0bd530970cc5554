//! Positions in the sample list: which sample is the Nth of a filter's list, so the UI's virtual
//! list can jump to a far position (a scroll thumb dragged to the end of a million rows) with one
//! query instead of walking keyset pages from the start.
//!
//! SQLite keeps no index by position: `LIMIT 1 OFFSET n` steps over the n rows before the one it
//! returns, so the cost grows with the position, but every step is in SQLite's C code over the
//! smallest index that serves the filter. Each filter is read where [`Project::count_samples`]
//! reads it: a search alone from the full-text index (rowids in order), an evaluator filter from
//! the run's judgments by agreement (in sample id order), anything else from the samples. Figures
//! on a 1M-sample project are in `docs/benchmarks.md` (section "UI").

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};

use crate::Result;
use crate::project::Project;
use crate::query::SampleFilter;

impl Project {
    /// The cursor of the sample at `position` (from 0) of the list [`Project::list_samples`]
    /// pages for `filter`: its id in id order, its rank in a saved queue; `None` when the list
    /// is shorter.
    ///
    /// A page that starts at `position` starts after the sample at `position - 1`: that
    /// sample's cursor is the page's `after`.
    pub fn sample_at(&self, filter: &SampleFilter, position: u64) -> Result<Option<i64>> {
        let offset = Value::Integer(i64::try_from(position).unwrap_or(i64::MAX));
        if let Some(query) = Self::search_only(filter) {
            return Ok(self
                .conn
                .query_row(
                    "SELECT rowid FROM sample_text WHERE sample_text MATCH ?1 ORDER BY rowid LIMIT 1 OFFSET ?2",
                    params_from_iter([Value::Text(query), offset]),
                    |r| r.get(0),
                )
                .optional()?);
        }
        let runs = self.shown_runs(filter.run_id)?.sql();
        let scan = Self::scan(filter, &runs);
        let (clause, values) = Self::where_clause(filter, &runs, false, scan.id);
        let sql = format!(
            "SELECT {order} FROM {from} WHERE {on} AND {clause} AND ?1 IS NULL ORDER BY {order} LIMIT 1 OFFSET ?{offset}",
            from = scan.from,
            on = scan.on,
            order = scan.order,
            offset = values.len() + 2,
        );
        let mut all = vec![Value::Null];
        all.extend(values);
        all.push(offset);
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(all), |r| r.get(0))
            .optional()?)
    }
}
