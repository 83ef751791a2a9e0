//! Logging through the server (the `hooks` logger, Kea's `kea-dhcp4.hooks`).

use std::ffi::CString;
use std::fmt::Display;
use std::sync::Arc;

use crate::abi;
use crate::ffi::LogSink;

/// A log level of [`Logger::log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

impl Level {
    fn code(self) -> i32 {
        match self {
            Level::Error => abi::RURU_LOG_ERROR,
            Level::Warn => abi::RURU_LOG_WARN,
            Level::Info => abi::RURU_LOG_INFO,
            Level::Debug => abi::RURU_LOG_DEBUG,
        }
    }
}

/// Writes to the server's log under the `hooks` logger, tagged with the
/// library. Cheap to clone; a library may keep one in its state. After the
/// library is unloaded, messages go to standard error instead.
#[derive(Clone)]
pub struct Logger {
    sink: Arc<LogSink>,
}

impl Logger {
    pub(crate) fn sink(&self) -> &Arc<LogSink> {
        &self.sink
    }

    pub(crate) fn new(sink: Arc<LogSink>) -> Logger {
        Logger { sink }
    }

    pub(crate) fn close(&self) {
        self.sink.close();
    }

    /// Logs `message` at `level`.
    pub fn log(&self, level: Level, message: impl Display) {
        let text = message.to_string();
        // A NUL byte would end the C string early: show it instead.
        let c = CString::new(text.replace('\0', "\\0")).unwrap_or_default();
        if !self.sink.write(level.code(), &c) {
            eprintln!("ruru hook ({level:?}, after unload): {text}");
        }
    }

    pub fn error(&self, message: impl Display) {
        self.log(Level::Error, message);
    }

    pub fn warn(&self, message: impl Display) {
        self.log(Level::Warn, message);
    }

    pub fn info(&self, message: impl Display) {
        self.log(Level::Info, message);
    }

    pub fn debug(&self, message: impl Display) {
        self.log(Level::Debug, message);
    }
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Logger")
    }
}
