//! Helpers shared by the end-to-end test binaries (each uses a subset).
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository, absolute.
pub fn repo_root() -> PathBuf {
    std::path::absolute(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")).unwrap()
}

/// Runs nestlint as a user at a terminal would: no colour, and not on GitHub Actions (where the
/// default format is annotations), whatever machine the tests run on.
pub fn nestlint(dir: &Path, args: &[&str]) -> Output {
    nestlint_with_env(dir, args, &[("NO_COLOR", "1")])
}

/// Runs nestlint with `env` and none of the variables that change its output from outside
/// (colour, hyperlinks, GitHub Actions) unless `env` sets them.
pub fn nestlint_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nestlint"));
    command.args(args).current_dir(dir);
    for name in [
        "NO_COLOR",
        "FORCE_COLOR",
        "CLICOLOR_FORCE",
        "FORCE_HYPERLINK",
        "GITHUB_ACTIONS",
    ] {
        command.env_remove(name);
    }
    // One cache for every run of the suite, in the target directory: the suite's runs share it
    // (concurrently, as users' runs may), and no fixture directory gets a `.nestlint_cache`.
    command.env("NESTLINT_CACHE_DIR", test_cache_dir());
    command.env_remove("NESTLINT_NO_CACHE");
    command.envs(env.iter().copied());
    command.output().expect("run nestlint")
}

/// The cache directory the suite's runs share: `<target>/test-cache`.
pub fn test_cache_dir() -> PathBuf {
    tools_dir()
        .parent()
        .unwrap_or(Path::new("."))
        .join("test-cache")
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

pub const UNGUARDED: &str = "import { Controller, Get } from '@nestjs/common';\n\
@Controller('a')\nexport class AController {\n  @Get() list() {}\n}\n";
pub const HARDCODED: &str =
    "import { JwtModule } from '@nestjs/jwt';\nJwtModule.register({ secret: 'x' });\n";

/// A temporary project with a `package.json` that depends on the Nest and JWT packages.
pub fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "package.json",
        r#"{"dependencies":{"@nestjs/common":"*","@nestjs/jwt":"*"}}"#,
    );
    dir
}

/// Where tests install the outside tools they drive (npm and PyPI packages): beside the test
/// binaries in the cargo target directory, so `CARGO_TARGET_DIR` is honoured and the source tree
/// stays clean.
pub fn tools_dir() -> PathBuf {
    // The binary is `<target>/<profile>/nestlint` (or `<target>/<triple>/<profile>/nestlint`).
    let binary = Path::new(env!("CARGO_BIN_EXE_nestlint"));
    binary
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .join("test-tools")
}

/// Set in CI: a test whose tool cannot be installed fails instead of being skipped.
pub const REQUIRE_TOOLS: &str = "NESTLINT_REQUIRE_TOOLS";

/// The outcome of a test that cannot run here: ignored with the reason (libtest-mimic prints it
/// and counts it among the ignored tests), or a failure when [`REQUIRE_TOOLS`] is set.
pub fn unavailable(reason: &str) -> Result<libtest_mimic::Completion, libtest_mimic::Failed> {
    if std::env::var_os(REQUIRE_TOOLS).is_some_and(|v| !v.is_empty() && v != "0") {
        Err(format!("{reason} (and {REQUIRE_TOOLS} is set)").into())
    } else {
        Ok(libtest_mimic::Completion::ignored_with(reason))
    }
}

/// FNV-1a: a stable hash for cache markers.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Installs the npm `packages` into `<tools>/<name>` (once) and returns the prefix, or why not.
pub fn npm_tool(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let prefix = tools_dir().join(name);
    // One marker per package list (a hash: the list can be longer than a file name may be).
    let marker = prefix.join(format!(".installed-{:016x}", fnv1a(&packages.join(","))));
    if marker.exists() {
        return Ok(prefix);
    }
    fs::create_dir_all(&prefix).map_err(|e| e.to_string())?;
    // Tests run in parallel and several may want the same tool: one installs, the others wait
    // for it (two `npm install`s into one prefix leave it half-written).
    let _lock = install_lock(&prefix)?;
    if marker.exists() {
        return Ok(prefix);
    }
    install_step(
        Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                // Tools are installed side by side for tests; their peer ranges need not agree.
                "--legacy-peer-deps",
                "--prefix",
            ])
            .arg(&prefix)
            .args(packages),
        &format!("npm install {}", packages.join(" ")),
    )?;
    fs::write(&marker, "").map_err(|e| e.to_string())?;
    Ok(prefix)
}

/// A Python virtual environment `<tools>/<name>` with `packages` installed (once); returns its
/// `bin` directory, or why not.
pub fn python_tool(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let venv = tools_dir().join(name);
    let bin = venv.join("bin");
    let marker = venv.join(".installed");
    if marker.exists() {
        return Ok(bin);
    }
    fs::create_dir_all(&venv).map_err(|e| e.to_string())?;
    let _lock = install_lock(&venv)?;
    if marker.exists() {
        return Ok(bin);
    }
    install_step(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    install_step(
        Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(packages),
        &format!("pip install {}", packages.join(" ")),
    )?;
    fs::write(&marker, "").map_err(|e| e.to_string())?;
    Ok(bin)
}

/// An exclusive lock on `<dir>/.install.lock`, held until the returned file is dropped.
fn install_lock(dir: &Path) -> Result<fs::File, String> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".install.lock"))
        .map_err(|e| format!("cannot open the install lock in {}: {e}", dir.display()))?;
    file.lock()
        .map_err(|e| format!("cannot lock {}: {e}", dir.display()))?;
    Ok(file)
}

/// Runs one step of an install; why it failed, in a line, when it did.
fn install_step(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("`{what}` cannot run: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("`{what}` failed: {}", last_line(&output.stderr)))
    }
}

fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_owned()
}

/// `cargo metadata` for the host platform, offline. Only the host's crates are needed: those are
/// exactly what building the tests downloaded, so this works on a machine whose cargo cache held
/// nothing before (plain `cargo metadata` also wants every other platform's crates).
pub fn cargo_metadata() -> serde_json::Value {
    let host = host_triple();
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
        ])
        .arg(&host)
        .current_dir(repo_root())
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

/// The platform cargo builds for by default (`host:` of `cargo -vV`).
pub fn host_triple() -> String {
    let output = Command::new(env!("CARGO"))
        .arg("-vV")
        .output()
        .expect("run cargo -vV");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("cargo -vV names the host")
        .trim()
        .to_owned()
}

/// The example app's `users.module.ts` with `JwtModule` imported: what mends the users
/// controller's `resolvable-dependencies` finding.
#[allow(dead_code)]
pub fn users_module_with_jwt(text: &str) -> String {
    let mended = text
        .replacen(
            "@Module({ controllers",
            "@Module({ imports: [JwtModule.register({})], controllers",
            1,
        )
        .replacen(
            "import { Module }",
            "import { JwtModule } from '@nestjs/jwt';\nimport { Module }",
            1,
        );
    assert!(
        mended.contains("imports: [JwtModule") && mended.contains("from '@nestjs/jwt'"),
        "users.module.ts changed shape"
    );
    mended
}

/// The files below `dir` (sorted, `node_modules` left out) that `keep` keeps.
#[allow(dead_code)]
pub fn files_below(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map(|e| e.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "node_modules") {
                files_below(&path, keep, out);
            }
        } else if keep(&path) {
            out.push(path);
        }
    }
}
