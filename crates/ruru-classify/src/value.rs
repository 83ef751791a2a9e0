//! [`Value`], a byte string produced by evaluation: borrowed from the packet
//! or the expression when it can be (option contents, literals, their
//! substrings), kept inline when short (integers, addresses, MACs in hex,
//! numbers as text), and on the heap only when neither works (long
//! concatenations and hex dumps).

use std::fmt;
use std::ops::Deref;

/// Values up to this many bytes are built without allocating. Large enough
/// for any `addrtotext` result (39 bytes), any number as text, and
/// `hexstring()` of a 6-byte MAC with a 1-byte separator.
pub const INLINE_CAP: usize = 40;

/// A string value (Kea's values are byte strings).
#[derive(Clone)]
pub struct Value<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    Borrowed(&'a [u8]),
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    Owned(Vec<u8>),
}

impl<'a> Value<'a> {
    /// A value borrowing `b`.
    pub fn borrowed(b: &'a [u8]) -> Value<'a> {
        Value(Repr::Borrowed(b))
    }

    /// The empty string.
    pub fn empty() -> Value<'a> {
        Value(Repr::Borrowed(&[]))
    }

    /// A copy of `b`: inline when short, else on the heap.
    pub fn copied(b: &[u8]) -> Value<'a> {
        let mut w = Builder::new();
        w.push(b);
        w.finish()
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Borrowed(b) => b,
            Repr::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            Repr::Owned(v) => v,
        }
    }

    /// The bytes, as an owned vector.
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Owned(v) => v,
            _ => self.as_bytes().to_vec(),
        }
    }

    /// Whether this value lives on the heap (for tests of the
    /// no-allocation paths).
    pub fn is_heap(&self) -> bool {
        matches!(self.0, Repr::Owned(_))
    }

    /// Bytes `start..end` of the value (clamped to its length), without
    /// copying when borrowed and without allocating when owned.
    pub(crate) fn slice(self, start: usize, end: usize) -> Value<'a> {
        let len = self.as_bytes().len();
        let end = end.min(len);
        let start = start.min(end);
        match self.0 {
            Repr::Borrowed(b) => Value(Repr::Borrowed(b.get(start..end).unwrap_or(&[]))),
            Repr::Inline { buf, .. } => Value::copied(buf.get(start..end).unwrap_or(&[])),
            Repr::Owned(mut v) => {
                v.truncate(end);
                v.drain(..start);
                Value(Repr::Owned(v))
            }
        }
    }

    /// Applies `f` to the bytes in place, copying first if borrowed.
    pub(crate) fn map_bytes(self, f: impl FnOnce(&mut [u8])) -> Value<'a> {
        let mut v = match self.0 {
            Repr::Borrowed(b) => Value::copied(b),
            other => Value(other),
        };
        match &mut v.0 {
            Repr::Inline { len, buf } => {
                if let Some(b) = buf.get_mut(..usize::from(*len)) {
                    f(b)
                }
            }
            Repr::Owned(o) => f(o),
            Repr::Borrowed(_) => {}
        }
        v
    }
}

impl Deref for Value<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Value<'_> {}

impl PartialEq<[u8]> for Value<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Value<'_> {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialEq<&str> for Value<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// Builds a value, inline until it outgrows [`INLINE_CAP`].
pub(crate) struct Builder {
    len: usize,
    buf: [u8; INLINE_CAP],
    heap: Option<Vec<u8>>,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            len: 0,
            buf: [0; INLINE_CAP],
            heap: None,
        }
    }

    /// A builder for about `n` bytes: on the heap from the start when `n`
    /// does not fit inline.
    pub(crate) fn with_capacity(n: usize) -> Builder {
        let mut b = Builder::new();
        if n > INLINE_CAP {
            b.heap = Some(Vec::with_capacity(n));
        }
        b
    }

    pub(crate) fn push(&mut self, b: &[u8]) {
        if let Some(h) = &mut self.heap {
            h.extend_from_slice(b);
            return;
        }
        match self.buf.get_mut(self.len..self.len + b.len()) {
            Some(dst) => {
                dst.copy_from_slice(b);
                self.len += b.len();
            }
            None => {
                let mut h = Vec::with_capacity((self.len + b.len()) * 2);
                h.extend_from_slice(self.buf.get(..self.len).unwrap_or(&[]));
                h.extend_from_slice(b);
                self.heap = Some(h);
            }
        }
    }

    pub(crate) fn finish<'a>(self) -> Value<'a> {
        match self.heap {
            Some(h) => Value(Repr::Owned(h)),
            None => Value(Repr::Inline {
                // len <= INLINE_CAP = 40 fits a u8.
                len: self.len as u8,
                buf: self.buf,
            }),
        }
    }
}

impl fmt::Write for Builder {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_spills_past_inline_capacity() {
        let mut b = Builder::new();
        b.push(&[1; INLINE_CAP]);
        let v = b.finish();
        assert!(!v.is_heap());
        assert_eq!(v.len(), INLINE_CAP);
        let mut b = Builder::new();
        b.push(&[1; 30]);
        b.push(&[2; 30]);
        let v = b.finish();
        assert!(v.is_heap());
        assert_eq!(&v[..], [[1u8; 30], [2u8; 30]].concat().as_slice());
    }

    #[test]
    fn slices() {
        assert_eq!(Value::borrowed(b"foobar").slice(1, 3), &b"oo"[..]);
        assert_eq!(Value::copied(b"foobar").slice(3, 99), &b"bar"[..]);
        assert_eq!(Value::copied(&[7; 50]).slice(48, 50), &[7u8, 7][..]);
        assert_eq!(Value::borrowed(b"ab").slice(5, 9), &b""[..]);
    }
}
