//! Where each value of the expanded JSON text starts: [`Node`] /
//! [`parse_spans`], a small JSON walker, and [`split_path`], so that a
//! diagnostic that only knows a JSON path (`Dhcp4.subnet4[0].pools[1].pool`)
//! can point at the offending text.

/// A JSON value with the byte offset where it starts in the expanded text.
#[derive(Debug, Clone)]
pub struct Node {
    pub start: usize,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    /// Members in file order: key, offset of the key, value.
    Object(Vec<(String, usize, Node)>),
    Array(Vec<Node>),
    Scalar,
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Splits `Dhcp4.subnet4[0].pools[1].pool` into steps.
pub fn split_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            steps.push(Step::Key(key.to_string()));
        }
        while let Some(close) = rest.find(']') {
            if let Ok(n) = rest[1..close].parse() {
                steps.push(Step::Index(n));
            }
            rest = &rest[close + 1..];
        }
    }
    steps
}

impl Node {
    /// Offset of the value at `steps`; when a step does not exist, the
    /// deepest node that does. With `key`, the last step, if it is an object
    /// member, gives the key's offset instead of the value's.
    pub fn find(&self, steps: &[Step], key: bool) -> usize {
        let Some((first, rest)) = steps.split_first() else {
            return self.start;
        };
        match (&self.kind, first) {
            (NodeKind::Object(members), Step::Key(k)) => {
                // The last occurrence: serde reports duplicates at the second.
                match members.iter().rev().find(|(name, _, _)| name == k) {
                    Some((_, key_at, _)) if rest.is_empty() && key => *key_at,
                    Some((_, _, v)) => v.find(rest, key),
                    None => self.start,
                }
            }
            (NodeKind::Array(items), Step::Index(i)) => match items.get(*i) {
                Some(v) => v.find(rest, key),
                None => self.start,
            },
            _ => self.start,
        }
    }
}

/// Builds the span tree of (syntactically valid) JSON text. Returns `None`
/// on a syntax error; the caller then reports serde_json's own position.
pub fn parse_spans(text: &str) -> Option<Node> {
    let mut p = SpanParser {
        b: text.as_bytes(),
        text,
        i: 0,
    };
    let n = p.value(0)?;
    p.ws();
    (p.i == p.b.len()).then_some(n)
}

struct SpanParser<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

impl SpanParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > 256 {
            return None;
        }
        self.ws();
        let start = self.i;
        match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let key_at = self.i;
                        let key = self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                        let v = self.value(depth + 1)?;
                        members.push((key, key_at, v));
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(Node {
                    start,
                    kind: NodeKind::Object(members),
                })
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(Node {
                    start,
                    kind: NodeKind::Array(items),
                })
            }
            b'"' => {
                self.string()?;
                Some(Node {
                    start,
                    kind: NodeKind::Scalar,
                })
            }
            _ => {
                while self.i < self.b.len()
                    && !matches!(self.b[self.i], b',' | b'}' | b']')
                    && !self.b[self.i].is_ascii_whitespace()
                {
                    self.i += 1;
                }
                (self.i > start).then_some(Node {
                    start,
                    kind: NodeKind::Scalar,
                })
            }
        }
    }

    /// A JSON string; returns its decoded value (good enough for keys).
    fn string(&mut self) -> Option<String> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() && self.b[self.i] != b'"' {
            self.i += if self.b[self.i] == b'\\' { 2 } else { 1 };
        }
        if self.i >= self.b.len() {
            return None;
        }
        self.i += 1;
        serde_json::from_str(self.text.get(start..self.i)?).ok()
    }
}
