//! [`ParkedPacket`]: the handle of a reply a callout parked (Kea's PARK).

use std::sync::Arc;

use crate::abi;
use crate::error::ApiError;
use crate::ffi::LogSink;

/// A reply held by the server for this library (see
/// [`crate::Callout::park`]). Send it to another thread, do the slow work,
/// then call [`ParkedPacket::resume`] (the reply goes out) or
/// [`ParkedPacket::drop_packet`]. Dropping the handle without either drops
/// the packet too, so a parked reply is never forgotten.
pub struct ParkedPacket {
    id: u64,
    sink: Option<Arc<LogSink>>,
}

impl std::fmt::Debug for ParkedPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParkedPacket")
            .field("id", &self.id)
            .finish()
    }
}

impl ParkedPacket {
    pub(crate) fn new(id: u64, sink: Arc<LogSink>) -> ParkedPacket {
        ParkedPacket {
            id,
            sink: Some(sink),
        }
    }

    /// The parking id (`parking_id`).
    pub fn id(&self) -> u64 {
        self.id
    }

    fn finish(&mut self, action: i32) -> Result<(), ApiError> {
        match self.sink.take() {
            Some(s) => ApiError::check(s.unpark(self.id, action)),
            None => Err(ApiError::NoField),
        }
    }

    /// Sends the reply (the remaining hook points run first, on a server
    /// thread). [`ApiError::NoField`]: the server no longer holds it (the
    /// library was reloaded meanwhile).
    pub fn resume(mut self) -> Result<(), ApiError> {
        self.finish(abi::RURU_CONTINUE)
    }

    /// Drops the reply.
    pub fn drop_packet(mut self) -> Result<(), ApiError> {
        self.finish(abi::RURU_DROP)
    }
}

impl Drop for ParkedPacket {
    fn drop(&mut self) {
        let _ = self.finish(abi::RURU_DROP);
    }
}
