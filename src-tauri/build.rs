//! Tauri's build step: reads `tauri.conf.json` and the capabilities, and checks that the
//! built UI (`../ui/dist`) is there to embed; without it the build stops with one line saying
//! which command builds it (a fresh clone's `cargo test` meets this first).

use std::path::Path;

fn main() {
    let index = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo::rerun-if-changed={}", index.display());
    if !index.is_file() {
        println!(
            "cargo::error=the desktop app embeds the built web UI, which is missing: run \
             `npm --prefix ui ci && npm --prefix ui run build` (or `cargo test --workspace \
             --exclude fare-lens-desktop` to test without it)"
        );
        return;
    }
    tauri_build::build();
}
