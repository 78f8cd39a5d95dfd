//! The pre-commit hook, run by the real `pre-commit` tool (PyPI) on a temporary git repository:
//! staged files are linted, files the project's ignores exclude are skipped silently, and the
//! commit is blocked until the error is fixed. Skipped, with a notice, where pre-commit cannot be
//! installed (it needs Python and the PyPI registry).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{repo_root, write};

/// `pre-commit` from PATH, or from a virtualenv in `target/pre-commit` (created on first use).
fn pre_commit() -> Option<PathBuf> {
    if Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some(PathBuf::from("pre-commit"));
    }
    let venv = repo_root().join("target/pre-commit");
    let binary = venv.join("bin/pre-commit");
    if !binary.exists() {
        let created = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        let installed = created
            && Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "pre-commit"])
                .status()
                .is_ok_and(|s| s.success());
        if !installed {
            return None;
        }
    }
    binary.exists().then_some(binary)
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

fn run_hook(tool: &Path, dir: &Path) -> Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_nestlint")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(tool)
        .args([
            "try-repo",
            repo_root().to_str().unwrap(),
            "nestlint",
            "--verbose",
        ])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-cache"))
        .envs(identity())
        .output()
        .expect("run pre-commit")
}

#[test]
fn the_hook_lints_staged_files_and_skips_ignored_ones() {
    let Some(tool) = pre_commit() else {
        eprintln!("SKIPPED: pre-commit cannot be installed here (needs python3 -m venv and PyPI)");
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
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
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("Passed"), "{text}");
    assert!(!text.contains("hard-coded"), "{text}");

    // A staged file with an error blocks the commit.
    write(dir, "src/auth.module.ts", hard_coded);
    git(dir, &["add", "src/auth.module.ts"]);
    let output = run_hook(&tool, dir);
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(
        text.contains("src/auth.module.ts:2:30") || text.contains("src/auth.module.ts"),
        "{text}"
    );
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
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
}
