//! Reading a Kea configuration file: comments, includes and positions.
//!
//! Kea's configuration is JSON extended with three comment styles (`#` and
//! `//` to the end of the line, `/* ... */`) and with `<?include "file"?>`
//! directives that are replaced by the named file's content. [`expand`]
//! produces plain JSON text (comments replaced by spaces, so byte offsets
//! inside one file stay unchanged) together with a [`SourceMap`] that maps any
//! byte offset of that text back to `file:line:column` in the original files.
//!
//! [`Node`] / [`parse_spans`] are a small JSON walker over the expanded text
//! that records where every value and key starts, so that a diagnostic that
//! only knows a JSON path (`Dhcp4.subnet4[0].pools[1].pool`) can still point
//! at the offending text.
//!
//! Reading is bounded by [`LIMITS`]: included files are read through
//! [`crate::input`] (regular files only, never more than the bytes left),
//! and the bytes read, the include directives expanded and their nesting
//! are counted, so that no file, however written, makes the reader loop,
//! block or run out of memory.

use std::path::{Path, PathBuf};

use crate::input::{self, ReadError};
use crate::Diagnostic;

mod spans;
pub use spans::*;

/// Maximum include depth, as a guard against pathological nesting that is
/// not a loop (loops are detected separately and reported as such).
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// Maximum bytes read for one configuration: the main file and every
/// included file, each time it is included. A file of 100,000 subnets,
/// each with a pool and a reservation, is 18 MB (DHCPv4) to 35 MB (DHCPv6,
/// with a pd-pool and a reserved prefix too), and twice that when the
/// server re-reads it pretty-printed (`config-set`, `reservation-add`);
/// loading takes about 20 times the compact size in memory.
pub const MAX_CONFIG_BYTES: u64 = 128 << 20;

/// Maximum include directives expanded for one configuration, counting a
/// file included twice twice: without it, files that each include the next
/// one twice would expand to 2^depth copies.
pub const MAX_INCLUDES: usize = 1000;

/// The bounds on reading one configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Bytes read in all (see [`MAX_CONFIG_BYTES`]).
    pub bytes: u64,
    /// Include directives expanded in all (see [`MAX_INCLUDES`]).
    pub includes: usize,
    /// Includes nested in one another (see [`MAX_INCLUDE_DEPTH`]).
    pub depth: usize,
}

/// The bounds used for every configuration.
pub(crate) const LIMITS: Limits = Limits {
    bytes: MAX_CONFIG_BYTES,
    includes: MAX_INCLUDES,
    depth: MAX_INCLUDE_DEPTH,
};

/// `limit` bytes for messages: "128 MiB (134217728 bytes)".
pub(crate) fn size_limit(limit: u64) -> String {
    if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
        format!("{} MiB ({limit} bytes)", limit >> 20)
    } else {
        format!("{limit} bytes")
    }
}

/// One original file that contributed text to the expanded configuration.
#[derive(Debug, Clone)]
struct SourceFile {
    path: PathBuf,
    text: String,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// The characters before every [`CHAR_BLOCK`]-th byte, so that a column
    /// is counted from the nearest one: counting from the start of the line
    /// made each diagnostic cost the length of its line, and a minified
    /// file (one long line) with many errors took minutes.
    chars_before_block: Vec<usize>,
}

/// Bytes between two entries of [`SourceFile::chars_before_block`].
const CHAR_BLOCK: usize = 1024;

/// Whether `b` starts a character (is not a UTF-8 continuation byte).
fn starts_char(b: u8) -> bool {
    b & 0xc0 != 0x80
}

impl SourceFile {
    fn new(path: PathBuf, text: String) -> Self {
        let line_starts = line_starts(&text);
        let mut chars_before_block = vec![0];
        let mut chars = 0;
        for block in text.as_bytes().chunks(CHAR_BLOCK) {
            chars += block.iter().filter(|&&b| starts_char(b)).count();
            chars_before_block.push(chars);
        }
        SourceFile {
            path,
            text,
            line_starts,
            chars_before_block,
        }
    }

    /// Characters that start before byte `off` (`off` ≤ the length).
    fn chars_before(&self, off: usize) -> usize {
        let block = off / CHAR_BLOCK;
        let from = block * CHAR_BLOCK;
        let rest = self.text.as_bytes().get(from..off).unwrap_or_default();
        self.chars_before_block.get(block).copied().unwrap_or(0)
            + rest.iter().filter(|&&b| starts_char(b)).count()
    }

    /// 1-based line and column (in characters) of byte `off`.
    fn line_col(&self, off: usize) -> (usize, usize) {
        let off = off.min(self.text.len());
        let line = match self.line_starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let column = self.chars_before(off) - self.chars_before(start);
        (line + 1, column + 1)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

/// A run of expanded text copied verbatim from one place of one file.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// Start in the expanded text.
    out_start: usize,
    /// Index into [`SourceMap::files`].
    file: usize,
    /// Start in that file.
    file_start: usize,
    len: usize,
}

/// Maps byte offsets of the expanded text back to the original files.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// Sorted by `out_start`, contiguous.
    segments: Vec<Segment>,
}

/// A position in an original file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl SourceMap {
    /// Where byte `off` of the expanded text came from.
    pub fn locate(&self, off: usize) -> Position {
        let Some(first) = self.files.first() else {
            return Position {
                file: PathBuf::new(),
                line: 1,
                column: 1,
            };
        };
        // The last segment starting at or before `off`; an offset past the
        // end maps to the end of the last segment.
        let idx = self
            .segments
            .partition_point(|s| s.out_start <= off)
            .checked_sub(1);
        let (file, file_off) = match idx.map(|i| self.segments[i]) {
            Some(s) => (
                &self.files[s.file],
                s.file_start + (off - s.out_start).min(s.len),
            ),
            None => (first, 0),
        };
        let (line, column) = file.line_col(file_off);
        Position {
            file: file.path.clone(),
            line,
            column,
        }
    }
}

/// The expanded configuration text and where each byte came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// Plain JSON: comments blanked out, includes expanded.
    pub text: String,
    pub map: SourceMap,
    /// Line starts of `text`, to turn serde_json's line/column into offsets.
    text_lines: Vec<usize>,
}

impl Source {
    /// Byte offset in the expanded text of serde_json's 1-based line and
    /// column (column 0 means "before the first character" at end of input).
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let start = self
            .text_lines
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        (start + column.saturating_sub(1)).min(self.text.len())
    }

    /// A diagnostic at byte `off` of the expanded text.
    pub fn diagnostic(&self, off: usize, path: &str, message: String) -> Diagnostic {
        let p = self.map.locate(off);
        Diagnostic {
            file: p.file,
            line: p.line,
            column: p.column,
            path: path.to_string(),
            message,
        }
    }
}

/// Strips comments from `text` (read from `path`) and expands includes,
/// within [`LIMITS`].
pub fn expand(text: &str, path: &Path) -> Result<Source, Diagnostic> {
    expand_within(text, path, LIMITS)
}

/// [`expand`] within `limits`.
pub(crate) fn expand_within(text: &str, path: &Path, limits: Limits) -> Result<Source, Diagnostic> {
    // usize → u64 never truncates on the platforms Rust supports.
    let len = text.len() as u64;
    if len > limits.bytes {
        return Err(Diagnostic {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            path: String::new(),
            message: format!(
                "the configuration is {} bytes: expected at most {}, with all its includes",
                text.len(),
                size_limit(limits.bytes)
            ),
        });
    }
    let mut x = Expander {
        limits,
        stack: vec![canonical(path)],
        out: String::with_capacity(text.len()),
        map: SourceMap::default(),
        bytes: len,
        includes: 0,
    };
    x.file(text.to_string(), path)?;
    let text_lines = line_starts(&x.out);
    Ok(Source {
        text: x.out,
        map: x.map,
        text_lines,
    })
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// An `<?include "file"?>` directive found in a file.
struct Include {
    /// Byte range of the whole directive.
    start: usize,
    end: usize,
    /// Byte offset of the file name (for error positions).
    name_at: usize,
    name: String,
}

/// The state of one expansion.
struct Expander {
    limits: Limits,
    /// The files being expanded, outermost first (canonical paths).
    stack: Vec<PathBuf>,
    /// The expanded text so far.
    out: String,
    map: SourceMap,
    /// Bytes read so far, the main text included.
    bytes: u64,
    /// Include directives expanded so far.
    includes: usize,
}

impl Expander {
    /// Appends `text`, read from `path`, with its includes expanded.
    fn file(&mut self, text: String, path: &Path) -> Result<(), Diagnostic> {
        let file_idx = self.map.files.len();
        self.map
            .files
            .push(SourceFile::new(path.to_path_buf(), text));
        let (clean, includes, numbers) = match strip(&self.map.files[file_idx].text) {
            Ok(v) => v,
            Err((off, msg)) => return Err(diag_in(&self.map, file_idx, off, msg)),
        };
        let base = path.parent().unwrap_or_else(|| Path::new(""));
        let mut pos = 0;
        let mut numbers = numbers.into_iter().peekable();
        for inc in includes {
            while let Some(n) = numbers.next_if(|n| n.start < inc.start) {
                push_segment(&mut self.out, &mut self.map, file_idx, &clean, pos, n.start);
                push_rewritten(&mut self.out, &mut self.map, file_idx, &n);
                pos = n.end;
            }
            push_segment(
                &mut self.out,
                &mut self.map,
                file_idx,
                &clean,
                pos,
                inc.start,
            );
            // The directive itself becomes nothing; the included text replaces it.
            let target = if Path::new(&inc.name).is_absolute() {
                PathBuf::from(&inc.name)
            } else {
                base.join(&inc.name)
            };
            let canon = canonical(&target);
            let at =
                |map: &SourceMap, message: String| diag_in(map, file_idx, inc.name_at, message);
            if self.stack.contains(&canon) {
                return Err(at(
                    &self.map,
                    format!(
                        "include loop: `{}` includes itself (directly or indirectly)",
                        target.display()
                    ),
                ));
            }
            if self.stack.len() >= self.limits.depth {
                return Err(at(
                    &self.map,
                    format!("includes nested deeper than {} levels", self.limits.depth),
                ));
            }
            self.includes += 1;
            if self.includes > self.limits.includes {
                return Err(at(
                    &self.map,
                    format!(
                        "more than {} include directives expanded: expected at most {} in all (a file included twice counts twice)",
                        self.limits.includes, self.limits.includes
                    ),
                ));
            }
            let left = self.limits.bytes.saturating_sub(self.bytes);
            let included = input::read_regular(&target, left).map_err(|e| {
                let t = target.display();
                at(
                    &self.map,
                    match e {
                        ReadError::NotRegular(what) => {
                            format!("included file `{t}` is {what}: expected a regular file")
                        }
                        ReadError::TooLarge => format!(
                            "including `{t}` makes the configuration larger than {}: expected at most that in all, counting the main file and every included file each time it is included",
                            size_limit(self.limits.bytes)
                        ),
                        ReadError::NotUtf8(off) => format!(
                            "cannot read included file `{t}`: invalid UTF-8 at byte {off}, expected UTF-8 text"
                        ),
                        ReadError::Io(e) => format!("cannot read included file `{t}`: {e}"),
                    },
                )
            })?;
            self.bytes += included.len() as u64;
            self.stack.push(canon);
            self.file(included, &target)?;
            self.stack.pop();
            pos = inc.end;
        }
        for n in numbers {
            push_segment(&mut self.out, &mut self.map, file_idx, &clean, pos, n.start);
            push_rewritten(&mut self.out, &mut self.map, file_idx, &n);
            pos = n.end;
        }
        push_segment(
            &mut self.out,
            &mut self.map,
            file_idx,
            &clean,
            pos,
            clean.len(),
        );
        Ok(())
    }
}

fn push_segment(
    out: &mut String,
    map: &mut SourceMap,
    file: usize,
    clean: &str,
    start: usize,
    end: usize,
) {
    if start >= end {
        return;
    }
    map.segments.push(Segment {
        out_start: out.len(),
        file,
        file_start: start,
        len: end - start,
    });
    out.push_str(&clean[start..end]);
}

/// Appends the JSON spelling of a number Kea writes differently; every
/// byte of it maps to the number's place in the file.
fn push_rewritten(out: &mut String, map: &mut SourceMap, file: usize, n: &Number) {
    map.segments.push(Segment {
        out_start: out.len(),
        file,
        file_start: n.start,
        len: (n.end - n.start).min(n.json.len()),
    });
    out.push_str(&n.json);
}

/// A number written as Kea reads it but not as JSON does (`.45`, `+1`,
/// `5.`, `007`): its byte range in the file and its JSON spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Number {
    start: usize,
    end: usize,
    json: String,
}

/// The number token at `b[start]` (a sign, a digit or a dot), as Kea's
/// lexer (Kea 2.2 to 3.0) reads it: an integer is `-?[0-9]+` (leading
/// zeros allowed), anything else that matches
/// `[-+]?[0-9]*\.?[0-9]*([eE][-+]?[0-9]+)?` is a floating point number.
/// Returns where the token ends and, when JSON spells it differently, its
/// JSON spelling (a float stays a float: `+7` is `7.0`, which an integer
/// key refuses as Kea does); a token without any digit is an error, as in
/// Kea ("Failed to convert . to a floating point").
fn number(b: &[u8], start: usize) -> Result<(usize, Option<String>), (usize, String)> {
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = start;
    let sign = match b[i] {
        c @ (b'-' | b'+') => {
            i += 1;
            Some(c)
        }
        _ => None,
    };
    let int = (i, digits(i));
    i = int.1;
    let dot = b.get(i) == Some(&b'.');
    if dot {
        i += 1;
    }
    let frac = (i, digits(i));
    i = frac.1;
    // An exponent only counts with its digits (`1e` is `1` then `e`).
    let mut exp = None;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let end = digits(j);
        if end > j {
            exp = Some((i, end));
            i = end;
        }
    }
    let text = |r: (usize, usize)| String::from_utf8_lossy(&b[r.0..r.1]).into_owned();
    if int.0 == int.1 && frac.0 == frac.1 {
        return Err((
            start,
            format!(
                "`{}` is not a number: expected digits (Kea: \"Failed to convert {0} to a floating point\")",
                text((start, i))
            ),
        ));
    }
    let float = sign == Some(b'+') || dot || exp.is_some();
    let int_digits = text(int);
    let trimmed = int_digits.trim_start_matches('0');
    let json_int = if trimmed.is_empty() { "0" } else { trimmed };
    let mut json = String::new();
    // `-0` is the integer 0 for Kea; JSON readers make it a float.
    if sign == Some(b'-') && (float || json_int != "0") {
        json.push('-');
    }
    json.push_str(json_int);
    if dot || (float && exp.is_none()) {
        json.push('.');
        if frac.0 == frac.1 {
            json.push('0');
        } else {
            json.push_str(&text(frac));
        }
    }
    if let Some(e) = exp {
        json.push_str(&text(e));
    }
    let same = json.as_bytes() == &b[start..i];
    Ok((i, (!same).then_some(json)))
}

fn diag_in(map: &SourceMap, file: usize, off: usize, message: String) -> Diagnostic {
    let f = &map.files[file];
    let (line, column) = f.line_col(off);
    Diagnostic {
        file: f.path.clone(),
        line,
        column,
        path: String::new(),
        message,
    }
}

const INCLUDE: &str = "<?include";

/// Replaces comments by spaces (newlines are kept, so is every byte offset)
/// and finds the include directives outside strings and comments.
/// Also finds the numbers written as Kea reads them but not as JSON does
/// (see [`number`]).
#[allow(clippy::type_complexity)]
fn strip(text: &str) -> Result<(String, Vec<Include>, Vec<Number>), (usize, String)> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut includes = Vec::new();
    let mut numbers = Vec::new();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    while i < b.len() {
        match b[i] {
            b'"' => {
                // Skip a JSON string, honouring backslash escapes.
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'#' => {
                let end = line_end(b, i);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = line_end(b, i);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let Some(rel) = text[i + 2..].find("*/") else {
                    return Err((i, "unterminated `/*` comment".to_string()));
                };
                let end = i + 2 + rel + 2;
                blank(&mut out, i, end);
                i = end;
            }
            b'<' if text[i..].starts_with(INCLUDE) => {
                let inc = parse_include(text, i)?;
                i = inc.end;
                includes.push(inc);
            }
            b'-' | b'+' | b'.' | b'0'..=b'9' => {
                let (end, json) = number(b, i)?;
                if let Some(json) = json {
                    numbers.push(Number {
                        start: i,
                        end,
                        json,
                    });
                }
                i = end;
            }
            // A word (`true`, `null`, or a mistake) is read whole, so that a
            // digit in it is not taken for a number.
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    blank_extra_commas(&mut out);
    // Only ASCII bytes inside comments were replaced by ASCII spaces, but a
    // comment may contain multi-byte characters: every byte of those was
    // replaced too, so the result is still valid UTF-8.
    let out = String::from_utf8(out).map_err(|e| (e.utf8_error().valid_up_to(), e.to_string()))?;
    Ok((out, includes, numbers))
}

/// Replaces by a space every comma that Kea's parser takes as extraneous
/// (it warns "Extraneous comma"): one after an element that is followed by
/// `}`, `]` or another comma (`[1, 2,]`, `{"a": 1,, "b": 2}`). A comma
/// with no element before it (`[, 1]`, `{,}`) stays, and is an error as in
/// Kea. `b` has its comments blanked already.
fn blank_extra_commas(b: &mut [u8]) {
    let mut i = 0;
    // The last byte that is not white space (outside strings: a string
    // counts as its closing quote).
    let mut last = 0u8;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                last = b'"';
                i += 1;
            }
            b',' => {
                let next = b[i + 1..]
                    .iter()
                    .find(|c| !c.is_ascii_whitespace())
                    .copied();
                let after_element = !matches!(last, 0 | b'{' | b'[' | b',' | b':');
                if after_element && matches!(next, Some(b'}' | b']' | b',')) {
                    b[i] = b' ';
                } else {
                    last = b',';
                }
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            c => {
                last = c;
                i += 1;
            }
        }
    }
}

fn line_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

/// Parses `<?include "name"?>` starting at `start`.
fn parse_include(text: &str, start: usize) -> Result<Include, (usize, String)> {
    const EXPECTED: &str = "expected `<?include \"file\"?>`";
    let b = text.as_bytes();
    let mut i = start + INCLUDE.len();
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if b.get(i) != Some(&b'"') {
        return Err((i, EXPECTED.to_string()));
    }
    let name_at = i;
    let Some(rel) = text[i + 1..].find('"') else {
        return Err((i, EXPECTED.to_string()));
    };
    let name = text[i + 1..i + 1 + rel].to_string();
    i += rel + 2;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if !text[i..].starts_with("?>") {
        return Err((i, EXPECTED.to_string()));
    }
    if name.is_empty() {
        return Err((name_at, "empty file name in `<?include?>`".to_string()));
    }
    Ok(Include {
        start,
        end: i + 2,
        name_at,
        name,
    })
}

/// The offset in `text` of the byte that is at `decoded` in the decoded
/// value of the JSON string whose opening quote is at `quote`: escapes
/// (`\n`, `\u00e9`, surrogate pairs) are counted as the bytes they
/// decode to, and an offset inside an escape gives the escape's start.
/// Past the end of the string, its closing quote; not a string, `quote`.
pub fn string_offset(text: &str, quote: usize, decoded: usize) -> usize {
    let b = text.as_bytes();
    if b.get(quote) != Some(&b'"') {
        return quote;
    }
    let mut i = quote + 1;
    let mut out = 0;
    while i < b.len() && b[i] != b'"' {
        if out >= decoded {
            return i;
        }
        let (raw, dec) = if b[i] == b'\\' {
            escape_len(b, i)
        } else {
            // One character: its bytes are copied as they are.
            let n = text[i..].chars().next().map_or(1, char::len_utf8);
            (n, n)
        };
        if out + dec > decoded {
            return i;
        }
        i += raw;
        out += dec;
    }
    i.min(b.len())
}

/// The escape at `b[i]` (a backslash): (bytes in the text, bytes decoded).
fn escape_len(b: &[u8], i: usize) -> (usize, usize) {
    let hex = |at: usize| {
        b.get(at..at + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    if b.get(i + 1) != Some(&b'u') {
        return (2, 1);
    }
    match hex(i + 2) {
        // A surrogate pair: one character of four bytes.
        Some(0xd800..=0xdbff) if b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u') => {
            (12, 4)
        }
        Some(c) => (6, char::from_u32(c).map_or(3, char::len_utf8)),
        None => (2, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(src: &Source, needle: &str) -> (String, usize, usize) {
        let off = src.text.find(needle).unwrap();
        let p = src.map.locate(off);
        (p.file.display().to_string(), p.line, p.column)
    }

    #[test]
    fn comments_are_blanked_and_positions_kept() {
        let text = "# hash\n{ // slashes\n \"a\": /* block\n */ \"x//y#z/*w*/\" }\n";
        let src = expand(text, Path::new("t.json")).unwrap();
        assert_eq!(src.text.len(), text.len());
        let v: serde_json::Value = serde_json::from_str(&src.text).unwrap();
        assert_eq!(v["a"], "x//y#z/*w*/");
        assert_eq!(pos(&src, "\"x//"), ("t.json".into(), 4, 5));
    }

    #[test]
    fn multibyte_characters_in_comments() {
        let text = "{ # héllo ✓\n \"a\": 1 }";
        let src = expand(text, Path::new("t.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&src.text).unwrap();
        assert_eq!(v["a"], 1);
        // Columns count characters, not bytes.
        let text = "{ \"é\": \"ü\", \"b\": 1 }";
        let src = expand(text, Path::new("t.json")).unwrap();
        assert_eq!(pos(&src, "\"b\""), ("t.json".into(), 1, 13));
    }

    #[test]
    fn columns_count_characters_across_blocks() {
        // A long line of mixed one- to four-byte characters: the column of
        // every character is its index, wherever the blocks fall.
        let line: String = "aé✓😀".repeat(CHAR_BLOCK);
        let text = format!("x\n{line}\n");
        let f = SourceFile::new(PathBuf::from("t.json"), text.clone());
        for (column, (off, _)) in (1..).zip(text.char_indices().skip(2)) {
            assert_eq!(f.line_col(off), (2, column), "byte {off}");
        }
        assert_eq!(f.line_col(text.len()), (3, 1));
        assert_eq!(f.line_col(0), (1, 1));
    }

    #[test]
    fn unterminated_block_comment() {
        let e = expand("{\n  /* oops\n}", Path::new("t.json")).unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.message.contains("unterminated"), "{e}");
    }

    #[test]
    fn include_directive_inside_string_or_comment_is_text() {
        let text = "{ \"a\": \"<?include \\\"x\\\"?>\" # <?include \"nope\"?>\n}";
        let src = expand(text, Path::new("t.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&src.text).unwrap();
        assert_eq!(v["a"], "<?include \"x\"?>");
    }

    #[test]
    fn malformed_include() {
        let e = expand("{ <?include nope ?> }", Path::new("t.json")).unwrap_err();
        assert_eq!((e.line, e.column), (1, 13));
        assert!(e.message.contains("expected"), "{e}");
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Expands the file at `main` within `limits`.
    fn expand_file_within(main: &Path, limits: Limits) -> Result<Source, Diagnostic> {
        let text = std::fs::read_to_string(main).unwrap();
        expand_within(&text, main, limits)
    }

    /// The error of including `target` (an absolute path) from a new main
    /// file, which is returned too.
    fn include_error(dir: &Path, target: &Path) -> (PathBuf, Diagnostic) {
        let main = write(
            dir,
            "main.json",
            &format!("{{\n  \"Dhcp4\": <?include \"{}\"?>\n}}", target.display()),
        );
        let e = expand_file_within(&main, LIMITS).unwrap_err();
        (main, e)
    }

    #[test]
    fn an_included_device_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let (main, e) = include_error(dir.path(), Path::new("/dev/zero"));
        assert_eq!((&e.file, e.line, e.column), (&main, 2, 22));
        assert_eq!(
            e.message,
            "included file `/dev/zero` is a character device: expected a regular file"
        );
    }

    #[test]
    fn an_included_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("conf.d");
        std::fs::create_dir(&sub).unwrap();
        let (_, e) = include_error(dir.path(), &sub);
        assert!(
            e.message
                .ends_with("is a directory: expected a regular file"),
            "{e}"
        );
    }

    #[test]
    fn an_included_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("no mkfifo here: skipped");
            return;
        }
        let base = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reading a FIFO without a writer would block: a thread, so that a
        // regression fails this test instead of hanging the test run.
        std::thread::spawn(move || {
            let _ = tx.send(include_error(&base, &fifo).1);
        });
        let e = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("expanding an include of a FIFO blocked");
        assert!(
            e.message.ends_with("is a FIFO: expected a regular file"),
            "{e}"
        );
    }

    #[test]
    fn an_include_fan_out_stops_at_the_count() {
        // File k includes file k + 1 twice: 2^30 expansions without a bound.
        let dir = tempfile::tempdir().unwrap();
        for k in 0..30 {
            write(
                dir.path(),
                &format!("f{k}.json"),
                &format!(
                    "[<?include \"f{}.json\"?>, <?include \"f{}.json\"?>]",
                    k + 1,
                    k + 1
                ),
            );
        }
        write(dir.path(), "f30.json", "1");
        let main = dir.path().join("f0.json");
        let e = expand_file_within(&main, LIMITS).unwrap_err();
        assert_eq!(
            e.message,
            "more than 1000 include directives expanded: expected at most 1000 in all (a file included twice counts twice)"
        );
        assert!(e.file.starts_with(dir.path()), "{e}");
        // Within the bound, the same files expand.
        let limits = Limits {
            includes: 2 + 4 + 8,
            ..LIMITS
        };
        write(dir.path(), "f3.json", "1");
        let src = expand_file_within(&main, limits).unwrap();
        let v: serde_json::Value = serde_json::from_str(&src.text).unwrap();
        assert_eq!(v, serde_json::json!([[[1, 1], [1, 1]], [[1, 1], [1, 1]]]));
        let limits = Limits {
            includes: 2 + 4 + 8 - 1,
            ..LIMITS
        };
        let e = expand_file_within(&main, limits).unwrap_err();
        assert!(
            e.message.starts_with("more than 13 include directives"),
            "{e}"
        );
    }

    #[test]
    fn the_total_size_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let part = write(dir.path(), "part.json", &format!("\"{}\"", "x".repeat(398)));
        let main = write(
            dir.path(),
            "main.json",
            "[ <?include \"part.json\"?>,\n  <?include \"part.json\"?> ]",
        );
        let main_len = std::fs::metadata(&main).unwrap().len();
        let limits = |bytes| Limits { bytes, ..LIMITS };
        // Exactly enough: the main file and the part twice.
        let src = expand_file_within(&main, limits(main_len + 800)).unwrap();
        let directive = "<?include \"part.json\"?>".len() as u64;
        assert_eq!(src.text.len() as u64, main_len - 2 * directive + 800);
        // One byte less: the second include crosses the bound.
        let e = expand_file_within(&main, limits(main_len + 799)).unwrap_err();
        assert_eq!((&e.file, e.line, e.column), (&main, 2, 13));
        assert_eq!(
            e.message,
            format!(
                "including `{}` makes the configuration larger than {} bytes: expected at most that in all, counting the main file and every included file each time it is included",
                part.display(),
                main_len + 799
            )
        );
        // The main text alone.
        let e = expand_within("[1, 2, 3]", Path::new("t.json"), limits(8)).unwrap_err();
        assert_eq!(
            e.message,
            "the configuration is 9 bytes: expected at most 8 bytes, with all its includes"
        );
    }

    #[test]
    fn a_file_larger_than_the_bound_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        // Sparse: nothing is written, and nothing must be read.
        let big = dir.path().join("big.json");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_CONFIG_BYTES + 1).unwrap();
        let (_, e) = include_error(dir.path(), &big);
        assert!(
            e.message
                .contains("makes the configuration larger than 128 MiB (134217728 bytes)"),
            "{e}"
        );
        let e = crate::load(&big).unwrap_err();
        assert_eq!(
            e.diagnostics[0].message,
            "the configuration file is larger than 128 MiB (134217728 bytes): expected at most that, with all its includes"
        );
        let e = crate::load(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            e.diagnostics[0].message,
            "the configuration file is a character device: expected a regular file"
        );
    }

    #[test]
    fn includes_within_the_bounds_still_expand() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "one.json", "# one\n1");
        write(dir.path(), "two.json", "[<?include \"one.json\"?>, 2]");
        let main = write(
            dir.path(),
            "main.json",
            "{\"a\": <?include \"two.json\"?>, \"b\": <?include \"one.json\"?>}",
        );
        let src = expand_file_within(&main, LIMITS).unwrap();
        let v: serde_json::Value = serde_json::from_str(&src.text).unwrap();
        assert_eq!(v, serde_json::json!({"a": [1, 2], "b": 1}));
    }

    #[test]
    fn span_tree_finds_paths() {
        let text = r#"{"A": {"b": [1, {"c": true}], "d": "x"}}"#;
        let n = parse_spans(text).unwrap();
        let at = |p: &str, key: bool| n.find(&split_path(p), key);
        assert_eq!(at("A.b[1].c", false), text.find("true").unwrap());
        assert_eq!(at("A.b[1].c", true), text.find("\"c\"").unwrap());
        assert_eq!(at("A.d", false), text.find("\"x\"").unwrap());
        // Missing steps stop at the deepest existing node.
        assert_eq!(at("A.b[7].c", false), text.find('[').unwrap());
        assert_eq!(at("A.zz", false), text.find("{\"b\"").unwrap());
        assert!(parse_spans("{\"a\": }").is_none());
    }

    #[test]
    fn numbers_as_kea_reads_them() {
        let text = "{\"a\": .45, \"b\": +.5, \"c\": 5., \"d\": -.5, \"e\": 007,\n \"f\": -007, \"g\": +7, \"h\": 1.e2, \"i\": 0.5, \"j\": [1E3, -0, 1e+2], \"k\": \".5 +1\", \"l\": true}";
        let src = expand(text, Path::new("t.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&src.text).unwrap();
        assert_eq!(v["a"], 0.45);
        assert_eq!(v["b"], 0.5);
        assert_eq!(v["c"], 5.0);
        assert!(v["c"].is_f64());
        assert_eq!(v["d"], -0.5);
        assert_eq!(v["e"], 7);
        assert!(v["e"].is_u64());
        assert_eq!(v["f"], -7);
        // `+7` is a float for Kea: an integer key refuses it.
        assert!(v["g"].is_f64());
        assert_eq!(v["h"], 100.0);
        assert_eq!(v["i"], 0.5);
        assert_eq!(v["j"], serde_json::json!([1000.0, 0, 100.0]));
        assert_eq!(v["k"], ".5 +1");
        assert_eq!(v["l"], true);
        // Positions after a rewritten number (one byte longer) stay right.
        assert_eq!(pos(&src, "\"b\""), ("t.json".into(), 1, 12));
        assert_eq!(pos(&src, "\"l\""), ("t.json".into(), 2, 79));
        // The rewritten number points at itself.
        assert_eq!(pos(&src, "0.45"), ("t.json".into(), 1, 7));
    }

    #[test]
    fn extraneous_commas_are_dropped_as_kea_does() {
        let text = "{\"a\": [1, 2,], /* c */ \"b\": {\"x\": 1,, \"y\": \",]\",\n // z\n },}";
        let src = expand(text, Path::new("t.json")).unwrap();
        assert_eq!(src.text.len(), text.len());
        let v: serde_json::Value = serde_json::from_str(&src.text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": [1, 2], "b": {"x": 1, "y": ",]"}})
        );
        // No element before the comma: left for the JSON reader to refuse.
        for bad in ["[, 1]", "{,}", "[,]", "{\"a\":, 1}"] {
            let src = expand(bad, Path::new("t.json")).unwrap();
            assert!(
                serde_json::from_str::<serde_json::Value>(&src.text).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_number_without_digits_is_refused_at_its_place() {
        for (text, col) in [("{\"a\": .}", 7), ("{\"a\":\n  -}", 3), ("[+ 1]", 2)] {
            let e = expand(text, Path::new("t.json")).unwrap_err();
            assert!(
                e.message.contains("is not a number"),
                "{text}: {}",
                e.message
            );
            assert_eq!(e.column, col, "{text}");
        }
    }

    #[test]
    fn numbers_in_an_included_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "inc.json", "{\"t1\": .5}");
        let main = write(
            dir.path(),
            "main.json",
            "[ <?include \"inc.json\"?>, +.25 ]",
        );
        let src = expand_file_within(&main, LIMITS).unwrap();
        let v: serde_json::Value = serde_json::from_str(&src.text).unwrap();
        assert_eq!(v, serde_json::json!([{"t1": 0.5}, 0.25]));
        assert_eq!(pos(&src, "0.25").2, 27);
        assert!(pos(&src, "0.5").0.ends_with("inc.json"));
    }

    #[test]
    fn offsets_inside_strings() {
        let text = r#"{"t": "a\"b\u00e9c\ud83d\ude00d", "n": 1}"#;
        let q = text.find("\"a").unwrap();
        let at = |d| string_offset(text, q, d);
        // Decoded: a " b é c 😀 d  (é is 2 bytes, 😀 is 4).
        assert_eq!(at(0), q + 1);
        assert_eq!(at(1), text.find("\\\"").unwrap());
        assert_eq!(at(2), text.find('b').unwrap());
        assert_eq!(at(3), text.find("\\u00e9").unwrap());
        assert_eq!(at(4), text.find("\\u00e9").unwrap());
        assert_eq!(at(5), text.find('c').unwrap());
        assert_eq!(at(6), text.find("\\ud83d").unwrap());
        assert_eq!(at(10), text.find("00d\"").unwrap() + 2);
        assert_eq!(at(11), text.find("\", \"n").unwrap());
        assert_eq!(at(99), text.find("\", \"n").unwrap());
        assert_eq!(string_offset(text, 0, 3), 0);
    }

    #[test]
    fn split_path_steps() {
        assert_eq!(
            split_path("Dhcp4.subnet4[0].pools[12].pool"),
            vec![
                Step::Key("Dhcp4".into()),
                Step::Key("subnet4".into()),
                Step::Index(0),
                Step::Key("pools".into()),
                Step::Index(12),
                Step::Key("pool".into()),
            ]
        );
    }
}
