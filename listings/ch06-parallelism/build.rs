//! Writes the controls of the compile-fail tests (in `src/send_bound.rs` and
//! `src/stackful.rs`) into `OUT_DIR`: each is a file of `compile_fail/` with the one
//! change that must let it compile. The crate's tests `include!` them, so `cargo test`
//! fails to build if a control does not compile. No dependency: plain text edits.

use std::path::Path;
use std::{env, fs};

/// Writes `file` with its first `from` replaced by `to` as `OUT_DIR/name`.
fn control(file: &str, from: &str, to: &str, name: &str) {
    println!("cargo::rerun-if-changed={file}");
    let source =
        fs::read_to_string(file).expect("cannot read a compile-fail listing");
    let out = env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let changed = source.replacen(from, to, 1);
    fs::write(Path::new(&out).join(name), changed).expect("cannot write a control");
}

fn main() {
    // `spawn_local` asks for no `Send`: only the spawn function changes.
    control(
        "compile_fail/rc_across_await.rs",
        "tokio::spawn(",
        "tokio::task::spawn_local(",
        "rc_with_spawn_local.rs",
    );
    // A `move` closure owns the string instead of borrowing it.
    control(
        "compile_fail/coroutine_borrowing_a_local.rs",
        "Coroutine::new(|",
        "Coroutine::new(move |",
        "coroutine_owning_the_local.rs",
    );
}
