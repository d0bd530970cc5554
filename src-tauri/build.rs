//! Tauri's build step: reads `tauri.conf.json` and the capabilities, and checks that the
//! built UI (`../ui/dist`) is there to embed.

fn main() {
    tauri_build::build();
}
