//! How nestlint reaches users, checked without outside tools: the declared `rust-version` against
//! the locked dependencies, `cargo install --locked --path crates/nestlint`, and the npm packages,
//! the release workflow and the docs agreeing on versions and platforms. (The npm packages
//! installed with npm, and the workflow under actionlint, are in `tests/external.rs`.)

mod common;

use std::path::Path;
use std::process::Command;

use common::{cargo_metadata, code, repo_root, stderr, stdout};

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `1.90` or `1.90.0` as comparable numbers.
fn rust_version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn rust_version_is_what_the_locked_dependencies_need() {
    let metadata = cargo_metadata();
    let packages = metadata["packages"].as_array().unwrap();
    let ours = packages
        .iter()
        .find(|p| p["name"] == "nestlint")
        .and_then(|p| p["rust_version"].as_str())
        .expect("nestlint declares a rust-version");
    let (needed, by) = packages
        .iter()
        .filter(|p| p["source"].is_string())
        .filter_map(|p| {
            let version = p["rust_version"].as_str()?;
            Some((rust_version(version), p["name"].as_str()?.to_owned()))
        })
        .max()
        .expect("some dependency declares a rust-version");
    // Every crate of the workspace inherits the one declared version.
    for package in packages.iter().filter(|p| p["source"].is_null()) {
        assert_eq!(
            package["rust_version"].as_str(),
            Some(ours),
            "{}",
            package["name"]
        );
    }
    let declared = rust_version(ours);
    assert!(
        declared >= needed,
        "rust-version {ours} is below what the locked {by} needs ({}.{}.{})",
        needed.0,
        needed.1,
        needed.2
    );
    // Our own code is held to the same version by clippy's incompatible_msrv lint.
}

#[test]
fn cargo_install_from_the_repository_works() {
    // The documented command, built in the debug profile into this target directory so that it
    // reuses what the tests built (no download, no second release build: cargo finds the binary
    // fresh; were it not, it would replace the file, never rewrite it in place).
    let root = tempfile::tempdir().unwrap();
    let target_dir = Path::new(env!("CARGO_BIN_EXE_nestlint"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf();
    let output = Command::new(env!("CARGO"))
        .args([
            "install",
            "--locked",
            "--offline",
            "--debug",
            "--path",
            "crates/nestlint",
        ])
        .arg("--root")
        .arg(root.path())
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let installed = root.path().join("bin/nestlint");
    let output = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(code(&output), 0);
    assert_eq!(
        stdout(&output).trim(),
        format!("nestlint {}", env!("CARGO_PKG_VERSION"))
    );
    // The README gives that command.
    assert!(read("README.md").contains("cargo install --locked --path crates/nestlint"));
}

#[test]
fn npm_packages_release_workflow_and_docs_agree() {
    let version = env!("CARGO_PKG_VERSION");
    let launcher: serde_json::Value =
        serde_json::from_str(&read("npm/nestlint/package.json")).unwrap();
    let platforms: serde_json::Value =
        serde_json::from_str(&read("npm/nestlint/platforms.json")).unwrap();
    let platforms = platforms.as_array().unwrap();
    assert_eq!(launcher["version"], version);
    assert_eq!(launcher["name"], "nestlint");
    assert_eq!(launcher["bin"]["nestlint"], "bin/nestlint");

    // The launcher depends on exactly the platform packages, at its own version.
    let optional = launcher["optionalDependencies"].as_object().unwrap();
    assert_eq!(optional.len(), platforms.len());
    for platform in platforms {
        let package = platform["package"].as_str().unwrap();
        assert_eq!(optional[package], version, "{package}");
        assert!(package.starts_with("@nestlint/cli-"), "{package}");
    }
    // Linux x64 and arm64 (glibc and musl), macOS x64 and arm64, Windows x64.
    let mut covered: Vec<String> = platforms
        .iter()
        .map(|p| {
            format!(
                "{}-{}{}",
                p["os"].as_str().unwrap(),
                p["cpu"].as_str().unwrap(),
                p["libc"]
                    .as_str()
                    .map(|l| format!("-{l}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    covered.sort();
    assert_eq!(
        covered,
        [
            "darwin-arm64",
            "darwin-x64",
            "linux-arm64-glibc",
            "linux-arm64-musl",
            "linux-x64-glibc",
            "linux-x64-musl",
            "win32-x64",
        ]
    );

    // The release workflow builds every platform, and nothing else.
    let workflow = read(".github/workflows/release.yml");
    let built: Vec<&str> = workflow
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- { target: "))
        .filter_map(|rest| rest.split(',').next())
        .collect();
    let mut targets: Vec<&str> = platforms
        .iter()
        .map(|p| p["target"].as_str().unwrap())
        .collect();
    let mut built_sorted = built.clone();
    built_sorted.sort();
    targets.sort();
    assert_eq!(built_sorted, targets);
    assert!(workflow.contains(&format!("-ne {}", platforms.len())));

    // The pre-commit `rev` in the docs is the tag the release of this version creates.
    let tag = format!("rev: v{version}");
    for doc in ["README.md", "docs/ci.md"] {
        let text = read(doc);
        assert!(
            text.contains(&tag),
            "{doc} pins a pre-commit rev other than v{version}"
        );
    }
    // And the changelog has this version's section, which the release notes are cut from.
    assert!(read("CHANGELOG.md").contains(&format!("## [{version}]")));
}

#[test]
fn readme_sample_output_is_what_nestlint_prints() {
    let readme = read("README.md");
    let marker = readme
        .find("<!-- sample: ")
        .expect("the README has a sample marker");
    let line = &readme[marker..readme[marker..].find('\n').unwrap() + marker];
    let spec = line
        .trim_start_matches("<!-- sample: ")
        .trim_end_matches(" -->");
    let (dir, args) = spec.split_once(": ").unwrap();
    let block_start = marker + line.len() + "\n```text\n".len();
    let block_end = block_start + readme[block_start..].find("```").unwrap();
    let shown = &readme[block_start..block_end];
    let args: Vec<&str> = args.split_whitespace().collect();
    let output = common::nestlint(&repo_root().join(dir), &args);
    let timing = |text: &str| {
        let mut out = String::new();
        for line in text.lines() {
            match (line.rfind(" ("), line.rfind(" ms).")) {
                (Some(open), Some(close)) if open < close => {
                    out.push_str(&line[..open]);
                    out.push_str(" (N ms).");
                }
                _ => out.push_str(line),
            }
            out.push('\n');
        }
        out
    };
    assert_eq!(
        timing(shown),
        timing(&stdout(&output)),
        "the README's sample output is stale"
    );
}
