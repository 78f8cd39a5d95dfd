use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Language, Parser, Tree};

/// The grammar for a file: TSX for `.tsx` (angle-bracket assertions differ), TypeScript otherwise.
pub fn language(tsx: bool) -> Language {
    if tsx {
        tree_sitter_typescript::LANGUAGE_TSX.into()
    } else {
        tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()
    }
}

thread_local! {
    // One parser per grammar per worker thread: parsers are costly to create and not shareable.
    static PARSERS: RefCell<[Option<Parser>; 2]> = const { RefCell::new([None, None]) };
}

/// Parses `source`; `None` only if tree-sitter gives up entirely (it normally recovers with
/// `ERROR` nodes instead).
pub fn parse(source: &str, tsx: bool) -> Option<Tree> {
    parse_again(source, tsx, None)
}

/// Parses `source`, reusing what `old` (an earlier tree of the file, told of the edit with
/// [`Tree::edit`]) holds of the text the edit left alone.
pub fn parse_again(source: &str, tsx: bool, old: Option<&Tree>) -> Option<Tree> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let slot = &mut parsers[usize::from(tsx)];
        if slot.is_none() {
            let mut parser = Parser::new();
            parser.set_language(&language(tsx)).ok()?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut()?;
        parser.reset();
        parser.parse(source, old)
    })
}

/// The text tree-sitter should see: a byte-order mark is not TypeScript, so it is blanked with
/// three spaces (its UTF-8 length), which keeps every offset valid for the original text.
pub fn without_bom(text: &str) -> std::borrow::Cow<'_, str> {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => format!("   {rest}").into(),
        None => text.into(),
    }
}

/// Whether `path` is parsed with the TSX grammar.
pub fn is_tsx(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| e == "tsx")
}

/// The number of `ERROR` and `MISSING` nodes: what a fix must never increase.
pub fn syntax_error_count(tree: &Tree) -> usize {
    let mut count = 0;
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        if node.has_error() {
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
    }
    count
}

pub type KindId = u16;

/// Node kind names resolved to ids once, for both grammars. The two grammars number their kinds
/// differently, so dispatch tables are built per grammar.
pub struct KindIds {
    typescript: Language,
    tsx: Language,
}

impl KindIds {
    pub fn get() -> &'static KindIds {
        static IDS: OnceLock<KindIds> = OnceLock::new();
        IDS.get_or_init(|| KindIds {
            typescript: language(false),
            tsx: language(true),
        })
    }

    /// The id of a named node kind. Panics on a kind the grammar does not have: that is a typo in a
    /// rule's declared kinds, caught by the registry test, never a property of user input.
    pub fn id(&self, kind: &str, tsx: bool) -> KindId {
        let language = if tsx { &self.tsx } else { &self.typescript };
        let id = language.id_for_node_kind(kind, true);
        assert!(id != 0, "unknown tree-sitter node kind `{kind}`");
        id
    }

    pub fn count(&self, tsx: bool) -> usize {
        let language = if tsx { &self.tsx } else { &self.typescript };
        language.node_kind_count()
    }
}

/// The edit that turns `old` into `new`, for [`Tree::edit`]: the bytes the two texts share at
/// the start and at the end are kept, what lies between was replaced.
pub fn edit_between(old: &str, new: &str) -> tree_sitter::InputEdit {
    let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
    let prefix = old_bytes
        .iter()
        .zip(new_bytes)
        .take_while(|(a, b)| a == b)
        .count();
    let room = old_bytes.len().min(new_bytes.len()) - prefix;
    let suffix = old_bytes[prefix..]
        .iter()
        .rev()
        .zip(new_bytes[prefix..].iter().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    let point = |text: &[u8], offset: usize| {
        let before = &text[..offset];
        let row = before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        tree_sitter::Point::new(row, offset - line_start)
    };
    tree_sitter::InputEdit {
        start_byte: prefix,
        old_end_byte: old_bytes.len() - suffix,
        new_end_byte: new_bytes.len() - suffix,
        start_position: point(old_bytes, prefix),
        old_end_position: point(old_bytes, old_bytes.len() - suffix),
        new_end_position: point(new_bytes, new_bytes.len() - suffix),
    }
}
