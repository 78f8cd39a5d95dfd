//! Files that are not what their names say, and file systems that do not cooperate: FIFOs named
//! like configuration, devices, symbolic link loops, unreadable directories, names that are not
//! UTF-8 or hold a newline, paths over the system limit, a 1 GiB file, endless standard input,
//! lines of megabytes, and the line endings and byte-order marks fixes must keep. Each must be
//! reported for what it is while the run goes on: never a hang, never a crash, never a file
//! silently dropped or corrupted.
//!
//! Tests that need an unprivileged user (root reads and writes everything) run nestlint through
//! `setpriv` as `nobody` when the tests run as root; without `setpriv` they are reported as
//! ignored (a failure with `NESTLINT_REQUIRE_TOOLS=1`).

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{unavailable, write};
use libtest_mimic::{Arguments, Completion, Failed, Trial};

type Outcome = Result<Completion, Failed>;
type Test = (&'static str, fn() -> Outcome);

const CONTROLLER: &str = "import { Controller, Delete } from '@nestjs/common';\n\
@Controller('a')\nexport class AController {\n  @Delete() remove() {}\n}\n";

fn main() {
    let args = Arguments::from_args();
    let tests: Vec<Test> = vec![
        (
            "fifo_ignore_files_and_tsconfig_do_not_block_the_run",
            fifo_config_files,
        ),
        (
            "named_fifos_devices_and_link_loops_are_reported_as_what_they_are",
            named_special_files,
        ),
        ("an_unreadable_directory_is_reported", unreadable_directory),
        ("a_file_name_that_is_not_utf8_is_linted", non_utf8_name),
        ("a_path_over_the_system_limit_is_reported", path_too_long),
        (
            "symbolic_links_are_reported_and_followed_with_a_flag",
            symbolic_links,
        ),
        (
            "the_summary_counts_only_files_read",
            summary_counts_files_read,
        ),
        (
            "fix_in_an_unwritable_directory_fixes_nothing_and_says_so",
            fix_unwritable,
        ),
        (
            "a_newline_in_a_file_name_keeps_one_line_per_finding",
            newline_in_name,
        ),
        ("a_1_gib_file_is_skipped_without_being_read", huge_file),
        ("standard_input_stops_at_the_limit", endless_stdin),
        (
            "a_finding_on_a_line_of_megabytes_does_not_print_the_line",
            long_line,
        ),
        (
            "a_fix_on_the_first_line_keeps_the_byte_order_mark",
            bom_kept,
        ),
        (
            "lone_carriage_returns_are_line_breaks_and_fixes_keep_them",
            carriage_returns,
        ),
        (
            "files_with_syntax_errors_are_not_fixed",
            syntax_errors_not_fixed,
        ),
        ("code_nested_past_the_limits_is_noted", nested_past_limits),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, test)| Trial::ignorable_test(name, test))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    write(
        dir.path(),
        "package.json",
        r#"{"dependencies":{"@nestjs/common":"*","@nestjs/typeorm":"*","typeorm":"*","@nestjs/jwt":"*"}}"#,
    );
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs nestlint in `dir`, killed after 30 seconds (a hang is a failure, not a stuck test run).
fn run(dir: &Path, args: &[&str], stdin: Option<&Path>) -> Result<Output, Failed> {
    run_as(dir, args, stdin, false)
}

fn run_as(
    dir: &Path,
    args: &[&str],
    stdin: Option<&Path>,
    unprivileged: bool,
) -> Result<Output, Failed> {
    let mut command = if unprivileged {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_nestlint"));
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_nestlint"))
    };
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match stdin {
        Some(path) => command.stdin(std::fs::File::open(path)?),
        None => command.stdin(Stdio::null()),
    };
    let mut child = command.spawn()?;
    let started = Instant::now();
    // Drain the pipes on threads, so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut err = child.stderr.take().ok_or("no stderr")?;
    let out = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut buffer);
        buffer
    });
    let err = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut buffer);
        buffer
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            return Err(format!("nestlint {args:?} still running after 30 seconds").into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok(Output {
        status,
        stdout: out.join().map_err(|_| "stdout reader")?,
        stderr: err.join().map_err(|_| "stderr reader")?,
    })
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn expect(condition: bool, what: &str, output: &Output) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(format!(
            "{what}\n--- exit {}\n--- stdout\n{}\n--- stderr\n{}",
            code(output),
            text(&output.stdout),
            text(&output.stderr)
        )
        .into())
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> Result<(), Failed> {
    let status = Command::new("mkfifo").arg(path).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("mkfifo {} failed", path.display()).into())
    }
}

/// Whether the tests run as root, for whom permissions do not apply.
#[cfg(unix)]
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0")
}

/// A directory that `nobody` can enter, for tests run through `setpriv`.
#[cfg(unix)]
fn open_to_all(dir: &Path) -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// Whether to run as `nobody` (the tests run as root), or why the test cannot run.
#[cfg(unix)]
fn unprivileged() -> Result<bool, String> {
    if !is_root() {
        return Ok(false);
    }
    let works = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--",
            "true",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if works {
        Ok(true)
    } else {
        Err("the tests run as root and `setpriv` cannot drop to `nobody`".to_owned())
    }
}

#[cfg(not(unix))]
fn not_unix() -> Outcome {
    Ok(Completion::ignored_with("needs a Unix file system"))
}

#[cfg(unix)]
fn fifo_config_files() -> Outcome {
    let dir = project();
    write(dir.path(), "src/a.ts", CONTROLLER);
    write(dir.path(), "lib/b.ts", CONTROLLER);
    mkfifo(&dir.path().join(".gitignore"))?;
    mkfifo(&dir.path().join("tsconfig.json"))?;
    mkfifo(&dir.path().join("lib/.ignore"))?;
    let output = run(dir.path(), &["--format", "concise", "."], None)?;
    let stderr = text(&output.stderr);
    expect(
        stderr.contains(".gitignore: not read: not a regular file (a FIFO)")
            && stderr
                .contains("lib: directory skipped: its .ignore is not a regular file (a FIFO)"),
        "the FIFOs are reported",
        &output,
    )?;
    expect(
        text(&output.stdout).contains("src/a.ts:3:14")
            && !text(&output.stdout).contains("lib/b.ts"),
        "the rest is linted",
        &output,
    )?;
    Ok(Completion::Completed)
}

#[cfg(unix)]
fn named_special_files() -> Outcome {
    let dir = project();
    write(dir.path(), "a.ts", CONTROLLER);
    mkfifo(&dir.path().join("fifo.ts"))?;
    std::os::unix::fs::symlink("loop2.ts", dir.path().join("loop1.ts"))?;
    std::os::unix::fs::symlink("loop1.ts", dir.path().join("loop2.ts"))?;
    let output = run(
        dir.path(),
        &[
            "--format",
            "concise",
            "fifo.ts",
            "/dev/zero",
            "loop1.ts",
            "a.ts",
        ],
        None,
    )?;
    let stderr = text(&output.stderr);
    expect(
        stderr.contains("fifo.ts: skipped: not a regular file (a FIFO)")
            && stderr.contains("zero: skipped: not a regular file (a character device)")
            && stderr.contains("loop1.ts: skipped: a symbolic link loop"),
        "each is reported as what it is",
        &output,
    )?;
    expect(
        code(&output) == 0 && text(&output.stdout).contains("a.ts:3:14"),
        "the named file is linted (its finding is a warning)",
        &output,
    )?;
    Ok(Completion::Completed)
}

#[cfg(unix)]
fn unreadable_directory() -> Outcome {
    use std::os::unix::fs::PermissionsExt;
    let as_nobody = match unprivileged() {
        Ok(as_nobody) => as_nobody,
        Err(why) => return unavailable(&why),
    };
    let dir = project();
    open_to_all(dir.path())?;
    write(dir.path(), "src/a.ts", CONTROLLER);
    write(dir.path(), "locked/b.ts", CONTROLLER);
    std::fs::set_permissions(
        dir.path().join("src"),
        std::fs::Permissions::from_mode(0o755),
    )?;
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )?;
    let output = run_as(dir.path(), &["--format", "json", "."], None, as_nobody)?;
    let stderr = text(&output.stderr);
    expect(
        stderr.contains("locked") && stderr.to_lowercase().contains("permission denied"),
        "the unreadable directory is reported",
        &output,
    )?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    expect(json["summary"]["files"] == 1, "one file was read", &output)?;
    // Named on the command line, it has nothing to lint: an error that says why.
    let output = run_as(dir.path(), &["locked"], None, as_nobody)?;
    expect(
        code(&output) == 2
            && text(&output.stderr)
                .to_lowercase()
                .contains("permission denied"),
        "an unreadable directory argument is an error that says why",
        &output,
    )?;
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o755),
    )?;
    Ok(Completion::Completed)
}

#[cfg(unix)]
fn non_utf8_name() -> Outcome {
    use std::os::unix::ffi::OsStrExt;
    let dir = project();
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname.ts");
    std::fs::write(dir.path().join(name), CONTROLLER)?;
    let output = run(dir.path(), &["--format", "json", "."], None)?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    expect(
        json["summary"]["files"] == 1 && json["summary"]["warnings"] == 1,
        "the file is linted",
        &output,
    )?;
    Ok(Completion::Completed)
}

#[cfg(unix)]
fn path_too_long() -> Outcome {
    let dir = project();
    write(dir.path(), "src/a.ts", CONTROLLER);
    // 45 directories of 100 characters: a path longer than PATH_MAX (4096), made one step at a
    // time relative to the last (an absolute path that long cannot be created in one call).
    let script = r#"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for _ in range(45):
    os.mkdir('d' * 100, dir_fd=fd)
    inner = os.open('d' * 100, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = inner
out = os.open('x.ts', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(out, sys.argv[2].encode())
"#;
    let built = Command::new("python3")
        .args(["-c", script])
        .arg(dir.path())
        .arg(CONTROLLER)
        .status();
    match built {
        Ok(status) if status.success() => {}
        Ok(_) => return Err("could not build the deep directory".into()),
        Err(_) => return unavailable("python3 builds the deep directory and is not installed"),
    }
    let output = run(dir.path(), &["--format", "concise", "."], None)?;
    expect(
        text(&output.stderr).to_lowercase().contains("too long"),
        "the path over the limit is reported",
        &output,
    )?;
    expect(
        text(&output.stdout).contains("src/a.ts:3:14"),
        "the rest is linted",
        &output,
    )?;
    Ok(Completion::Completed)
}

#[cfg(unix)]
fn symbolic_links() -> Outcome {
    let dir = project();
    write(dir.path(), "shared/c.ts", CONTROLLER);
    write(dir.path(), "app/a.ts", CONTROLLER);
    std::os::unix::fs::symlink("../shared", dir.path().join("app/linked"))?;
    std::os::unix::fs::symlink("a.ts", dir.path().join("app/alias.ts"))?;
    std::os::unix::fs::symlink(".", dir.path().join("app/self"))?;
    let output = run(dir.path(), &["--format", "concise", "-v", "app"], None)?;
    let stderr = text(&output.stderr);
    expect(
        stderr
            .contains("3 symbolic links were not followed (--follow-symlinks lints through them):")
            && stderr.contains("app/linked")
            && stderr.contains("app/alias.ts"),
        "the links are listed",
        &output,
    )?;
    expect(
        text(&output.stdout).lines().count() == 1,
        "only the real file is linted",
        &output,
    )?;
    let output = run(
        dir.path(),
        &["--format", "concise", "--follow-symlinks", "app"],
        None,
    )?;
    expect(
        text(&output.stdout).contains("app/linked/c.ts")
            && text(&output.stdout).contains("app/alias.ts"),
        "--follow-symlinks lints through them",
        &output,
    )?;
    expect(
        text(&output.stderr).contains("symbolic link loop"),
        "the loop back to the directory is reported",
        &output,
    )?;
    Ok(Completion::Completed)
}

#[cfg(unix)]
fn summary_counts_files_read() -> Outcome {
    let dir = project();
    write(dir.path(), "a.ts", CONTROLLER);
    std::fs::write(dir.path().join("binary.ts"), b"export const a = 1;\0")?;
    let output = run(dir.path(), &["--format", "json", "a.ts", "binary.ts"], None)?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    expect(
        json["summary"]["files"] == 1
            && text(&output.stderr).contains("binary.ts: skipped: binary file"),
        "the skipped file is reported and not counted",
        &output,
    )?;
    Ok(Completion::Completed)
}

const SERVICE: &str = "import { Injectable } from '@nestjs/common';\n\
import { Repository } from 'typeorm';\n\
import { Order } from './order.entity';\n\n\
@Injectable()\nexport class OrdersService {\n  constructor(private readonly orders: Repository<Order>) {}\n}\n";
const ENTITY: &str = "import { Entity, PrimaryGeneratedColumn } from 'typeorm';\n\
@Entity()\nexport class Order {\n  @PrimaryGeneratedColumn() id: number;\n}\n";

#[cfg(unix)]
fn fix_unwritable() -> Outcome {
    use std::os::unix::fs::PermissionsExt;
    let as_nobody = match unprivileged() {
        Ok(as_nobody) => as_nobody,
        Err(why) => return unavailable(&why),
    };
    let dir = project();
    open_to_all(dir.path())?;
    write(dir.path(), "src/orders.service.ts", SERVICE);
    write(dir.path(), "src/order.entity.ts", ENTITY);
    let src = dir.path().join("src");
    // The file is writable, its directory is not: the atomic write cannot create its
    // temporary file.
    std::fs::set_permissions(
        src.join("orders.service.ts"),
        std::fs::Permissions::from_mode(0o666),
    )?;
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o555))?;
    let output = run_as(
        dir.path(),
        &["--fix", "--format", "concise", "."],
        None,
        as_nobody,
    )?;
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o755))?;
    let stderr = text(&output.stderr);
    expect(
        code(&output) == 2
            && stderr.contains("orders.service.ts: not fixed")
            && !stderr.contains("fixed 1"),
        "nothing is counted as fixed, and the run fails",
        &output,
    )?;
    expect(
        text(&output.stdout).contains("valid-repository-injection"),
        "the finding is still reported",
        &output,
    )?;
    expect(
        std::fs::read_to_string(src.join("orders.service.ts"))? == SERVICE,
        "the file is untouched",
        &output,
    )?;
    Ok(Completion::Completed)
}

#[cfg(unix)]
fn newline_in_name() -> Outcome {
    let dir = project();
    std::fs::write(dir.path().join("new\nline.ts"), CONTROLLER)?;
    let output = run(dir.path(), &["--format", "concise", "."], None)?;
    expect(
        text(&output.stdout).trim_end() == "new\\nline.ts:3:14: warning [routes-guarded] controller `AController` has no guard: its 1 route handler can be called without authentication",
        "the finding is one line, the newline escaped",
        &output,
    )?;
    let output = run(dir.path(), &["--format", "json", "."], None)?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    expect(
        json["diagnostics"][0]["path"] == "new\nline.ts",
        "JSON keeps the real name",
        &output,
    )?;
    Ok(Completion::Completed)
}

/// Peak memory of a child in KiB, from `wait4`.
#[cfg(unix)]
fn peak_memory_kib(dir: &Path, args: &[&str]) -> Result<(i32, i64), Failed> {
    let child = Command::new(env!("CARGO_BIN_EXE_nestlint"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 writes only into the two out-parameters.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, by its pid.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    if pid < 0 {
        return Err("wait4 failed".into());
    }
    Ok((libc::WEXITSTATUS(status), usage.ru_maxrss))
}

#[cfg(unix)]
fn huge_file() -> Outcome {
    let dir = project();
    write(dir.path(), "a.ts", CONTROLLER);
    let big = std::fs::File::create(dir.path().join("big.ts"))?;
    big.set_len(1 << 30)?;
    let output = run(dir.path(), &["--format", "concise", "."], None)?;
    expect(
        text(&output.stderr)
            .contains("big.ts: skipped: 1073741824 bytes is larger than the 4 MiB limit"),
        "the file is reported",
        &output,
    )?;
    let (status, peak) = peak_memory_kib(dir.path(), &["--format", "concise", "."])?;
    if status != 0 || peak > 200 * 1024 {
        return Err(format!("exit {status}, peak memory {peak} KiB: the file was read").into());
    }
    Ok(Completion::Completed)
}

#[cfg(unix)]
fn endless_stdin() -> Outcome {
    let dir = project();
    let output = run(
        dir.path(),
        &["--stdin-filename", "x.ts"],
        Some(Path::new("/dev/zero")),
    )?;
    expect(
        code(&output) == 2
            && text(&output.stderr).contains("standard input: larger than the 4 MiB limit"),
        "standard input stops at the limit",
        &output,
    )?;
    Ok(Completion::Completed)
}

fn long_line() -> Outcome {
    let dir = project();
    let pad = "x".repeat(3_900_000);
    write(
        dir.path(),
        "a.ts",
        &format!(
            "import {{ JwtModule }} from '@nestjs/jwt'; export const pad = '{pad}'; export const jwt = JwtModule.register({{ secret: 'hard-coded' }});\n"
        ),
    );
    let output = run(dir.path(), &["."], None)?;
    expect(
        output.stdout.len() < 10_000
            && text(&output.stdout).contains("no-hardcoded-jwt-secret")
            && text(&output.stdout)
                .contains("(a line of 3900128 bytes, longer than the 1000 shown)"),
        "the finding is reported, the line named, not printed",
        &output,
    )?;
    Ok(Completion::Completed)
}

fn bom_kept() -> Outcome {
    let dir = project();
    let original =
        "\u{feff}// nestlint-ignore-next-line routes-guarded -- stale\nexport const a = 1;\n";
    write(dir.path(), "a.ts", original);
    let output = run(dir.path(), &["--fix", "."], None)?;
    let fixed = std::fs::read_to_string(dir.path().join("a.ts"))?;
    expect(
        fixed == "\u{feff}export const a = 1;\n",
        &format!("the comment is removed, the BOM kept: {fixed:?}"),
        &output,
    )?;
    Ok(Completion::Completed)
}

fn carriage_returns() -> Outcome {
    let dir = project();
    write(dir.path(), "src/order.entity.ts", ENTITY);
    write(
        dir.path(),
        "src/orders.service.ts",
        &SERVICE.replace('\n', "\r"),
    );
    let output = run(dir.path(), &["--format", "concise", "."], None)?;
    expect(
        text(&output.stdout).contains("src/orders.service.ts:7:"),
        "the finding is on its line",
        &output,
    )?;
    let output = run(dir.path(), &["--fix", "."], None)?;
    let fixed = std::fs::read_to_string(dir.path().join("src/orders.service.ts"))?;
    expect(
        fixed.contains("@InjectRepository(Order)") && !fixed.contains('\n'),
        &format!("the fix keeps lone carriage returns: {fixed:?}"),
        &output,
    )?;
    Ok(Completion::Completed)
}

fn syntax_errors_not_fixed() -> Outcome {
    let dir = project();
    write(dir.path(), "src/order.entity.ts", ENTITY);
    let broken = format!("{SERVICE}const oops = ;\n");
    write(dir.path(), "src/orders.service.ts", &broken);
    let output = run(dir.path(), &["--fix", "."], None)?;
    expect(
        text(&output.stderr).contains("orders.service.ts: not fixed: the file has code the TypeScript grammar does not recognise"),
        "the file is reported as not fixed",
        &output,
    )?;
    expect(
        std::fs::read_to_string(dir.path().join("src/orders.service.ts"))? == broken,
        "and left as it was",
        &output,
    )?;
    Ok(Completion::Completed)
}

fn nested_past_limits() -> Outcome {
    let dir = project();
    write(dir.path(), "a.ts", CONTROLLER);
    write(
        dir.path(),
        "deep.ts",
        &format!(
            "import {{ Body, Controller, Post }} from '@nestjs/common';\n\
             @Controller('x') export class X {{ @Post() p(@Body() b: {}string{}) {{}} }}\n",
            "Array<".repeat(100),
            ">".repeat(100)
        ),
    );
    let output = run(dir.path(), &["--format", "concise", "-v", "."], None)?;
    expect(
        text(&output.stderr).contains(
            "nestlint: 1 file has code nested deeper or longer than nestlint reads (docs/limits.md); findings in them may be incomplete:\n  deep.ts",
        ),
        "the file is named",
        &output,
    )?;
    Ok(Completion::Completed)
}

#[cfg(not(unix))]
macro_rules! unix_only {
    ($($name:ident),*) => { $(fn $name() -> Outcome { not_unix() })* };
}
#[cfg(not(unix))]
unix_only!(
    fifo_config_files,
    named_special_files,
    unreadable_directory,
    non_utf8_name,
    path_too_long,
    symbolic_links,
    summary_counts_files_read,
    fix_unwritable,
    newline_in_name,
    huge_file,
    endless_stdin
);
