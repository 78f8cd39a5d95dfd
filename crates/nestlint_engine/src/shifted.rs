//! Whether an edit moved a file's facts without changing them: the facts after the edit equal
//! the facts before it with every offset past the edit moved by the edit's length.
//!
//! Facts hold positions only as [`TextRange`]s. Both sides are written out through serde (so no
//! field of any fact type can be forgotten), the old side with each `TextRange` moved by the
//! edit; the two byte strings are then compared. A range with an end inside the edited text has
//! no counterpart, and the facts do not compare equal.
//!
//! Without the texts (a run from the cache knows a changed file's old facts, not its old text),
//! [`moved_only`] asks the same of the facts alone: equal but for their ranges, and the ranges'
//! offsets in the same order on both sides, as any edit outside every fact leaves them.

use nestlint_diagnostics::TextRange;
use serde::ser::{self, Serialize};

/// How offsets before an edit map to offsets after it, found from the two texts: what they share
/// at the start and at the end is unchanged, what lies between was edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OffsetMap {
    /// The texts agree on `..prefix`.
    prefix: u32,
    /// The old text agrees with the new on `old_tail..` (shifted).
    old_tail: u32,
    /// How far the text after the edit moved.
    delta: i64,
}

impl From<&nestlint_syntax::InputEdit> for OffsetMap {
    /// The map of the edit [`nestlint_syntax::edit_between`] finds between two texts.
    fn from(edit: &nestlint_syntax::InputEdit) -> Self {
        OffsetMap {
            prefix: edit.start_byte as u32,
            old_tail: edit.old_end_byte as u32,
            delta: edit.new_end_byte as i64 - edit.old_end_byte as i64,
        }
    }
}

impl OffsetMap {
    #[cfg(test)]
    fn between(old: &str, new: &str) -> Self {
        OffsetMap::from(&nestlint_syntax::edit_between(old, new))
    }

    fn shifted(&self, offset: u32) -> u32 {
        (i64::from(offset) + self.delta) as u32
    }

    /// Where a range that started at `offset` starts now. At the edit's edges the text after it is
    /// preferred: typing just before a declaration moves the declaration.
    fn start(&self, offset: u32) -> Option<u32> {
        if offset >= self.old_tail {
            Some(self.shifted(offset))
        } else if offset <= self.prefix {
            Some(offset)
        } else {
            None
        }
    }

    /// Where a range that ended at `offset` ends now; the text before the edit is preferred.
    fn end(&self, offset: u32) -> Option<u32> {
        if offset <= self.prefix {
            Some(offset)
        } else if offset >= self.old_tail {
            Some(self.shifted(offset))
        } else {
            None
        }
    }

    /// `range` after the edit, when neither end lies inside the edited text.
    pub(crate) fn range(&self, range: TextRange) -> Option<TextRange> {
        let start = self.start(range.start)?;
        let end = self.end(range.end)?;
        (start <= end).then_some(TextRange { start, end })
    }
}

/// Whether `new` is `old` with its ranges moved by `map`.
pub(crate) fn equal_when_shifted<T: Serialize>(old: &T, new: &T, map: &OffsetMap) -> bool {
    let mut before = Writer {
        out: Vec::new(),
        map: Some(map),
        ranges: None,
    };
    let mut after = Writer {
        out: Vec::new(),
        map: None,
        ranges: None,
    };
    old.serialize(&mut before).is_ok()
        && new.serialize(&mut after).is_ok()
        && before.out == after.out
}

/// Whether `new` is `old` with its offsets moved in order: equal but for their ranges, and
/// every two offsets of `old` in the same order (or equal) as their counterparts in `new`. An
/// edit that leaves every fact as it was, only moved, passes; one that changes, adds, removes or
/// reorders anything a fact holds does not.
pub(crate) fn moved_only<T: Serialize>(old: &T, new: &T) -> bool {
    let written = |value: &T| {
        let mut writer = Writer {
            out: Vec::new(),
            map: None,
            ranges: Some(Vec::new()),
        };
        value.serialize(&mut writer).ok()?;
        Some((writer.out, writer.ranges.unwrap_or_default()))
    };
    let (Some((old_shape, old_offsets)), Some((new_shape, new_offsets))) =
        (written(old), written(new))
    else {
        return false;
    };
    if old_shape != new_shape || old_offsets.len() != new_offsets.len() {
        return false;
    }
    let mut pairs: Vec<(u32, u32)> = old_offsets.into_iter().zip(new_offsets).collect();
    pairs.sort_unstable();
    // Sorted by the old offset (then the new): an order-preserving map has its new offsets
    // sorted too, and one new offset per old one.
    pairs.windows(2).all(|pair| {
        let ((old_a, new_a), (old_b, new_b)) = (pair[0], pair[1]);
        if old_a == old_b {
            new_a == new_b
        } else {
            new_a < new_b
        }
    })
}

/// Writes a value as bytes that two values of the same type share only when they are equal:
/// every length and variant is written, so no two values run together.
struct Writer<'m> {
    out: Vec<u8>,
    /// Ranges are moved by it (the old side), or kept (the new side).
    map: Option<&'m OffsetMap>,
    /// Ranges are gathered here, in order, instead of written (see [`moved_only`]).
    ranges: Option<Vec<u32>>,
}

/// A range with an end inside the edited text: the facts changed.
#[derive(Debug)]
struct Unmappable;

impl std::fmt::Display for Unmappable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a range ends inside the edit")
    }
}

impl std::error::Error for Unmappable {}

impl ser::Error for Unmappable {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unmappable
    }
}

const RANGE: &str = "TextRange";

impl Writer<'_> {
    fn len(&mut self, len: usize) {
        self.out.extend_from_slice(&(len as u64).to_le_bytes());
    }
}

impl<'a, 'm> ser::Serializer for &'a mut Writer<'m> {
    type Ok = ();
    type Error = Unmappable;
    type SerializeSeq = Compound<'a, 'm>;
    type SerializeTuple = Compound<'a, 'm>;
    type SerializeTupleStruct = Compound<'a, 'm>;
    type SerializeTupleVariant = Compound<'a, 'm>;
    type SerializeMap = Compound<'a, 'm>;
    type SerializeStruct = Compound<'a, 'm>;
    type SerializeStructVariant = Compound<'a, 'm>;

    fn serialize_bool(self, v: bool) -> Result<(), Unmappable> {
        self.out.push(u8::from(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unmappable> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unmappable> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unmappable> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unmappable> {
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unmappable> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unmappable> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unmappable> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unmappable> {
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unmappable> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unmappable> {
        self.out.extend_from_slice(&v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Unmappable> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unmappable> {
        self.serialize_bytes(v.as_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unmappable> {
        self.len(v.len());
        self.out.extend_from_slice(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Unmappable> {
        self.out.push(0);
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Unmappable> {
        self.out.push(1);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unmappable> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unmappable> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
    ) -> Result<(), Unmappable> {
        self.serialize_u32(index)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unmappable> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unmappable> {
        self.serialize_u32(index)?;
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'm>, Unmappable> {
        Ok(Compound::counted(self, len))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a, 'm>, Unmappable> {
        Ok(Compound::fixed(self))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'm>, Unmappable> {
        Ok(Compound::fixed(self))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'm>, Unmappable> {
        self.serialize_u32(index)?;
        Ok(Compound::fixed(self))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'm>, Unmappable> {
        Ok(Compound::counted(self, len))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'm>, Unmappable> {
        let mut compound = Compound::fixed(self);
        if name == RANGE {
            compound.range = Some(Vec::with_capacity(2));
        }
        Ok(compound)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'm>, Unmappable> {
        self.serialize_u32(index)?;
        Ok(Compound::fixed(self))
    }
}

/// A sequence, map or struct being written.
struct Compound<'a, 'm> {
    writer: &'a mut Writer<'m>,
    /// For a sequence of unknown length: where its count goes, and the count so far.
    count: Option<(usize, u64)>,
    /// For a `TextRange`: its fields, gathered to be moved together.
    range: Option<Vec<u32>>,
}

impl<'a, 'm> Compound<'a, 'm> {
    fn fixed(writer: &'a mut Writer<'m>) -> Self {
        Compound {
            writer,
            count: None,
            range: None,
        }
    }

    fn counted(writer: &'a mut Writer<'m>, len: Option<usize>) -> Self {
        match len {
            Some(len) => {
                writer.len(len);
                Compound::fixed(writer)
            }
            None => {
                let at = writer.out.len();
                writer.len(0);
                Compound {
                    writer,
                    count: Some((at, 0)),
                    range: None,
                }
            }
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unmappable> {
        if let Some((_, count)) = &mut self.count {
            *count += 1;
        }
        if let Some(fields) = &mut self.range {
            // A field of a range: read back as the number it is.
            let mut field = Writer {
                out: Vec::new(),
                map: None,
                ranges: None,
            };
            value.serialize(&mut field)?;
            let bytes: [u8; 8] = field.out.try_into().map_err(|_| Unmappable)?;
            fields.push(u32::try_from(u64::from_le_bytes(bytes)).map_err(|_| Unmappable)?);
            return Ok(());
        }
        value.serialize(&mut *self.writer)
    }

    fn finish(self) -> Result<(), Unmappable> {
        if let Some((at, count)) = self.count {
            self.writer.out[at..at + 8].copy_from_slice(&count.to_le_bytes());
        }
        if let Some(fields) = self.range {
            let [start, end] = fields[..] else {
                return Err(Unmappable);
            };
            if let Some(offsets) = &mut self.writer.ranges {
                offsets.extend([start, end]);
                return Ok(());
            }
            let range = TextRange { start, end };
            let range = match self.writer.map {
                Some(map) => map.range(range).ok_or(Unmappable)?,
                None => range,
            };
            ser::Serializer::serialize_u32(&mut *self.writer, range.start)?;
            ser::Serializer::serialize_u32(&mut *self.writer, range.end)?;
        }
        Ok(())
    }
}

/// The ways serde writes a sequence, tuple or struct, each element by element.
macro_rules! elements {
    ($($trait:ident :: $method:ident $(($name:ident))?),* $(,)?) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Unmappable;
            fn $method<T: ?Sized + Serialize>(
                &mut self,
                $($name: &'static str,)?
                value: &T,
            ) -> Result<(), Unmappable> {
                $(let _ = $name;)?
                self.element(value)
            }
            fn end(self) -> Result<(), Unmappable> {
                self.finish()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
    SerializeStruct::serialize_field(field),
    SerializeStructVariant::serialize_field(field),
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Unmappable;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Unmappable> {
        self.element(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unmappable> {
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Unmappable> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Fact {
        name: String,
        range: TextRange,
        inner: Vec<(String, TextRange)>,
        count: u32,
    }

    fn fact(name: &str, at: u32, inner_at: u32) -> Fact {
        Fact {
            name: name.to_owned(),
            range: TextRange {
                start: at,
                end: at + 10,
            },
            inner: vec![(
                "x".to_owned(),
                TextRange {
                    start: inner_at,
                    end: inner_at + 1,
                },
            )],
            count: 3,
        }
    }

    #[test]
    fn the_map_keeps_what_precedes_the_edit_and_moves_what_follows() {
        // `XYZ` (4..7) becomes `QQQQQ` (4..9).
        let map = OffsetMap::between("abc XYZ def", "abc QQQQQ def");
        let range = |start, end| TextRange { start, end };
        assert_eq!(map.range(range(0, 3)), Some(range(0, 3)));
        assert_eq!(map.range(range(8, 11)), Some(range(10, 13)));
        // Across the edit, or at its edges: the end moves, the start stays.
        assert_eq!(map.range(range(0, 11)), Some(range(0, 13)));
        assert_eq!(map.range(range(4, 7)), Some(range(4, 9)));
        // An end inside the edited text has no counterpart.
        assert_eq!(map.range(range(5, 11)), None);
        assert_eq!(map.range(range(0, 6)), None);
    }

    #[test]
    fn facts_moved_by_an_edit_compare_equal_and_changed_facts_do_not() {
        let old = "class A {}\nclass B {}\n";
        let new = "// a comment\nclass A {}\nclass B {}\n";
        let map = OffsetMap::between(old, new);
        assert!(equal_when_shifted(
            &fact("A", 0, 6),
            &fact("A", 13, 19),
            &map
        ));
        assert!(!equal_when_shifted(
            &fact("A", 0, 6),
            &fact("A", 0, 6),
            &map
        ));
        assert!(!equal_when_shifted(
            &fact("A", 0, 6),
            &fact("B", 13, 19),
            &map
        ));
        let same = OffsetMap::between(old, old);
        assert!(equal_when_shifted(
            &fact("A", 0, 6),
            &fact("A", 0, 6),
            &same
        ));
    }

    #[test]
    fn facts_whose_offsets_only_moved_in_order_are_found_without_the_texts() {
        // Everything moved by a comment above it; one part moved, the other not.
        assert!(moved_only(&fact("A", 0, 6), &fact("A", 13, 19)));
        assert!(moved_only(
            &vec![fact("A", 0, 6), fact("B", 20, 26)],
            &vec![fact("A", 0, 6), fact("B", 25, 31)]
        ));
        assert!(moved_only(&fact("A", 0, 6), &fact("A", 0, 6)));
        // A name changed; a fact added; the order of two offsets swapped; two offsets that
        // were equal no longer are.
        assert!(!moved_only(&fact("A", 0, 6), &fact("B", 13, 19)));
        assert!(!moved_only(
            &vec![fact("A", 0, 6)],
            &vec![fact("A", 0, 6), fact("B", 20, 26)]
        ));
        assert!(!moved_only(
            &vec![fact("A", 0, 6), fact("B", 20, 26)],
            &vec![fact("A", 30, 36), fact("B", 0, 6)]
        ));
        assert!(!moved_only(&fact("A", 0, 10), &fact("A", 0, 12)));
    }

    #[test]
    fn sequences_of_unknown_length_are_counted() {
        struct Unsized(Vec<u32>);
        impl Serialize for Unsized {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ser::SerializeSeq;
                let mut seq = s.serialize_seq(None)?;
                for v in &self.0 {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
        }
        let map = OffsetMap::between("", "");
        let pair = (Unsized(vec![1, 2]), Unsized(vec![3]));
        let other = (Unsized(vec![1]), Unsized(vec![2, 3]));
        assert!(!equal_when_shifted(&pair, &other, &map));
        assert!(equal_when_shifted(&pair, &pair, &map));
    }
}
