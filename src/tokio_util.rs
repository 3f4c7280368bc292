//! `tokio_util::codec` trait impls, so the core drops into `Framed`.
