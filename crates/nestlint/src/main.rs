//! The `nestlint` command line: walks the given paths, runs the engine, prints the findings.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use nestlint_diagnostics::{
    printable_path, render_concise, render_file_error, render_pretty, Applicability, ColorMode,
    Diagnostic, Severity,
};
use nestlint_engine::baseline::Baseline;
use nestlint_engine::config::{parent_config, starter_config, CONFIG_FILE_NAME};
use nestlint_engine::{
    display_path, write_fixed, CliSelection, ConfigError, ConfigResolver, ConfigSource,
    FileProblem, FixOptions, FixOutcome, Linter, RunError, RunOptions,
};

mod docs;
mod formats;

// Fact extraction allocates many small short-lived values from two threads or more; mimalloc
// handles that pattern markedly better than the system allocator (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXAMPLES: &str = "\
Examples:
  nestlint                         lint the project in the current directory
  nestlint check .                 the same (ruff's spelling)
  nestlint apps/api libs/auth      lint two directories (each with its whole project as context)
  nestlint src/users/users.controller.ts
  nestlint -f concise .            one line per finding, for scripts and editors
  nestlint -q .                    errors only
  nestlint --select security .     only the security rules
  nestlint --max-warnings 0 .      fail on any warning too
  nestlint --fix .                 apply the safe fixes, then report what remains
  nestlint --diff .                show what --fix would change, change nothing
  nestlint --fix --stdin-filename src/app.module.ts < src/app.module.ts
                                   fix standard input, print the fixed text
  nestlint --write-baseline nestlint-baseline.json .   record today's findings
  nestlint --baseline nestlint-baseline.json .         report only new ones
  nestlint init                    write a commented starter nestlint.toml

Exit codes: 0 no errors (always with --exit-zero), 1 at least one error-severity finding (or more
warnings than --max-warnings), 2 the run itself failed (bad arguments or configuration, a
missing path, a directory with nothing to lint), 3 no new findings but the baseline has entries
that match nothing (see --prune-baseline).
With --diff: 0 nothing to fix, 1 there is a diff.";

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

    #[command(flatten)]
    lint: LintArgs,
}

/// `NESTLINT_NO_CACHE` set to anything but `0`, `false` or nothing.
fn cache_off_by_environment() -> bool {
    std::env::var("NESTLINT_NO_CACHE").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// Where the cache lives, or `None` without one: `--no-cache` or `NESTLINT_NO_CACHE` (any value
/// but `0`, `false` or empty) turn it off; `--cache-dir`, then `NESTLINT_CACHE_DIR`, choose the
/// directory; else `.nestlint_cache` in the current directory (ruff's habit).
fn cache_dir(cli: &LintArgs, cwd: &std::path::Path) -> Option<PathBuf> {
    if cli.no_cache || cache_off_by_environment() {
        return None;
    }
    let dir = cli
        .cache_dir
        .clone()
        .or_else(|| std::env::var_os("NESTLINT_CACHE_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(nestlint_engine::cache::DEFAULT_DIR));
    Some(if dir.is_absolute() {
        dir
    } else {
        cwd.join(dir)
    })
}

/// What a lint run takes: the default command's arguments, and `nestlint check`'s.
#[derive(Args, Debug, Clone)]
struct LintArgs {
    /// Files or directories to lint.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Use this configuration file for every file (no discovery).
    #[arg(long, short = 'c', value_name = "PATH", conflicts_with = "no_config")]
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

    /// Report errors only: warnings are neither shown nor counted (ESLint's --quiet).
    #[arg(long, short = 'q')]
    quiet: bool,

    /// Exit with 1 when there are more than N warnings.
    #[arg(long, value_name = "N")]
    max_warnings: Option<usize>,

    /// Exit with 0 even when there are findings; a failed run still exits with 2.
    #[arg(long)]
    exit_zero: bool,

    /// Print the effective settings for FILE and exit.
    #[arg(long, value_name = "FILE")]
    print_config: Option<PathBuf>,

    /// Apply the configuration's `exclude` to files named on the command line too.
    #[arg(long)]
    force_exclude: bool,

    /// Follow symbolic links while walking directories (by default they are reported, not
    /// followed).
    #[arg(long, short = 'L')]
    follow_symlinks: bool,

    /// Lint nothing without an error when a directory holds no TypeScript file.
    #[arg(long)]
    no_error_on_unmatched_pattern: bool,

    /// Neither read nor write the cache (also NESTLINT_NO_CACHE=1).
    #[arg(long)]
    no_cache: bool,

    /// Keep the cache in DIR (default: .nestlint_cache in the current directory; also
    /// NESTLINT_CACHE_DIR).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    /// Record every finding of this run in FILE (the run then exits 0).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,

    /// Report only findings that FILE does not record.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// With --baseline: drop the entries that match nothing any more from FILE.
    #[arg(long, requires = "baseline")]
    prune_baseline: bool,

    /// Apply safe fixes, write the fixed files, then report what remains.
    #[arg(long)]
    fix: bool,

    /// With --fix or --diff, apply unsafe fixes too (they may change behaviour).
    #[arg(long)]
    unsafe_fixes: bool,

    /// Print a unified diff of what --fix would change and write nothing; exit 1 if there is one.
    #[arg(long, conflicts_with = "write_baseline")]
    diff: bool,

    /// Lint standard input as the file PATH (its config, its project); with --fix the fixed text
    /// goes to standard output and the findings to standard error.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,

    /// Output format [default: pretty, or github when GITHUB_ACTIONS=true].
    #[arg(long, short = 'f', value_enum)]
    format: Option<Format>,

    /// Write the --format output to FILE; the terminal then gets the default format.
    #[arg(long, short = 'o', value_name = "FILE")]
    output_file: Option<PathBuf>,

    /// Colour: auto (on a terminal, unless NO_COLOR; FORCE_COLOR or CLICOLOR_FORCE force it),
    /// always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    color: ColorWhen,

    /// Print the number of findings per rule instead of the findings.
    #[arg(long)]
    statistics: bool,

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
    /// Lint files and directories: the default command, spelt out (`nestlint check .` is
    /// `nestlint .`), for ruff users.
    Check(Box<LintArgs>),
    /// Write a commented starter nestlint.toml in the current directory.
    Init,
    /// List every rule with its category, default level and fixability.
    Rules {
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print a rule's documentation.
    Rule {
        /// The rule id, e.g. `routes-guarded`.
        id: String,
    },
    /// Write one Markdown page per rule and an index into DIR (the repository keeps them in
    /// docs/rules); with --check, only report whether DIR is up to date.
    GenerateDocs {
        dir: PathBuf,
        #[arg(long)]
        check: bool,
    },
    /// Run the language server on standard input and output (for editors; see docs/editors.md).
    Lsp {
        /// Worker threads for linting (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Keep no cache (by default each workspace folder has `.nestlint_cache/`).
        #[arg(long)]
        no_cache: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether output to a stream gets colour. `--color` wins; then `FORCE_COLOR` (Node's
    /// convention, `0` or `false` turns colour off) and `CLICOLOR_FORCE`; then `NO_COLOR`; then
    /// whether the stream is a terminal.
    fn resolve(self, is_terminal: bool) -> ColorMode {
        let on = match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
                if let Some(force) = var("FORCE_COLOR") {
                    !(force == "0" || force.eq_ignore_ascii_case("false"))
                } else if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                    true
                } else if var("NO_COLOR").is_some() {
                    false
                } else {
                    is_terminal
                }
            }
        };
        if on {
            ColorMode::Always
        } else {
            ColorMode::Never
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Source excerpts with the span underlined, and a summary.
    Pretty,
    /// `<path>:<line>:<column>: <severity> [<rule-id>] <message>`, one line per finding.
    Concise,
    /// A versioned JSON document (docs/json-format.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// JUnit XML, one test suite per file.
    Junit,
    /// GitLab code quality report.
    Gitlab,
    /// Checkstyle XML.
    Checkstyle,
}

fn main() -> ExitCode {
    // mimalloc asks for transparent huge pages; each first touch then zeroes 2 MiB. A short run
    // touches a little of many: measured on a real app, a cold run took 1.9 s and 120 MB without
    // them, 2.6 s and 150 MB with (docs/benchmarks.md). The flag covers every later page fault.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
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
    let linter = Linter::new(nestlint_rules::all_rules());
    let cwd = std::env::current_dir().unwrap_or_default();
    let args = match cli.command {
        None => cli.lint,
        Some(Command::Check(args)) => *args,
        Some(Command::Init) => return init(&linter, &cwd),
        Some(Command::Rules { format }) => {
            print!(
                "{}",
                match format {
                    ListFormat::Text => docs::rules_table(linter.rules()),
                    ListFormat::Json => formats::rules_json(linter.rules()),
                }
            );
            return ExitCode::SUCCESS;
        }
        Some(Command::Rule { id }) => return docs::print_rule(linter.rules(), &id),
        Some(Command::GenerateDocs { dir, check }) => {
            return docs::generate(linter.rules(), &dir, check)
        }
        Some(Command::Lsp { threads, no_cache }) => return lsp(linter, threads, no_cache),
    };
    lint(&linter, &args, &cwd)
}

/// `nestlint lsp`: the language server, until the client says `exit`.
fn lsp(linter: Linter, threads: Option<usize>, no_cache: bool) -> ExitCode {
    let host = nestlint_server::Host {
        linter,
        rule_url: formats::rule_url,
        rule_docs: |linter, id| {
            linter
                .rules()
                .iter()
                .find(|rule| rule.meta().id == id)
                .map(|rule| docs::page(rule.meta()))
        },
        threads: threads.unwrap_or(0),
        cache: !(no_cache || cache_off_by_environment()),
    };
    match nestlint_server::run_stdio(host) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("nestlint: error: the language server stopped: {why}");
            ExitCode::from(2)
        }
    }
}

/// The lint run: `nestlint [PATH]...` and `nestlint check [PATH]...`.
fn lint(linter: &Linter, cli: &LintArgs, cwd: &std::path::Path) -> ExitCode {
    let started = Instant::now();
    let cwd = cwd.to_path_buf();
    let threads = cli
        .threads
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let stderr_color = cli.color.resolve(std::io::stderr().is_terminal());
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
    let stdin = match &cli.stdin_filename {
        Some(path) => match read_stdin() {
            Ok(text) => Some((path.clone(), text)),
            Err(message) => {
                eprintln!("nestlint: error: standard input: {message}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let options = RunOptions {
        threads,
        display_base: cwd.clone(),
        parse_only: cli.parse_only,
        config,
        selection,
        force_exclude: cli.force_exclude,
        follow_symlinks: cli.follow_symlinks,
        stdin: stdin.clone(),
        error_on_unmatched: !cli.no_error_on_unmatched_pattern,
        cache_dir: cache_dir(cli, &cwd),
    };
    let run_error = |err: RunError| match err {
        RunError::Config(err) => config_error(&err, &cwd, stderr_color),
        err => {
            eprintln!("nestlint: error: {err}");
            ExitCode::from(2)
        }
    };
    // Findings go to standard output, unless it carries the fixed text of standard input.
    let findings_to_stderr = cli.fix && stdin.is_some() && !cli.diff;
    let mut fixed: Option<(usize, usize)> = None;
    let mut write_failed = false;
    let mut report = if cli.fix || cli.diff {
        let fix_options = FixOptions {
            unsafe_fixes: cli.unsafe_fixes,
            skip_read_only: !cli.diff,
            only_rule: None,
            only_file: None,
        };
        let outcome = match linter.fix_paths(&cli.paths, &options, fix_options) {
            Ok(outcome) => outcome,
            Err(err) => return run_error(err),
        };
        print_problems(&outcome.problems, &cwd);
        if cli.diff {
            let code = print_diff(&outcome, &cwd);
            return if cli.exit_zero {
                ExitCode::SUCCESS
            } else {
                code
            };
        }
        if let Some((_, text)) = &stdin {
            let fixed_text = outcome.files.first().map_or(text, |f| &f.fixed);
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(fixed_text.as_bytes());
            let _ = stdout.flush();
            fixed = Some((outcome.applied, outcome.files.len()));
            outcome.report
        } else {
            let failed = write_fixed(&outcome.files);
            print_problems(&failed, &cwd);
            write_failed = !failed.is_empty();
            // Only what reached the disk counts as fixed.
            let written: Vec<&nestlint_engine::FixedFile> = outcome
                .files
                .iter()
                .filter(|file| !failed.iter().any(|f| f.path == file.path))
                .collect();
            fixed = Some((written.iter().map(|file| file.fixes).sum(), written.len()));
            if write_failed {
                // The report describes the fixed texts; some never reached the disk. Report
                // what is on disk now.
                match linter.lint_paths(&cli.paths, &options) {
                    Ok(report) => report,
                    Err(err) => return run_error(err),
                }
            } else {
                outcome.report
            }
        }
    } else {
        match linter.lint_paths(&cli.paths, &options) {
            Ok(report) => report,
            Err(err) => return run_error(err),
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

    if cli.quiet {
        // ESLint's --quiet: errors only, in every format and in the counts.
        report.diagnostics.retain(|d| d.severity == Severity::Error);
    }
    print_problems(&report.problems, &cwd);
    let mut stderr = std::io::stderr().lock();
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
                let _ = writeln!(stderr, "  {}", printable_path(&display_path(path, &cwd)));
            }
        }
    }
    if !report.limited_files.is_empty() {
        let count = report.limited_files.len();
        let files = if count == 1 { "file has" } else { "files have" };
        let _ = writeln!(
            stderr,
            "nestlint: {count} {files} code nested deeper or longer than nestlint reads \
             (docs/limits.md); findings in them may be incomplete{}",
            if cli.verbose {
                ":"
            } else {
                " (--verbose lists them)"
            }
        );
        if cli.verbose {
            for path in &report.limited_files {
                let _ = writeln!(stderr, "  {}", printable_path(&display_path(path, &cwd)));
            }
        }
    }
    if !report.symlinks_not_followed.is_empty() {
        let count = report.symlinks_not_followed.len();
        let links = if count == 1 {
            "symbolic link was"
        } else {
            "symbolic links were"
        };
        let tail = if cli.verbose {
            "):"
        } else {
            "; --verbose lists them)"
        };
        let _ = writeln!(
            stderr,
            "nestlint: {count} {links} not followed (--follow-symlinks lints through them{tail}"
        );
        if cli.verbose {
            for path in &report.symlinks_not_followed {
                let _ = writeln!(stderr, "  {}", printable_path(&display_path(path, &cwd)));
            }
        }
    }
    if cli.verbose {
        let _ = writeln!(
            stderr,
            "nestlint: {} files read for project context",
            report.context_files
        );
        if options.cache_dir.is_some() {
            let _ = writeln!(
                stderr,
                "nestlint: {} files taken from the cache",
                report.cached_files
            );
            let _ = writeln!(
                stderr,
                "nestlint: {} files not read (their metadata vouched for them)",
                report.unread_files
            );
            if report.project_recorded {
                let _ = writeln!(
                    stderr,
                    "nestlint: the project pass did not run: the cache recorded its findings for \
                     the same files, settings and packages"
                );
            }
        }
    }
    if let Some(problem) = &report.cache_problem {
        let _ = writeln!(stderr, "nestlint: warning: {problem}");
    }

    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = report.diagnostics.len() - errors;
    // On GitHub Actions findings become annotations on the pull request.
    let default_format = if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        Format::Github
    } else {
        Format::Pretty
    };
    let format = cli.format.unwrap_or(default_format);
    let stdout_color = cli.color.resolve(std::io::stdout().is_terminal());
    let render = |format: Format, color: ColorMode| -> String {
        let machine = formats::Output {
            report: &report,
            rules: linter.rules(),
            success: !write_failed,
        };
        if cli.statistics {
            let rows = formats::statistics(&report);
            return match format {
                Format::Json => formats::statistics_json(&rows),
                _ => formats::statistics_text(&rows),
            };
        }
        match format {
            Format::Concise => render_concise(&report.diagnostics, &report.sources),
            Format::Json => formats::json(&machine),
            Format::Sarif => formats::sarif(&machine),
            Format::Github => formats::github(&machine),
            Format::Junit => formats::junit(&machine),
            Format::Gitlab => formats::gitlab(&machine),
            Format::Checkstyle => formats::checkstyle(&machine),
            Format::Pretty => {
                // Rule ids link to their docs where the terminal shows links (and colour is on:
                // escape sequences are for people at a terminal, not for logs).
                let links = color == ColorMode::Always
                    && supports_hyperlinks::on(supports_hyperlinks::Stream::Stdout);
                let url: &dyn Fn(&str) -> String = &formats::rule_url;
                let mut out = render_pretty(
                    &report.diagnostics,
                    &report.sources,
                    color,
                    links.then_some(url),
                );
                if let Some((applied, files)) = fixed.filter(|(applied, _)| *applied > 0) {
                    out.push_str(&format!(
                        "Fixed {} in {}.\n",
                        plural(applied, "problem"),
                        plural(files, "file")
                    ));
                }
                out.push_str(&summary(
                    errors,
                    warnings,
                    report.files_linted,
                    started.elapsed(),
                ));
                out.push_str(&fixable_hint(&report.diagnostics, cli.unsafe_fixes));
                out
            }
        }
    };
    // With `--output-file` the terminal gets the default format (pretty, or annotations on
    // GitHub Actions). Only the pretty report has room for the fix summary; elsewhere it goes
    // with the notes on stderr.
    let terminal_format = if cli.output_file.is_some() {
        default_format
    } else {
        format
    };
    if terminal_format != Format::Pretty || cli.statistics {
        if let Some((applied, files)) = fixed.filter(|(applied, _)| *applied > 0) {
            let _ = writeln!(
                stderr,
                "nestlint: fixed {} in {}",
                plural(applied, "problem"),
                plural(files, "file")
            );
        }
    }
    let output = match &cli.output_file {
        Some(path) => {
            if let Err(err) = write_output(path, &render(format, ColorMode::Never)) {
                let _ = writeln!(
                    stderr,
                    "nestlint: error: cannot write {}: {err}",
                    path.display()
                );
                return ExitCode::from(2);
            }
            if format == terminal_format {
                String::new()
            } else {
                render(terminal_format, stdout_color)
            }
        }
        None => render(format, stdout_color),
    };
    let written = if findings_to_stderr {
        stderr
            .write_all(output.as_bytes())
            .and_then(|()| stderr.flush())
    } else {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(output.as_bytes())
            .and_then(|()| stdout.flush())
    };
    if written.is_err() {
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
            "nestlint: {} baseline {} no longer match anything; run with --prune-baseline to drop them",
            stale.len(),
            if stale.len() == 1 { "entry does" } else { "entries do" }
        );
    }
    let too_many_warnings = cli.max_warnings.is_some_and(|max| warnings > max);
    if too_many_warnings {
        let _ = writeln!(
            stderr,
            "nestlint: {} exceed{} --max-warnings {}",
            plural(warnings, "warning"),
            if warnings == 1 { "s" } else { "" },
            cli.max_warnings.unwrap_or_default()
        );
    }
    if write_failed {
        ExitCode::from(2)
    } else if cli.exit_zero {
        ExitCode::SUCCESS
    } else if errors > 0 || too_many_warnings {
        ExitCode::from(1)
    } else if !stale.is_empty() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// Files nestlint could not lint, fix or write, one line each on stderr.
fn print_problems(problems: &[FileProblem], cwd: &std::path::Path) {
    for problem in problems {
        eprintln!(
            "nestlint: {}: {}",
            printable_path(&display_path(&problem.path, cwd)),
            problem.reason
        );
    }
}

/// Writes a report file: a temporary file beside it, then a rename, so a CI step that reads it
/// never sees half a report.
fn write_output(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    // A report is an ordinary file: 0666 less the umask, like any file a shell redirect makes
    // (a temporary file is 0600 by default, which CI artifact uploaders cannot always read).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temporary = builder.tempfile_in(dir)?;
    temporary.write_all(text.as_bytes())?;
    // An existing report keeps its permissions.
    if let Ok(existing) = std::fs::metadata(path) {
        std::fs::set_permissions(temporary.path(), existing.permissions())?;
    }
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
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
    let parent = parent_config(cwd);
    match std::fs::write(&path, starter_config(linter.rules(), parent.as_deref())) {
        Ok(()) => {
            eprintln!("nestlint: wrote {}", path.display());
            if let Some(parent) = parent {
                eprintln!(
                    "nestlint: it is merged on top of {}; set `root = true` in it to use it alone",
                    parent.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("nestlint: error: cannot write {}: {err}", path.display());
            ExitCode::from(2)
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// How many findings `--fix` (or `--fix --unsafe-fixes`) would fix, when any.
fn fixable_hint(diagnostics: &[Diagnostic], unsafe_fixes: bool) -> String {
    let count = |applicability: Applicability| {
        diagnostics
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == applicability)
            })
            .count()
    };
    let (safe, unsafe_only) = (count(Applicability::Safe), count(Applicability::Unsafe));
    match (safe, unsafe_only, unsafe_fixes) {
        (0, 0, _) => String::new(),
        (safe, unsafe_only, true) => format!(
            "{} fixable with `--fix --unsafe-fixes`.\n",
            safe + unsafe_only
        ),
        (0, unsafe_only, false) => format!(
            "{} fixable with `--fix --unsafe-fixes` (the fixes may change behaviour).\n",
            unsafe_only
        ),
        (safe, 0, false) => format!("{safe} fixable with `--fix`.\n"),
        (safe, unsafe_only, false) => {
            format!("{safe} fixable with `--fix` ({unsafe_only} more with `--unsafe-fixes`).\n")
        }
    }
}

/// `--diff`: the unified diff of every file `--fix` would change; 1 when there is one.
fn print_diff(outcome: &FixOutcome, cwd: &std::path::Path) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    for file in &outcome.files {
        let display = printable_path(&display_path(&file.path, cwd));
        let diff = similar::TextDiff::from_lines(file.original.as_ref(), file.fixed.as_ref());
        let _ = write!(
            stdout,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&display, &display)
                .missing_newline_hint(true)
        );
    }
    let _ = stdout.flush();
    if outcome.files.is_empty() {
        eprintln!("nestlint: no fixes available");
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "nestlint: would fix {} in {}",
            plural(outcome.applied, "problem"),
            plural(outcome.files.len(), "file")
        );
        ExitCode::from(1)
    }
}

/// Standard input, up to the size limit of any file (`< /dev/zero` must not read until memory
/// runs out).
fn read_stdin() -> Result<std::sync::Arc<str>, String> {
    let bytes = nestlint_engine::files::read_to_limit(
        std::io::stdin().lock(),
        nestlint_engine::MAX_FILE_BYTES,
    )
    .map_err(|e| e.to_string())?;
    if bytes.contains(&0) {
        return Err("binary input (contains NUL bytes)".to_owned());
    }
    String::from_utf8(bytes).map(Into::into).map_err(|e| {
        format!(
            "not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn summary(errors: usize, warnings: usize, files: usize, elapsed: std::time::Duration) -> String {
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
