//! Secrets in configurations shown through the control API.
//!
//! `config-get` shows [`PLACEHOLDER`] instead of the value of every key
//! whose name ends in `password` or `secret` (database passwords, HTTP
//! basic-authentication passwords, TLS key passwords, TSIG secrets), as
//! Kea 3.0 does. A configuration sent back with the placeholder still in
//! place (`config-get`, edit, `config-set`) keeps the running value at the
//! same place ([`restore`]). Files named by `password-file` / `user-file`
//! keep secrets out of the configuration altogether.

use serde_json::Value;

/// What `config-get` shows instead of a secret (Kea's).
pub const PLACEHOLDER: &str = "*****";

/// Whether `key` names a secret.
fn is_secret(key: &str) -> bool {
    key.ends_with("password") || key.ends_with("secret")
}

/// A copy of `v` with every secret replaced by [`PLACEHOLDER`].
pub fn redact(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = if is_secret(k) && x.is_string() {
                        Value::String(PLACEHOLDER.into())
                    } else {
                        redact(x)
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// Whether `v` holds a secret (a non-empty string under a secret key).
pub fn has_secrets(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| {
            (is_secret(k) && x.as_str().is_some_and(|s| !s.is_empty())) || has_secrets(x)
        }),
        Value::Array(a) => a.iter().any(has_secrets),
        _ => false,
    }
}

/// Puts the running value back wherever `new` holds the placeholder under a
/// secret key and `running` has a string at the same place.
pub fn restore(new: &mut Value, running: &Value) {
    match (new, running) {
        (Value::Object(n), Value::Object(r)) => {
            for (k, x) in n.iter_mut() {
                let Some(old) = r.get(k) else { continue };
                if is_secret(k) && x.as_str() == Some(PLACEHOLDER) {
                    if old.is_string() {
                        *x = old.clone();
                    }
                } else {
                    restore(x, old);
                }
            }
        }
        (Value::Array(n), Value::Array(r)) => {
            for (x, old) in n.iter_mut().zip(r) {
                restore(x, old);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_hidden_and_restored() {
        let running = json!({"Dhcp4": {
            "lease-database": {"type": "postgresql", "password": "pg-pass"},
            "control-sockets": [{"authentication": {"clients": [
                {"user": "admin", "password": "s3cret"},
                {"user-file": "/etc/u", "password-file": "/etc/p"}]}}],
            "key-password": "k", "tsig": {"secret": "c2VjcmV0"}
        }});
        let shown = redact(&running);
        let text = shown.to_string();
        for s in ["pg-pass", "s3cret", "\"k\"", "c2VjcmV0"] {
            assert!(!text.contains(s), "{s} in {text}");
        }
        assert_eq!(
            shown["Dhcp4"]["control-sockets"][0]["authentication"]["clients"][1]["password-file"],
            "/etc/p"
        );
        assert!(has_secrets(&running));
        assert!(!has_secrets(
            &shown
                .pointer("/Dhcp4/control-sockets/0/authentication/clients/1")
                .cloned()
                .unwrap()
        ));
        let mut back = shown.clone();
        back["Dhcp4"]["control-sockets"][0]["authentication"]["clients"][0]["password"] =
            json!("changed");
        restore(&mut back, &running);
        assert_eq!(back["Dhcp4"]["lease-database"]["password"], "pg-pass");
        assert_eq!(back["Dhcp4"]["tsig"]["secret"], "c2VjcmV0");
        assert_eq!(
            back["Dhcp4"]["control-sockets"][0]["authentication"]["clients"][0]["password"],
            "changed"
        );
    }
}
