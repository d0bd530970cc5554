//! `fare-bench sql`: run SQL on a project with the SQLite that FARE Lens bundles (the system's
//! `sqlite3` may be too old to read a project's full-text tables), printing each statement's
//! rows and time. For reading query plans (`EXPLAIN QUERY PLAN ...`) and trying indexes.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

/// Runs each statement of `statements` on the project at `path` and prints its rows (tab
/// separated) and how long it took.
pub fn run_sql(path: &Path, statements: &[String], out: &mut dyn Write) -> Result<()> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE)
            .with_context(|| format!("cannot open {}", path.display()))?;
    for sql in statements {
        writeln!(out, "> {sql}")?;
        let started = Instant::now();
        let mut stmt = conn.prepare(sql).with_context(|| format!("`{sql}`"))?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            let mut cells = Vec::with_capacity(columns);
            for i in 0..columns {
                cells.push(match row.get_ref(i)? {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(v) => v.to_string(),
                    ValueRef::Real(v) => v.to_string(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
                });
            }
            writeln!(out, "{}", cells.join("\t"))?;
            count += 1;
        }
        writeln!(
            out,
            "({count} rows, {:.2} ms)",
            started.elapsed().as_secs_f64() * 1e3
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_rows_and_plans() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite");
        drop(fare_store::Project::open_or_create(&path).unwrap());
        let mut out = Vec::new();
        run_sql(
            &path,
            &[
                "SELECT count(*) FROM failure_tags WHERE builtin = 1".into(),
                "EXPLAIN QUERY PLAN SELECT * FROM samples WHERE id = 1".into(),
            ],
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("(1 rows"), "{text}");
        assert!(text.contains("INTEGER PRIMARY KEY"), "{text}");
    }
}
