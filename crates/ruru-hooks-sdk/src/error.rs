//! Errors and next-step statuses of the Rust API.

use std::fmt;

use crate::abi;

/// A next-step status, returned by a callout (Kea's CONTINUE, SKIP, DROP,
/// PARK). What SKIP means depends on the hook point; see the hooks guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Go on as usual.
    Continue,
    /// Skip the server's own action at this hook point.
    Skip,
    /// Drop the packet: no reply.
    Drop,
    /// Hold the packet until the library resumes it. Not supported by ruru
    /// yet: the server treats it as [`Status::Drop`].
    Park,
}

impl Status {
    /// The ABI code (`RURU_CONTINUE`, ...).
    pub fn code(self) -> i32 {
        match self {
            Status::Continue => abi::RURU_CONTINUE,
            Status::Skip => abi::RURU_SKIP,
            Status::Drop => abi::RURU_DROP,
            Status::Park => abi::RURU_PARK,
        }
    }

    /// The status with this ABI code (`RURU_ERROR` and unknown codes: None).
    pub fn from_code(code: i32) -> Option<Status> {
        match code {
            abi::RURU_CONTINUE => Some(Status::Continue),
            abi::RURU_SKIP => Some(Status::Skip),
            abi::RURU_DROP => Some(Status::Drop),
            abi::RURU_PARK => Some(Status::Park),
            _ => None,
        }
    }
}

/// What a callout returns: a status, or an error (the callout returns
/// `RURU_ERROR`: the server drops the packet and counts the error).
pub type Outcome = Result<Status, HookError>;

/// A failed call into the server's API (the `RURU_E*` result codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiError {
    /// `RURU_ENOFIELD`: no such field, option or context key at this hook
    /// point.
    NoField,
    /// `RURU_ETOOSMALL`: the buffer was too small (the SDK retries with the
    /// size the server asks for, so callers rarely see this).
    TooSmall,
    /// `RURU_EINVAL`: the value is invalid (length, address, UTF-8, a field
    /// name with a NUL byte, ...).
    Invalid,
    /// `RURU_EREADONLY`: the field cannot be changed at this hook point.
    ReadOnly,
    /// Any other code (a newer server).
    Other(i32),
}

impl ApiError {
    /// `Ok(())` for `RURU_OK`, the error otherwise.
    pub fn check(code: i32) -> Result<(), ApiError> {
        match code {
            abi::RURU_OK => Ok(()),
            abi::RURU_ENOFIELD => Err(ApiError::NoField),
            abi::RURU_ETOOSMALL => Err(ApiError::TooSmall),
            abi::RURU_EINVAL => Err(ApiError::Invalid),
            abi::RURU_EREADONLY => Err(ApiError::ReadOnly),
            c => Err(ApiError::Other(c)),
        }
    }

    /// The ABI code.
    pub fn code(self) -> i32 {
        match self {
            ApiError::NoField => abi::RURU_ENOFIELD,
            ApiError::TooSmall => abi::RURU_ETOOSMALL,
            ApiError::Invalid => abi::RURU_EINVAL,
            ApiError::ReadOnly => abi::RURU_EREADONLY,
            ApiError::Other(c) => c,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::NoField => f.write_str("no such field at this hook point"),
            ApiError::TooSmall => f.write_str("buffer too small"),
            ApiError::Invalid => f.write_str("invalid value"),
            ApiError::ReadOnly => f.write_str("field is read-only at this hook point"),
            ApiError::Other(c) => write!(f, "ruru API error {c}"),
        }
    }
}

impl std::error::Error for ApiError {}

/// An error of a hook library: from `load` (the library is not loaded) or
/// from a callout (the packet is dropped and the error counted). Any
/// `std::error::Error` converts into it, so `?` works on [`ApiError`],
/// `serde_json::Error`, `std::io::Error`, ...; [`HookError::msg`] makes one
/// from text.
///
/// It deliberately does not implement `std::error::Error` itself (as
/// `anyhow::Error`), which is what allows the blanket conversion.
pub struct HookError {
    message: String,
}

impl HookError {
    /// An error with this message.
    pub fn msg(message: impl fmt::Display) -> HookError {
        HookError {
            message: message.to_string(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HookError {
    fn from(e: E) -> HookError {
        HookError::msg(e)
    }
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HookError({:?})", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip() {
        for s in [Status::Continue, Status::Skip, Status::Drop, Status::Park] {
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        assert_eq!(Status::from_code(abi::RURU_ERROR), None);
    }

    #[test]
    fn api_error_codes_round_trip() {
        assert_eq!(ApiError::check(abi::RURU_OK), Ok(()));
        for e in [
            ApiError::NoField,
            ApiError::TooSmall,
            ApiError::Invalid,
            ApiError::ReadOnly,
            ApiError::Other(-77),
        ] {
            assert_eq!(ApiError::check(e.code()), Err(e));
        }
    }

    #[test]
    fn hook_error_from_std_errors() {
        let e: HookError = ApiError::ReadOnly.into();
        assert_eq!(e.message(), "field is read-only at this hook point");
        let e: HookError = "x".parse::<u8>().unwrap_err().into();
        assert!(e.to_string().contains("invalid digit"));
    }
}
