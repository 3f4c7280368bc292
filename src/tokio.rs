//! Async adapters over tokio's `AsyncRead` and `AsyncWrite`.
