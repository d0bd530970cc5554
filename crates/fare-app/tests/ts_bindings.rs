//! The UI's TypeScript types are generated from the command registry ([`fare_app::commands`])
//! and committed in `ui/src/lib/api/generated/`. This test regenerates them and fails when the
//! committed files differ; `FARE_UPDATE_BINDINGS=1 cargo test -p fare-app --test ts_bindings`
//! rewrites them.

#![allow(
    clippy::unwrap_used,
    reason = "a failing file operation should stop the test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fare_app::api::ErrorView;
use fare_app::session::SessionView;
use ts_rs::{Config, TS};

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ts"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_committed_typescript_types_match_the_rust_types() {
    let fresh = tempfile::tempdir().unwrap();
    // Ids and counts fit in a JavaScript number: JSON carries them as numbers.
    let cfg = Config::new()
        .with_out_dir(fresh.path())
        .with_large_int("number");
    // Every command's arguments and answer, and `commands.ts` naming them.
    fare_app::commands::export_typescript(&cfg).unwrap();
    // The desktop shell's own commands.
    SessionView::export_all(&cfg).unwrap();
    ErrorView::export_all(&cfg).unwrap();
    let generated = read_dir(fresh.path());
    let committed_dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/api/generated");
    if std::env::var_os("FARE_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &generated {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
    }
    let committed = read_dir(&committed_dir);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        generated.keys().collect::<Vec<_>>(),
        "the generated TypeScript files differ from ui/src/lib/api/generated: run FARE_UPDATE_BINDINGS=1 cargo test -p fare-app --test ts_bindings"
    );
    for (name, text) in &generated {
        assert_eq!(
            &committed[name], text,
            "{name} is out of date: run FARE_UPDATE_BINDINGS=1 cargo test -p fare-app --test ts_bindings"
        );
    }
}

