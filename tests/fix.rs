//! End-to-end tests of fixing: `--fix`, `--unsafe-fixes`, `--diff`, `--stdin-filename`, the
//! per-rule `fix` setting, and what a written file keeps (line endings, BOM, permissions).

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{code, copy_tree, nestlint, repo_root, stderr, stdout, write};

const ENTITY: &str = "import { Entity, PrimaryGeneratedColumn } from 'typeorm';\n@Entity()\nexport class Order {\n  @PrimaryGeneratedColumn() id: number;\n}\n";
/// A service that injects a repository without `@InjectRepository` (a safe fix).
const SERVICE: &str = r#"import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { Order } from './order.entity';

@Injectable()
export class OrdersService {
  constructor(private readonly orders: Repository<Order>) {}
}
"#;
const FIXED_SERVICE: &str = r#"import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { Order } from './order.entity';
import { InjectRepository } from '@nestjs/typeorm';

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}
}
"#;

fn typeorm_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "package.json",
        r#"{"dependencies":{"@nestjs/common":"*","@nestjs/typeorm":"*","typeorm":"*"}}"#,
    );
    write(dir.path(), "src/order.entity.ts", ENTITY);
    dir
}

fn read(root: &Path, path: &str) -> String {
    fs::read_to_string(root.join(path)).unwrap()
}

fn files_below(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(root).unwrap().flatten() {
        if entry.path().is_dir() {
            files.extend(files_below(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files.sort();
    files
}

#[test]
fn fix_on_a_copy_of_the_example_app_applies_safe_then_unsafe_fixes_and_is_idempotent() {
    let scratch = tempfile::tempdir().unwrap();
    let app = scratch.path().join("shop-api");
    copy_tree(&repo_root().join("examples/shop-api"), &app);
    let before: Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> = files_below(&app)
        .into_iter()
        .map(|p| {
            let modified = fs::metadata(&p).unwrap().modified().unwrap();
            (p.clone(), fs::read(&p).unwrap(), modified)
        })
        .collect();

    let output = nestlint(&app, &["--fix", "."]);
    // Errors remain (hard-coded secrets are not fixable), so the run still fails.
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(stdout(&output).contains("Fixed 1 problem in 1 file."));
    let service = read(&app, "src/orders/orders.service.ts");
    assert!(service.contains("@InjectRepository(Order) private readonly orders"));
    assert!(service.contains("import { InjectRepository } from '@nestjs/typeorm';"));
    assert!(!stdout(&output).contains("injected without `@InjectRepository(Order)`"));
    // Only the fixed file was written: every other file is byte-for-byte and time-for-time as it was.
    for (path, bytes, modified) in &before {
        if path.ends_with("src/orders/orders.service.ts") {
            continue;
        }
        assert_eq!(
            &fs::read(path).unwrap(),
            bytes,
            "{} changed",
            path.display()
        );
        assert_eq!(
            &fs::metadata(path).unwrap().modified().unwrap(),
            modified,
            "{} was rewritten",
            path.display()
        );
    }
    // Unsafe fixes are announced, then applied on request.
    assert!(stdout(&output).contains("2 fixable with `--fix --unsafe-fixes`"));
    let output = nestlint(&app, &["--fix", "--unsafe-fixes", "."]);
    assert!(stdout(&output).contains("Fixed 2 problems in 2 files."));
    let module = read(&app, "src/products/products.module.ts");
    assert!(module.contains("imports: [TypeOrmModule.forFeature([Product])],"));
    assert!(module.contains("import { Product } from './product.entity';"));
    assert!(module.contains("import { TypeOrmModule } from '@nestjs/typeorm';"));
    assert!(read(&app, "src/users/users.controller.ts")
        .contains("import { LoginDto } from './dto/login.dto';"));

    // Idempotent: nothing more to fix, so nothing to diff.
    let snapshot: Vec<Vec<u8>> = files_below(&app)
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    let again = nestlint(&app, &["--fix", "--unsafe-fixes", "."]);
    assert!(!stdout(&again).contains("Fixed"), "{}", stdout(&again));
    let after: Vec<Vec<u8>> = files_below(&app)
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    assert_eq!(snapshot, after);
    let diff = nestlint(&app, &["--diff", "--unsafe-fixes", "."]);
    assert_eq!(code(&diff), 0);
    assert!(stderr(&diff).contains("no fixes available"));
}

#[test]
fn crlf_bom_and_a_missing_final_newline_survive_a_fix() {
    let dir = typeorm_project();
    let crlf = SERVICE.replace('\n', "\r\n");
    let with_bom = format!("\u{feff}{}", crlf.trim_end_matches("\r\n"));
    write(dir.path(), "src/orders.service.ts", &with_bom);
    let output = nestlint(dir.path(), &["--fix", "."]);
    assert_eq!(code(&output), 0, "{}{}", stdout(&output), stderr(&output));
    let fixed = read(dir.path(), "src/orders.service.ts");
    let expected = format!(
        "\u{feff}{}",
        FIXED_SERVICE.replace('\n', "\r\n").trim_end_matches("\r\n")
    );
    assert_eq!(fixed, expected);
    assert!(
        !fixed.replace("\r\n", "").contains('\n'),
        "a bare LF was inserted"
    );
}

#[cfg(unix)]
#[test]
fn a_read_only_file_is_reported_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = typeorm_project();
    write(
        dir.path(),
        "src/locked.service.ts",
        &SERVICE.replace("OrdersService", "LockedService"),
    );
    write(dir.path(), "src/orders.service.ts", SERVICE);
    let locked = dir.path().join("src/locked.service.ts");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o444)).unwrap();

    let output = nestlint(dir.path(), &["--fix", "--format", "concise", "."]);
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).contains("nestlint: fixed 1 problem in 1 file"));
    assert!(
        stderr(&output).contains(
            "src/locked.service.ts: not fixed: the file is read-only (1 fix not applied)"
        ),
        "{}",
        stderr(&output)
    );
    // The read-only file is untouched and its finding still reported; the other file is fixed.
    assert_eq!(
        read(dir.path(), "src/locked.service.ts"),
        SERVICE.replace("OrdersService", "LockedService")
    );
    assert!(
        stdout(&output).contains("src/locked.service.ts:7:40: error [valid-repository-injection]")
    );
    assert_eq!(read(dir.path(), "src/orders.service.ts"), FIXED_SERVICE);
    let mode = fs::metadata(&locked).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o444);
}

#[cfg(unix)]
#[test]
fn a_fixed_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = typeorm_project();
    write(dir.path(), "src/orders.service.ts", SERVICE);
    let path = dir.path().join("src/orders.service.ts");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let output = nestlint(dir.path(), &["--fix", "."]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(read(dir.path(), "src/orders.service.ts"), FIXED_SERVICE);
    let mode = fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    // No temporary file is left behind.
    let leftovers: Vec<_> = files_below(dir.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".nestlint-fix-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn diff_prints_what_fix_would_change_writes_nothing_and_exits_1() {
    let dir = typeorm_project();
    write(dir.path(), "src/orders.service.ts", SERVICE);
    let output = nestlint(dir.path(), &["--diff", "."]);
    assert_eq!(code(&output), 1);
    let diff = stdout(&output);
    assert!(
        diff.starts_with("--- src/orders.service.ts\n+++ src/orders.service.ts\n"),
        "{diff}"
    );
    assert!(diff.contains("+import { InjectRepository } from '@nestjs/typeorm';\n"));
    assert!(diff.contains(
        "-  constructor(private readonly orders: Repository<Order>) {}\n\
         +  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}\n"
    ));
    assert!(stderr(&output).contains("would fix 1 problem in 1 file"));
    assert_eq!(read(dir.path(), "src/orders.service.ts"), SERVICE);

    // Nothing to fix: exit 0, even though findings without fixes remain.
    write(dir.path(), "src/orders.service.ts", FIXED_SERVICE);
    write(
        dir.path(),
        "src/jwt.ts",
        "import { JwtModule } from '@nestjs/jwt';\nJwtModule.register({ secret: 'x' });\n",
    );
    write(
        dir.path(),
        "package.json",
        r#"{"dependencies":{"@nestjs/common":"*","@nestjs/jwt":"*","@nestjs/typeorm":"*","typeorm":"*"}}"#,
    );
    let output = nestlint(dir.path(), &["--diff", "."]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert!(stdout(&output).is_empty());
}

fn nestlint_with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nestlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nestlint");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for nestlint")
}

#[test]
fn stdin_is_linted_as_the_named_file_and_fixed_to_stdout() {
    let dir = typeorm_project();
    // The named file need not exist: its directory gives it a project and a config.
    let args = [
        "--stdin-filename",
        "src/orders.service.ts",
        "--format",
        "concise",
    ];
    let output = nestlint_with_stdin(dir.path(), &args, SERVICE);
    assert_eq!(code(&output), 1);
    assert_eq!(
        stdout(&output),
        "src/orders.service.ts:7:40: error [valid-repository-injection] `orders` is a \
         `Repository<Order>` injected without `@InjectRepository(Order)`\n"
    );

    let mut fix_args = args.to_vec();
    fix_args.push("--fix");
    let output = nestlint_with_stdin(dir.path(), &fix_args, SERVICE);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), FIXED_SERVICE);
    assert!(!dir.path().join("src/orders.service.ts").exists());

    // Nothing to fix: the text comes back unchanged, findings go to stderr.
    let unfixable =
        "import { JwtModule } from '@nestjs/jwt';\nJwtModule.register({ secret: 'x' });\n";
    write(
        dir.path(),
        "package.json",
        r#"{"dependencies":{"@nestjs/jwt":"*"}}"#,
    );
    let output = nestlint_with_stdin(
        dir.path(),
        &[
            "--stdin-filename",
            "src/jwt.ts",
            "--fix",
            "--format",
            "concise",
        ],
        unfixable,
    );
    assert_eq!(code(&output), 1);
    assert_eq!(stdout(&output), unfixable);
    assert!(stderr(&output).contains("src/jwt.ts:2:30: error [no-hardcoded-jwt-secret]"));

    // Standard input that is not UTF-8 is an error, not a crash.
    let mut child = Command::new(env!("CARGO_BIN_EXE_nestlint"))
        .args(["--stdin-filename", "src/x.ts"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&[0xff, 0xfe, 0x41])
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("standard input: not valid UTF-8"));
}

#[test]
fn the_per_rule_fix_setting_changes_what_fix_applies() {
    let dir = typeorm_project();
    write(dir.path(), "src/orders.service.ts", SERVICE);

    // `none`: the fix is not even offered.
    write(
        dir.path(),
        "nestlint.toml",
        "[rules]\nvalid-repository-injection = { level = \"error\", fix = \"none\" }\n",
    );
    let output = nestlint(dir.path(), &["--fix", "."]);
    assert_eq!(code(&output), 1);
    assert_eq!(read(dir.path(), "src/orders.service.ts"), SERVICE);
    assert!(!stdout(&output).contains("= fix:"));

    // `unsafe`: only `--unsafe-fixes` applies it.
    write(
        dir.path(),
        "nestlint.toml",
        "[rules]\nvalid-repository-injection = { fix = \"unsafe\" }\n",
    );
    let output = nestlint(dir.path(), &["--fix", "."]);
    assert_eq!(read(dir.path(), "src/orders.service.ts"), SERVICE);
    assert!(stdout(&output).contains("1 fixable with `--fix --unsafe-fixes`"));
    let output = nestlint(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert_eq!(read(dir.path(), "src/orders.service.ts"), FIXED_SERVICE);

    // `safe`: the rule's unsafe fixes (registering the entity) apply with plain `--fix`.
    write(
        dir.path(),
        "nestlint.toml",
        "[rules]\nvalid-repository-injection = { fix = \"safe\" }\n",
    );
    write(
        dir.path(),
        "src/orders.module.ts",
        "import { Module } from '@nestjs/common';\nimport { OrdersService } from './orders.service';\n\n\
         @Module({ providers: [OrdersService] })\nexport class OrdersModule {}\n",
    );
    let output = nestlint(dir.path(), &["--fix", "."]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert!(read(dir.path(), "src/orders.module.ts").contains(
        "@Module({ imports: [TypeOrmModule.forFeature([Order])], providers: [OrdersService] })"
    ));

    // A bad value is a configuration error.
    write(
        dir.path(),
        "nestlint.toml",
        "[rules]\nvalid-repository-injection = { fix = \"always\" }\n",
    );
    let output = nestlint(dir.path(), &["--fix", "."]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains(
        "invalid `fix` for `valid-repository-injection`: use \"safe\", \"unsafe\" or \"none\""
    ));
}

#[test]
fn fix_edits_only_files_being_linted() {
    // The module that should register the entity is outside the linted path: the cross-file
    // fix is not offered, and the module is left alone.
    let dir = typeorm_project();
    write(
        dir.path(),
        "src/orders/orders.service.ts",
        &FIXED_SERVICE.replace("./order.entity", "../order.entity"),
    );
    let module = "import { Module } from '@nestjs/common';\n\
import { OrdersService } from './orders/orders.service';\n\n\
@Module({ providers: [OrdersService] })\nexport class OrdersModule {}\n";
    write(dir.path(), "src/orders.module.ts", module);
    let output = nestlint(dir.path(), &["--fix", "--unsafe-fixes", "src/orders"]);
    assert_eq!(code(&output), 1);
    assert!(stdout(&output).contains("entity `Order` is not registered in `OrdersModule`"));
    assert_eq!(read(dir.path(), "src/orders.module.ts"), module);
    let output = nestlint(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert!(read(dir.path(), "src/orders.module.ts").contains("TypeOrmModule.forFeature([Order])"));
}

#[test]
fn findings_that_share_one_import_are_each_fixed_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "package.json",
        r#"{"dependencies":{"@nestjs/common":"*","class-validator":"*"}}"#,
    );
    write(
        dir.path(),
        "src/main.ts",
        "import { NestFactory } from '@nestjs/core';\nimport { ValidationPipe } from '@nestjs/common';\n\
         async function bootstrap() {\n  const app = await NestFactory.create(AppModule);\n  \
         app.useGlobalPipes(new ValidationPipe({ whitelist: true }));\n}\n",
    );
    write(
        dir.path(),
        "src/dto.ts",
        "import { IsString } from 'class-validator';\n\
         export class ADto { @IsString() a: string; }\n\
         export class BDto { @IsString() b: string; }\n\
         export class CDto { @IsString() c: string; }\n",
    );
    write(
        dir.path(),
        "src/x.controller.ts",
        "import { Body, Controller, Post, UseGuards } from '@nestjs/common';\n\
         import type { ADto, BDto, CDto } from './dto';\n\
         @UseGuards(Guard)\n@Controller('x')\nexport class XController {\n  \
         @Post('a') a(@Body() body: ADto) {}\n  \
         @Post('b') b(@Body() body: BDto) {}\n  \
         @Post('c') c(@Body() body: CDto) {}\n}\n",
    );
    let output = nestlint(dir.path(), &["--format", "concise", "."]);
    assert_eq!(stdout(&output).lines().count(), 3, "{}", stdout(&output));
    let output = nestlint(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--format", "concise", "."],
    );
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert!(
        stderr(&output).contains("nestlint: fixed 3 problems in 1 file"),
        "{}",
        stderr(&output)
    );
    assert!(read(dir.path(), "src/x.controller.ts")
        .contains("import { ADto, BDto, CDto } from './dto';"));
}
