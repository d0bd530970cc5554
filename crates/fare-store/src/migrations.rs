//! Schema migrations of project files, in order. The schema version lives in SQLite's
//! `user_version`; a file with a newer version than [`LATEST`] is refused untouched.

use rusqlite_migration::{M, Migrations};

const STEPS: &[&str] = &[include_str!("migrations/001_initial.sql")];

/// The newest schema version this build writes.
pub const LATEST: usize = STEPS.len();

/// The migrations, for `rusqlite_migration`.
pub fn all() -> Migrations<'static> {
    Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect())
}
