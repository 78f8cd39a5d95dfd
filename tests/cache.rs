//! The incremental cache, used as users use it: findings are the same with and without it, cold
//! and warm, with any thread count; edits, renames and deletions between runs are seen; a
//! corrupt or foreign cache file is ignored and rewritten; concurrent runs leave a cache that
//! still works.

mod common;

use std::path::{Path, PathBuf};

use common::{code, copy_tree, nestlint_with_env, repo_root, stderr, stdout};

/// Runs nestlint in `dir` with its cache in `cache` (or none), JSON output.
fn run(dir: &Path, cache: Option<&Path>, extra: &[&str]) -> (i32, String, String) {
    let cache_arg;
    let mut args: Vec<&str> = vec!["--verbose"];
    if !extra.contains(&"--format") {
        args.extend(["--format", "json"]);
    }
    match cache {
        Some(cache) => {
            cache_arg = cache.display().to_string();
            args.extend(["--cache-dir", cache_arg.as_str()]);
        }
        None => args.push("--no-cache"),
    }
    args.extend(extra);
    args.push(".");
    let output = nestlint_with_env(dir, &args, &[("NO_COLOR", "1")]);
    (code(&output), stdout(&output), stderr(&output))
}

/// How many files `--verbose` says came from the cache.
fn cached(stderr: &str) -> usize {
    stderr
        .lines()
        .find_map(|line| {
            line.strip_prefix("nestlint: ")?
                .strip_suffix(" files taken from the cache")?
                .parse()
                .ok()
        })
        .unwrap_or(usize::MAX)
}

/// Every project the CLI suite lints: the example app and the cross-file fixtures.
fn projects() -> Vec<PathBuf> {
    let mut out = vec![repo_root().join("examples/shop-api")];
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(repo_root().join("fixtures/projects"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    fixtures.sort();
    out.extend(fixtures);
    out
}

#[test]
fn findings_are_the_same_without_cache_cold_and_warm_with_any_thread_count() {
    let projects = projects();
    assert!(projects.len() > 10, "the fixture projects are missing");
    for project in projects {
        let scratch = tempfile::tempdir().unwrap();
        let cache = scratch.path().join("cache");
        let (no_cache_code, no_cache, _) = run(&project, None, &[]);
        let (cold_code, cold, cold_err) = run(&project, Some(&cache), &["--threads", "2"]);
        let (warm_code, warm, warm_err) = run(&project, Some(&cache), &["--threads", "1"]);
        let name = project.display();
        assert_eq!(no_cache, cold, "{name}: cold cache differs from no cache");
        assert_eq!(no_cache, warm, "{name}: warm cache differs from no cache");
        assert_eq!((no_cache_code, cold_code), (warm_code, warm_code), "{name}");
        assert_eq!(cached(&cold_err), 0, "{name}: a cold run found a cache");
        assert!(
            cached(&warm_err) > 0,
            "{name}: the warm run took nothing from the cache"
        );
        assert!(
            !project.join(".nestlint_cache").exists(),
            "{name}: --cache-dir was not honoured"
        );
    }
}

/// A copy of the example app, where files can be edited.
fn example_copy() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let scratch = tempfile::tempdir().unwrap();
    let app = scratch.path().join("app");
    copy_tree(&repo_root().join("examples/shop-api"), &app);
    let cache = scratch.path().join("cache");
    (scratch, app, cache)
}

fn ts_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            ts_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "ts") {
            out.push(path);
        }
    }
}

#[test]
fn edits_renames_and_deletions_between_warm_runs_are_seen() {
    let (_scratch, app, cache) = example_copy();
    let (_, first, first_err) = run(&app, Some(&cache), &[]);
    assert_eq!(cached(&first_err), 0, "{first_err}");
    let mut files = Vec::new();
    ts_files(&app.join("src"), &mut files);
    files.sort();

    // Unchanged: everything comes from the cache.
    let (_, warm, err) = run(&app, Some(&cache), &[]);
    assert_eq!(first, warm);
    let total = cached(&err);
    assert!(total >= files.len() && total != usize::MAX, "{err}");

    // An edit that adds a finding: a JWT secret written in the source.
    let edited = app.join("src/hardcoded-secret.ts");
    std::fs::write(
        &edited,
        "import { JwtModule } from '@nestjs/jwt';\n\nexport const jwt = JwtModule.register({ secret: 'hunter2-hunter2' });\n",
    )
    .unwrap();
    let (_, with_edit, err) = run(&app, Some(&cache), &[]);
    let (_, truth, _) = run(&app, None, &[]);
    assert_eq!(with_edit, truth, "a new file");
    assert!(with_edit.contains("hardcoded-secret.ts"), "{with_edit}");
    assert_eq!(cached(&err), total, "only the new file is linted again");

    // The same file edited again: the finding goes away.
    std::fs::write(&edited, "export const jwt = process.env.JWT_SECRET;\n").unwrap();
    let (_, after_edit, _) = run(&app, Some(&cache), &[]);
    let (_, truth, _) = run(&app, None, &[]);
    assert_eq!(after_edit, truth, "an edited file");
    assert!(!after_edit.contains("hardcoded-secret.ts"));

    // A rename: the findings follow the file's new name.
    let source = files
        .iter()
        .find(|f| f.to_string_lossy().ends_with(".controller.ts"))
        .expect("a controller")
        .clone();
    let renamed = source.with_file_name("renamed.controller.ts");
    std::fs::rename(&source, &renamed).unwrap();
    let (_, after_rename, _) = run(&app, Some(&cache), &[]);
    let (_, truth, _) = run(&app, None, &[]);
    assert_eq!(after_rename, truth, "a renamed file");

    // A deletion: its findings, and what other files knew of it, are gone.
    std::fs::remove_file(&renamed).unwrap();
    let (_, after_delete, _) = run(&app, Some(&cache), &[]);
    let (_, truth, _) = run(&app, None, &[]);
    assert_eq!(after_delete, truth, "a deleted file");
}

#[test]
fn a_corrupt_or_foreign_cache_is_ignored_and_rewritten() {
    let (_scratch, app, cache) = example_copy();
    let (_, truth, _) = run(&app, None, &[]);
    let (_, _, _) = run(&app, Some(&cache), &[]);
    // The binary's directory holds a file per shard: the largest holds entries.
    let home = only_binary_dir(&cache);
    let cache_file = std::fs::read_dir(&home)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a cache file");
    let valid = std::fs::read(&cache_file).unwrap();
    let magic = &valid[..8];
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"not a cache at all".to_vec()),
        ("empty", Vec::new()),
        ("truncated", valid[..valid.len() / 2].to_vec()),
        ("foreign build", {
            // The right magic, then another build's id (a length, the id) and no entry.
            let mut bytes = magic.to_vec();
            bytes.extend(32u64.to_le_bytes());
            bytes.extend(std::iter::repeat_n(b'f', 32));
            bytes.extend(0u64.to_le_bytes());
            bytes
        }),
        ("an entry past the end", {
            let mut bytes = valid.clone();
            bytes.truncate(valid.len() - 1);
            bytes
        }),
        ("flipped bytes", {
            let mut bytes = valid.clone();
            for i in (20..bytes.len()).step_by(97) {
                bytes[i] ^= 0x5a;
            }
            bytes
        }),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&cache_file, &bytes).unwrap();
        let (status, output, err) = run(&app, Some(&cache), &[]);
        assert!(status == 0 || status == 1, "{what}: exit {status}: {err}");
        assert_eq!(output, truth, "{what}: findings changed");
        // Rewritten: the next run takes everything from it.
        let (_, again, err) = run(&app, Some(&cache), &[]);
        assert_eq!(again, truth, "{what}");
        assert!(
            cached(&err) > 0,
            "{what}: the cache was not rewritten: {err}"
        );
    }
}

/// The one directory a binary keeps its cache files in.
fn only_binary_dir(cache: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[test]
fn a_run_that_changed_one_file_rewrites_one_shard_and_stale_caches_are_removed() {
    let (_scratch, app, cache) = example_copy();
    let (_, truth, _) = run(&app, Some(&cache), &[]);
    let home = only_binary_dir(&cache);
    let written = |dir: &Path| -> Vec<(PathBuf, std::time::SystemTime)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| (e.path(), e.metadata().unwrap().modified().unwrap()))
            .collect();
        files.sort();
        files
    };
    let shards = |files: &[(PathBuf, std::time::SystemTime)]| {
        files
            .iter()
            .filter(|(p, _)| p.file_name().is_some_and(|n| n != "project.bin"))
            .count()
    };
    let before = written(&home);
    // Spread over several files (a shard no file falls in is not written).
    assert!((2..=16).contains(&shards(&before)), "{before:?}");
    // Another binary's leftovers: a directory and an older format's file, one stale, one not.
    let month_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(31 * 24 * 3600);
    for name in ["0123456789abcdef", "fedcba9876543210"] {
        std::fs::create_dir(cache.join(name)).unwrap();
        std::fs::write(cache.join(name).join("00.bin"), b"old").unwrap();
    }
    std::fs::write(
        cache.join("00112233aabbccdd.bin"),
        b"NLCACHE4 an older format",
    )
    .unwrap();
    // Named like nestlint's, stale, but not written by it (`--cache-dir` may name any directory).
    std::fs::write(cache.join("aaaabbbbccccdddd.bin"), b"the user's").unwrap();
    std::fs::create_dir(cache.join("abcdefabcdef0123")).unwrap();
    std::fs::write(
        cache.join("abcdefabcdef0123").join("photo.jpg"),
        b"the user's",
    )
    .unwrap();
    std::fs::write(cache.join("notes.txt"), b"the user's").unwrap();
    for file in ["00112233aabbccdd.bin", "aaaabbbbccccdddd.bin", "notes.txt"] {
        set_modified(&cache.join(file), month_ago);
    }
    for dir in ["0123456789abcdef", "abcdefabcdef0123"] {
        std::fs::File::open(cache.join(dir))
            .unwrap()
            .set_modified(month_ago)
            .unwrap();
    }
    // Unchanged: nothing is written, nothing removed.
    let (_, warm, _) = run(&app, Some(&cache), &[]);
    assert_eq!(warm, truth);
    assert_eq!(written(&home), before);
    assert!(cache.join("0123456789abcdef").exists());
    // One file changed (a comment: the same findings): its shard, and the project findings.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let file = app.join("src/main.ts");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n// edited\n");
    std::fs::write(&file, text).unwrap();
    let (_, after, _) = run(&app, Some(&cache), &[]);
    assert_eq!(after, truth);
    let then: std::collections::HashMap<PathBuf, std::time::SystemTime> =
        before.into_iter().collect();
    let rewritten: Vec<PathBuf> = written(&home)
        .into_iter()
        .filter(|(path, modified)| then.get(path) != Some(modified))
        .map(|(path, _)| path)
        .collect();
    assert!(
        !rewritten.is_empty() && rewritten.len() <= 2,
        "one shard (and the project findings) rewritten: {rewritten:?}"
    );
    // The stale leftovers are gone; the recent one, and what is not nestlint's, stay.
    assert!(!cache.join("0123456789abcdef").exists());
    assert!(!cache.join("00112233aabbccdd.bin").exists());
    assert!(cache.join("fedcba9876543210").exists());
    assert!(cache.join("notes.txt").exists());
    assert!(cache.join("aaaabbbbccccdddd.bin").exists());
    assert!(cache.join("abcdefabcdef0123/photo.jpg").exists());
}

#[test]
fn concurrent_runs_leave_a_working_cache() {
    let (_scratch, app, cache) = example_copy();
    let (_, truth, _) = run(&app, None, &[]);
    let binary = env!("CARGO_BIN_EXE_nestlint");
    let children: Vec<_> = (0..6)
        .map(|_| {
            std::process::Command::new(binary)
                .args(["--format", "json", "--cache-dir"])
                .arg(&cache)
                .arg(".")
                .current_dir(&app)
                .env("NO_COLOR", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(stdout(&output), truth, "{}", stderr(&output));
    }
    let (_, warm, err) = run(&app, Some(&cache), &[]);
    assert_eq!(warm, truth);
    assert!(cached(&err) > 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn no_cache_writes_nothing_and_the_default_is_beside_the_run() {
    let (_scratch, app, _) = example_copy();
    let output = common::nestlint_with_env(
        &app,
        &["--no-cache", "--format", "json", "."],
        &[("NO_COLOR", "1")],
    );
    assert!(code(&output) <= 1);
    assert!(!app.join(".nestlint_cache").exists());
    // NESTLINT_NO_CACHE too.
    let output = common::nestlint_with_env(
        &app,
        &["--format", "json", "."],
        &[("NESTLINT_NO_CACHE", "1"), ("NESTLINT_CACHE_DIR", "")],
    );
    assert!(code(&output) <= 1);
    assert!(!app.join(".nestlint_cache").exists());
    // Without either, in the current directory, ignoring itself for git.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_nestlint"));
    let output = command
        .args(["--format", "json", "."])
        .current_dir(&app)
        .env_remove("NESTLINT_NO_CACHE")
        .env_remove("NESTLINT_CACHE_DIR")
        .output()
        .unwrap();
    assert!(code(&output) <= 1);
    let ignore = std::fs::read_to_string(app.join(".nestlint_cache/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l.trim() == "*"), "{ignore}");
}

/// Sets every TypeScript file's modification time an hour back: metadata vouches only for files
/// last modified well before they were read.
fn age(files: &[PathBuf]) -> std::time::SystemTime {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for file in files {
        set_modified(file, then);
    }
    then
}

fn set_modified(file: &Path, time: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(file)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// How many files `--verbose` says were not read at all.
fn unread(stderr: &str) -> usize {
    stderr
        .lines()
        .find_map(|line| {
            line.strip_prefix("nestlint: ")?
                .strip_suffix(" files not read (their metadata vouched for them)")?
                .parse()
                .ok()
        })
        .unwrap_or(usize::MAX)
}

#[test]
fn unchanged_metadata_spares_reading_and_any_change_is_still_seen() {
    let (_scratch, app, cache) = example_copy();
    let secret = app.join("src/hardcoded-secret.ts");
    let with_secret = "import { JwtModule } from '@nestjs/jwt';\n\nexport const jwt = JwtModule.register({ secret: 'hunter2-hunter2' });\n";
    std::fs::write(&secret, with_secret).unwrap();
    let mut files = Vec::new();
    ts_files(&app.join("src"), &mut files);
    let then = age(&files);

    let (_, cold, err) = run(&app, Some(&cache), &[]);
    assert_eq!(unread(&err), 0, "{err}");
    let (_, warm, err) = run(&app, Some(&cache), &[]);
    assert_eq!(cold, warm);
    let total = cached(&err);
    assert_eq!(unread(&err), total, "{err}");
    assert!(unread(&err) >= files.len(), "{err}");
    assert!(warm.contains("hardcoded-secret.ts"), "{warm}");

    // Excerpts, fixes and suppressions need the texts of files that were not read: they are
    // read when asked for, and are what a run without the cache shows.
    for extra in [&["--format", "pretty"][..], &["--diff"][..]] {
        let (code, warm, err) = run(&app, Some(&cache), extra);
        let (truth_code, truth, _) = run(&app, None, extra);
        // An excerpt of a file not read, and a fix in one.
        let shown = if extra[0] == "--diff" {
            "+import"
        } else {
            "hunter2"
        };
        assert!(warm.contains(shown), "{warm}{err}");
        assert_eq!(
            (code, without_timing(&warm)),
            (truth_code, without_timing(&truth)),
            "{extra:?}"
        );
        assert!(unread(&err) >= files.len(), "{err}");
    }

    // (`--diff` cached the fixed text of the file it fixed: one run puts the file's own back.)
    run(&app, Some(&cache), &[]);

    // The same size and modification time, other content (an editor restoring the time, a
    // checkout within the same second): the change time tells.
    let without_secret = format!(
        "export const jwt = process.env.JWT_SECRET;{}\n",
        " ".repeat(with_secret.len() - "export const jwt = process.env.JWT_SECRET;\n".len())
    );
    assert_eq!(without_secret.len(), with_secret.len());
    std::fs::write(&secret, &without_secret).unwrap();
    set_modified(&secret, then);
    let (_, edited, err) = run(&app, Some(&cache), &[]);
    let (_, truth, _) = run(&app, None, &[]);
    assert_eq!(edited, truth);
    assert!(!edited.contains("hardcoded-secret.ts"), "{edited}");
    // Read, found changed, linted again: neither from the cache nor unread.
    assert_eq!(
        (cached(&err), unread(&err)),
        (total - 1, total - 1),
        "{err}"
    );

    // Another file moved over it, with the old size and time: the inode tells.
    let replacement = app.join("replacement.ts");
    std::fs::write(&replacement, with_secret).unwrap();
    set_modified(&replacement, then);
    std::fs::rename(&replacement, &secret).unwrap();
    let (_, replaced, _) = run(&app, Some(&cache), &[]);
    let (_, truth, _) = run(&app, None, &[]);
    assert_eq!(replaced, truth);
    assert!(replaced.contains("hardcoded-secret.ts"), "{replaced}");
}

/// The output without the run's duration (`... in 12 files (85 ms).`).
fn without_timing(output: &str) -> String {
    output
        .lines()
        .map(|line| match line.rfind(" (") {
            Some(at) if line.ends_with(" ms).") => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the run took the project pass's findings from the cache.
fn project_recorded(stderr: &str) -> bool {
    stderr.contains("the project pass did not run")
}

#[test]
fn a_project_unchanged_since_the_last_run_takes_its_recorded_findings() {
    let (_scratch, app, cache) = example_copy();
    let (_, cold, err) = run(&app, Some(&cache), &[]);
    assert!(!project_recorded(&err), "{err}");
    assert!(cold.contains("resolvable-dependencies"), "{cold}");
    let (_, warm, err) = run(&app, Some(&cache), &[]);
    assert!(project_recorded(&err), "{err}");
    assert_eq!(cold, warm);

    // One file's facts change: the project pass runs, and its findings follow the change.
    let module = app.join("src/users/users.module.ts");
    let mended = common::users_module_with_jwt(&std::fs::read_to_string(&module).unwrap());
    std::fs::write(&module, &mended).unwrap();
    let (_, edited, err) = run(&app, Some(&cache), &[]);
    assert!(!project_recorded(&err), "{err}");
    let (_, truth, _) = run(&app, None, &[]);
    assert_eq!(edited, truth);
    assert_ne!(edited, cold);
    let (_, again, err) = run(&app, Some(&cache), &[]);
    assert!(project_recorded(&err), "{err}");
    assert_eq!(again, truth);

    // What no file's key covers changes the project too: a package's manifest (which packages
    // it depends on decides what an import of one means).
    let manifest = app.join("package.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let without_jwt = text.replace("\"@nestjs/jwt\"", "\"@nestjs/not-jwt\"");
    assert_ne!(text, without_jwt, "package.json changed shape");
    std::fs::write(&manifest, &without_jwt).unwrap();
    let (_, edited, err) = run(&app, Some(&cache), &[]);
    assert!(!project_recorded(&err), "{err}");
    let (_, truth, _) = run(&app, None, &[]);
    assert_eq!(edited, truth);
}

#[test]
fn a_change_that_only_moves_a_files_facts_keeps_the_recorded_project_findings() {
    let (_scratch, app, cache) = example_copy();
    let (_, cold, err) = run(&app, Some(&cache), &[]);
    assert!(!project_recorded(&err), "{err}");
    let edit = |relative: &str, change: &dyn Fn(&str) -> String| {
        let file = app.join(relative);
        let text = std::fs::read_to_string(&file).unwrap();
        let changed = change(&text);
        assert_ne!(text, changed, "{relative}");
        std::fs::write(&file, changed).unwrap();
    };
    let truth = || run(&app, None, &[]).1;

    // A file with no project finding: a comment above everything and a blank line inside
    // move every fact, in order. The recorded findings stand.
    edit("src/auth/jwt-auth.guard.ts", &|text| {
        format!(
            "// The guard every route uses.\n{}",
            text.replacen('{', "{\n", 1)
        )
    });
    let (_, moved, err) = run(&app, Some(&cache), &[]);
    assert!(project_recorded(&err), "{err}");
    assert_eq!(moved, truth());
    assert_eq!(moved, cold);
    // Recorded again for the moved file: the next run needs no comparison either.
    let (_, again, err) = run(&app, Some(&cache), &[]);
    assert!(project_recorded(&err), "{err}");
    assert_eq!(again, cold);

    // The same file's facts change (a class more): the project pass runs.
    edit("src/auth/jwt-auth.guard.ts", &|text| {
        format!("{text}\nexport class AnotherGuard {{}}\n")
    });
    let (_, changed, err) = run(&app, Some(&cache), &[]);
    assert!(!project_recorded(&err), "{err}");
    assert_eq!(changed, truth());

    // A file with project findings only moved: they must move with it, so the pass runs.
    edit("src/orders/orders.service.ts", &|text| {
        format!("\n\n{text}")
    });
    let (_, shifted, err) = run(&app, Some(&cache), &[]);
    assert!(!project_recorded(&err), "{err}");
    let expected = truth();
    assert_eq!(shifted, expected);
    assert_ne!(shifted, cold, "the finding's line moved");
}
