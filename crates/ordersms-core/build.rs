//! Writes `tzif.rs` into `OUT_DIR`: one `static` per TZif file of `src/schedule/tzif/` (the
//! few zones a POSIX rule cannot describe, written there by `scripts/gen-tz-table`), read by
//! `jiff::tz::include!` when the core is compiled, so that no binary carries jiff's TZif
//! reader (≈ 22 KB of the Worker's gzipped bundle). The macro takes a literal path, read from
//! rustc's working directory, which is the workspace root only inside this workspace: the
//! paths are made absolute here, so the core builds as anyone's dependency too.

use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = manifest.join("src/schedule/tzif");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let mut out = String::new();
    for file in files {
        let id = file
            .strip_prefix(&dir)
            .expect("under the directory")
            .components()
            .map(|c| c.as_os_str().to_str().expect("zone names are ASCII"))
            .collect::<Vec<_>>()
            .join("/");
        let name: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        let path = file.to_str().expect("a UTF-8 path");
        out.push_str(&format!(
            "pub(super) static {name}: jiff::tz::TimeZone = jiff::tz::include!({path:?}, {id:?});\n"
        ));
    }
    let target = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("tzif.rs");
    fs::write(target, out).expect("OUT_DIR is writable");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable directory").path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
