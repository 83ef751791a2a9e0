//! What Kea's two lease files share, and the [`LeaseRow`] trait that lets
//! one journal implementation (`memfile`) serve both.
//!
//! Both files are Kea's `CSVLeaseFile4`/`CSVLeaseFile6` on top of
//! `VersionedCSVFile`:
//! - no quoting: a row is split on every `,`; `hostname` and `user_context`
//!   are escaped instead. Kea escapes `,` and `&` (the first character of the
//!   escape tag) as `&#x` + two hex digits; newer Kea also escapes control
//!   characters and bytes above 0x7e. We write that newer superset (every
//!   Kea version unescapes any `&#xNN`, so Kea 2.2 reads it back), and read
//!   any `&#xNN`; a tag not followed by two hex digits is kept literally.
//! - the header names the columns. A file whose header is a prefix of ours
//!   that reaches at least `hostname` is an older schema: its rows may lack
//!   the trailing columns, which take Kea's defaults (`state` 0, every other
//!   column empty, `pool_id` 0). Kea 2.4+'s last column, `pool_id`, is read;
//!   a header that starts with our columns and has more (a newer Kea) is
//!   read and the extra columns are ignored. Anything else is a wrong
//!   header and the file is not loaded. A file is written in Kea 2.2's
//!   columns, or with `pool_id` when it already has it ([`Width`]).
//! - a row that cannot be decoded is skipped with a warning and counted, as
//!   Kea's `LeaseFileLoader` does; the caller decides how many it tolerates.
//! - a row with `valid_lifetime` 0 records a deleted lease.
//!
//! Modules: `v4` is `kea-leases4.csv`, `v6` is `kea-leases6.csv`.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;

use crate::{LeaseError, LeaseState, LeaseType6};

pub mod v4;
pub mod v6;

/// A lease as a row of one of Kea's lease files: what the generic memfile
/// journal, loader and compaction need to know about it.
pub trait LeaseRow: Clone + Send + Sync + 'static {
    /// What identifies the lease in the file: a later row with the same key
    /// replaces an earlier one (the address, in both of Kea's files).
    type Key: Ord + Copy + std::fmt::Debug + Send + Sync;
    /// The compact form the memfile store keeps the lease in.
    type Stored: crate::memfile::StoredLease<Row = Self>;
    /// `"DHCPv4"` or `"DHCPv6"`, for messages.
    const FAMILY: &'static str;
    /// The columns we read, in order: Kea 2.2's, then Kea 2.4+'s
    /// `pool_id` (always the last).
    const COLUMNS: &'static [&'static str];
    /// The header line of Kea 2.2's file (every column but `pool_id`):
    /// what a new file gets.
    const HEADER: &'static str;
    /// The header line of Kea 2.4+'s file: `COLUMNS` joined with `,`.
    const HEADER_POOL_ID: &'static str;
    /// Kea's `setMinimumValidColumns`: how many leading columns an older
    /// file's header must have (up to `hostname`, in both files).
    const MIN_COLUMNS: usize;

    fn key(&self) -> Self::Key;
    /// The [`crate::BLOCK4`]-address block a key falls in, for the block
    /// counts the allocator uses ([`crate::LeaseStore::leased_in_block4`]);
    /// `None` (the default) keeps no counts.
    fn block(_key: Self::Key) -> Option<u32> {
        None
    }
    fn expire(&self) -> u64;
    fn valid_lifetime(&self) -> u32;
    fn state(&self) -> LeaseState;
    /// The secondary keys the lease can be found by (none for an empty
    /// identifier).
    fn lookups(&self) -> Vec<Lookup>;
    /// Appends the row, without newline, exactly as Kea 2.2 writes it.
    fn encode_into(&self, out: &mut String);
    /// The row, without newline, exactly as Kea 2.2 writes it.
    fn encode(&self) -> String {
        let mut out = String::with_capacity(ROW_CAPACITY);
        self.encode_into(&mut out);
        out
    }
    /// The lease's `pool_id` (the last column of a Kea 2.4+ file).
    fn pool_id(&self) -> u32;
    /// Appends the row for a file of `width` (see [`Width`]), without
    /// newline.
    fn encode_for_into(&self, width: Width, out: &mut String) {
        self.encode_into(out);
        if width == Width::PoolId {
            out.push(',');
            push_u64(out, u64::from(self.pool_id()));
        }
    }
    /// The row for a file of `width` (see [`Width`]).
    fn encode_for(&self, width: Width) -> String {
        let mut out = String::with_capacity(ROW_CAPACITY);
        self.encode_for_into(width, &mut out);
        out
    }
    /// Decodes a row from its fields, padded to `COLUMNS.len()` with Kea's
    /// defaults (see [`split_row`]).
    fn decode(fields: &[&str]) -> Result<Self, String>;
    /// The lease as Kea journals its deletion: `valid_lifetime` 0 (and so
    /// `expire` = cltt).
    fn deletion(&self) -> Self;
    /// The lease as it will read back from the file (empty identifiers
    /// normalized), or why it cannot be written so that it reads back.
    fn prepare(&self) -> Result<Self, String>;
}

/// A secondary key of the memfile indexes: a client identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// DHCPv4 hardware address.
    HwAddr(Vec<u8>),
    /// DHCPv4 client identifier.
    ClientId(Vec<u8>),
    /// DHCPv6 DUID (any IA).
    Duid(Vec<u8>),
    /// DHCPv6 IA: type, IAID, DUID.
    DuidIaid(LeaseType6, u32, Vec<u8>),
}

impl Lookup {
    pub fn borrowed(&self) -> LookupRef<'_> {
        match self {
            Lookup::HwAddr(b) => LookupRef::HwAddr(b),
            Lookup::ClientId(b) => LookupRef::ClientId(b),
            Lookup::Duid(b) => LookupRef::Duid(b),
            Lookup::DuidIaid(t, iaid, b) => LookupRef::DuidIaid(*t, *iaid, b),
        }
    }
}

/// A [`Lookup`] that borrows its identifier: what the memfile indexes hash
/// (a stored lease yields these without allocating).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupRef<'a> {
    HwAddr(&'a [u8]),
    ClientId(&'a [u8]),
    Duid(&'a [u8]),
    DuidIaid(LeaseType6, u32, &'a [u8]),
}

impl LookupRef<'_> {
    pub fn to_lookup(self) -> Lookup {
        match self {
            LookupRef::HwAddr(b) => Lookup::HwAddr(b.to_vec()),
            LookupRef::ClientId(b) => Lookup::ClientId(b.to_vec()),
            LookupRef::Duid(b) => Lookup::Duid(b.to_vec()),
            LookupRef::DuidIaid(t, iaid, b) => Lookup::DuidIaid(t, iaid, b.to_vec()),
        }
    }
}

/// Kea's escape tag.
const ESCAPE_TAG: &str = "&#x";

/// Room a row usually needs (with its newline), so that encoding it
/// allocates once.
pub(crate) const ROW_CAPACITY: usize = 192;

/// Kea's `HWAddr::MAX_HWADDR_LEN`.
pub const MAX_HWADDR_LEN: usize = 20;

/// The two layouts ruru writes: Kea 2.2's, which a new file gets (Kea 2.2
/// reads it, and Kea 2.4+ converts it), and Kea 2.4+'s with `pool_id`
/// last, kept for a file that already has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Kea22,
    PoolId,
}

impl Width {
    /// The header line of this layout.
    pub fn header<L: LeaseRow>(self) -> &'static str {
        match self {
            Width::Kea22 => L::HEADER,
            Width::PoolId => L::HEADER_POOL_ID,
        }
    }

    /// The layout of a file with this header, when it is one ruru writes.
    pub fn of<L: LeaseRow>(h: &Header) -> Option<Width> {
        let full = L::COLUMNS.len();
        if h.columns == full {
            Some(Width::PoolId)
        } else if h.columns + 1 == full {
            Some(Width::Kea22)
        } else {
            None
        }
    }
}

/// How a file's header relates to the schema we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Exactly our columns.
    Current,
    /// An older Kea's file: fewer columns; rows are padded with defaults.
    Upgrade,
    /// A newer Kea's file: more columns; the extra ones are ignored.
    Downgrade,
}

/// A validated header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Number of columns named in the file's header.
    pub columns: usize,
    pub schema: Schema,
}

/// Checks a header line against `L`'s columns the way Kea's
/// `VersionedCSVFile::validateHeader` does.
pub fn parse_header<L: LeaseRow>(line: &str) -> Result<Header, String> {
    let names: Vec<&str> = line.split(',').collect();
    let columns = L::COLUMNS;
    let mut valid = 0;
    for (name, expected) in names.iter().zip(columns.iter()) {
        if name != expected {
            return Err(format!(
                "invalid header: column {} is '{}', expected '{}'",
                valid + 1,
                name,
                expected
            ));
        }
        valid += 1;
    }
    if valid < L::MIN_COLUMNS {
        return Err(format!(
            "invalid header: only {valid} valid column(s), at least {} needed \
             (address..hostname)",
            L::MIN_COLUMNS
        ));
    }
    let schema = if names.len() == columns.len() {
        Schema::Current
    } else if names.len() < columns.len() {
        Schema::Upgrade
    } else {
        Schema::Downgrade
    };
    Ok(Header {
        columns: names.len(),
        schema,
    })
}

/// The most columns either file has (`kea-leases6.csv`'s 18): the size of
/// the field array a row is split into without allocating.
pub const MAX_COLUMNS: usize = 18;

/// Splits a data row of a file with this header into exactly
/// `L::COLUMNS.len()` fields: checks the column count as Kea's
/// `VersionedCSVFile::next` does, pads the columns an older file lacks with
/// Kea's defaults (only `state` has one, `0`; the others are empty) and
/// drops a newer file's extra columns.
pub fn split_row<'a, L: LeaseRow>(header: &Header, line: &'a str) -> Result<Vec<&'a str>, String> {
    let mut fields = [""; MAX_COLUMNS];
    let n = split_fields::<L>(header, line, &mut fields)?;
    Ok(fields[..n].to_vec())
}

/// [`split_row`] into an array; returns how many fields it holds
/// (`L::COLUMNS.len()`).
fn split_fields<'a, L: LeaseRow>(
    header: &Header,
    line: &'a str,
    fields: &mut [&'a str; MAX_COLUMNS],
) -> Result<usize, String> {
    let columns = L::COLUMNS;
    let wanted = columns.len().min(MAX_COLUMNS);
    // Split on every ',' (no quoting in Kea's files), keeping the first
    // `wanted` fields and counting all of them.
    let mut n = 0;
    let mut start = 0;
    for (i, b) in line.bytes().enumerate() {
        if b == b',' {
            if let Some(field) = fields.get_mut(n).filter(|_| n < wanted) {
                *field = line.get(start..i).unwrap_or_default();
            }
            n += 1;
            start = i + 1;
        }
    }
    if let Some(field) = fields.get_mut(n).filter(|_| n < wanted) {
        *field = line.get(start..).unwrap_or_default();
    }
    n += 1;
    match header.schema {
        Schema::Current if n != columns.len() => {
            return Err(format!(
                "row has {n} columns, the header has {}",
                columns.len()
            ));
        }
        Schema::Upgrade if n < header.columns || n > columns.len() => {
            return Err(format!(
                "row has {n} columns, expected {} to {}",
                header.columns,
                columns.len()
            ));
        }
        Schema::Downgrade if n < columns.len() => {
            return Err(format!(
                "row has {n} columns, expected at least {}",
                columns.len()
            ));
        }
        _ => {}
    }
    for (field, name) in fields.iter_mut().zip(columns).skip(n) {
        *field = if *name == "state" || *name == "pool_id" {
            "0"
        } else {
            ""
        };
    }
    Ok(wanted)
}

/// Decodes one data row of a file with this header. A lease whose
/// `valid_lifetime` is 0 is a deletion record.
pub fn decode_row<L: LeaseRow>(header: &Header, line: &str) -> Result<L, String> {
    let mut fields = [""; MAX_COLUMNS];
    let n = split_fields::<L>(header, line, &mut fields)?;
    L::decode(&fields[..n])
}

/// Escapes a field as Kea's `CSVRow::escapeCharacters` does (newer, superset
/// rule): `,`, `&`, control characters and bytes above 0x7e become `&#xNN`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Appends `s` to `out` escaped as [`escape`] does (no allocation of its
/// own: the journal writes a row per lease change).
pub fn push_escaped(out: &mut String, s: &str) {
    let needs = |b: u8| !(0x20..=0x7e).contains(&b) || b == b',' || b == b'&';
    if !s.bytes().any(needs) {
        out.push_str(s);
        return;
    }
    for b in s.bytes() {
        if needs(b) {
            out.push_str(ESCAPE_TAG);
            push_hex_byte(out, b);
        } else {
            // Only printable ASCII gets here.
            out.push(char::from(b));
        }
    }
}

/// Appends `n` in decimal (as `Display` writes it, without the formatting
/// machinery: the journal writes several numbers per row).
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[i..] {
        out.push(char::from(*d));
    }
}

/// Appends an IPv4 address in dotted decimal (as `Display` writes it).
pub fn push_ipv4(out: &mut String, a: std::net::Ipv4Addr) {
    for (i, o) in a.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_u64(out, u64::from(o));
    }
}

/// Appends an IPv6 address exactly as `Display` writes it (RFC 5952:
/// lowercase, no leading zeros, the first longest run of two or more zero
/// groups as `::`; an IPv4-mapped address as `::ffff:a.b.c.d`).
pub fn push_ipv6(out: &mut String, a: std::net::Ipv6Addr) {
    if let Some(v4) = a.to_ipv4_mapped() {
        out.push_str("::ffff:");
        push_ipv4(out, v4);
        return;
    }
    let seg = a.segments();
    // The first longest run of zero groups.
    let (mut best, mut best_len, mut cur, mut cur_len) = (0, 0, 0, 0);
    for (i, s) in seg.iter().enumerate() {
        if *s == 0 {
            if cur_len == 0 {
                cur = i;
            }
            cur_len += 1;
            if cur_len > best_len {
                (best, best_len) = (cur, cur_len);
            }
        } else {
            cur_len = 0;
        }
    }
    let groups = |out: &mut String, part: &[u16]| {
        for (i, s) in part.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            push_hex_u16(out, *s);
        }
    };
    if best_len > 1 {
        groups(out, &seg[..best]);
        out.push_str("::");
        groups(out, &seg[best + best_len..]);
    } else {
        groups(out, &seg);
    }
}

/// Appends `v` in lowercase hex without leading zeros.
fn push_hex_u16(out: &mut String, v: u16) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let d = usize::from((v >> shift) & 0xf);
        if d != 0 || started || shift == 0 {
            out.push(char::from(DIGITS[d]));
            started = true;
        }
    }
}

/// Appends one byte as two lowercase hex digits.
fn push_hex_byte(out: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(char::from(DIGITS[usize::from(b >> 4)]));
    out.push(char::from(DIGITS[usize::from(b & 0xf)]));
}

/// Reverses [`escape`] as Kea's `CSVRow::unescapeCharacters` does: every
/// `&#x` followed by two hex digits (either case) becomes that byte; a tag
/// without two hex digits stays as it is. Escaped bytes that do not form
/// UTF-8 are replaced with U+FFFD.
pub fn unescape(s: &str) -> String {
    if !s.contains(ESCAPE_TAG) {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let tag = ESCAPE_TAG.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(tag) {
            let digits = bytes.get(i + tag.len()..i + tag.len() + 2);
            if let Some([h, l]) = digits {
                if let (Some(h), Some(l)) = (hex_val(*h), hex_val(*l)) {
                    out.push(h << 4 | l);
                    i += tag.len() + 2;
                    continue;
                }
            }
            out.extend_from_slice(tag);
            i += tag.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Bytes as Kea prints a hardware address or client id: `aa:bb:cc`.
pub fn format_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    push_hex(&mut out, bytes);
    out
}

/// Appends `bytes` to `out` as [`format_hex`] prints them.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_hex_byte(out, *b);
    }
}

/// Parses hex as Kea's `decodeFormattedHexString`: colon-separated groups of
/// one or two digits (`a:bb:0c`), or a contiguous string (`0aBB0c`, optional
/// `0x`, odd length padded with a leading zero). Empty text is no bytes.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || format!("'{text}' is not a hex string");
    if text.contains(':') {
        return text
            .split(':')
            .map(|part| match part.as_bytes() {
                [l] => hex_val(*l).ok_or_else(bad),
                [h, l] => match (hex_val(*h), hex_val(*l)) {
                    (Some(h), Some(l)) => Ok(h << 4 | l),
                    _ => Err(bad()),
                },
                _ => Err(bad()),
            })
            .collect();
    }
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.is_empty() {
        return Err(bad());
    }
    let mut padded = Vec::with_capacity(digits.len() + 1);
    if digits.len() % 2 == 1 {
        padded.push(b'0');
    }
    padded.extend_from_slice(digits.as_bytes());
    padded
        .chunks(2)
        .map(|pair| match (hex_val(pair[0]), hex_val(pair[1])) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err(bad()),
        })
        .collect()
}

pub(crate) fn parse_num<T: std::str::FromStr>(text: &str, column: &str) -> Result<T, String> {
    // FromStr accepts a leading '+'; Kea's lexical_cast does too, so keep it.
    text.parse()
        .map_err(|_| format!("{column} '{text}' is not a valid number"))
}

pub(crate) fn parse_flag(text: &str, column: &str) -> Result<bool, String> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("{column} '{text}' is not 0 or 1")),
    }
}

/// Reads the `user_context` column: empty, or a JSON map (Kea rejects the
/// row otherwise).
pub(crate) fn parse_user_context(text: &str) -> Result<String, String> {
    let user_context = unescape(text);
    check_user_context(&user_context)?;
    Ok(user_context)
}

/// A user context must be empty or a JSON map.
pub(crate) fn check_user_context(user_context: &str) -> Result<(), String> {
    if user_context.is_empty() {
        return Ok(());
    }
    match serde_json::from_str::<serde_json::Value>(user_context) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err(format!("user context '{user_context}' is not a JSON map")),
        Err(e) => Err(format!("user context '{user_context}': {e}")),
    }
}

pub(crate) fn parse_state(text: &str) -> Result<LeaseState, String> {
    let code: u32 = parse_num(text, "state")?;
    LeaseState::from_code(code).ok_or_else(|| format!("state {code} is unknown"))
}

/// What reading one lease file found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileStats {
    /// The header, or `None` for an empty (0-byte) file.
    pub header: Option<Header>,
    /// Rows decoded (leases and deletion records).
    pub rows: usize,
    /// Rows skipped because they could not be decoded.
    pub skipped: usize,
}

/// The header of the lease file at `path` (a file read only for its
/// first line), when it is a valid one.
pub fn read_header<L: LeaseRow>(path: &Path) -> Option<Header> {
    let mut line = String::new();
    BufReader::new(File::open(path).ok()?)
        .read_line(&mut line)
        .ok()?;
    parse_header::<L>(line.trim_end_matches(['\n', '\r'])).ok()
}

/// Reads a lease file, calling `sink` with each decoded row in file order.
/// Invalid rows are logged with `tracing::warn!` and skipped; more than
/// `max_row_errors` of them (0 = no limit, Kea's `max-row-errors`) or a wrong
/// header is `LeaseError::Corrupt`. A missing file is an `Io` error.
pub fn read_file<L: LeaseRow>(
    path: &Path,
    max_row_errors: usize,
    mut sink: impl FnMut(L),
) -> Result<FileStats, LeaseError> {
    let shown = path.display().to_string();
    let io = |source: std::io::Error| LeaseError::Io {
        path: shown.clone(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut stats = FileStats::default();
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        let n = match reader.read_until(b'\n', &mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        if n == 0 {
            break;
        }
        line_no += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        let line = String::from_utf8_lossy(&buf);
        let Some(header) = stats.header else {
            let header = parse_header::<L>(&line).map_err(|message| LeaseError::Corrupt {
                path: shown.clone(),
                line: line_no,
                message,
            })?;
            stats.header = Some(header);
            continue;
        };
        match decode_row::<L>(&header, &line) {
            Ok(lease) => {
                stats.rows += 1;
                sink(lease);
            }
            Err(message) => {
                stats.skipped += 1;
                tracing::warn!(
                    path = %shown,
                    line = line_no,
                    error = %message,
                    "skipping invalid lease row"
                );
                if max_row_errors > 0 && stats.skipped > max_row_errors {
                    return Err(LeaseError::Corrupt {
                        path: shown,
                        line: line_no,
                        message: format!(
                            "more than {max_row_errors} invalid rows (max-row-errors); \
                             last: {message}"
                        ),
                    });
                }
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The journal's number and address writers print exactly what
    /// `Display` prints (the lease files must not change).
    #[test]
    fn numbers_and_addresses_print_as_display_does() {
        use std::net::{Ipv4Addr, Ipv6Addr};
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut nums = vec![0, 1, 9, 10, 99, 100, u64::from(u32::MAX), u64::MAX];
        nums.extend((0..200).map(|_| next() >> (next() % 64)));
        for n in nums {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        let mut v6: Vec<Ipv6Addr> = [
            "::",
            "::1",
            "1::",
            "2001:db8::1",
            "2001:db8:0:0:1:0:0:1",
            "2001:0:0:1::1",
            "fe80::1:0:0:0",
            "1:0:1:0:1:0:1:0",
            "::ffff:192.0.2.1",
            "::192.0.2.1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "0:0:1::",
            "2001:db8:a:b:c:d:e:f",
        ]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
        for _ in 0..500 {
            // Random groups, many of them zero.
            let mut g = [0u16; 8];
            for s in &mut g {
                let r = next();
                *s = if r % 3 == 0 { (r >> 8) as u16 } else { 0 };
            }
            v6.push(Ipv6Addr::from(g));
        }
        for a in v6 {
            let mut s = String::new();
            push_ipv6(&mut s, a);
            assert_eq!(s, a.to_string());
        }
        for a in [
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::new(192, 0, 2, 255),
            Ipv4Addr::BROADCAST,
        ] {
            let mut s = String::new();
            push_ipv4(&mut s, a);
            assert_eq!(s, a.to_string());
        }
    }

    #[test]
    fn escape_vectors() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a,b"), "a&#x2cb");
        assert_eq!(escape("&"), "&#x26");
        assert_eq!(escape("\n"), "&#x0a");
        assert_eq!(escape("\u{e9}"), "&#xc3&#xa9");
        assert_eq!(unescape("a&#x2cb"), "a,b");
        assert_eq!(unescape("a&#x2Cb"), "a,b");
        assert_eq!(unescape("&#x26#x2c"), "&#x2c");
        assert_eq!(unescape("&#xc3&#xa9"), "\u{e9}");
        // A tag without two hex digits stays literal.
        assert_eq!(unescape("a&#xzz"), "a&#xzz");
        assert_eq!(unescape("a&#x2"), "a&#x2");
        assert_eq!(unescape("&#x"), "&#x");
        for s in ["", "&", "&#x", "&#x2c", ",,,", "x&#x26y"] {
            assert_eq!(unescape(&escape(s)), s);
        }
    }

    #[test]
    fn hex_forms() {
        assert_eq!(parse_hex(""), Ok(vec![]));
        assert_eq!(parse_hex("a:b:0c"), Ok(vec![0x0a, 0x0b, 0x0c]));
        assert_eq!(parse_hex("AA:bb"), Ok(vec![0xaa, 0xbb]));
        assert_eq!(parse_hex("0x0102"), Ok(vec![1, 2]));
        assert_eq!(parse_hex("102"), Ok(vec![1, 2]));
        assert!(parse_hex("a::b").is_err());
        assert!(parse_hex("abc:d").is_err());
        assert!(parse_hex("zz").is_err());
        assert_eq!(format_hex(&[0, 0xab, 0x1]), "00:ab:01");
    }

    #[test]
    fn columns_fit_the_split_array() {
        assert!(crate::Lease4::COLUMNS.len() <= MAX_COLUMNS);
        assert!(crate::Lease6::COLUMNS.len() <= MAX_COLUMNS);
    }

    #[test]
    fn rows_split_like_str_split() {
        let upgrade = parse_header::<crate::Lease4>(
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname",
        )
        .unwrap();
        let kea22 = parse_header::<crate::Lease4>(crate::Lease4::HEADER).unwrap();
        let current = parse_header::<crate::Lease4>(crate::Lease4::HEADER_POOL_ID).unwrap();
        let downgrade =
            parse_header::<crate::Lease4>(&format!("{},x", crate::Lease4::HEADER_POOL_ID)).unwrap();
        for line in [
            "a,b,c,d,e,f,g,h,i,j,k",
            ",,,,,,,,,,",
            "a,,c,,e,,g,,i,,",
            "a,b,c,d,e,f,g,h,i",
            "a,b,c,d,e,f,g,h,i,j",
            "a,b,c,d,e,f,g,h,i,j,k,l",
            "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u",
            "a,b,c",
            "",
            "\u{e9},\u{e9}\u{e9},,,,,,,,,",
        ] {
            for header in [&upgrade, &kea22, &current, &downgrade] {
                let got = split_row::<crate::Lease4>(header, line);
                let mut all: Vec<&str> = line.split(',').collect();
                let n = all.len();
                let fits = match header.schema {
                    Schema::Current => n == 12,
                    Schema::Upgrade => (header.columns..=12).contains(&n),
                    Schema::Downgrade => n >= 12,
                };
                if !fits {
                    assert!(got.is_err(), "{line:?} {header:?}");
                    continue;
                }
                // Defaults: `state` and `pool_id` 0, the others empty.
                while all.len() < 12 {
                    all.push(if all.len() == 9 || all.len() == 11 {
                        "0"
                    } else {
                        ""
                    });
                }
                all.truncate(12);
                assert_eq!(got, Ok(all), "{line:?} {header:?}");
            }
        }
    }

    #[test]
    fn headers_are_the_joined_columns() {
        use crate::{Lease4, Lease6};
        assert_eq!(Lease4::HEADER_POOL_ID, Lease4::COLUMNS.join(","));
        assert_eq!(Lease6::HEADER_POOL_ID, Lease6::COLUMNS.join(","));
        let (n4, n6) = (Lease4::COLUMNS.len() - 1, Lease6::COLUMNS.len() - 1);
        assert_eq!(Lease4::HEADER, Lease4::COLUMNS[..n4].join(","));
        assert_eq!(Lease6::HEADER, Lease6::COLUMNS[..n6].join(","));
        assert_eq!(
            crate::Lease4::COLUMNS[crate::Lease4::MIN_COLUMNS - 1],
            "hostname"
        );
        assert_eq!(
            crate::Lease6::COLUMNS[crate::Lease6::MIN_COLUMNS - 1],
            "hostname"
        );
    }

    #[test]
    fn user_context_must_be_a_map() {
        assert_eq!(parse_user_context(""), Ok(String::new()));
        assert_eq!(
            parse_user_context("{ \"a\": 1&#x2c \"b\": 2 }"),
            Ok("{ \"a\": 1, \"b\": 2 }".into())
        );
        assert!(parse_user_context("[1]").is_err());
        assert!(parse_user_context("{bad").is_err());
    }
}
