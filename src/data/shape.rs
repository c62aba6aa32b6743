//! The width of every CSV row, checked on the bytes the file hash reads anyway (one read serves
//! both, on the hashing thread beside the scan). The polars reader stops on a row with an extra
//! field but fills a short row with missing values, which would put a patient in `Unknown`
//! without a word; here both are errors with their line.

/// A row whose field count differs from the header's: its first line and its field count.
pub type Ragged = (u64, usize);

/// Where the reader is within a field (RFC 4180: a quote opens a quoted field only as the
/// field's first byte; inside one, `""` is a quote and `"` closes it).
#[derive(Default, Clone, Copy, PartialEq)]
enum At {
    #[default]
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// A comma-separated, double-quoted reader of row widths, fed in chunks.
#[derive(Default)]
pub struct Shape {
    width: Option<usize>,
    fields: usize,
    bytes_in_row: bool,
    at: At,
    line: u64,
    row_line: u64,
    first: Option<Ragged>,
}

impl Shape {
    /// A checker for rows of the header's width (taken from the first row).
    pub fn new() -> Shape {
        Shape {
            fields: 1,
            line: 1,
            row_line: 1,
            ..Shape::default()
        }
    }

    /// Read the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if b == b'\n' {
                self.line += 1;
            }
            if b != b'\n' && b != b'\r' {
                self.bytes_in_row = true;
            }
            self.at = match (self.at, b) {
                (At::Quoted, b'"') => At::QuoteInQuoted,
                (At::Quoted, _) => At::Quoted,
                (At::QuoteInQuoted, b'"') | (At::FieldStart, b'"') => At::Quoted,
                (_, b',') => {
                    self.fields += 1;
                    At::FieldStart
                }
                (_, b'\n') => {
                    self.end_row();
                    At::FieldStart
                }
                (At::FieldStart, b'\r') => At::FieldStart,
                (At::QuoteInQuoted, b'\r') => At::QuoteInQuoted,
                _ => At::Unquoted,
            };
        }
    }

    fn end_row(&mut self) {
        // A blank line is skipped, as the reader skips it.
        if self.bytes_in_row {
            match self.width {
                None => self.width = Some(self.fields),
                Some(w) if w != self.fields && self.first.is_none() => {
                    self.first = Some((self.row_line, self.fields));
                }
                Some(_) => {}
            }
        }
        self.fields = 1;
        self.bytes_in_row = false;
        self.row_line = self.line;
    }

    /// Whether the file so far ends inside a quoted field, and the line where that row began.
    pub fn unclosed(&self) -> Option<u64> {
        (self.at == At::Quoted).then_some(self.row_line)
    }

    /// The end of the file: the first ragged row, if any, and the header's width.
    pub fn finish(mut self) -> Option<(Ragged, usize)> {
        if self.first.is_none() && self.bytes_in_row {
            self.end_row();
        }
        Some((self.first?, self.width?))
    }
}

/// A file whose last bytes are a field made of a lone quote (`…,"` or a last line `"`, nothing
/// after it): the number of that last line. The polars reader indexes out of bounds on such a
/// file, however the quotes before it pair up (a panic in a debug build, undefined behaviour in
/// a release one; polars-io 0.55 `parser.rs`), so it is refused before polars reads a byte of
/// it. Only the last three bytes are read unless they look like that.
pub fn lone_quote_at_end(path: &std::path::Path) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let tail = len.min(3);
    f.seek(SeekFrom::Start(len - tail)).ok()?;
    let mut last = Vec::new();
    (&mut f).take(tail).read_to_end(&mut last).ok()?;
    // The reader trims one carriage return from the end of a line.
    if last.last() == Some(&b'\r') {
        last.pop();
    }
    let start = last.len().saturating_sub(2);
    let lone = match &last[start..] {
        [b'"'] => true,
        [before, b'"'] => matches!(before, b',' | b'\n' | b'\r'),
        _ => false,
    };
    if !lone {
        return None;
    }
    f.seek(SeekFrom::Start(0)).ok()?;
    let mut lines = 1u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            Err(_) => return None,
        }
    }
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ragged(text: &str, chunk: usize) -> Option<(Ragged, usize)> {
        let mut s = Shape::new();
        for c in text.as_bytes().chunks(chunk) {
            s.feed(c);
        }
        s.finish()
    }

    #[test]
    fn short_and_long_rows_are_found_with_their_line_in_any_chunking() {
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(ragged("a,b,c\n1,2,3\n4,5,6\n", chunk), None);
            assert_eq!(ragged("a,b,c\n1,2,3\n4,5\n", chunk), Some(((3, 2), 3)));
            assert_eq!(ragged("a,b,c\r\n1,2,3,4\r\n", chunk), Some(((2, 4), 3)));
            // Quoted commas and line breaks belong to their field; a row's line is its first.
            assert_eq!(ragged("a,b\n\"x,\ny\",2\n\"q\"\"\",3\n", chunk), None);
            assert_eq!(ragged("a,b\n\"x,\ny\",2\n1\n", chunk), Some(((4, 1), 2)));
            // Blank lines are skipped; a last row without a line break is still checked.
            assert_eq!(ragged("a,b\n\n1,2\n\n", chunk), None);
            assert_eq!(ragged("a,b\n1,2\n3", chunk), Some(((3, 1), 2)));
            // Empty fields are fields.
            assert_eq!(ragged("a,b,c\n,,\n", chunk), None);
            // A quote inside an unquoted field is text (5'10", O"Brien), not a quoted field.
            assert_eq!(ragged("h,n\n5'10\",O\"Brien\n6',x\n", chunk), None);
            assert_eq!(
                ragged("h,n\n5'10\",O\"Brien\n6'\n", chunk),
                Some(((3, 1), 2))
            );
            // A file ending inside a quoted field is seen.
            let mut s = Shape::new();
            s.feed(b"a,b\n1,\"x\n2");
            assert_eq!(s.unclosed(), Some(2));
            // A quoted field followed by CRLF.
            assert_eq!(ragged("a,b\r\n\"x\",\"y\"\r\n1,2\r\n", chunk), None);
        }
    }
}
