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
    Command::new(env!("CARGO_BIN_EXE_nestlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run nestlint")
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
