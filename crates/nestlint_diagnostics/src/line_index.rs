use crate::TextRange;

/// 1-based line and column; the column counts Unicode scalar values, as editors display them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// Maps byte offsets to lines and columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// Per line, whether it is all ASCII: its columns are then byte offsets, found without
    /// counting characters (a minified line of megabytes holds thousands of findings).
    ascii: Vec<bool>,
}

impl LineIndex {
    /// Lines end at `\n`, `\r\n` or a lone `\r` (files saved with classic Mac line endings),
    /// the line terminators of TypeScript itself.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut ascii = Vec::new();
        let mut line_is_ascii = true;
        for (i, &b) in bytes.iter().enumerate() {
            line_is_ascii &= b.is_ascii();
            let ends = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if ends {
                line_starts.push(i + 1);
                ascii.push(line_is_ascii);
                line_is_ascii = true;
            }
        }
        ascii.push(line_is_ascii);
        Self { line_starts, ascii }
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(0)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    pub fn line_column(&self, text: &str, offset: usize) -> LineColumn {
        let offset = clamp_to_char_boundary(text, offset);
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let column = if self.ascii.get(line).copied().unwrap_or(false) {
            offset - start + 1
        } else {
            text[start..offset].chars().count() + 1
        };
        LineColumn {
            line: line + 1,
            column,
        }
    }

    /// The text of the 0-based `line`, without its line terminator.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.line_start(line).min(text.len());
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |&next| next)
            .min(text.len())
            .max(start);
        text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn range_lines(&self, range: TextRange) -> (usize, usize) {
        (self.line_of(range.start()), self.line_of(range.end()))
    }
}

pub(crate) fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "ab\nçd\r\nx";
        let index = LineIndex::new(text);
        assert_eq!(
            index.line_column(text, 0),
            LineColumn { line: 1, column: 1 }
        );
        assert_eq!(
            index.line_column(text, 3),
            LineColumn { line: 2, column: 1 }
        );
        // 'ç' is two bytes: 'd' is the second character of line 2.
        assert_eq!(
            index.line_column(text, 5),
            LineColumn { line: 2, column: 2 }
        );
        assert_eq!(index.line_text(text, 1), "çd");
        assert_eq!(index.line_text(text, 2), "x");
        assert_eq!(index.line_count(), 3);
    }
}
