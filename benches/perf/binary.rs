//! The binary the benchmark measures: member-sync built the way users build it.
//!
//! The binary Cargo builds next to a bench (`CARGO_BIN_EXE_member-sync`) is not that one. A
//! bench target links the dev-dependencies, and Cargo unifies their features with the
//! binary's: tokio comes with `test-util` (the unit tests' paused clock: each of tokio's
//! `Instant::now()` first checks whether a test paused it). So the benchmark asks Cargo itself, before the
//! first scenario, for `cargo build --release --bin member-sync`: the same command, the same
//! target directory (so the dependencies whose features do not differ are shared and a second
//! run finds everything fresh), and Cargo's own account of what it built (its JSON messages)
//! as the proof: the features tokio was compiled with. A tokio with `test-util` in it is a
//! broken promise, and fails the bench.
//!
//! `--quick` (the CI smoke) builds the same way in the dev profile (`cargo build`): the
//! mechanism is smoked, without a second release build in CI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

/// What Cargo built, and how long it took.
pub struct Built {
    pub path: PathBuf,
    /// The command, as a user would type it.
    pub command: String,
    /// The features tokio was compiled with for this binary.
    pub tokio_features: Vec<String>,
    /// Whether Cargo found the binary up to date (nothing compiled).
    pub fresh: bool,
    pub seconds: f64,
    pub bytes: u64,
}

impl Built {
    /// The feature the unit tests need and users' binaries must not carry.
    pub fn has_test_util(&self) -> bool {
        self.tokio_features.iter().any(|f| f == "test-util")
    }

    /// One line for the results' header.
    pub fn describe(&self) -> String {
        format!(
            "`{}` ({:.1} MB{}; tokio built with {}: {})",
            self.command,
            self.bytes as f64 / 1e6,
            if self.fresh {
                ", up to date".to_string()
            } else {
                format!(", built in {:.0} s", self.seconds)
            },
            if self.has_test_util() {
                "**test-util**"
            } else {
                "no test-util"
            },
            self.tokio_features.join(", ")
        )
    }
}

static BINARY: OnceLock<PathBuf> = OnceLock::new();

/// The binary every scenario runs (set once by [`build`]).
pub fn path() -> &'static Path {
    BINARY
        .get()
        .expect("the binary is built before any scenario")
}

/// `cargo build [--release] --bin member-sync`, in this package and its target directory.
pub fn build(release: bool) -> Result<&'static Built, String> {
    static BUILT: OnceLock<Built> = OnceLock::new();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args = vec!["build"];
    if release {
        args.push("--release");
    }
    args.extend(["--bin", "member-sync"]);
    let command = format!("cargo {}", args.join(" "));
    eprintln!("bench: {command} (the binary as users build it)");
    let started = Instant::now();
    let mut cargo = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        if set_by_cargo_for_this_run(&name.to_string_lossy()) {
            cargo.env_remove(name);
        }
    }
    let mut child = cargo
        .args(&args)
        .arg("--message-format=json-render-diagnostics")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{command}: cannot start cargo: {e}"))?;
    let messages = BufReader::new(child.stdout.take().expect("piped"));
    let (mut tokio_features, mut binary) = (None, None);
    for line in messages.lines() {
        let line = line.map_err(|e| format!("{command}: {e}"))?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let target = &message["target"];
        if target["name"] == "tokio" && target["kind"][0] == "lib" {
            tokio_features = Some(strings(&message["features"]));
        }
        if target["name"] == "member-sync"
            && let Some(executable) = message["executable"].as_str()
        {
            binary = Some((PathBuf::from(executable), message["fresh"] == true));
        }
    }
    let status = child.wait().map_err(|e| format!("{command}: {e}"))?;
    if !status.success() {
        return Err(format!("{command} failed ({status})"));
    }
    let (Some(tokio_features), Some((path, fresh))) = (tokio_features, binary) else {
        return Err(format!("{command}: Cargo did not say what it built"));
    };
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let built = BUILT.get_or_init(|| Built {
        path,
        command,
        tokio_features,
        fresh,
        seconds: started.elapsed().as_secs_f64(),
        bytes,
    });
    BINARY.get_or_init(|| built.path.clone());
    Ok(built)
}

/// What Cargo sets in the environment of the bench it runs (its package, its paths), which a
/// user's `cargo build` does not have. Passed on, they would rebuild what depends on them:
/// ring's build script asks to be rerun when `CARGO_PKG_NAME` or `CARGO_MANIFEST_DIR` change,
/// so each `cargo build --release` from a shell and each bench run would rebuild ring, rustls,
/// reqwest and member-sync (with its fat LTO) for the other.
fn set_by_cargo_for_this_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_BIN_EXE_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "OUT_DIR"
        )
}

fn strings(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
