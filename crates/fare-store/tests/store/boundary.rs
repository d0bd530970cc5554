//! The schema stays inside this crate: no other crate's code (the benchmarks excepted, which
//! measure the file itself) names the SQLite connection, depends on the SQLite crate or holds
//! SQL. And the store's own modules use each other without a cycle. Tests, not conventions, so
//! a shortcut fails CI.

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

/// The store's modules (`src/NAME.rs`) each uses, read from `crate::NAME` outside comments.
fn module_uses() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = workspace().join("crates/fare-store/src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let module_of = |path: &Path| {
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        first.to_string_lossy().trim_end_matches(".rs").to_owned()
    };
    let modules: std::collections::BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| m != "lib")
        .collect();
    let mut uses = std::collections::BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let entry = uses
            .entry(module.clone())
            .or_insert_with(std::collections::BTreeSet::new);
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let rest = &line[at + 7..];
                // `crate::name…` or `crate::{a, b::c, …}`.
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group.split('}').next().unwrap().split(',').collect(),
                    None => vec![rest],
                };
                for name in names {
                    let name: String = name
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if modules.contains(&name) && name != module {
                        entry.insert(name);
                    }
                }
            }
        }
    }
    uses
}

/// Depth-first search from `module`; reaching a module on the current path is a cycle.
fn visit(
    module: &str,
    uses: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    path: &mut Vec<String>,
    done: &mut std::collections::BTreeSet<String>,
) {
    if let Some(start) = path.iter().position(|m| m == module) {
        panic!(
            "fare-store modules use each other in a cycle: {} -> {module}",
            path[start..].join(" -> ")
        );
    }
    if !done.insert(module.to_owned()) {
        return;
    }
    path.push(module.to_owned());
    for next in uses.get(module).into_iter().flatten() {
        visit(next, uses, path, done);
    }
    path.pop();
}

#[test]
fn the_store_modules_use_each_other_without_a_cycle() {
    let uses = module_uses();
    assert!(
        uses["judgments"].contains("rows"),
        "the reader sees uses: {uses:?}"
    );
    let mut done = std::collections::BTreeSet::new();
    for module in uses.keys() {
        visit(module, &uses, &mut Vec::new(), &mut done);
    }
}
