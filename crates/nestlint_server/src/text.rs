//! Byte offsets (what the engine reports) to LSP positions and back, in the encoding the client
//! and the server agreed on: UTF-8 when the client offers it (no conversion), else UTF-16.

use lsp_types::{Position, Range};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// A text's lines (the diagnostics crate's index: the same line terminators as the renderers),
/// with positions counted in the agreed encoding.
pub struct LineIndex<'a> {
    text: &'a str,
    lines: nestlint_diagnostics::LineIndex,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        LineIndex {
            text,
            lines: nestlint_diagnostics::LineIndex::new(text),
        }
    }

    pub fn position(&self, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.lines.line_of(offset);
        let prefix = &self.text[self.lines.line_start(line)..offset];
        let character = match encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.encode_utf16().count(),
        };
        Position::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(character).unwrap_or(u32::MAX),
        )
    }

    pub fn range(&self, start: usize, end: usize, encoding: Encoding) -> Range {
        Range::new(self.position(start, encoding), self.position(end, encoding))
    }

    /// The byte offset of `position`, clamped to the text (a position past a line's end is its
    /// end, as the protocol says).
    pub fn offset(&self, position: Position, encoding: Encoding) -> usize {
        let line = position.line as usize;
        if line >= self.lines.line_count() {
            return self.text.len();
        }
        let start = self.lines.line_start(line);
        let line_text = self.line_text(line);
        let wanted = position.character as usize;
        let mut units = 0;
        for (at, ch) in line_text.char_indices() {
            if units >= wanted {
                return start + at;
            }
            units += match encoding {
                Encoding::Utf8 => ch.len_utf8(),
                Encoding::Utf16 => ch.len_utf16(),
            };
        }
        start + line_text.len()
    }

    /// The text of line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &'a str {
        self.lines.line_text(self.text, line)
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.lines.line_start(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "a\u{1F600}b\r\nsecond\rthird";
        let index = LineIndex::new(text);
        // After the emoji: 1 + 2 UTF-16 units, 1 + 4 bytes.
        assert_eq!(index.position(5, Encoding::Utf16), Position::new(0, 3));
        assert_eq!(index.position(5, Encoding::Utf8), Position::new(0, 5));
        assert_eq!(index.position(8, Encoding::Utf16), Position::new(1, 0));
        assert_eq!(index.position(15, Encoding::Utf16), Position::new(2, 0));
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            for offset in [0, 1, 5, 6, 8, 10, 15, text.len()] {
                let position = index.position(offset, encoding);
                assert_eq!(index.offset(position, encoding), offset, "{offset}");
            }
        }
        // Past the end of a line: its end.
        assert_eq!(index.offset(Position::new(1, 99), Encoding::Utf16), 14);
        assert_eq!(
            index.offset(Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        assert_eq!(index.line_text(0), "a\u{1F600}b");
    }
}
