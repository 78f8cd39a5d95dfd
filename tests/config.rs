//! End-to-end tests of configuration, rule selection, suppression comments and baselines.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{nestlint, stderr, stdout, write, HARDCODED, UNGUARDED};

/// Concise output lines, as `path rule severity` for compact assertions.
fn findings(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .map(|line| {
            let (location, rest) = line.split_once(": ").unwrap();
            let path = location.split(':').next().unwrap();
            let (severity, rest) = rest.split_once(" [").unwrap();
            let rule = rest.split(']').next().unwrap();
            format!("{path} {rule} {severity}")
        })
        .collect()
}

/// The common project with an unguarded controller and a hard-coded JWT secret.
fn project() -> tempfile::TempDir {
    let dir = common::project();
    write(dir.path(), "src/a.controller.ts", UNGUARDED);
    write(dir.path(), "src/jwt.ts", HARDCODED);
    dir
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, Vec<String>) {
    let mut all = vec!["--format", "concise"];
    all.extend_from_slice(args);
    let output = nestlint(dir, &all);
    (output.status.code(), findings(&output))
}

#[test]
fn defaults_without_a_config() {
    let dir = project();
    let (code, found) = run(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(
        found,
        [
            "src/a.controller.ts routes-guarded warning",
            "src/jwt.ts no-hardcoded-jwt-secret error"
        ]
    );
}

#[test]
fn categories_rules_and_overrides_in_order_of_precedence() {
    let dir = project();
    write(
        dir.path(),
        "nestlint.toml",
        r#"
root = true
[categories]
security = "off"          # both rules are security rules
[rules]
routes-guarded = "error"  # a rule beats its category in the same file
[[overrides]]
files = ["*.controller.ts"]
rules = { routes-guarded = "warn" }
"#,
    );
    let (code, found) = run(dir.path(), &["."]);
    assert_eq!(code, Some(0));
    assert_eq!(found, ["src/a.controller.ts routes-guarded warning"]);
}

#[test]
fn nearest_config_wins_parents_merge_below_it_and_root_stops_the_search() {
    let dir = project();
    write(
        dir.path(),
        "nestlint.toml",
        "[rules]\nroutes-guarded = \"error\"\nno-hardcoded-jwt-secret = \"off\"\n",
    );
    write(
        dir.path(),
        "src/nestlint.toml",
        "[rules]\nroutes-guarded = \"warn\"\n",
    );
    let (_, found) = run(dir.path(), &["."]);
    // The nested config sets routes-guarded; the parent's jwt setting still applies below it.
    assert_eq!(found, ["src/a.controller.ts routes-guarded warning"]);

    write(
        dir.path(),
        "src/nestlint.toml",
        "root = true\n[rules]\nroutes-guarded = \"warn\"\n",
    );
    let (_, found) = run(dir.path(), &["."]);
    assert_eq!(
        found,
        [
            "src/a.controller.ts routes-guarded warning",
            "src/jwt.ts no-hardcoded-jwt-secret error"
        ]
    );
}

#[test]
fn extends_merges_the_base_first_and_cycles_are_errors() {
    let dir = project();
    write(
        dir.path(),
        "shared/base.toml",
        "[rules]\nroutes-guarded = \"off\"\nno-hardcoded-jwt-secret = \"warn\"\n",
    );
    write(dir.path(), "nestlint.toml", "root = true\nextends = [\"shared/base.toml\"]\n[rules]\nno-hardcoded-jwt-secret = \"error\"\n");
    let (code, found) = run(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(found, ["src/jwt.ts no-hardcoded-jwt-secret error"]);

    write(
        dir.path(),
        "shared/base.toml",
        "extends = [\"../nestlint.toml\"]\n",
    );
    let output = nestlint(dir.path(), &["."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`extends` forms a cycle"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn cli_flags_beat_the_config() {
    let dir = project();
    write(
        dir.path(),
        "nestlint.toml",
        "root = true\n[rules]\nroutes-guarded = \"off\"\n",
    );
    let (_, found) = run(dir.path(), &["--select", "routes-guarded", "."]);
    assert_eq!(found, ["src/a.controller.ts routes-guarded warning"]);
    let (code, found) = run(
        dir.path(),
        &["--select", "security", "--deny", "routes-guarded", "."],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        found,
        [
            "src/a.controller.ts routes-guarded error",
            "src/jwt.ts no-hardcoded-jwt-secret error"
        ]
    );
    let (code, found) = run(dir.path(), &["--warn", "no-hardcoded-jwt-secret", "."]);
    assert_eq!(code, Some(0));
    assert_eq!(found, ["src/jwt.ts no-hardcoded-jwt-secret warning"]);
    let (_, found) = run(dir.path(), &["--ignore", "security", "."]);
    assert!(found.is_empty());
    let (_, found) = run(
        dir.path(),
        &["--no-config", "--ignore", "no-hardcoded-jwt-secret", "."],
    );
    assert_eq!(found, ["src/a.controller.ts routes-guarded warning"]);
}

#[test]
fn max_warnings_turns_warnings_into_a_failing_exit() {
    let dir = project();
    let (code, _) = run(
        dir.path(),
        &[
            "--ignore",
            "no-hardcoded-jwt-secret",
            "--max-warnings",
            "1",
            ".",
        ],
    );
    assert_eq!(code, Some(0));
    let (code, _) = run(
        dir.path(),
        &[
            "--ignore",
            "no-hardcoded-jwt-secret",
            "--max-warnings",
            "0",
            ".",
        ],
    );
    assert_eq!(code, Some(1));
}

#[test]
fn include_exclude_and_force_exclude() {
    let dir = project();
    write(
        dir.path(),
        "src/generated/b.controller.ts",
        &UNGUARDED.replace("AController", "BController"),
    );
    write(
        dir.path(),
        "nestlint.toml",
        "root = true\nexclude = [\"generated\", \"jwt.ts\"]\n",
    );
    let (_, found) = run(dir.path(), &["."]);
    assert_eq!(found, ["src/a.controller.ts routes-guarded warning"]);
    // Named explicitly: linted, unless --force-exclude.
    let (_, found) = run(dir.path(), &["src/jwt.ts"]);
    assert_eq!(found, ["src/jwt.ts no-hardcoded-jwt-secret error"]);
    let (code, found) = run(dir.path(), &["--force-exclude", "src/jwt.ts"]);
    assert_eq!(code, Some(0));
    assert!(found.is_empty());
    write(
        dir.path(),
        "nestlint.toml",
        "root = true\ninclude = [\"src/jwt.ts\"]\n",
    );
    let (_, found) = run(dir.path(), &["."]);
    assert_eq!(found, ["src/jwt.ts no-hardcoded-jwt-secret error"]);
}

#[test]
fn rule_options_are_typed() {
    let dir = project();
    write(
        dir.path(),
        "src/health.controller.ts",
        "import { Controller, Get } from '@nestjs/common';\nimport { HealthCheck } from '@nestjs/terminus';\n\
@Controller('health')\nexport class HealthController {\n  @HealthCheck() @Get() check() {}\n}\n",
    );
    write(
        dir.path(),
        "nestlint.toml",
        "root = true\n[rules]\nno-hardcoded-jwt-secret = \"off\"\nroutes-guarded = { level = \"error\", public-decorators = [\"HealthCheck\"] }\n",
    );
    let (_, found) = run(dir.path(), &["."]);
    assert_eq!(found, ["src/a.controller.ts routes-guarded error"]);

    write(
        dir.path(),
        "nestlint.toml",
        "root = true\n[rules]\nroutes-guarded = { level = \"error\", public-decorator = [\"HealthCheck\"] }\n",
    );
    let output = nestlint(dir.path(), &["."]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("unknown field `public-decorator`"), "{err}");
    assert!(err.contains("did you mean `public-decorators`?"), "{err}");
}

#[test]
fn bad_configuration_points_into_the_file_with_a_suggestion() {
    let dir = project();
    write(
        dir.path(),
        "nestlint.toml",
        "root = true\n\n[rules]\nroutes-gaurded = \"error\"\n",
    );
    let output = nestlint(dir.path(), &["."]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("unknown rule `routes-gaurded`"), "{err}");
    assert!(err.contains("nestlint.toml:4:1"), "{err}");
    assert!(err.contains("did you mean `routes-guarded`?"), "{err}");

    write(dir.path(), "nestlint.toml", "rot = true\n");
    let err = stderr(&nestlint(dir.path(), &["."]));
    assert!(err.contains("unknown field `rot`"), "{err}");
    assert!(err.contains("nestlint.toml:1:1"), "{err}");
    assert!(err.contains("did you mean `root`?"), "{err}");

    write(
        dir.path(),
        "nestlint.toml",
        "[categories]\nsecurity = \"warning\"\n",
    );
    let err = stderr(&nestlint(dir.path(), &["."]));
    assert!(err.contains("unknown level `warning`"), "{err}");
    assert!(err.contains("did you mean `warn`?"), "{err}");

    let output = nestlint(
        dir.path(),
        &["--no-config", "--select", "routes-gaurded", "."],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("did you mean `routes-guarded`?"));
}

#[test]
fn print_config_and_init() {
    let dir = project();
    let output = nestlint(dir.path(), &["init"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written = fs::read_to_string(dir.path().join("nestlint.toml")).unwrap();
    assert!(written.contains("root = true"));
    assert!(written.contains("# routes-guarded = \"warn\""));
    // The starter file is valid and changes nothing.
    let (code, found) = run(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(found.len(), 2);
    // A second init does not overwrite.
    assert_eq!(nestlint(dir.path(), &["init"]).status.code(), Some(2));

    write(dir.path(), "nestlint.toml", "root = true\n[[overrides]]\nfiles = [\"*.controller.ts\"]\nrules = { routes-guarded = { level = \"error\", public-decorators = [\"X\"] } }\n");
    let output = nestlint(dir.path(), &["--print-config", "src/a.controller.ts"]);
    assert_eq!(output.status.code(), Some(0));
    let printed = stdout(&output);
    assert!(
        printed.contains("routes-guarded = { level = \"error\", public-decorators = [\"X\"] }")
            || printed.contains("public-decorators = [\"X\"], level = \"error\""),
        "{printed}"
    );
    assert!(
        printed.contains("no-hardcoded-jwt-secret = \"error\""),
        "{printed}"
    );
    let printed = stdout(&nestlint(dir.path(), &["--print-config", "src/jwt.ts"]));
    assert!(printed.contains("routes-guarded = \"warn\""), "{printed}");
}

#[test]
fn init_in_a_subdirectory_keeps_the_parent_configuration() {
    let dir = project();
    write(
        dir.path(),
        "nestlint.toml",
        "root = true\n[rules]\nroutes-guarded = \"error\"\n",
    );
    let (_, before) = run(dir.path(), &["."]);
    assert!(before.contains(&"src/a.controller.ts routes-guarded error".to_owned()));
    let output = nestlint(&dir.path().join("src"), &["init"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("it is merged on top of"),
        "{}",
        stderr(&output)
    );
    let written = fs::read_to_string(dir.path().join("src/nestlint.toml")).unwrap();
    assert!(written.contains("# root = true"), "{written}");
    assert!(!written.contains("\nroot = true"), "{written}");
    // The parent's settings still apply below the new file: nothing changed.
    let (_, after) = run(dir.path(), &["."]);
    assert_eq!(after, before);
}

#[test]
fn every_suppression_form() {
    let dir = project();
    write(
        dir.path(),
        "src/a.controller.ts",
        "import { Controller, Get } from '@nestjs/common';\n\
// nestlint-ignore-next-line routes-guarded -- public\n\
@Controller('a')\nexport class AController {\n  @Get() list() {}\n}\n",
    );
    write(
        dir.path(),
        "src/jwt.ts",
        "/* nestlint-ignore-file no-hardcoded-jwt-secret -- test keys only */\n\
import { JwtModule } from '@nestjs/jwt';\nJwtModule.register({ secret: 'x' });\n",
    );
    write(
        dir.path(),
        "src/b.ts",
        "import { JwtModule } from '@nestjs/jwt';\n\
JwtModule.register({ secret: 'x' }); // nestlint-ignore no-hardcoded-jwt-secret -- fixture\n\
// nestlint-disable no-hardcoded-jwt-secret\n\
JwtModule.register({ secret: 'y' });\n\
JwtModule.register({ secret: 'z' });\n\
// nestlint-enable no-hardcoded-jwt-secret\n\
JwtModule.register({ secret: 'after' });\n",
    );
    let (code, found) = run(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(found, ["src/b.ts no-hardcoded-jwt-secret error"]);
    let out = stdout(&nestlint(dir.path(), &["--format", "concise", "."]));
    assert!(out.starts_with("src/b.ts:7:"), "{out}");
}

#[test]
fn eslint_spellings_suppress_and_hints_never_widen() {
    let dir = common::project();
    let controller = |name: &str, comment: &str| {
        format!(
            "import {{ Controller, Get }} from '@nestjs/common';\n\
{comment}\n@Controller('{name}')\nexport class {name}Controller {{\n  @Get() list() {{}}\n}}\n\
@Controller('{name}-2')\nexport class Second{name}Controller {{\n  @Get() list() {{}}\n}}\n"
        )
    };
    write(
        dir.path(),
        "src/a.controller.ts",
        &controller(
            "A",
            "// nestlint-disable-next-line routes-guarded -- public",
        ),
    );
    let (code, found) = run(dir.path(), &["."]);
    assert_eq!(code, Some(0));
    // The second controller is still reported: the comment reached one declaration only.
    assert_eq!(found, ["src/a.controller.ts routes-guarded warning"]);

    // A misspelling is an error whose hint keeps the reach typed: following it hides one
    // declaration, not the rest of the file.
    write(
        dir.path(),
        "src/a.controller.ts",
        &controller("A", "// nestlint-disable-nextline routes-guarded -- public"),
    );
    let output = nestlint(dir.path(), &["."]);
    assert_eq!(common::code(&output), 1);
    let out = stdout(&output);
    assert!(
        out.contains("`nestlint-disable-nextline` is not a nestlint directive"),
        "{out}"
    );
    assert!(
        out.contains("did you mean `nestlint-disable-next-line`?"),
        "{out}"
    );
}

#[test]
fn require_reason_and_unused_suppressions_are_configurable() {
    let dir = project();
    write(
        dir.path(),
        "src/a.controller.ts",
        "import { Controller, Get } from '@nestjs/common';\n\
// nestlint-ignore-next-line routes-guarded\n\
@Controller('a')\nexport class AController {\n  @Get() list() {}\n}\n\
// nestlint-ignore-next-line routes-guarded -- nothing here\n\
export const x = 1;\n",
    );
    write(
        dir.path(),
        "nestlint.toml",
        "root = true\n[suppressions]\nrequire-reason = true\n",
    );
    let (code, found) = run(dir.path(), &["--ignore", "no-hardcoded-jwt-secret", "."]);
    assert_eq!(code, Some(1));
    assert_eq!(
        found,
        [
            "src/a.controller.ts invalid-suppression error",
            "src/a.controller.ts unused-suppression warning"
        ]
    );
    // Unused suppressions of a rule that does not run are not reported.
    let (_, found) = run(
        dir.path(),
        &[
            "--select",
            "no-hardcoded-jwt-secret,unused-suppression",
            ".",
        ],
    );
    assert_eq!(found, ["src/jwt.ts no-hardcoded-jwt-secret error"]);
    // Both are rules like any other.
    let (code, found) = run(
        dir.path(),
        &[
            "--ignore",
            "no-hardcoded-jwt-secret,unused-suppression,invalid-suppression",
            ".",
        ],
    );
    assert_eq!(code, Some(0));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn baseline_cycle() {
    let dir = project();
    let (code, found) = run(dir.path(), &["."]);
    assert_eq!((code, found.len()), (Some(1), 2));

    // Write, then re-run clean.
    let output = nestlint(dir.path(), &["--write-baseline", "baseline.json", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (code, found) = run(dir.path(), &["--baseline", "baseline.json", "."]);
    assert_eq!((code, found.len()), (Some(0), 0));

    // Move code down: still clean.
    let moved = format!(
        "// a comment\n\n\n{}",
        fs::read_to_string(dir.path().join("src/jwt.ts")).unwrap()
    );
    write(dir.path(), "src/jwt.ts", &moved);
    let (code, found) = run(dir.path(), &["--baseline", "baseline.json", "."]);
    assert_eq!((code, found.len()), (Some(0), 0));

    // A new violation of the same rule in the same file is reported.
    write(
        dir.path(),
        "src/jwt.ts",
        &format!("{moved}JwtModule.register({{ secret: 'new' }});\n"),
    );
    let (code, found) = run(dir.path(), &["--baseline", "baseline.json", "."]);
    assert_eq!(code, Some(1));
    assert_eq!(found, ["src/jwt.ts no-hardcoded-jwt-secret error"]);

    // Fixing a baselined finding makes its entry stale: exit 3 and a distinct message.
    write(dir.path(), "src/jwt.ts", "export const nothing = 1;\n");
    let output = nestlint(
        dir.path(),
        &["--format", "concise", "--baseline", "baseline.json", "."],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("stale baseline entry: no-hardcoded-jwt-secret in src/jwt.ts"));

    // Pruning drops it.
    let output = nestlint(
        dir.path(),
        &["--baseline", "baseline.json", "--prune-baseline", "."],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (code, _) = run(dir.path(), &["--baseline", "baseline.json", "."]);
    assert_eq!(code, Some(0));
    let text = fs::read_to_string(dir.path().join("baseline.json")).unwrap();
    assert!(!text.contains("no-hardcoded-jwt-secret"), "{text}");
    assert!(text.contains("routes-guarded"), "{text}");
}
