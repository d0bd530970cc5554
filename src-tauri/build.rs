//! Tauri's build step: reads `tauri.conf.json` and the capabilities, and checks that the
//! built UI (`../ui/dist`) is there to embed; without it the build stops with one line saying
//! which command builds it (a fresh clone's `cargo test` meets this first).

use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: a build cache shared by two checkouts
    // reuses one compiled script, and a path baked into it would check the other checkout.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let index = Path::new(&manifest_dir).join("../ui/dist/index.html");
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
