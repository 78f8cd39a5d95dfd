//! The fuzzer's invariants on stable Rust, in every `cargo test`: each fixture and example file,
//! mutated a few dozen ways by a seeded generator (bytes flipped, ranges cut, duplicated and
//! swapped, NestJS and TypeScript fragments inserted), must lint, render and fix without a
//! panic, without a finding outside its text, and without a fix that breaks the syntax
//! ([`nestlint_engine::selfcheck::check_text`]). Every input the fuzzer ever found a fault
//! with (`fuzz/regressions/`) is replayed the same way.
//!
//! `NESTLINT_MUTATIONS=N` changes how many mutants each file gets (default 24); a failing
//! mutant is written to the target directory for `cargo fuzz run` or a debugger.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use common::repo_root;
use libtest_mimic::{Arguments, Failed, Trial};
use nestlint_engine::selfcheck::check_text;
use nestlint_engine::Linter;

/// Fragments a mutant may gain: the shapes NestJS code is made of, and the characters that
/// break a grammar.
const FRAGMENTS: &[&str] = &[
    "@Controller('x') export class X { @Post() p(@Body() b: Dto) {} }\n",
    "@Body()",
    "@Query(new ValidationPipe())",
    "@UseGuards(AuthGuard('jwt'))",
    "@Module({ imports: [TypeOrmModule.forFeature([E])], providers: [S] })",
    "constructor(private readonly r: Repository<E>) {}",
    "Array<",
    "Partial<",
    "[]",
    " | ",
    "extends ",
    "?? 'secret'",
    "JwtModule.register({ secret: 'x' })",
    "consumer.apply(AuthMiddleware).forRoutes('*')",
    "NestFactory.create(AppModule)",
    "// nestlint-ignore-next-line routes-guarded\n",
    "/* nestlint-disable */",
    "// nestlint-ignore-file\n",
    "import { X } from './x';\n",
    "import type { Y } from 'y';\n",
    "export * from './z';\n",
    "\r",
    "\r\n",
    "\u{feff}",
    "\u{00e9}",
    "\u{1f600}",
    "`${",
    "/*",
    "*/",
    "'",
    "\"",
    "{",
    "}",
    "(",
    ")",
    "<",
    ">",
    ";",
    "\n",
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One mutant of `text`: one to three edits on its characters.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(3) {
        let len = chars.len();
        let at = rng.below(len + 1);
        let span = 1 + rng.below(40.min(len.max(1)));
        let end = (at + span).min(len);
        match rng.below(7) {
            0 => {
                chars.drain(at..end);
            }
            1 => {
                let piece: Vec<char> = chars[at..end].to_vec();
                let to = rng.below(chars.len() + 1);
                chars.splice(to..to, piece);
            }
            2 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                chars.splice(at..at, fragment.chars());
            }
            3 if at < len => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                chars.splice(at..end, fragment.chars());
            }
            4 => chars.truncate(at),
            5 if len > 1 => {
                // Swap two ranges' order: the text after `at` comes first.
                chars.rotate_left(at.min(len - 1));
            }
            _ => {
                // The same fragment many times: long lists and deep nesting.
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                let times = 1 + rng.below(200);
                chars.splice(at..at, fragment.repeat(times).chars());
            }
        }
    }
    chars.into_iter().collect()
}

fn inputs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|e| e.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "node_modules") {
                continue;
            }
            inputs(&path, out);
        } else if path.extension().is_some_and(|e| e == "ts" || e == "tsx") {
            out.push(path);
        }
    }
}

fn check(linter: &Linter, name: &str, text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    match catch_unwind(AssertUnwindSafe(|| {
        check_text(linter, dir.path(), name, text)
    })) {
        Ok(result) => result,
        Err(panic) => Err(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default()
        )),
    }
}

/// Keeps a failing mutant where a developer can find it.
fn keep(name: &str, text: &str) -> PathBuf {
    let dir = common::tools_dir().join("mutants");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name.replace('/', "__"));
    let _ = std::fs::write(&path, text);
    path
}

fn mutants_of(file: &Path, count: usize) -> Result<(), Failed> {
    let text = std::fs::read_to_string(file)?;
    let linter = Linter::new(nestlint_rules::all_rules());
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The seed depends on the file, so each file gets its own mutants, the same every run.
    let seed = name.bytes().fold(0x9e37_79b9_7f4a_7c15u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = Rng(seed | 1);
    for index in 0..count {
        let mutant = mutate(&text, &mut rng);
        if let Err(why) = check(&linter, &name, &mutant) {
            let kept = keep(&format!("{index}-{name}"), &mutant);
            return Err(format!("mutant {index} of {name} ({}): {why}", kept.display()).into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let count = std::env::var("NESTLINT_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24);
    let root = repo_root();
    let mut files = Vec::new();
    inputs(&root.join("fixtures"), &mut files);
    inputs(&root.join("examples"), &mut files);
    let mut trials = Vec::new();
    for file in files {
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        trials.push(Trial::test(format!("mutants::{name}"), move || {
            mutants_of(&file, count)
        }));
    }
    let mut regressions = Vec::new();
    collect_all(&root.join("fuzz/regressions"), &mut regressions);
    for file in regressions {
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        trials.push(Trial::test(format!("regression::{name}"), move || {
            let bytes = std::fs::read(&file)?;
            // As the targets read them: a raw `lint_and_fix` input starting with `x` is TSX, and
            // so is a rendered `nest_shapes` file named `.tsx`.
            let raw = file.parent().is_some_and(|d| d.ends_with("lint_and_fix"));
            let (name, body) = match bytes.split_first() {
                Some((b'x', rest)) if raw => ("input.tsx", rest),
                _ if file.extension().is_some_and(|e| e == "tsx") => ("input.tsx", &bytes[..]),
                _ => ("input.ts", &bytes[..]),
            };
            let text = String::from_utf8_lossy(body);
            let linter = Linter::new(nestlint_rules::all_rules());
            check(&linter, name, &text).map_err(Failed::from)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

fn collect_all(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|e| e.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_all(&path, out);
        } else if path.file_name().is_some_and(|n| n != "README.md") {
            out.push(path);
        }
    }
}
