//! End-to-end tests of the `nestlint` binary: exit codes, formats, discovery, bad input.

mod common;

use std::fs;

use common::{nestlint, project, repo_root, stderr, stdout, write, HARDCODED, UNGUARDED};

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
    let output = nestlint(dir.path(), &["--format", "concise"]);
    assert_eq!(stdout(&output), "", "{}", stdout(&output));
    assert_eq!(output.status.code(), Some(0));
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
