//! `fare-bench digest`: a fingerprint of what an import wrote, to check that two loaders (the
//! Rust import path and the Python reference loader) did the same inserts.
//!
//! For each table it prints the row count and a hash of every row in a fixed order, leaving out
//! the columns that differ between any two runs (times, who created the project). The full-text
//! index is compared through `fts5vocab` (every token instance: term, row, column, offset), so
//! two `sample_text` tables match only when the same text was indexed under the same rowids.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

/// The tables compared, each as a query with a deterministic order.
const QUERIES: &[(&str, &str)] = &[
    (
        "datasets",
        "SELECT id, name, source_file, format, content_hash, mapping, record_count, sample_count, skipped_count FROM datasets ORDER BY id",
    ),
    ("samples", "SELECT * FROM samples ORDER BY id"),
    (
        "steps",
        "SELECT * FROM steps ORDER BY sample_id, step_index",
    ),
    ("failure_tags", "SELECT * FROM failure_tags ORDER BY id"),
    (
        "sample_text (fts5vocab instances)",
        "SELECT term, doc, col, offset FROM temp.fare_bench_vocab ORDER BY term, doc, col, offset",
    ),
];

/// One table's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    /// The table.
    pub table: &'static str,
    /// Its rows.
    pub rows: u64,
    /// A hash of all of them, in order (stable within one build of this program).
    pub hash: u64,
}

fn hash_value(value: ValueRef<'_>, h: &mut DefaultHasher) {
    match value {
        ValueRef::Null => 0u8.hash(h),
        ValueRef::Integer(i) => (1u8, i).hash(h),
        ValueRef::Real(f) => (2u8, f.to_bits()).hash(h),
        ValueRef::Text(t) => (3u8, t).hash(h),
        ValueRef::Blob(b) => (4u8, b).hash(h),
    }
}

/// The fingerprints of the project at `path` (nothing is written to it).
pub fn digest(path: &Path) -> Result<Vec<TableDigest>> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE)
            .with_context(|| format!("cannot open {}", path.display()))?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE temp.fare_bench_vocab USING fts5vocab(main, sample_text, instance)",
    )?;
    let mut out = Vec::new();
    for (table, sql) in QUERIES {
        let mut stmt = conn.prepare(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut h = DefaultHasher::new();
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            for i in 0..columns {
                hash_value(row.get_ref(i)?, &mut h);
            }
            count += 1;
        }
        out.push(TableDigest {
            table,
            rows: count,
            hash: h.finish(),
        });
    }
    Ok(out)
}

/// Prints the fingerprints of a project, one table a line.
pub fn print_digest(path: &Path, out: &mut dyn Write) -> Result<()> {
    for d in digest(path)? {
        writeln!(out, "{}: {} rows, hash {:016x}", d.table, d.rows, d.hash)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fare_store::Project;

    #[test]
    fn equal_projects_have_equal_digests_and_text_changes_show() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("math.json");
        std::fs::write(
            &data,
            r#"[{"id": "m-0", "problem": "1+1?", "steps": ["1+1=2."], "label": -1}]"#,
        )
        .unwrap();
        let a = dir.path().join("a.sqlite");
        let b = dir.path().join("b.sqlite");
        for p in [&a, &b] {
            crate::import::import_files(p, std::slice::from_ref(&data), &mut Vec::new()).unwrap();
        }
        assert_eq!(digest(&a).unwrap(), digest(&b).unwrap());
        let project = Project::open(&b).unwrap();
        project
            .raw_connection()
            .execute_batch("INSERT INTO sample_text (rowid, question, steps, responses, critiques) VALUES (99, 'x', 'y', '', '')")
            .unwrap();
        drop(project);
        let (da, db) = (digest(&a).unwrap(), digest(&b).unwrap());
        assert_eq!(da[1], db[1], "samples unchanged");
        assert_ne!(da[4], db[4], "full-text index changed");
    }
}
