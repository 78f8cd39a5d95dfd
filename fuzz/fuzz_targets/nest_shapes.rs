//! Structured NestJS code: a generator of files made of the shapes the rules read (imports,
//! DTOs with inheritance and mapped types, controllers with guards, pipes and parameters,
//! modules, services with repositories, bootstraps, JWT secrets) and of hostile ones (nesting
//! thousands deep, chains and lists thousands long, raw fragments that break the grammar).
//! Names come from a small pool, so declarations and references meet. Every file must keep the
//! invariants of `nestlint_engine::selfcheck`.
#![no_main]

use std::fmt::Write;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nestlint_engine::selfcheck::check_text;
use nestlint_engine::Linter;

#[derive(Arbitrary, Debug, Clone, Copy)]
#[allow(non_camel_case_types)] // the names are written as they appear in code
enum Name {
    User,
    Order,
    CreateUserDto,
    UpdateUserDto,
    AppModule,
    UsersModule,
    UsersService,
    UsersController,
    AuthGuard,
    RolesGuard,
    ThrottlerGuard,
    SECRET,
    config,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Package {
    NestCommon,
    NestCore,
    NestTypeorm,
    Typeorm,
    NestJwt,
    NestPassport,
    NestSwagger,
    ClassValidator,
    Jsonwebtoken,
    Relative,
    Unknown,
}

impl Package {
    fn specifier(self) -> &'static str {
        match self {
            Package::NestCommon => "@nestjs/common",
            Package::NestCore => "@nestjs/core",
            Package::NestTypeorm => "@nestjs/typeorm",
            Package::Typeorm => "typeorm",
            Package::NestJwt => "@nestjs/jwt",
            Package::NestPassport => "@nestjs/passport",
            Package::NestSwagger => "@nestjs/swagger",
            Package::ClassValidator => "class-validator",
            Package::Jsonwebtoken => "jsonwebtoken",
            Package::Relative => "./other",
            Package::Unknown => "some-package",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Type {
    Named(Name),
    Keyword(u8),
    Array(Box<Type>),
    Generic(Name, Vec<Type>),
    Union(Vec<Type>),
    Object,
}

#[derive(Arbitrary, Debug)]
enum Decorator {
    Body(Option<Pipe>),
    Query,
    Param(bool),
    Req,
    Named(Name),
    UseGuards(Vec<Name>),
    UsePipes(Pipe),
    Route(u8, bool),
    IsString,
    Public,
    InjectRepository(Name),
}

#[derive(Arbitrary, Debug)]
enum Pipe {
    Validation,
    Zod,
    Custom(Name),
}

#[derive(Arbitrary, Debug)]
struct Param {
    decorators: Vec<Decorator>,
    name: Name,
    ty: Option<Type>,
}

#[derive(Arbitrary, Debug)]
struct Member {
    decorators: Vec<Decorator>,
    name: Name,
    params: Vec<Param>,
    body: Vec<Statement>,
}

#[derive(Arbitrary, Debug)]
enum Statement {
    Return(Expr),
    Guard(Name, bool),
    Call(Expr),
}

#[derive(Arbitrary, Debug)]
enum Expr {
    Name(Name),
    Member(Name, Name),
    Call(Box<Expr>, Vec<Expr>),
    Str(u8),
    Fallback(Box<Expr>, Box<Expr>),
    Object(Vec<(Name, Expr)>),
    Array(Vec<Expr>),
}

#[derive(Arbitrary, Debug)]
enum Deep {
    Generic,
    Brackets,
    Parens,
    Calls,
    Arrays,
    Ifs,
    Classes,
    Union,
}

#[derive(Arbitrary, Debug)]
enum Item {
    Import(Vec<Name>, Package, bool),
    Class {
        decorators: Vec<Decorator>,
        name: Name,
        extends: Option<Expr>,
        properties: Vec<(Vec<Decorator>, Name, Option<Type>)>,
        constructor: Option<Vec<Param>>,
        members: Vec<Member>,
    },
    Module {
        imports: Vec<Expr>,
        providers: Vec<Expr>,
        controllers: Vec<Name>,
    },
    Const(Name, Expr),
    Bootstrap(Name, Vec<Expr>),
    Deep(Deep, u16),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct File {
    tsx: bool,
    items: Vec<Item>,
}

fn name(n: Name) -> String {
    format!("{n:?}")
}

fn ty(out: &mut String, t: &Type, depth: usize) {
    if depth > 40 {
        out.push_str("X");
        return;
    }
    match t {
        Type::Named(n) => out.push_str(&name(*n)),
        Type::Keyword(k) => {
            out.push_str(["string", "any", "unknown", "number", "object"][*k as usize % 5])
        }
        Type::Array(inner) => {
            ty(out, inner, depth + 1);
            out.push_str("[]");
        }
        Type::Generic(n, args) => {
            out.push_str(&name(*n));
            out.push('<');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                ty(out, a, depth + 1);
            }
            out.push('>');
        }
        Type::Union(members) => {
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                ty(out, m, depth + 1);
            }
        }
        Type::Object => out.push_str("{ a: string }"),
    }
}

fn expr(out: &mut String, e: &Expr, depth: usize) {
    if depth > 40 {
        out.push('x');
        return;
    }
    match e {
        Expr::Name(n) => out.push_str(&name(*n)),
        Expr::Member(a, b) => {
            let _ = write!(out, "{}.{}", name(*a), name(*b));
        }
        Expr::Call(callee, args) => {
            expr(out, callee, depth + 1);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                expr(out, a, depth + 1);
            }
            out.push(')');
        }
        Expr::Str(s) => {
            let _ = write!(out, "'s{s}'");
        }
        Expr::Fallback(a, b) => {
            expr(out, a, depth + 1);
            out.push_str(" ?? ");
            expr(out, b, depth + 1);
        }
        Expr::Object(entries) => {
            out.push_str("{ ");
            for (k, v) in entries {
                let _ = write!(out, "{}: ", name(*k));
                expr(out, v, depth + 1);
                out.push_str(", ");
            }
            out.push('}');
        }
        Expr::Array(items) => {
            out.push('[');
            for item in items {
                expr(out, item, depth + 1);
                out.push_str(", ");
            }
            out.push(']');
        }
    }
}

fn pipe(out: &mut String, p: &Pipe) {
    match p {
        Pipe::Validation => out.push_str("new ValidationPipe({ whitelist: true })"),
        Pipe::Zod => out.push_str("new ZodValidationPipe(schema)"),
        Pipe::Custom(n) => out.push_str(&name(*n)),
    }
}

fn decorator(out: &mut String, d: &Decorator) {
    match d {
        Decorator::Body(p) => {
            out.push_str("@Body(");
            if let Some(p) = p {
                pipe(out, p);
            }
            out.push_str(") ");
        }
        Decorator::Query => out.push_str("@Query() "),
        Decorator::Param(key) => out.push_str(if *key { "@Param('id') " } else { "@Param() " }),
        Decorator::Req => out.push_str("@Req() "),
        Decorator::Named(n) => {
            let _ = write!(out, "@{}() ", name(*n));
        }
        Decorator::UseGuards(guards) => {
            out.push_str("@UseGuards(");
            for (i, g) in guards.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&name(*g));
            }
            out.push_str(") ");
        }
        Decorator::UsePipes(p) => {
            out.push_str("@UsePipes(");
            pipe(out, p);
            out.push_str(") ");
        }
        Decorator::Route(method, path) => {
            let method = ["Get", "Post", "Put", "Patch", "Delete", "Sse"][*method as usize % 6];
            let path = if *path { "':id'" } else { "" };
            let _ = write!(out, "@{method}({path}) ");
        }
        Decorator::IsString => out.push_str("@IsString() "),
        Decorator::Public => out.push_str("@Public() "),
        Decorator::InjectRepository(n) => {
            let _ = write!(out, "@InjectRepository({}) ", name(*n));
        }
    }
}

fn params(out: &mut String, list: &[Param]) {
    for (i, p) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for d in &p.decorators {
            decorator(out, d);
        }
        let _ = write!(out, "p{}", name(p.name));
        if let Some(t) = &p.ty {
            out.push_str(": ");
            ty(out, t, 0);
        }
    }
}

fn deep(out: &mut String, kind: &Deep, n: usize) {
    match kind {
        Deep::Generic => {
            let _ = writeln!(
                out,
                "export class D {{ @Post() p(@Body() b: {}User{}) {{}} }}",
                "Array<".repeat(n),
                ">".repeat(n)
            );
        }
        Deep::Brackets => {
            let _ = writeln!(
                out,
                "export class D {{ @Post() p(@Body() b: User{}) {{}} }}",
                "[]".repeat(n)
            );
        }
        Deep::Parens => {
            let _ = writeln!(out, "export const d = {}1{};", "(".repeat(n), ")".repeat(n));
        }
        Deep::Calls => {
            let _ = writeln!(out, "export const d = qb{};", ".where()".repeat(n));
        }
        Deep::Arrays => {
            let _ = writeln!(
                out,
                "@Module({{ imports: {}A{} }}) export class M {{}}",
                "[".repeat(n),
                "]".repeat(n)
            );
        }
        Deep::Ifs => {
            let _ = writeln!(
                out,
                "export class D {{ @Post() p(@Body() b: any) {{ {} return b; {} }} }}",
                "if (b.x) { ".repeat(n),
                "}".repeat(n)
            );
        }
        Deep::Classes => {
            out.push_str(&"class C { m() { ".repeat(n));
            out.push_str(&"} }".repeat(n));
            out.push('\n');
        }
        Deep::Union => {
            let members: Vec<String> = (0..n).map(|i| format!("'v{i}'")).collect();
            let _ = writeln!(
                out,
                "export class D {{ @Post() p(@Body() b: {}) {{}} }}",
                members.join(" | ")
            );
        }
    }
}

fn render(file: &File) -> String {
    let mut out = String::new();
    for item in &file.items {
        match item {
            Item::Import(names, package, type_only) => {
                let names: Vec<String> = names.iter().map(|n| name(*n)).collect();
                let _ = writeln!(
                    out,
                    "import {}{{ {} }} from '{}';",
                    if *type_only { "type " } else { "" },
                    names.join(", "),
                    package.specifier()
                );
            }
            Item::Class {
                decorators,
                name: class_name,
                extends,
                properties,
                constructor,
                members,
            } => {
                for d in decorators {
                    decorator(&mut out, d);
                }
                let _ = write!(out, "export class {}", name(*class_name));
                if let Some(base) = extends {
                    out.push_str(" extends ");
                    expr(&mut out, base, 0);
                }
                out.push_str(" {\n");
                for (decorators, property, t) in properties {
                    out.push_str("  ");
                    for d in decorators {
                        decorator(&mut out, d);
                    }
                    let _ = write!(out, "f{}", name(*property));
                    if let Some(t) = t {
                        out.push_str(": ");
                        ty(&mut out, t, 0);
                    }
                    out.push_str(";\n");
                }
                if let Some(list) = constructor {
                    out.push_str("  constructor(");
                    params(&mut out, list);
                    out.push_str(") {}\n");
                }
                for member in members {
                    out.push_str("  ");
                    for d in &member.decorators {
                        decorator(&mut out, d);
                    }
                    let _ = write!(out, "m{}(", name(member.name));
                    params(&mut out, &member.params);
                    out.push_str(") {\n");
                    for statement in &member.body {
                        match statement {
                            Statement::Return(e) => {
                                out.push_str("    return ");
                                expr(&mut out, e, 0);
                                out.push_str(";\n");
                            }
                            Statement::Guard(n, throws) => {
                                let _ = writeln!(
                                    out,
                                    "    if (!p{}) {}",
                                    name(*n),
                                    if *throws {
                                        "throw new BadRequestException();"
                                    } else {
                                        "return;"
                                    }
                                );
                            }
                            Statement::Call(e) => {
                                out.push_str("    ");
                                expr(&mut out, e, 0);
                                out.push_str(";\n");
                            }
                        }
                    }
                    out.push_str("  }\n");
                }
                out.push_str("}\n");
            }
            Item::Module {
                imports,
                providers,
                controllers,
            } => {
                out.push_str("@Module({ imports: [");
                for e in imports {
                    expr(&mut out, e, 0);
                    out.push_str(", ");
                }
                out.push_str("], providers: [");
                for e in providers {
                    expr(&mut out, e, 0);
                    out.push_str(", ");
                }
                out.push_str("], controllers: [");
                for c in controllers {
                    out.push_str(&name(*c));
                    out.push_str(", ");
                }
                out.push_str("] })\nexport class AppModule {}\n");
            }
            Item::Const(n, e) => {
                let _ = write!(out, "export const {} = ", name(*n));
                expr(&mut out, e, 0);
                out.push_str(";\n");
            }
            Item::Bootstrap(module, calls) => {
                let _ = writeln!(
                    out,
                    "async function bootstrap() {{\n  const app = await NestFactory.create({});",
                    name(*module)
                );
                for e in calls {
                    out.push_str("  app.useGlobalGuards(");
                    expr(&mut out, e, 0);
                    out.push_str(");\n");
                }
                out.push_str("  await app.listen(3000);\n}\nbootstrap();\n");
            }
            Item::Deep(kind, n) => deep(&mut out, kind, usize::from(*n) % 3_000),
            Item::Raw(text) => out.push_str(text),
        }
    }
    out
}

struct Harness {
    linter: Linter,
    dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| Harness {
        linter: Linter::new(nestlint_rules::all_rules()),
        dir: tempfile::tempdir().expect("a temporary directory"),
    })
}

fuzz_target!(|file: File| {
    let text = render(&file);
    let name = if file.tsx { "input.tsx" } else { "input.ts" };
    let harness = harness();
    // The rendered text is what a regression test replays: written before the check, so a
    // crash or a timeout leaves it behind (`fuzz/run.sh` keeps it).
    if let Some(dir) = std::env::var_os("NESTLINT_FUZZ_LAST_INPUT") {
        let dir = std::path::Path::new(&dir);
        let other = if file.tsx { "input.ts" } else { "input.tsx" };
        let _ = std::fs::remove_file(dir.join(other));
        let _ = std::fs::write(dir.join(name), &text);
    }
    if let Err(why) = check_text(&harness.linter, harness.dir.path(), name, &text) {
        panic!("{why}\n--- input ---\n{text}");
    }
});
