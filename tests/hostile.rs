//! Hostile shapes of code: nesting thousands deep, chains and lists tens of thousands long. For
//! each shape, generated here (nothing big is committed):
//! - `completes::<shape>`: a large instance is linted to the end, with exit code 0 or 1, no panic
//!   and no stack overflow, within a minute;
//! - `cost::<shape>`: the work grows linearly with the shape's size. Work is counted, not timed:
//!   the instructions valgrind's callgrind counts for one run at size n and one at 2n (one
//!   thread), whose ratio must stay under [`LINEAR`]. Without valgrind these are reported as
//!   ignored (a failure with `NESTLINT_REQUIRE_TOOLS=1`).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{unavailable, write};
use libtest_mimic::{Arguments, Completion, Failed, Trial};

type Outcome = Result<Completion, Failed>;

/// The most the work may grow when a shape doubles: 2 for linear work, plus slack for the parts
/// of a run that grow by less (startup) or more (sorting: n log n).
const LINEAR: f64 = 2.5;

struct Shape {
    name: &'static str,
    /// The size the `completes` test lints.
    large: usize,
    /// The size n of the `cost` test (which also lints 2n).
    cost: usize,
    /// The files of the project at a size.
    files: fn(usize) -> Vec<(String, String)>,
}

const HEAD: &str = "import { Body, Controller, Get, Injectable, Module, Param, Post, Query, UseGuards } from '@nestjs/common';\n\
import { IsString } from 'class-validator';\n\
export class Dto { @IsString() a: string; }\n";

fn one(text: String) -> Vec<(String, String)> {
    vec![("src/a.ts".to_owned(), text)]
}

fn body_typed(ty: String) -> Vec<(String, String)> {
    one(format!(
        "{HEAD}@Controller('x') export class XController {{ @Post() p(@Body() b: {ty}) {{}} }}\n"
    ))
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            name: "body_type_generic_nested",
            large: 5_000,
            cost: 4_000,
            files: |n| body_typed(format!("{}Dto{}", "Array<".repeat(n), ">".repeat(n))),
        },
        Shape {
            name: "body_type_array_nested",
            large: 5_000,
            cost: 4_000,
            files: |n| body_typed(format!("Dto{}", "[]".repeat(n))),
        },
        Shape {
            name: "body_type_parenthesized",
            large: 5_000,
            cost: 4_000,
            files: |n| body_typed(format!("{}Dto{}", "(".repeat(n), ")".repeat(n))),
        },
        Shape {
            name: "body_type_partial_nested",
            large: 5_000,
            cost: 4_000,
            files: |n| body_typed(format!("{}Dto{}", "Partial<".repeat(n), ">".repeat(n))),
        },
        Shape {
            name: "body_type_union",
            large: 20_000,
            cost: 4_000,
            files: |n| {
                let members: Vec<String> = (0..n).map(|i| format!("'v{i}'")).collect();
                body_typed(members.join(" | "))
            },
        },
        Shape {
            name: "dto_property_type_nested",
            large: 5_000,
            cost: 4_000,
            files: |n| {
                one(format!(
                    "{HEAD}export class Deep {{ x: {}string{}; }}\n\
                     @Controller('x') export class XController {{ @Post() p(@Body() b: Deep) {{}} }}\n",
                    "Array<".repeat(n),
                    ">".repeat(n)
                ))
            },
        },
        Shape {
            name: "dto_inheritance_chain",
            large: 10_000,
            cost: 1_500,
            files: |n| {
                let mut text = format!("{HEAD}export class D0 {{ f0: string; }}\n");
                for i in 1..n {
                    text.push_str(&format!(
                        "export class D{i} extends D{} {{ f{i}: string; }}\n",
                        i - 1
                    ));
                }
                text.push_str(&format!(
                    "@Controller('x') export class XController {{ @Post() p(@Body() b: D{}) {{}} }}\n",
                    n - 1
                ));
                one(text)
            },
        },
        Shape {
            name: "builder_chain",
            large: 20_000,
            cost: 3_000,
            files: |n| one(format!("export const x = qb{};\n", ".where()".repeat(n))),
        },
        Shape {
            name: "member_chain_call",
            large: 20_000,
            cost: 3_000,
            files: |n| one(format!("export const x = a{}.run();\n", ".b".repeat(n))),
        },
        Shape {
            name: "nested_calls_in_handler",
            large: 5_000,
            cost: 2_000,
            files: |n| {
                one(format!(
                    "{HEAD}@Controller('x') export class XController {{ @Post() p(@Body() b: any) {{ return {}b{}; }} }}\n",
                    "f(".repeat(n),
                    ")".repeat(n)
                ))
            },
        },
        Shape {
            name: "nested_ifs_in_handler",
            large: 5_000,
            cost: 1_000,
            files: |n| {
                one(format!(
                    "{HEAD}@Controller('x') export class XController {{ @Post() p(@Body() b: any) {{ {} return b; {} }} }}\n",
                    "if (b.x) { ".repeat(n),
                    "}".repeat(n)
                ))
            },
        },
        Shape {
            name: "unannotated_repositories",
            large: 4_000,
            cost: 300,
            files: |n| {
                let mut text = String::from(
                    "import { Injectable } from '@nestjs/common';\nimport { Repository } from 'typeorm';\n",
                );
                for i in 0..n {
                    text.push_str(&format!("export class E{i} {{}}\n"));
                }
                text.push_str("@Injectable()\nexport class S {\n  constructor(\n");
                for i in 0..n {
                    text.push_str(&format!("    private readonly r{i}: Repository<E{i}>,\n"));
                }
                text.push_str("  ) {}\n}\n");
                one(text)
            },
        },
        Shape {
            name: "classes_nested_in_methods",
            large: 20_000,
            cost: 1_500,
            files: |n| {
                let mut text = String::new();
                text.push_str("export class C0 { m() { ");
                for i in 1..n {
                    text.push_str(&format!("class C{i} {{ m() {{ "));
                }
                text.push_str(&"} }".repeat(n));
                text.push('\n');
                one(text)
            },
        },
        Shape {
            // The same in a file importing `@nestjs/common`: rules read each class's decorators.
            name: "classes_nested_in_methods_of_a_nest_file",
            large: 20_000,
            cost: 1_500,
            files: |n| {
                let mut text = String::from("import { Controller } from '@nestjs/common';\n");
                text.push_str("export class C0 { m() { ");
                for i in 1..n {
                    text.push_str(&format!("class C{i} {{ m() {{ "));
                }
                text.push_str(&"} }".repeat(n));
                text.push('\n');
                one(text)
            },
        },
        Shape {
            name: "controllers_in_one_file",
            large: 40_000,
            cost: 400,
            files: |n| {
                let mut text = String::from(HEAD);
                for i in 0..n {
                    text.push_str(&format!(
                        "@Controller('c{i}') export class C{i} {{ @Post() p(@Body() b: Dto) {{}} }}\n"
                    ));
                }
                one(text)
            },
        },
        Shape {
            name: "decorator_factory_chain",
            large: 20_000,
            cost: 1_500,
            files: |n| {
                let mut text = String::from(HEAD);
                text.push_str("export const f0 = () => UseGuards();\n");
                for i in 1..n {
                    text.push_str(&format!("export const f{i} = () => f{}();\n", i - 1));
                }
                text.push_str(&format!(
                    "@f{}() @Controller('x') export class XController {{ @Post() p() {{}} }}\n",
                    n - 1
                ));
                one(text)
            },
        },
        Shape {
            name: "constant_chain_jwt_secret",
            large: 20_000,
            cost: 1_500,
            files: |n| {
                let mut text = String::from(
                    "import { JwtModule } from '@nestjs/jwt';\nconst s0 = 'secret';\n",
                );
                for i in 1..n {
                    text.push_str(&format!("const s{i} = s{};\n", i - 1));
                }
                text.push_str(&format!(
                    "export const jwt = JwtModule.register({{ secret: s{} }});\n",
                    n - 1
                ));
                one(text)
            },
        },
        Shape {
            name: "jwt_secret_references",
            large: 10_000,
            cost: 400,
            files: |n| {
                let mut text = String::from("import * as jwt from 'jsonwebtoken';\n");
                for i in 0..n {
                    text.push_str(&format!("const S{i} = process.env.S{i} ?? 'dev';\n"));
                }
                for i in 0..n {
                    text.push_str(&format!("export const t{i} = jwt.sign({{}}, S{i});\n"));
                }
                one(text)
            },
        },
        Shape {
            name: "nested_module_arrays",
            large: 5_000,
            cost: 2_000,
            files: |n| {
                one(format!(
                    "{HEAD}@Module({{ imports: {}AModule{} }}) export class AppModule {{}}\n",
                    "[".repeat(n),
                    "]".repeat(n)
                ))
            },
        },
        Shape {
            name: "module_import_chain",
            large: 10_000,
            cost: 1_000,
            files: |n| {
                let mut text = String::from(HEAD);
                text.push_str("@Controller('x') export class XController { @Get() g() {} }\n");
                text.push_str("@Module({ controllers: [XController] }) export class M0 {}\n");
                for i in 1..n {
                    text.push_str(&format!(
                        "@Module({{ imports: [M{}] }}) export class M{i} {{}}\n",
                        i - 1
                    ));
                }
                text.push_str(&format!(
                    "import {{ NestFactory }} from '@nestjs/core';\n\
                     async function bootstrap() {{ const app = await NestFactory.create(M{}); await app.listen(3000); }}\n\
                     bootstrap();\n",
                    n - 1
                ));
                one(text)
            },
        },
        Shape {
            name: "modules_in_many_files",
            large: 3_000,
            cost: 300,
            files: |n| {
                let mut files = Vec::new();
                for i in 0..n {
                    let import = if i == 0 {
                        String::new()
                    } else {
                        format!("import {{ M{} }} from './m{}';\n", i - 1, i - 1)
                    };
                    let imports = if i == 0 {
                        String::new()
                    } else {
                        format!("imports: [M{}], ", i - 1)
                    };
                    files.push((
                        format!("src/m{i}.ts"),
                        format!(
                            "import {{ Controller, Get, Module }} from '@nestjs/common';\n{import}\
                             @Controller('c{i}') export class C{i} {{ @Get() g() {{}} }}\n\
                             @Module({{ {imports}controllers: [C{i}] }}) export class M{i} {{}}\n"
                        ),
                    ));
                }
                files.push((
                    "src/main.ts".to_owned(),
                    format!(
                        "import {{ NestFactory }} from '@nestjs/core';\nimport {{ M{} }} from './m{}';\n\
                         async function bootstrap() {{ const app = await NestFactory.create(M{}); await app.listen(3000); }}\n\
                         bootstrap();\n",
                        n - 1,
                        n - 1,
                        n - 1
                    ),
                ));
                files
            },
        },
        Shape {
            name: "many_imported_names",
            large: 20_000,
            cost: 3_000,
            files: |n| {
                let names: Vec<String> = (0..n).map(|i| format!("A{i}")).collect();
                one(format!(
                    "import {{ {} }} from './b';\nexport const all = [{}];\n",
                    names.join(", "),
                    names.join(", ")
                ))
            },
        },
        Shape {
            name: "long_line_with_finding",
            large: 3_000_000,
            cost: 200_000,
            files: |n| {
                one(format!(
                    "import {{ JwtModule }} from '@nestjs/jwt'; export const pad = '{}'; JwtModule.register({{ secret: 'x' }});\n",
                    "x".repeat(n)
                ))
            },
        },
    ]
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for shape in shapes() {
        let Shape {
            name, large, files, ..
        } = shape;
        trials.push(Trial::test(format!("completes::{name}"), move || {
            completes(large, files)
        }));
    }
    for shape in shapes() {
        let Shape {
            name, cost, files, ..
        } = shape;
        trials.push(Trial::ignorable_test(format!("cost::{name}"), move || {
            linear_cost(cost, files)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

fn project(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    write(
        dir.path(),
        "package.json",
        r#"{"dependencies":{"@nestjs/common":"*","@nestjs/core":"*","@nestjs/jwt":"*","@nestjs/typeorm":"*","typeorm":"*","class-validator":"*","jsonwebtoken":"*"}}"#,
    );
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

/// Lints a large instance: it must end, without a crash, within a minute.
fn completes(size: usize, files: fn(usize) -> Vec<(String, String)>) -> Result<(), Failed> {
    let dir = project(&files(size));
    let mut child = Command::new(env!("CARGO_BIN_EXE_nestlint"))
        .args(["--format", "concise", "--no-config", "."])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return Err(format!("still running after a minute (size {size})").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read;
        pipe.read_to_string(&mut stderr)?;
    }
    match status.code() {
        Some(0 | 1) if !stderr.contains("panicked") => Ok(()),
        code => Err(format!("exit {code:?} at size {size}: {stderr}").into()),
    }
}

/// The work at size 2n is at most [`LINEAR`] times the work at size n.
fn linear_cost(n: usize, files: fn(usize) -> Vec<(String, String)>) -> Outcome {
    if Command::new("valgrind").arg("--version").output().is_err() {
        return unavailable(
            "valgrind is not installed (the cost tests count instructions with it)",
        );
    }
    let small = instructions(&files(n))?;
    let large = instructions(&files(2 * n))?;
    let ratio = large as f64 / small as f64;
    if std::env::var_os("NESTLINT_SHOW_COST").is_some() {
        eprintln!("n = {n}: {small} -> {large} instructions, {ratio:.2}x");
    }
    if ratio > LINEAR {
        return Err(format!(
            "work grew {ratio:.2}x when the shape doubled ({small} -> {large} instructions at n = {n} and {})",
            2 * n
        )
        .into());
    }
    Ok(Completion::Completed)
}

/// The instructions one single-threaded run executes, as callgrind counts them.
fn instructions(files: &[(String, String)]) -> Result<u64, Failed> {
    let dir = project(files);
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(env!("CARGO_BIN_EXE_nestlint"))
        .args(["--threads", "1", "--format", "concise", "--no-config", "."])
        .current_dir(dir.path())
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    parse_collected(&stderr)
        .ok_or_else(|| format!("no instruction count from valgrind: {stderr}").into())
}

/// `==123== Collected : 456789` in callgrind's report.
fn parse_collected(report: &str) -> Option<u64> {
    report
        .lines()
        .find_map(|line| line.split("Collected :").nth(1))
        .and_then(|count| count.trim().replace(',', "").parse().ok())
}
