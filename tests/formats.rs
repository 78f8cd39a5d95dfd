//! End-to-end tests of the output formats on the example app (each snapshotted in
//! `tests/snapshots/`), SARIF validation (the 2.1.0 JSON schema and the typed model; Microsoft's
//! SARIF multitool runs in `tests/external.rs`), exit codes per format, `--output-file`,
//! `--statistics`, and the rule documentation commands.

mod common;

use std::path::{Path, PathBuf};

use common::{code, nestlint, nestlint_with_env, repo_root, stderr, stdout};

fn example() -> PathBuf {
    std::path::absolute(repo_root().join("examples/shop-api")).unwrap()
}

const FORMATS: [&str; 8] = [
    "pretty",
    "concise",
    "json",
    "sarif",
    "github",
    "junit",
    "gitlab",
    "checkstyle",
];

/// What is machine-specific in an output: the absolute working directory, timings.
fn redact(text: &str) -> String {
    // nestlint reports the working directory as the OS resolves it.
    let cwd = std::fs::canonicalize(example())
        .unwrap()
        .display()
        .to_string();
    let mut out = text.replace(&format!("file://{cwd}/"), "file:///WORKDIR/");
    while let Some(start) = out.find(" ms)") {
        let digits = out[..start]
            .rfind('(')
            .filter(|open| out[open + 1..start].chars().all(|c| c.is_ascii_digit()));
        match digits {
            Some(open) => out.replace_range(open + 1..start, "N"),
            None => break,
        }
    }
    out
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_owned(), redact(text)));
}

fn example_output(format: &str) -> String {
    let output = nestlint(&example(), &["--format", format, "."]);
    assert_eq!(code(&output), 1, "{format}: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn every_format_on_the_example_app() {
    for format in FORMATS {
        snapshot(&format!("example.{format}"), &example_output(format));
    }
}

#[test]
fn json_follows_the_documented_schema() {
    let document: serde_json::Value = serde_json::from_str(&example_output("json")).unwrap();
    assert_eq!(document["version"], 1);
    assert_eq!(document["tool"]["name"], "nestlint");
    let diagnostics = document["diagnostics"].as_array().unwrap();
    assert_eq!(
        document["summary"]["errors"].as_u64().unwrap()
            + document["summary"]["warnings"].as_u64().unwrap(),
        diagnostics.len() as u64
    );
    for d in diagnostics {
        for key in [
            "rule", "category", "severity", "message", "path", "start", "end", "labels",
        ] {
            assert!(!d[key].is_null(), "{key} missing in {d}");
        }
        assert!(d["start"]["line"].as_u64().unwrap() >= 1);
        assert!(d["start"]["column"].as_u64().unwrap() >= 1);
        assert!(d["end"]["offset"].as_u64() >= d["start"]["offset"].as_u64());
    }
    let fixed = diagnostics
        .iter()
        .find(|d| !d["fix"].is_null())
        .expect("the example has a fixable finding");
    assert_eq!(fixed["fix"]["applicability"], "safe");
    assert_eq!(fixed["fix"]["path"], "src/orders/orders.service.ts");
    assert!(!fixed["fix"]["edits"].as_array().unwrap().is_empty());
}

fn sarif_schema() -> serde_json::Value {
    // The schema ships in the serde-sarif package (a dev-dependency); cargo knows where.
    let metadata = common::cargo_metadata();
    let manifest = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif is a dev-dependency");
    let schema = Path::new(manifest)
        .parent()
        .unwrap()
        .join("src/schema.json");
    serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap()
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let text = example_output("sarif");
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The official schema's `language` patterns have a stray `]`, which JavaScript reads as a
    // literal and Rust's regex engines reject: escape it, which keeps its meaning.
    let schema: serde_json::Value = serde_json::from_str(
        &sarif_schema()
            .to_string()
            .replace("[a-zA-Z]{2}]?$", "[a-zA-Z]{2}\\\\]?$"),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    // The validation has teeth: a wrong version is refused.
    let mut broken = document.clone();
    broken["version"] = serde_json::Value::String("2.0.0".into());
    assert!(!validator.is_valid(&broken));
    serde_json::from_str::<serde_sarif::sarif::Sarif>(&text)
        .expect("the typed SARIF model reads it");

    let run = &document["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        // Sources, and the TypeScript configuration `tsconfig-strict` reports.
        assert!(
            uri.starts_with("src/") || uri == "tsconfig.json",
            "{uri} is not relative to %SRCROOT%"
        );
        assert!(result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap()
            .contains(':'));
    }
    for rule in rules {
        for key in [
            "shortDescription",
            "fullDescription",
            "help",
            "helpUri",
            "defaultConfiguration",
        ] {
            assert!(!rule[key].is_null(), "rule {} lacks {key}", rule["id"]);
        }
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn xml_formats_are_well_formed() {
    for format in ["junit", "checkstyle"] {
        let text = example_output(format);
        let document =
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{format}: {e}"));
        let failures = document
            .descendants()
            .filter(|n| n.has_tag_name("failure") || n.has_tag_name("error"))
            .count();
        assert_eq!(failures, 14, "{format}");
    }
}

#[test]
fn exit_codes_are_the_same_in_every_format() {
    // Only warnings: exit 0, unless --max-warnings is exceeded.
    for format in FORMATS {
        let warnings_only = ["--format", format, "--select", "routes-guarded", "."];
        assert_eq!(code(&nestlint(&example(), &warnings_only)), 0, "{format}");
        let mut strict = warnings_only.to_vec();
        strict.extend(["--max-warnings", "0"]);
        let output = nestlint(&example(), &strict);
        assert_eq!(code(&output), 1, "{format}");
        assert!(stderr(&output).contains("nestlint: 1 warning exceeds --max-warnings 0"));
        let mut lenient = warnings_only.to_vec();
        lenient.extend(["--max-warnings", "1"]);
        assert_eq!(code(&nestlint(&example(), &lenient)), 0, "{format}");
        // Errors: 1. A missing path: 2.
        assert_eq!(code(&nestlint(&example(), &["--format", format, "."])), 1);
        assert_eq!(
            code(&nestlint(&example(), &["--format", format, "missing"])),
            2
        );
    }
}

#[test]
fn github_annotations_are_the_default_on_github_actions() {
    let on_actions = [("GITHUB_ACTIONS", "true")];
    let output = nestlint_with_env(&example(), &["."], &on_actions);
    assert!(stdout(&output).starts_with("::error file=src/auth/auth.module.ts,line=7,col=42,"));
    // An explicit format wins.
    let output = nestlint_with_env(&example(), &["--format", "concise", "."], &on_actions);
    assert!(stdout(&output).starts_with("src/auth/auth.module.ts:7:42: error"));
}

#[test]
fn output_file_gets_the_format_and_the_terminal_the_pretty_report() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("reports/nestlint.sarif");
    let output = nestlint(
        &example(),
        &[
            "--format",
            "sarif",
            "--output-file",
            file.to_str().unwrap(),
            ".",
        ],
    );
    assert_eq!(code(&output), 1);
    assert!(stdout(&output).contains("Found 11 errors and 3 warnings"));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 14);
}

#[test]
fn output_file_on_github_actions_leaves_annotations_on_the_terminal() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("nestlint.sarif");
    let output = nestlint_with_env(
        &example(),
        &["--format", "sarif", "-o", file.to_str().unwrap(), "."],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(code(&output), 1);
    assert!(stdout(&output).starts_with("::error file="));
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("\"version\": \"2.1.0\""));
}

#[test]
fn statistics_count_findings_per_rule() {
    let output = nestlint(&example(), &["--statistics", "."]);
    assert_eq!(code(&output), 1);
    snapshot("example.statistics", &stdout(&output));
    let output = nestlint(&example(), &["--statistics", "--format", "json", "."]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(rows[0]["rule"], "request-dto-validation");
    assert_eq!(rows[0]["count"], 5);
}

#[test]
fn rule_documentation_commands() {
    let output = nestlint(&repo_root(), &["rules"]);
    assert_eq!(code(&output), 0);
    snapshot("rules", &stdout(&output));
    let output = nestlint(&repo_root(), &["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(rules
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "valid-repository-injection" && r["fix"] == "sometimes"));

    let output = nestlint(&repo_root(), &["rule", "routes-guarded"]);
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).starts_with("# routes-guarded\n"));
    assert!(stdout(&output).contains("## Why is this bad?"));
    let output = nestlint(&repo_root(), &["rule", "routes-guard"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("did you mean `routes-guarded`?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn checked_in_rule_docs_are_up_to_date() {
    let output = nestlint(&repo_root(), &["generate-docs", "--check", "docs/rules"]);
    assert_eq!(
        code(&output),
        0,
        "docs/rules is stale:\n{}",
        stderr(&output)
    );
    // And the check can fail: a stale page is found.
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("rules");
    assert_eq!(
        code(&nestlint(
            &repo_root(),
            &["generate-docs", dir.to_str().unwrap()]
        )),
        0
    );
    std::fs::write(dir.join("routes-guarded.md"), "# edited by hand\n").unwrap();
    let output = nestlint(
        &repo_root(),
        &["generate-docs", "--check", dir.to_str().unwrap()],
    );
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).contains("routes-guarded.md is out of date"));
}
