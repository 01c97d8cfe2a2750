//! Writes the controls of the compile-fail tests (`src/lib.rs`, `mod does_not_compile`)
//! into `OUT_DIR`: each is a file of `compile_fail/` with the one change that must let it
//! compile. The crate's tests `include!` them, so `cargo test` fails to build if a control
//! does not compile. No dependency: plain text edits, done by `std`.

use std::path::Path;
use std::{env, fs};

fn main() {
    let out = env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let guard = "compile_fail/guard_across_spawn.rs";
    println!("cargo::rerun-if-changed={guard}");
    let source =
        fs::read_to_string(guard).expect("cannot read the compile-fail listing");
    // Without the `.await`, the guard no longer lives across one.
    let without_await: String = source
        .lines()
        .filter(|line| !line.contains(".await;"))
        .map(|line| format!("{line}\n"))
        .collect();
    // `spawn_local` asks for no `Send`: only the spawn function changes.
    let spawn_local =
        source.replacen("tokio::spawn(", "tokio::task::spawn_local(", 1);
    for (name, control) in [
        ("guard_without_await.rs", without_await),
        ("guard_with_spawn_local.rs", spawn_local),
    ] {
        fs::write(Path::new(&out).join(name), control)
            .expect("cannot write a control");
    }
}
