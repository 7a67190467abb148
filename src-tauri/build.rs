//! Build script of the desktop app: runs tauri-build for the configuration at the repository root.

fn main() {
    // tauri-build looks for capabilities in `./capabilities` beside Cargo.toml, but the root
    // package keeps its sources under src-tauri/, so point it there and rebuild when they change.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*");
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
