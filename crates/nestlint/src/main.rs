//! The `nestlint` command line: walks the given paths, runs the engine, prints the findings.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use nestlint_diagnostics::{render_concise, render_pretty, ColorMode, Severity};
use nestlint_engine::{display_path, Linter, RunOptions};

// Fact extraction allocates many small short-lived values from two threads or more; mimalloc
// handles that pattern markedly better than the system allocator (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXAMPLES: &str = "\
Examples:
  nestlint                         lint the project in the current directory
  nestlint apps/api libs/auth      lint two directories (each with its whole project as context)
  nestlint src/users/users.controller.ts
  nestlint --format concise .      one line per finding, for scripts and editors

Exit codes: 0 no errors, 1 at least one error-severity finding, 2 the run itself failed.";

#[derive(Parser, Debug)]
#[command(
    name = "nestlint",
    version,
    about = "A fast linter for NestJS codebases",
    after_help = EXAMPLES
)]
struct Cli {
    /// Files or directories to lint.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Also list files the parser could not fully read, and files read only for project context.
    #[arg(long, short)]
    verbose: bool,

    /// Read and parse only, run no rule (the benchmark's baseline).
    #[arg(long, hide = true)]
    parse_only: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// Source excerpts with the span underlined, and a summary.
    Pretty,
    /// `<path>:<line>:<column>: <severity> [<rule-id>] <message>`, one line per finding.
    Concise,
}

fn main() -> ExitCode {
    // SAFETY: runs first, before any tree-sitter object exists, so every tree-sitter allocation
    // is made and freed by the same allocator; the mimalloc functions are thread-safe.
    unsafe {
        tree_sitter::set_allocator(
            Some(libmimalloc_sys::mi_malloc),
            Some(libmimalloc_sys::mi_calloc),
            Some(libmimalloc_sys::mi_realloc),
            Some(libmimalloc_sys::mi_free),
        );
    }
    let cli = Cli::parse();
    let started = Instant::now();
    let cwd = std::env::current_dir().unwrap_or_default();
    let threads = cli
        .threads
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let linter = Linter::new(nestlint_rules::all_rules());
    let options = RunOptions {
        threads,
        display_base: cwd.clone(),
        parse_only: cli.parse_only,
    };
    let report = match linter.lint_paths(&cli.paths, &options) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("nestlint: error: {err}");
            return ExitCode::from(2);
        }
    };

    let mut stderr = std::io::stderr().lock();
    for problem in &report.problems {
        let _ = writeln!(
            stderr,
            "nestlint: {}: {}",
            display_path(&problem.path, &cwd),
            problem.reason
        );
    }
    if !report.parse_error_files.is_empty() {
        let count = report.parse_error_files.len();
        let files = if count == 1 { "file has" } else { "files have" };
        let _ =
            writeln!(
            stderr,
            "nestlint: {count} {files} syntax the TypeScript grammar does not fully recognise; \
             findings in them may be incomplete{}",
            if cli.verbose { ":" } else { " (--verbose lists them)" }
        );
        if cli.verbose {
            for path in &report.parse_error_files {
                let _ = writeln!(stderr, "  {}", display_path(path, &cwd));
            }
        }
    }
    if cli.verbose {
        let _ = writeln!(
            stderr,
            "nestlint: {} files read for project context",
            report.context_files
        );
    }

    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = report.diagnostics.len() - errors;
    let output = match cli.format {
        Format::Concise => render_concise(&report.diagnostics, &report.sources),
        Format::Pretty => {
            let color = if std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            {
                ColorMode::Always
            } else {
                ColorMode::Never
            };
            let mut out = render_pretty(&report.diagnostics, &report.sources, color);
            out.push_str(&summary(
                errors,
                warnings,
                report.files_linted,
                started.elapsed(),
            ));
            out
        }
    };
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(output.as_bytes()).is_err() || stdout.flush().is_err() {
        // A closed pipe (`nestlint | head`) is not a failure of the lint.
    }
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn summary(errors: usize, warnings: usize, files: usize, elapsed: std::time::Duration) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let found = if errors + warnings == 0 {
        "No problems found".to_owned()
    } else {
        format!(
            "Found {} and {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    };
    format!(
        "{found} in {} ({} ms).\n",
        plural(files, "file"),
        elapsed.as_millis()
    )
}
