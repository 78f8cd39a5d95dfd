//! Prints the tree-sitter tree of a TypeScript file with field names, byte ranges and leaf text:
//! `cargo run -p nestlint_syntax --example dump -- path/to/file.ts`.
use nestlint_syntax::NodeExt as _;
use std::fmt::Write as _;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump <file.ts>");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("{path}: {err}");
            std::process::exit(2);
        }
    };
    let tsx = path.ends_with(".tsx");
    let Some(tree) = nestlint_syntax::parse(&text, tsx) else {
        eprintln!("{path}: parser gave up");
        std::process::exit(1);
    };
    let mut out = String::new();
    let mut cursor = tree.walk();
    let mut depth = 0;
    loop {
        let node = cursor.node();
        if node.is_named() || node.is_missing() {
            let field = cursor
                .field_name()
                .map(|f| format!("{f}: "))
                .unwrap_or_default();
            let leaf = if node.child_count() == 0 {
                format!(" {:?}", &text[node.byte_range()])
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{}{field}{}{} [{}..{}]{leaf}",
                "  ".repeat(depth),
                node.kind_name(),
                if node.is_missing() { " (MISSING)" } else { "" },
                node.start_byte(),
                node.end_byte()
            );
        } else if !node.kind_name().chars().all(|c| c.is_ascii_punctuation()) {
            let _ = writeln!(out, "{}'{}'", "  ".repeat(depth), node.kind_name());
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                print!("{out}");
                return;
            }
            depth -= 1;
        }
    }
}
