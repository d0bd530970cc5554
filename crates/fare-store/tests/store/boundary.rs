//! The schema stays inside this crate: no other crate's code (the benchmarks excepted, which
//! measure the file itself) names the SQLite connection, depends on the SQLite crate or holds
//! SQL. A test, not a convention, so a shortcut through the connection fails CI.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `.rs` files under `dir`, recursively.
fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn no_crate_but_the_store_holds_sql_or_the_connection() {
    let root = workspace();
    let mut checked = Vec::new();
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("fare-store") && !p.ends_with("fare-bench"))
        .collect();
    crates.push(root.join("src-tauri"));
    let mut found = Vec::new();
    for krate in &crates {
        let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
        if manifest
            .lines()
            .any(|l| l.trim_start().starts_with("rusqlite"))
        {
            found.push(format!("{}: depends on rusqlite", krate.display()));
        }
        let mut files = Vec::new();
        sources(&krate.join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let sql = [
                    "SELECT ",
                    "INSERT INTO",
                    "UPDATE ",
                    "DELETE FROM",
                    "CREATE TABLE",
                ]
                .iter()
                .any(|k| line.contains(&format!("\"{k}")));
                if line.contains("raw_connection") || line.contains("rusqlite") || sql {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
            checked.push(file);
        }
    }
    assert!(
        checked.len() > 50,
        "the sources were not found under {}",
        root.display()
    );
    assert!(
        found.is_empty(),
        "SQL outside fare-store:\n{}",
        found.join("\n")
    );
}
