//! Schema migrations of project files, in order. The schema version lives in SQLite's
//! `user_version`; a file with a newer version than [`LATEST`] is refused untouched.
//!
//! The first migration also makes the file a FARE Lens project (its application id, who created
//! it and when, the shipped failure-mode tags) in the same transaction as the schema, so a crash
//! while creating a project never leaves a file that has the schema but is not a project.

use fare_core::taxonomy::default_taxonomy;
use rusqlite::{Transaction, params};
use rusqlite_migration::{HookResult, M, Migrations};

/// The application id written into every project file's header (`FARE` in ASCII).
pub(crate) const APPLICATION_ID: i64 = 0x4641_5245;

#[path = "migrations/v3_votes.rs"]
mod v3_votes;

const STEPS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_run_tasks.sql"),
    include_str!("migrations/003_votes.sql"),
    include_str!("migrations/004_adjudications.sql"),
    include_str!("migrations/005_queues.sql"),
    include_str!("migrations/006_analysis_indexes.sql"),
    include_str!("migrations/007_gold_ties.sql"),
];

/// The newest schema version this build writes.
pub const LATEST: usize = STEPS.len();

/// The migrations, for `rusqlite_migration`.
pub fn all() -> Migrations<'static> {
    Migrations::new(
        STEPS
            .iter()
            .enumerate()
            .map(|(i, sql)| match i {
                0 => M::up_with_hook(sql, make_project),
                2 => M::up_with_hook(sql, count_votes),
                _ => M::up(sql),
            })
            .collect(),
    )
}

/// Runs inside the third migration's transaction: the majorities of judgments already stored
/// (frozen code of its own, [`v3_votes`]).
fn count_votes(tx: &Transaction<'_>) -> HookResult {
    v3_votes::count_votes(tx).map_err(rusqlite_migration::HookError::Hook)?;
    Ok(())
}

/// Runs inside the first migration's transaction, right after its schema.
fn make_project(tx: &Transaction<'_>) -> HookResult {
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.execute(
        "INSERT OR IGNORE INTO project_info (key, value) VALUES ('created_by', ?1), ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        params![concat!("FARE Lens ", env!("CARGO_PKG_VERSION"))],
    )?;
    let mut insert = tx.prepare(
        "INSERT OR IGNORE INTO failure_tags (id, name, description, tasks, inferable, builtin) VALUES (?1, ?2, ?3, ?4, ?5, 1)",
    )?;
    for tag in default_taxonomy() {
        let tasks = serde_json::to_string(&tag.tasks).unwrap_or_else(|_| "[]".into());
        insert.execute(params![
            tag.id,
            tag.name,
            tag.description,
            tasks,
            tag.inferable
        ])?;
    }
    Ok(())
}
