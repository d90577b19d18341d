//! Puts the memory map of the QEMU machine the target runs on where the
//! cortex-m-rt linker script finds it (as `memory.x`): the Cortex-M4F build
//! runs on `mps2-an386`, everything else on the LM3S6965's map.
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let target = env::var("TARGET").unwrap_or_default();
    let map = if target.starts_with("thumbv7em") {
        "memory-mps2-an386.x"
    } else {
        "memory-lm3s6965evb.x"
    };
    fs::copy(map, out.join("memory.x")).expect("copy memory map");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory-mps2-an386.x");
    println!("cargo:rerun-if-changed=memory-lm3s6965evb.x");
    println!("cargo:rerun-if-env-changed=TARGET");
}
