//! Opening, creating and migrating a project file.
//!
//! A project is one SQLite file in WAL mode with foreign keys on. Opening checks the schema
//! version first: a newer file than this build is refused without a single write; an older one
//! is migrated in one transaction.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::migrations::{self, APPLICATION_ID};
use crate::{Result, StoreError};

/// An open project file.
pub struct Project {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Project {
    /// Opens an existing project, migrating an older schema.
    pub fn open(path: &Path) -> Result<Project> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_owned()));
        }
        Self::connect(path, false)
    }

    /// Creates a new project, or opens the existing one at `path`.
    pub fn open_or_create(path: &Path) -> Result<Project> {
        Self::connect(path, !path.exists())
    }

    fn connect(path: &Path, create: bool) -> Result<Project> {
        let flags = if create {
            OpenFlags::default()
        } else {
            OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE
        };
        let not_a_project = |reason: String| StoreError::NotAProject {
            path: path.to_owned(),
            reason,
        };
        let mut conn = Connection::open_with_flags(path, flags)?;
        // Before any statement: waiting for another connection's lock applies to the first
        // read too, and the file's own schema may call no function that is not innocuous (a
        // project file may come from someone else).
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "trusted_schema", false)?;
        // Reading the header first: a non-SQLite file fails here, before anything is written.
        let (app_id, version): (i64, usize) = conn
            .query_row(
                "SELECT * FROM pragma_application_id, pragma_user_version",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| not_a_project(e.to_string()))?;
        if !create && app_id != APPLICATION_ID {
            let tables: i64 =
                conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
            if tables > 0 || version > 0 {
                return Err(not_a_project(
                    "an SQLite file of another application".into(),
                ));
            }
        }
        // Our schema has no triggers or views; a file with one would run someone's SQL on our
        // writes and reads.
        let foreign: Option<(String, String)> = conn
            .query_row(
                "SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'view') LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((kind, name)) = foreign {
            return Err(not_a_project(format!(
                "it holds a {kind} `{name}`, which FARE Lens projects never have"
            )));
        }
        if version > migrations::LATEST {
            return Err(StoreError::NewerSchema {
                path: path.to_owned(),
                found: version,
                supported: migrations::LATEST,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // After a large import the write-ahead log is cut back to 64 MiB at its next checkpoint
        // instead of keeping its peak size (1.5 GB after a million samples).
        conn.pragma_update(None, "journal_size_limit", 64_i64 << 20)?;
        // Write transactions take the write lock when they begin. Two connections (the app's
        // and a background job's) then wait for each other up to the busy timeout, where a
        // transaction that read first would fail at once ("database is locked") when it came
        // to write after the other had.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let mut project = Project {
            conn,
            path: path.to_owned(),
        };
        if version < migrations::LATEST {
            project.migrate()?;
        }
        Ok(project)
    }

    fn migrate(&mut self) -> Result<()> {
        // One transaction per migration; the first one also seeds a new project
        // (see [`migrations`]).
        migrations::all().to_latest(&mut self.conn).map_err(|e| {
            StoreError::Invalid(format!("{}: migration failed: {e}", self.path.display()))
        })
    }

    /// The project file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<usize> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The current time as the project writes it (RFC 3339 UTC, milliseconds).
    pub(crate) fn now(conn: &Connection) -> Result<String> {
        Ok(
            conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |r| {
                r.get(0)
            })?,
        )
    }

    /// The SQLite connection itself (the `raw-sql` feature), for benchmarks and for tests that
    /// check the file. Everything else asks `Project` methods: the schema stays in this crate.
    #[cfg(feature = "raw-sql")]
    pub fn raw_connection(&self) -> &Connection {
        &self.conn
    }

    /// Rolls back a transaction a failed call left open (none of it is kept); nothing when
    /// none is open. Dropping the project would roll it back too, but only after a project
    /// opened anew had waited on its lock.
    pub fn abandon_open_transaction(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// A project setting written at creation (`created_by`, `created_at`).
    pub fn info(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM project_info WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_project_is_migrated_and_seeded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite");
        let project = Project::open_or_create(&path).unwrap();
        assert_eq!(project.schema_version().unwrap(), migrations::LATEST);
        let tags: i64 = project
            .conn
            .query_row(
                "SELECT count(*) FROM failure_tags WHERE builtin = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(tags >= 12);
        let mode: String = project
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(project);
        assert!(Project::open(&path).is_ok(), "reopens");
    }

    #[test]
    fn a_newer_file_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("future.sqlite");
        drop(Project::open_or_create(&path).unwrap());
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
            conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Project::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerSchema { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("newer FARE Lens"));
        assert_eq!(std::fs::read(&path).unwrap(), before, "file changed");
    }

    #[test]
    fn other_files_are_not_projects() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.sqlite");
        std::fs::write(&text, "just some text, long enough to not be a database header at all.........................................").unwrap();
        assert!(matches!(
            Project::open(&text),
            Err(StoreError::NotAProject { .. })
        ));
        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute("CREATE TABLE t (x)", [])
            .unwrap();
        assert!(matches!(
            Project::open(&other),
            Err(StoreError::NotAProject { .. })
        ));
        assert!(matches!(
            Project::open(&dir.path().join("none.sqlite")),
            Err(StoreError::Missing(_))
        ));
    }
}
