//! End-to-end tests of the `nestlint` binary: exit codes, formats, discovery, bad input.

mod common;

use std::fs;

use common::{code, nestlint, project, repo_root, stderr, stdout, write, HARDCODED, UNGUARDED};

#[test]
fn example_app_has_findings_of_all_four_rules_and_exits_1() {
    let output = nestlint(&repo_root(), &["--format", "concise", "examples/shop-api"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    for rule in [
        "valid-repository-injection",
        "routes-guarded",
        "no-hardcoded-jwt-secret",
        "request-dto-validation",
    ] {
        assert!(
            out.contains(&format!("[{rule}]")),
            "no {rule} finding in:\n{out}"
        );
    }
}

#[test]
fn concise_format_is_one_exact_line_per_diagnostic() {
    let dir = project();
    write(dir.path(), "src/auth.ts", HARDCODED);
    let output = nestlint(dir.path(), &["--format", "concise"]);
    assert_eq!(
        stdout(&output),
        "src/auth.ts:2:30: error [no-hardcoded-jwt-secret] JWT secret is hard-coded as a string literal\n"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn warnings_alone_exit_0_and_clean_runs_exit_0() {
    let dir = project();
    write(dir.path(), "src/a.controller.ts", UNGUARDED);
    let output = nestlint(dir.path(), &["--format", "concise"]);
    assert!(stdout(&output).contains(": warning [routes-guarded]"));
    assert_eq!(output.status.code(), Some(0));

    let clean = project();
    write(clean.path(), "src/ok.ts", "export const x = 1;\n");
    let output = nestlint(clean.path(), &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).contains("No problems found in 1 file"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn missing_path_and_bad_arguments_exit_2() {
    let dir = project();
    let output = nestlint(dir.path(), &["does-not-exist"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("does-not-exist: no such file or directory"));
    let output = nestlint(dir.path(), &["--format", "fancy"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn pretty_format_shows_excerpt_rule_help_and_summary() {
    let dir = project();
    write(dir.path(), "src/auth.ts", HARDCODED);
    let out = stdout(&nestlint(dir.path(), &[]));
    assert!(out.contains("error[no-hardcoded-jwt-secret]"), "{out}");
    assert!(
        out.contains("JwtModule.register({ secret: 'x' });"),
        "{out}"
    );
    assert!(out.contains("help: "), "{out}");
    assert!(
        out.contains("Found 1 error and 0 warnings in 1 file"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no colour when not a terminal: {out}"
    );
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let root = repo_root();
    let one = stdout(&nestlint(
        &root,
        &[
            "--format",
            "concise",
            "--threads",
            "1",
            "examples",
            "fixtures",
        ],
    ));
    let two = stdout(&nestlint(
        &root,
        &[
            "--format",
            "concise",
            "--threads",
            "2",
            "examples",
            "fixtures",
        ],
    ));
    let eight = stdout(&nestlint(
        &root,
        &[
            "--format",
            "concise",
            "--threads",
            "8",
            "examples",
            "fixtures",
        ],
    ));
    assert!(!one.is_empty());
    assert_eq!(one, two);
    assert_eq!(one, eight);
    let mut sorted: Vec<&str> = one.lines().collect();
    sorted.sort_by_key(|line| line.split(':').next().unwrap_or("").to_owned());
    assert_eq!(
        one.lines().collect::<Vec<_>>(),
        sorted,
        "output is ordered by path"
    );
}

#[test]
fn skips_ignored_and_generated_directories_but_lints_named_files() {
    let dir = project();
    write(dir.path(), ".gitignore", "generated/\n");
    for skipped in [
        "node_modules/x/a.ts",
        "dist/a.ts",
        "build/a.ts",
        "coverage/a.ts",
        ".hidden/a.ts",
        "generated/a.ts",
        "src/types.d.ts",
    ] {
        write(dir.path(), skipped, HARDCODED);
    }
    write(dir.path(), "src/a.js", HARDCODED);
    write(dir.path(), "src/clean.ts", "export const x = 1;\n");
    let output = nestlint(dir.path(), &["--format", "concise"]);
    assert_eq!(stdout(&output), "", "{}", stdout(&output));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Named explicitly, an ignored file is linted.
    let output = nestlint(dir.path(), &["--format", "concise", "generated/a.ts"]);
    assert!(
        stdout(&output).contains("generated/a.ts:2:30"),
        "{}",
        stdout(&output)
    );
    // All TypeScript extensions are linted.
    for name in ["src/b.tsx", "src/c.mts", "src/d.cts"] {
        write(dir.path(), name, HARDCODED);
    }
    let out = stdout(&nestlint(dir.path(), &["--format", "concise", "src"]));
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn unreadable_binary_and_non_utf8_files_are_reported_and_the_run_goes_on() {
    let dir = project();
    write(dir.path(), "src/auth.ts", HARDCODED);
    fs::write(dir.path().join("src/binary.ts"), b"abc\0def").unwrap();
    fs::write(dir.path().join("src/latin1.ts"), b"const s = '\xe9';\n").unwrap();
    let output = nestlint(dir.path(), &["--format", "concise"]);
    let err = stderr(&output);
    assert!(err.contains("src/binary.ts: skipped: binary file"), "{err}");
    assert!(
        err.contains("src/latin1.ts: skipped: not valid UTF-8"),
        "{err}"
    );
    assert!(stdout(&output).contains("src/auth.ts:2:30"));
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn syntax_the_grammar_does_not_know_is_never_a_finding() {
    let dir = project();
    // Valid TypeScript that tree-sitter-typescript recovers from with error nodes.
    write(
        dir.path(),
        "src/raw.ts",
        "export async function q(prisma: any) {\n  return prisma.$queryRaw<number[]>`SELECT 1`;\n}\n",
    );
    let output = nestlint(dir.path(), &["--format", "concise"]);
    assert_eq!(stdout(&output), "");
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output)
        .contains("1 file has syntax the TypeScript grammar does not fully recognise"));
    let verbose = nestlint(dir.path(), &["--format", "concise", "--verbose"]);
    assert!(
        stderr(&verbose).contains("src/raw.ts"),
        "{}",
        stderr(&verbose)
    );
}

#[test]
fn monorepo_app_gets_the_same_findings_from_root_and_from_inside() {
    let root = repo_root().join("fixtures/projects/monorepo");
    let from_root = stdout(&nestlint(&root, &["--format", "concise"]));
    let inside = stdout(&nestlint(
        &root.join("apps/admin"),
        &["--format", "concise"],
    ));
    assert!(
        from_root.contains("apps/admin/src/app.module.ts:4:14: warning [routes-guarded]"),
        "{from_root}"
    );
    assert_eq!(inside.trim(), from_root.trim().replace("apps/admin/", ""));
    // The api app is covered by the library's APP_GUARD even when linted alone.
    let api = nestlint(&root.join("apps/api"), &["--format", "concise"]);
    assert_eq!(stdout(&api), "");
}

#[test]
fn a_single_file_is_linted_with_its_project_as_context() {
    let root = repo_root().join("examples/shop-api");
    let out = stdout(&nestlint(
        &root,
        &["--format", "concise", "src/auth/auth.module.ts"],
    ));
    // The secret constant lives in another file; only the named file is reported.
    assert_eq!(
        out,
        "src/auth/auth.module.ts:7:42: error [no-hardcoded-jwt-secret] JWT secret comes from `jwtConstants.secret`, a hard-coded string constant\n"
    );
}

#[test]
fn version_and_help() {
    let dir = project();
    let version = nestlint(dir.path(), &["--version"]);
    assert_eq!(
        stdout(&version).trim(),
        format!("nestlint {}", env!("CARGO_PKG_VERSION"))
    );
    let help = stdout(&nestlint(dir.path(), &["--help"]));
    assert!(
        help.contains("Examples:") && help.contains("--format"),
        "{help}"
    );
}

/// A controller that imports many DTOs (the index looks such a file's imports up in a table rather
/// than scanning them for every name): every DTO still resolves, so each unvalidated property is
/// reported, and validated ones are not.
#[test]
fn a_file_with_many_imports_resolves_every_import() {
    const DTOS: usize = 40;
    let lint = |validated: bool| {
        let dir = project();
        let root = dir.path();
        let mut controller =
            String::from("import { Body, Controller, Post } from '@nestjs/common';\n");
        let mut handlers = String::new();
        for i in 0..DTOS {
            controller.push_str(&format!("import {{ Dto{i} }} from './dto{i}';\n"));
            handlers.push_str(&format!("  @Post('{i}') c{i}(@Body() body: Dto{i}) {{}}\n"));
            let property = if validated {
                "@IsString() name: string;"
            } else {
                "name: string;"
            };
            write(
                root,
                &format!("src/dto{i}.ts"),
                &format!(
                    "import {{ IsString }} from 'class-validator';\n\
                     export class Dto{i} {{\n  {property}\n}}\n"
                ),
            );
        }
        controller.push_str(&format!(
            "@Controller('c')\nexport class C {{\n{handlers}}}\n"
        ));
        write(root, "src/c.controller.ts", &controller);
        let output = nestlint(
            root,
            &[
                "--format",
                "concise",
                "--select",
                "request-dto-validation",
                ".",
            ],
        );
        stdout(&output)
    };
    let unvalidated = lint(false);
    assert_eq!(unvalidated.lines().count(), DTOS, "{unvalidated}");
    assert!(unvalidated.contains("src/dto39.ts:"), "{unvalidated}");
    assert_eq!(lint(true), "");
}

#[test]
fn quiet_reports_errors_only_and_exit_zero_always_exits_0() {
    let dir = project();
    write(dir.path(), "src/auth.ts", HARDCODED);
    write(dir.path(), "src/a.controller.ts", UNGUARDED);
    let all = stdout(&nestlint(dir.path(), &["-f", "concise"]));
    assert_eq!(all.lines().count(), 2, "{all}");
    for quiet in ["-q", "--quiet"] {
        let output = nestlint(dir.path(), &[quiet, "-f", "concise"]);
        assert_eq!(code(&output), 1);
        let out = stdout(&output);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains("error [no-hardcoded-jwt-secret]"), "{out}");
    }
    // Warnings are not counted either: --max-warnings cannot fail a quiet run.
    let output = nestlint(
        dir.path(),
        &["-q", "--max-warnings", "0", "--select", "routes-guarded"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stdout(&output).contains("No problems found"),
        "{}",
        stdout(&output)
    );
    // JSON follows the same filter.
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&nestlint(dir.path(), &["-q", "-f", "json"]))).unwrap();
    assert_eq!(json["summary"]["warnings"], 0);
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 1);

    let output = nestlint(dir.path(), &["--exit-zero", "-f", "concise"]);
    assert_eq!(code(&output), 0);
    assert_eq!(stdout(&output).lines().count(), 2);
    // A failed run still exits 2.
    assert_eq!(code(&nestlint(dir.path(), &["--exit-zero", "missing"])), 2);
}

#[test]
fn short_flags_and_the_check_command() {
    let dir = project();
    write(dir.path(), "src/auth.ts", HARDCODED);
    write(
        dir.path(),
        "other.toml",
        "[rules]\nno-hardcoded-jwt-secret = \"warn\"\n",
    );
    let long = stdout(&nestlint(
        dir.path(),
        &["--format", "concise", "--config", "other.toml"],
    ));
    assert!(
        long.contains(": warning [no-hardcoded-jwt-secret]"),
        "{long}"
    );
    let short = nestlint(dir.path(), &["-f", "concise", "-c", "other.toml"]);
    assert_eq!(stdout(&short), long);
    // `nestlint check` is the default command, spelt as ruff users type it.
    let check = nestlint(
        dir.path(),
        &["check", "-f", "concise", "-c", "other.toml", "."],
    );
    assert_eq!(code(&check), 0);
    assert_eq!(stdout(&check), long);
    let check = nestlint(dir.path(), &["check", "src/auth.ts", "--format", "concise"]);
    assert_eq!(code(&check), 1);
    assert!(stdout(&check).starts_with("src/auth.ts:2:30: error"));
    let help = stdout(&nestlint(dir.path(), &["check", "--help"]));
    assert!(
        help.contains("--exit-zero") && help.contains("--quiet"),
        "{help}"
    );
}

#[test]
fn colour_follows_the_flag_then_the_environment() {
    let dir = project();
    write(dir.path(), "src/auth.ts", HARDCODED);
    let coloured = |output: &std::process::Output| stdout(output).contains("\u{1b}[");
    let run =
        |args: &[&str], env: &[(&str, &str)]| common::nestlint_with_env(dir.path(), args, env);
    // Not a terminal: no colour by default.
    assert!(!coloured(&run(&[], &[])));
    assert!(coloured(&run(&["--color", "always"], &[])));
    assert!(coloured(&run(&[], &[("FORCE_COLOR", "1")])));
    assert!(coloured(&run(&[], &[("CLICOLOR_FORCE", "1")])));
    assert!(!coloured(&run(&[], &[("FORCE_COLOR", "0")])));
    // FORCE_COLOR outranks NO_COLOR (as in Node); the flag outranks both.
    assert!(coloured(&run(
        &[],
        &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!coloured(&run(
        &["--color", "never"],
        &[("FORCE_COLOR", "1")]
    )));
    assert!(coloured(&run(&["--color", "always"], &[("NO_COLOR", "1")])));
    // Errors on stderr follow the same choice.
    let bad = run(&["--color", "always", "--select", "nope"], &[]);
    assert!(stderr(&bad).contains("\u{1b}["), "{}", stderr(&bad));

    // Where the terminal shows links, the rule id links to its documentation page.
    let link = "\u{1b}]8;;https://github.com/nestlint/nestlint/blob/main/docs/rules/no-hardcoded-jwt-secret.md\u{1b}\\no-hardcoded-jwt-secret\u{1b}]8;;\u{1b}\\";
    let linked = run(&["--color", "always"], &[("FORCE_HYPERLINK", "1")]);
    assert!(stdout(&linked).contains(link), "{:?}", stdout(&linked));
    assert!(!stdout(&run(&["--color", "always"], &[])).contains("\u{1b}]8;;"));
    assert!(
        !stdout(&run(&["--color", "never"], &[("FORCE_HYPERLINK", "1")])).contains("\u{1b}]8;;")
    );
}

#[test]
fn a_directory_with_nothing_to_lint_is_an_error_naming_it() {
    let dir = project();
    write(dir.path(), "docs/README.md", "# docs\n");
    write(dir.path(), "src/app.ts", "export const x = 1;\n");
    let output = nestlint(dir.path(), &["docs"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("nestlint: error: docs: no TypeScript file to lint"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());
    // Every such directory is named, even next to one that has files.
    let output = nestlint(dir.path(), &["src", "docs"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("docs: no TypeScript file"));
    assert!(!stderr(&output).contains("src: no TypeScript file"));
    // ESLint's escape hatch.
    let output = nestlint(dir.path(), &["--no-error-on-unmatched-pattern", "docs"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).contains("No problems found in 0 files"));
    // Files the configuration excludes: said so.
    write(dir.path(), "nestlint.toml", "exclude = [\"src/**\"]\n");
    let output = nestlint(dir.path(), &["src"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("src: no TypeScript file to lint (its one TypeScript file is excluded by the configuration)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_named_file_that_is_not_typescript_is_reported_and_skipped() {
    let dir = project();
    write(
        dir.path(),
        "README.md",
        "# JwtModule.register({ secret: 'x' })\n",
    );
    write(dir.path(), "src/types.d.ts", "declare const x: string;\n");
    write(dir.path(), "src/auth.ts", HARDCODED);
    let output = nestlint(
        dir.path(),
        &[
            "-f",
            "concise",
            "README.md",
            "src/types.d.ts",
            "src/auth.ts",
        ],
    );
    assert_eq!(code(&output), 1);
    let err = stderr(&output);
    assert!(
        err.contains("nestlint: README.md: skipped: not a TypeScript file"),
        "{err}"
    );
    assert!(
        err.contains("nestlint: src/types.d.ts: skipped: a declaration file"),
        "{err}"
    );
    assert_eq!(stdout(&output).lines().count(), 1, "{}", stdout(&output));
    assert!(stdout(&output).starts_with("src/auth.ts:"));
    // A hook passing every staged file skips them silently.
    let output = nestlint(dir.path(), &["--force-exclude", "README.md"]);
    assert_eq!(code(&output), 0);
    assert!(
        !stderr(&output).contains("README.md"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn selecting_a_category_selects_its_rules_only() {
    let dir = project();
    write(dir.path(), "src/auth.ts", HARDCODED);
    write(
        dir.path(),
        "src/reports.service.ts",
        "import { Injectable } from '@nestjs/common';\nimport { readFileSync } from 'fs';\n\n\
         @Injectable()\nexport class ReportsService {\n  read(name: string) {\n    \
         return readFileSync(name, 'utf8');\n  }\n}\n",
    );
    // The secret is a security finding; the synchronous read is the only performance one.
    let output = nestlint(
        dir.path(),
        &["--select", "performance", "--format", "concise"],
    );
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    let out = stdout(&output);
    assert!(out.contains("no-sync-io"), "{out}");
    assert!(!out.contains("no-hardcoded-jwt-secret"), "{out}");
    let output = nestlint(
        dir.path(),
        &["--deny", "performance", "--format", "concise"],
    );
    assert_eq!(code(&output), 1, "{}", stdout(&output));
    assert_eq!(code(&nestlint(dir.path(), &["--ignore", "performance"])), 1);
    assert_eq!(
        code(&nestlint(dir.path(), &["--select", "unknown-rule"])),
        2
    );
}

#[test]
fn rules_off_by_default_run_only_when_turned_on() {
    let dir = project();
    write(
        dir.path(),
        "src/app.module.ts",
        "import { Module } from '@nestjs/common';\nimport { B, A } from './x';\n\n@Module({ providers: [B, A] })\nexport class AppModule {}\n",
    );
    let rule = "sort-module-metadata";
    let off = nestlint(dir.path(), &["-f", "concise"]);
    assert!(!stdout(&off).contains(rule), "{}", stdout(&off));
    for args in [
        vec!["-f", "concise", "--select", rule],
        vec!["-f", "concise", "--select", "style"],
        vec!["-f", "concise", "--warn", rule],
    ] {
        let on = nestlint(dir.path(), &args);
        assert!(stdout(&on).contains(rule), "{args:?}: {}", stdout(&on));
    }
    write(
        dir.path(),
        "nestlint.toml",
        "[rules]\nsort-module-metadata = \"error\"\n",
    );
    let configured = nestlint(dir.path(), &["-f", "concise"]);
    assert!(
        stdout(&configured).contains(rule),
        "{}",
        stdout(&configured)
    );
    assert_eq!(code(&configured), 1);
    // `nestlint rules` says it is off.
    let rules = nestlint(dir.path(), &["rules"]);
    let row = stdout(&rules)
        .lines()
        .find(|l| l.starts_with(rule))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(row.contains("off"), "{row}");
}

#[cfg(unix)]
#[test]
fn output_file_is_an_ordinary_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project();
    write(dir.path(), "src/auth.ts", HARDCODED);
    let report = dir.path().join("report.json");
    nestlint(dir.path(), &["-f", "json", "-o", "report.json"]);
    // 0666 less the umask, like a shell redirect; readable by the group and others under the
    // usual 022 (the umask cannot be read without libc, so compare with a file made here).
    let reference = dir.path().join("reference");
    fs::write(&reference, "").unwrap();
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&report), mode(&reference));
    // An existing report keeps its mode.
    fs::set_permissions(&report, fs::Permissions::from_mode(0o640)).unwrap();
    nestlint(dir.path(), &["-f", "json", "-o", "report.json"]);
    assert_eq!(mode(&report), 0o640);
}

#[test]
fn a_multi_line_pattern_is_quoted_on_one_line() {
    let dir = project();
    write(
        dir.path(),
        "src/y.controller.ts",
        "import { Body, Controller, Post, UseGuards } from '@nestjs/common';\n\
         @UseGuards(G)\n@Controller('y')\nexport class YController {\n  \
         @Post() d(@Body() {\n\ta,\n\tb\n  }: any) {}\n}\n",
    );
    let output = nestlint(dir.path(), &["-f", "concise"]);
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("`@Body()` parameter `{ a, b }` is typed `any`"),
        "{out}"
    );
}

#[test]
fn findings_do_not_depend_on_the_directory_nestlint_starts_in() {
    // A monorepo: applications and libraries reach each other by package name and by a
    // tsconfig path alias. Each directory's findings must be those of a run from the root.
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    common::copy_tree(&repo_root().join("fixtures/projects/workspace"), root);
    let from_root = stdout(&nestlint(root, &["-f", "concise"]));
    assert!(from_root.lines().count() >= 4, "{from_root}");
    for dir in [
        "packages/reports",
        "packages/contracts",
        "apps/admin",
        "apps/api",
    ] {
        let expected: Vec<&str> = from_root
            .lines()
            .filter(|line| line.starts_with(&format!("{dir}/")))
            .collect();
        let output = nestlint(&root.join(dir), &["-f", "concise"]);
        let out = stdout(&output);
        let got: Vec<String> = out.lines().map(|line| format!("{dir}/{line}")).collect();
        assert_eq!(got, expected, "from {dir}: {}", stderr(&output));
        // Naming the directory from the root gives the same again.
        let named = stdout(&nestlint(root, &["-f", "concise", dir]));
        assert_eq!(named.lines().collect::<Vec<_>>(), expected, "naming {dir}");
    }
    // Each of those directories has findings: the comparison is not between empty lists.
    for dir in ["packages/reports", "packages/contracts", "apps/admin"] {
        assert!(
            from_root.contains(&format!("{dir}/")),
            "{dir} in {from_root}"
        );
    }
}
