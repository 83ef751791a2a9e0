//! Parsing a control request into a [`serde_json::Value`], with a repeated
//! key in any object, at any depth, an error.
//!
//! serde_json keeps the last of repeated keys, so
//! `{"command": "version-get", "command": "dhcp-disable"}` would run
//! `dhcp-disable`, and a repeated key in a `config-set` configuration would
//! drop the first value without a word. The parser here is serde_json's
//! (the same grammar, numbers and strings, and its recursion limit of 128
//! nested lists/objects, which its deserializer counts) driving a visitor
//! that builds the value and refuses a key already seen in the same object.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses one JSON value (surrounding whitespace allowed, nothing else).
/// A repeated key is an error of category `Data` whose text is
/// `duplicate key "KEY" in the request` (followed by its position); any
/// other error is serde_json's.
pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Strict.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Builds a [`Value`], refusing repeated keys.
#[derive(Clone, Copy)]
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json's own Value: a non-finite number becomes null.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(e) = seq.next_element_seed(Strict)? {
            v.push(e);
        }
        Ok(Value::Array(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if m.contains_key(&k) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key {} in the request",
                    Value::String(k)
                )));
            }
            let v = map.next_value_seed(Strict)?;
            m.insert(k, v);
        }
        Ok(Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::from_slice;
    use serde_json::{json, Value};

    fn dup(text: &str) -> String {
        let e = from_slice(text.as_bytes()).unwrap_err();
        assert_eq!(e.classify(), serde_json::error::Category::Data, "{e}");
        e.to_string()
    }

    #[test]
    fn a_repeated_key_is_an_error_at_any_depth() {
        let e = dup(r#"{"command": "version-get", "command": "dhcp-disable"}"#);
        assert!(
            e.starts_with(r#"duplicate key "command" in the request at line 1 column "#),
            "{e}"
        );
        let e =
            dup(r#"{"command": "dhcp-disable", "arguments": {"max-period": 1, "max-period": 2}}"#);
        assert!(e.starts_with(r#"duplicate key "max-period""#), "{e}");
        let e = dup(r#"{"a": [1, {"b": {"c": 1, "d": [{"x": 1, "x": 1}]}}]}"#);
        assert!(e.starts_with(r#"duplicate key "x""#), "{e}");
        // Escapes are decoded before keys are compared, and the key is
        // shown as JSON.
        let e = dup(r#"{"a\"b": 1, "a\u0022b": 2}"#);
        assert!(e.starts_with(r#"duplicate key "a\"b""#), "{e}");
    }

    #[test]
    fn the_same_key_in_different_objects_is_fine() {
        let v =
            from_slice(br#"{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}]}"#).unwrap();
        assert_eq!(
            v,
            json!({"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}]})
        );
    }

    #[test]
    fn values_are_those_serde_json_builds() {
        for text in [
            r#"{"command": "config-set", "arguments": {"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]}}}"#,
            r#"[18446744073709551615, -9223372036854775808, 0, -0, 1.5, 1e300, -2.5e-300]"#,
            r#"{"s": "\u00e9\ud83d\ude00\n\\ \"", "t": true, "f": false, "n": null, "e": {}, "l": []}"#,
            " \n\t42\r\n ",
            r#""just a string""#,
        ] {
            let want: Value = serde_json::from_str(text).unwrap();
            assert_eq!(from_slice(text.as_bytes()).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn malformed_json_is_still_an_error() {
        for text in [
            "",
            "{",
            r#"{"command": "version-get" ]"#,
            r#"{"command": "version-get"} trailing"#,
            r#"{"a": 1,}"#,
            r#"{"a": "\ud800"}"#,
            "\"\\x\"",
            "{'a': 1}",
            "1e400",
        ] {
            let e = from_slice(text.as_bytes()).unwrap_err();
            assert_ne!(
                e.classify(),
                serde_json::error::Category::Data,
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn the_recursion_limit_still_holds() {
        // serde_json refuses more than 128 nested lists/objects; deeper
        // input must be an error, not a stack overflow.
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(from_slice(ok.as_bytes()).is_ok());
        for deep in [
            format!("{}{}", "[".repeat(129), "]".repeat(129)),
            "[".repeat(1_000_000),
            r#"{"a":"#.repeat(1_000_000),
        ] {
            let e = from_slice(deep.as_bytes()).unwrap_err();
            assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
        }
    }
}
