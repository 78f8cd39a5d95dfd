//! The `nestlint` command line: walks the given paths, runs the engine, prints the findings.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use nestlint_diagnostics::{render_concise, render_file_error, render_pretty, ColorMode, Severity};
use nestlint_engine::baseline::Baseline;
use nestlint_engine::config::{starter_config, CONFIG_FILE_NAME};
use nestlint_engine::{
    display_path, CliSelection, ConfigError, ConfigResolver, ConfigSource, Linter, RunError,
    RunOptions,
};

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
  nestlint --select security .     only the security rules
  nestlint --max-warnings 0 .      fail on any warning too
  nestlint --write-baseline nestlint-baseline.json .   record today's findings
  nestlint --baseline nestlint-baseline.json .         report only new ones
  nestlint init                    write a commented starter nestlint.toml

Exit codes: 0 no errors, 1 at least one error-severity finding (or more warnings than
--max-warnings), 2 the run itself failed (bad arguments or configuration, a missing path),
3 no new findings but the baseline has entries that match nothing (see --prune-baseline).";

#[derive(Parser, Debug)]
#[command(
    name = "nestlint",
    version,
    about = "A fast linter for NestJS codebases",
    after_help = EXAMPLES
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Files or directories to lint.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Use this configuration file for every file (no discovery).
    #[arg(long, value_name = "PATH", conflicts_with = "no_config")]
    config: Option<PathBuf>,

    /// Ignore every nestlint.toml: rule defaults only.
    #[arg(long)]
    no_config: bool,

    /// Run only these rules or categories (comma-separated; `all` for every rule).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    select: Vec<String>,

    /// Turn these rules or categories off.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    ignore: Vec<String>,

    /// Report these rules or categories as warnings.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    warn: Vec<String>,

    /// Report these rules or categories as errors.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    deny: Vec<String>,

    /// Exit with 1 when there are more than N warnings.
    #[arg(long, value_name = "N")]
    max_warnings: Option<usize>,

    /// Print the effective settings for FILE and exit.
    #[arg(long, value_name = "FILE")]
    print_config: Option<PathBuf>,

    /// Apply the configuration's `exclude` to files named on the command line too.
    #[arg(long)]
    force_exclude: bool,

    /// Record every finding of this run in FILE (the run then exits 0).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,

    /// Report only findings that FILE does not record.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// With --baseline: drop the entries that match nothing any more from FILE.
    #[arg(long, requires = "baseline")]
    prune_baseline: bool,

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

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a commented starter nestlint.toml in the current directory.
    Init,
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
    let stderr_color = if std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    {
        ColorMode::Always
    } else {
        ColorMode::Never
    };
    if let Some(Command::Init) = cli.command {
        return init(&linter, &cwd);
    }
    let config = match (&cli.config, cli.no_config) {
        (_, true) => ConfigSource::None,
        (Some(path), false) => ConfigSource::File(path.clone()),
        (None, false) => ConfigSource::Discover,
    };
    let selection = CliSelection {
        select: cli.select.clone(),
        ignore: cli.ignore.clone(),
        warn: cli.warn.clone(),
        deny: cli.deny.clone(),
    };
    if let Some(file) = &cli.print_config {
        let absolute = std::path::absolute(file).unwrap_or_else(|_| file.clone());
        let printed = ConfigResolver::new(linter.rules(), config, &selection)
            .and_then(|mut resolver| resolver.print_config(&absolute));
        return match printed {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(err) => config_error(&err, &cwd, stderr_color),
        };
    }
    let options = RunOptions {
        threads,
        display_base: cwd.clone(),
        parse_only: cli.parse_only,
        config,
        selection,
        force_exclude: cli.force_exclude,
    };
    let mut report = match linter.lint_paths(&cli.paths, &options) {
        Ok(report) => report,
        Err(RunError::Config(err)) => return config_error(&err, &cwd, stderr_color),
        Err(err) => {
            eprintln!("nestlint: error: {err}");
            return ExitCode::from(2);
        }
    };

    if let Some(path) = &cli.write_baseline {
        let baseline = Baseline::from_report(&report, path);
        if let Err(err) = baseline.write(path) {
            eprintln!("nestlint: error: {err}");
            return ExitCode::from(2);
        }
        eprintln!(
            "nestlint: wrote {} finding{} to {}",
            baseline.entries.len(),
            if baseline.entries.len() == 1 { "" } else { "s" },
            path.display()
        );
        return ExitCode::SUCCESS;
    }
    let mut stale = Vec::new();
    if let Some(path) = &cli.baseline {
        let baseline = match Baseline::load(path) {
            Ok(baseline) => baseline,
            Err(err) => {
                eprintln!("nestlint: error: {err}");
                return ExitCode::from(2);
            }
        };
        let outcome = baseline.apply(&mut report, path);
        if cli.prune_baseline && !outcome.stale.is_empty() {
            let kept = Baseline {
                version: baseline.version,
                entries: baseline
                    .entries
                    .iter()
                    .filter(|e| !outcome.stale.contains(e))
                    .cloned()
                    .collect(),
            };
            if let Err(err) = kept.write(path) {
                eprintln!("nestlint: error: {err}");
                return ExitCode::from(2);
            }
            eprintln!(
                "nestlint: pruned {} stale entr{} from {}",
                outcome.stale.len(),
                if outcome.stale.len() == 1 { "y" } else { "ies" },
                path.display()
            );
        } else {
            stale = outcome.stale;
        }
    }

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
    for entry in &stale {
        let _ = writeln!(
            stderr,
            "nestlint: stale baseline entry: {} in {} (occurrence {}) matches no finding",
            entry.rule, entry.path, entry.occurrence
        );
    }
    if !stale.is_empty() {
        let _ = writeln!(
            stderr,
            "nestlint: {} baseline entr{} no longer match anything; run with --prune-baseline to drop them",
            stale.len(),
            if stale.len() == 1 { "y" } else { "ies" }
        );
    }
    let too_many_warnings = cli.max_warnings.is_some_and(|max| warnings > max);
    if too_many_warnings {
        let _ = writeln!(
            stderr,
            "nestlint: {warnings} warnings exceed --max-warnings {}",
            cli.max_warnings.unwrap_or_default()
        );
    }
    if errors > 0 || too_many_warnings {
        ExitCode::from(1)
    } else if !stale.is_empty() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

fn config_error(err: &ConfigError, cwd: &std::path::Path, color: ColorMode) -> ExitCode {
    let display = if err.source.is_some() {
        display_path(&err.path, cwd)
    } else {
        err.path.display().to_string()
    };
    eprint!(
        "{}",
        render_file_error(
            &display,
            err.source.as_deref(),
            err.range,
            &err.message,
            err.help.as_deref(),
            color,
        )
    );
    ExitCode::from(2)
}

fn init(linter: &Linter, cwd: &std::path::Path) -> ExitCode {
    let path = cwd.join(CONFIG_FILE_NAME);
    if path.exists() {
        eprintln!("nestlint: error: {} already exists", path.display());
        return ExitCode::from(2);
    }
    match std::fs::write(&path, starter_config(linter.rules())) {
        Ok(()) => {
            eprintln!("nestlint: wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("nestlint: error: cannot write {}: {err}", path.display());
            ExitCode::from(2)
        }
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
