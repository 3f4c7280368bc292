//! Turning bytes into frames: the borrowed [`Codec::decode_slice`] (no state) and
//! [`FrameDecoder::decode_slice`] (keeps a parsed header and skips oversized frames) over a
//! `&[u8]` the caller owns, and the stateful [`FrameDecoder::decode`] over a `BytesMut`.

#[cfg(feature = "alloc")]
use bytes::{Buf, Bytes, BytesMut};

use crate::codec::{Codec, Front, Plain, Wide};
use crate::error::FrameError;

/// The result of decoding from a borrowed buffer ([`Codec::decode_slice`],
/// [`FrameDecoder::decode_slice`]): a whole frame, bytes of a skipped frame to drop, or how much
/// more is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Decoded<'a> {
    /// A whole frame is at the front of the buffer.
    Frame {
        /// The payload (or the whole frame, with [`keep_header`](crate::CodecBuilder::keep_header)).
        frame: &'a [u8],
        /// How many bytes of the buffer the frame used: drop them before decoding the next.
        ///
        /// From [`FrameDecoder::decode_slice`] the frame always ends where these bytes do (a
        /// [checksum](crate::CodecBuilder::checksum) trailer after a payload comes out as
        /// [`Decoded::Skipped`] on the next call); from the stateless [`Codec::decode_slice`]
        /// they include the trailer, after the frame.
        consumed: usize,
    },
    /// The buffer holds only part of a frame; nothing was consumed.
    Incomplete {
        /// At least this many more bytes are needed (exactly this many once the header is in;
        /// while skipping, the bytes of the skipped frame still to come).
        needed: usize,
    },
    /// The front of the buffer is to be discarded: it belongs to an oversized frame being
    /// skipped (only from [`FrameDecoder::decode_slice`] with
    /// [`skip_oversized`](crate::CodecBuilder::skip_oversized)), or, with
    /// [`sync_bytes`](crate::CodecBuilder::sync_bytes) set, it is noise or a bad frame dropped
    /// while resynchronising (up to the next place the sync bytes appear).
    Skipped {
        /// How many bytes to drop from the front of the buffer (at least 1).
        consumed: usize,
    },
}

impl Codec {
    /// Decodes the frame at the front of `buf` without copying or allocating.
    ///
    /// This is the path for callers that own their buffer: on [`Decoded::Frame`], use the frame,
    /// then drop `consumed` bytes from the front; on [`Decoded::Incomplete`], read at least
    /// `needed` more bytes and call again with the whole buffer. It keeps no state: the header is
    /// parsed again on each call, which costs a few nanoseconds. It returns
    /// [`Decoded::Skipped`] only with [`sync_bytes`](crate::CodecBuilder::sync_bytes) set, for
    /// bytes dropped while resynchronising (a [`FrameDecoder`] also counts them).
    ///
    /// [`skip_oversized`](crate::CodecBuilder::skip_oversized) does not apply here: an oversized
    /// frame is always an error, since skipping needs state across calls (use
    /// [`FrameDecoder::decode_slice`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{Codec, Decoded};
    ///
    /// let codec = Codec::default();
    /// let mut wire: &[u8] = b"\x03\x00\x00\x00aaa\x03\x00\x00\x00bbb\x05\x00";
    /// let mut frames = Vec::new();
    /// while let Decoded::Frame { frame, consumed } = codec.decode_slice(wire)? {
    ///     frames.push(frame);
    ///     wire = &wire[consumed..];
    /// }
    /// assert_eq!(frames, [b"aaa", b"bbb"]);
    /// assert_eq!(codec.decode_slice(wire)?, lenframe::Decoded::Incomplete { needed: 2 });
    /// # Ok::<(), lenframe::FrameError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`FrameDecoder::decode_slice`]: a negative, malformed or oversized length, checked as
    /// soon as the header is complete, before any payload byte is looked at.
    #[inline(always)]
    pub fn decode_slice<'a>(&self, buf: &'a [u8]) -> Result<Decoded<'a>, FrameError> {
        // The default layout on its short path. Big-endian plain headers take the general path
        // here (which keeps a loop over `"!I"` as fast as before): with them, the short path
        // would cost a tight loop over the default layout a few more instructions a frame. The
        // plain 2- and 8-byte headers have their own, tested for only off the 4-byte layouts'.
        match self.plain() {
            Some(plain @ Plain::Little { .. }) => self.decode_slice_plain(buf, plain),
            Some(_) => self.decode_slice_general(buf),
            None => match self.wide() {
                Some(wide) => self.decode_slice_wide(buf, wide),
                None => self.decode_slice_general(buf),
            },
        }
    }

    /// [`decode_slice`](Self::decode_slice) with sync bytes or a checksum, off the path of the
    /// other layouts.
    #[cold]
    #[inline(never)]
    fn decode_slice_noisy<'a>(&self, buf: &'a [u8]) -> Result<Decoded<'a>, FrameError> {
        Ok(self.decode_noisy(buf)?.decoded)
    }

    /// Decoding with sync bytes or a checksum: the frame at the front of `buf` if its sync bytes
    /// are there, its length is acceptable and its check passes; otherwise, with sync bytes, the
    /// bytes to drop up to the next sync candidate, and without them the error.
    pub(crate) fn decode_noisy<'a>(&self, buf: &'a [u8]) -> Result<Noisy<'a>, FrameError> {
        if !self.sync.could_start(buf) {
            return Ok(Noisy::dropped(self.sync.next_candidate(buf), Drop::NoSync));
        }
        let head = match self.read_head_bits(buf, true) {
            Ok(Some(head)) => head,
            Ok(None) => {
                let needed = self.header_len_at_least(buf).saturating_sub(buf.len());
                return Ok(Noisy::incomplete(needed.max(1)));
            }
            Err(err) => return self.bad_frame(buf, err),
        };
        let payload_len = match self.check_len(head, buf) {
            Ok(len) => len,
            Err(err) => return self.bad_frame(buf, err),
        };
        // No overflow: the header, the payload and the trailer are each bounded well below
        // `usize::MAX` (MAX_HEADER_LEN, MAX_FRAME_LEN_LIMIT, 8).
        let body_end = head.header_len + payload_len;
        let frame_len = body_end + self.trailer_len();
        let Some(frame) = buf.get(..frame_len) else {
            return Ok(Noisy::incomplete(frame_len - buf.len()));
        };
        if let Some(check) = self.checksum {
            let start = check.cover_start(self.sync.len()).min(body_end);
            let expected = check.compute(&frame[start..body_end]);
            let actual = check.read(&frame[body_end..]);
            if expected != actual {
                return self.bad_frame(buf, FrameError::ChecksumMismatch { expected, actual });
            }
        }
        let start = if self.keep_header { 0 } else { head.header_len };
        let end = if self.keep_header {
            frame_len
        } else {
            body_end
        };
        Ok(Noisy {
            decoded: Decoded::Frame {
                frame: &frame[start..end],
                consumed: frame_len,
            },
            start,
            drop: Drop::None,
        })
    }

    /// A frame at the front of `buf` that is bad (`err`): with sync bytes, the bytes up to the
    /// next sync candidate to drop; without, the error.
    #[cold]
    #[inline(never)]
    fn bad_frame<'a>(&self, buf: &[u8], err: FrameError) -> Result<Noisy<'a>, FrameError> {
        if self.sync.len() == 0 {
            return Err(err);
        }
        Ok(Noisy::dropped(
            self.sync.next_candidate(buf),
            Drop::BadFrame,
        ))
    }

    /// [`decode_slice`](Self::decode_slice) for a plain 4-byte header ([`Codec::plain`]). Its
    /// own copy of `slice_frame`, with the header's length a constant the compiler can check
    /// bounds with.
    #[inline(always)]
    fn decode_slice_plain<'a>(
        &self,
        buf: &'a [u8],
        plain: Plain,
    ) -> Result<Decoded<'a>, FrameError> {
        let Some(&field) = buf.first_chunk::<4>() else {
            return Ok(Decoded::Incomplete {
                needed: 4 - buf.len(),
            });
        };
        let Some(payload_len) = plain.len(field) else {
            return Err(self.rejected(buf));
        };
        let frame_len = 4 + payload_len;
        Ok(match buf.get(4..frame_len) {
            Some(frame) => Decoded::Frame {
                frame,
                consumed: frame_len,
            },
            None => Decoded::Incomplete {
                needed: shortfall(frame_len, buf.len()),
            },
        })
    }

    /// [`decode_slice`](Self::decode_slice) for a plain 2- or 8-byte header ([`Codec::wide`]).
    #[inline(always)]
    fn decode_slice_wide<'a>(&self, buf: &'a [u8], wide: Wide) -> Result<Decoded<'a>, FrameError> {
        match wide.front(buf, self.max_decode_len) {
            Some(Front::Frame {
                header_len,
                payload_len,
            }) => {
                let frame_len = header_len + payload_len;
                Ok(match buf.get(header_len..frame_len) {
                    Some(frame) => Decoded::Frame {
                        frame,
                        consumed: frame_len,
                    },
                    None => Decoded::Incomplete {
                        needed: shortfall(frame_len, buf.len()),
                    },
                })
            }
            Some(Front::Header { needed }) => Ok(Decoded::Incomplete { needed }),
            None => Err(self.rejected(buf)),
        }
    }

    /// [`decode_slice`](Self::decode_slice) for every other layout.
    #[inline(always)]
    fn decode_slice_general<'a>(&self, buf: &'a [u8]) -> Result<Decoded<'a>, FrameError> {
        if self.is_noisy() {
            return self.decode_slice_noisy(buf);
        }
        Ok(match self.front(buf, None, None)? {
            Front::Frame {
                header_len,
                payload_len,
            } => self.slice_frame(buf, header_len, payload_len),
            Front::Header { needed } => Decoded::Incomplete { needed },
        })
    }

    /// The frame of a checked header at the front of `buf`, if all of it is there.
    #[inline(always)]
    fn slice_frame<'a>(&self, buf: &'a [u8], header_len: usize, payload_len: usize) -> Decoded<'a> {
        // No overflow: the header is at most MAX_HEADER_LEN and the payload at most
        // MAX_FRAME_LEN_LIMIT, which leaves room for it.
        let frame_len = header_len + payload_len;
        let start = if self.keeps_header() { 0 } else { header_len };
        match buf.get(start..frame_len) {
            Some(frame) => Decoded::Frame {
                frame,
                consumed: frame_len,
            },
            None => Decoded::Incomplete {
                needed: frame_len - buf.len(),
            },
        }
    }
}

/// `needed - have`, worked out off the path of a whole frame: inline, the compiler merges it with
/// that path's `consumed` into a conditional move, and then cannot see that `consumed` fits in
/// the buffer (three more instructions a frame, and a bounds check in the caller's loop).
#[cold]
#[inline(never)]
fn shortfall(needed: usize, have: usize) -> usize {
    needed - have
}

/// What [`Codec::decode_noisy`] found, with what the counters of a [`FrameDecoder`] need.
pub(crate) struct Noisy<'a> {
    pub(crate) decoded: Decoded<'a>,
    /// For a frame, where what is returned starts in the buffer (read by the `BytesMut` path).
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    pub(crate) start: usize,
    pub(crate) drop: Drop,
}

/// Why bytes were dropped while resynchronising.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drop {
    None,
    /// The front of the buffer does not start with the sync bytes.
    NoSync,
    /// A frame with its sync bytes whose length or check is bad.
    BadFrame,
}

impl<'a> Noisy<'a> {
    fn dropped(consumed: usize, drop: Drop) -> Noisy<'a> {
        if consumed == 0 {
            return Noisy::incomplete(1);
        }
        Noisy {
            decoded: Decoded::Skipped { consumed },
            start: 0,
            drop,
        }
    }

    fn incomplete(needed: usize) -> Noisy<'a> {
        Noisy {
            decoded: Decoded::Incomplete { needed },
            start: 0,
            drop: Drop::None,
        }
    }
}

/// Splits frames off the front of a buffer, remembering a header it already parsed and an
/// oversized frame it is skipping.
///
/// Two ways to feed it: [`decode`](Self::decode) splits frames off a `BytesMut` (feature
/// `alloc`), [`decode_slice`](Self::decode_slice) lends them from a `&[u8]` the caller owns
/// and says how many bytes to drop (no allocator needed). Both keep the same state, so one
/// decoder can be used either way, but one stream should be fed one way.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use lenframe::Codec;
///
/// let mut decoder = Codec::default().decoder();
/// // Three sends of "aaa" glued into one read, and half of a fourth frame.
/// let mut buf = BytesMut::from(&b"\x03\0\0\0aaa\x03\0\0\0aaa\x03\0\0\0aaa\x03\0"[..]);
/// for _ in 0..3 {
///     assert_eq!(decoder.decode(&mut buf)?.unwrap(), &b"aaa"[..]);
/// }
/// assert_eq!(decoder.decode(&mut buf)?, None);
/// assert_eq!(decoder.bytes_needed(&buf), 2);
/// # Ok::<(), lenframe::FrameError>(())
/// ```
///
/// # After an error
///
/// By default the decoder fails fast. When decoding returns an error, nothing of the offending
/// frame has been consumed: the buffer still starts at its header, and decoding again returns the
/// same error. A length-prefixed stream cannot be resynchronised after a bad header, so the
/// caller should report the error and close the connection.
///
/// With [`skip_oversized`](crate::CodecBuilder::skip_oversized), a [`FrameError::TooLarge`] is
/// different: it is returned once, and the decoder then discards the frame (its header and body)
/// as it arrives and goes on with the next frame. [`decode`](Self::decode) drops the header at
/// once and the body from the buffer as it comes; [`decode_slice`](Self::decode_slice) returns
/// [`Decoded::Skipped`] for the caller to drop them. Every other error still fails fast.
///
/// # For adapters
///
/// The skip state lives here only. An I/O adapter that reports progress (how many bytes of the
/// current frame arrived) or counts frames reads it with [`skip_remaining`](Self::skip_remaining)
/// (bytes of the skipped frame still to drop from the front of the buffer) and
/// [`skip_frame_len`](Self::skip_frame_len) (the whole frame's length): the bytes of the skipped
/// frame that arrived are `skip_frame_len - skip_remaining`, and the frame is finished when
/// `skip_remaining` goes from `Some` to `None`.
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    codec: Codec,
    state: State,
    /// [`Codec::plain`], kept up to date with the maximum.
    plain: Option<Plain>,
    /// [`Codec::wide`], kept up to date with the maximum.
    wide: Option<Wide>,
    /// What resynchronising dropped, for [`dropped_bytes`](Self::dropped_bytes) and friends.
    counters: Counters,
}

/// The noisy-link decoder's counts.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    dropped_bytes: u64,
    resyncs: u64,
    rejected_frames: u64,
    /// Whether bytes have been dropped since the last frame: the current resync goes on.
    resyncing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for a complete header.
    Head,
    /// The header is parsed and checked; waiting for the whole frame.
    Body {
        header_len: usize,
        payload_len: usize,
    },
    /// Discarding an oversized frame: `left` of its `frame_len` bytes (header included) are still
    /// to be dropped from the front of the caller's buffer. Both saturate at `u64::MAX`.
    Skip { left: u64, frame_len: u64 },
    /// With sync bytes or a checksum, always: each frame is found, checked and returned (or
    /// dropped) whole, so there is no header to remember between calls.
    Noisy,
    /// [`FrameDecoder::decode_slice`] returned a payload whose checksum trailer follows it: the
    /// next call drops these `left` bytes (part of the frame, not counted as dropped), so that
    /// a returned frame always ends where its `consumed` bytes do.
    Trailer { left: usize },
}

impl FrameDecoder {
    /// A decoder with these settings.
    pub fn new(codec: Codec) -> FrameDecoder {
        FrameDecoder {
            codec,
            state: FrameDecoder::boundary(&codec),
            plain: codec.plain(),
            wide: codec.wide(),
            counters: Counters::default(),
        }
    }

    /// The state on a frame boundary.
    fn boundary(codec: &Codec) -> State {
        if codec.is_noisy() {
            State::Noisy
        } else {
            State::Head
        }
    }

    /// Bytes dropped while resynchronising ([`sync_bytes`](crate::CodecBuilder::sync_bytes)):
    /// noise before a sync, and whole or partial frames whose length or checksum was bad. Bytes
    /// of frames skipped by [`skip_oversized`](crate::CodecBuilder::skip_oversized) are not
    /// counted here.
    ///
    /// Every byte fed to the decoder is a byte of a returned frame, one of these, or still in
    /// the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{Codec, Decoded};
    ///
    /// let mut decoder = Codec::builder().sync_bytes(b"\x7E").struct_format("B").build()?.decoder();
    /// assert_eq!(decoder.decode_slice(b"xyz\x7E\x01a")?, Decoded::Skipped { consumed: 3 });
    /// assert_eq!(decoder.dropped_bytes(), 3);
    /// assert_eq!(decoder.resyncs(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dropped_bytes(&self) -> u64 {
        self.counters.dropped_bytes
    }

    /// How many times the decoder lost sync and scanned for it: each run of dropped bytes
    /// between two good frames counts once.
    pub fn resyncs(&self) -> u64 {
        self.counters.resyncs
    }

    /// How many candidate frames (with their sync bytes) were dropped for a bad length or a
    /// failed checksum.
    pub fn rejected_frames(&self) -> u64 {
        self.counters.rejected_frames
    }

    /// Counts what [`Codec::decode_noisy`] found, and returns what the caller sees.
    fn count<'a>(&mut self, noisy: Noisy<'a>) -> Decoded<'a> {
        let counters = &mut self.counters;
        match noisy.decoded {
            Decoded::Skipped { consumed } => {
                counters.dropped_bytes += consumed as u64;
                if !counters.resyncing {
                    counters.resyncing = true;
                    counters.resyncs += 1;
                }
                if noisy.drop == Drop::BadFrame {
                    counters.rejected_frames += 1;
                }
            }
            Decoded::Frame { .. } => counters.resyncing = false,
            Decoded::Incomplete { .. } => {}
        }
        noisy.decoded
    }

    /// [`decode_slice`](Self::decode_slice) with sync bytes or a checksum.
    #[cold]
    #[inline(never)]
    fn decode_slice_noisy<'a>(&mut self, buf: &'a [u8]) -> Result<Decoded<'a>, FrameError> {
        let noisy = match self.codec.decode_noisy(buf) {
            Ok(noisy) => noisy,
            Err(err) => return Err(self.start_skip(err, buf, 0)),
        };
        match self.count(noisy) {
            Decoded::Frame { frame, consumed } if !self.codec.keeps_header() => {
                let trailer = self.codec.trailer_len();
                if trailer > 0 {
                    self.state = State::Trailer { left: trailer };
                }
                Ok(Decoded::Frame {
                    frame,
                    consumed: consumed - trailer,
                })
            }
            decoded => Ok(decoded),
        }
    }

    /// Drops the trailer of the frame [`decode_slice`](Self::decode_slice) returned last.
    fn trailer_slice<'a>(&mut self, buf: &[u8], left: usize) -> Decoded<'a> {
        if buf.is_empty() {
            return Decoded::Incomplete { needed: left };
        }
        let consumed = left.min(buf.len());
        self.state = match left - consumed {
            0 => State::Noisy,
            left => State::Trailer { left },
        };
        Decoded::Skipped { consumed }
    }

    /// The settings.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// The longest payload this decoder accepts: [`Codec::max_decode_len`].
    pub fn max_frame_len(&self) -> usize {
        self.codec.max_decode_len()
    }

    /// Changes the longest payload this decoder accepts, for instance once a handshake has
    /// agreed on a limit. It applies from the next header: a frame whose header was already
    /// checked is not checked again. A value over [`MAX_FRAME_LEN_LIMIT`](crate::MAX_FRAME_LEN_LIMIT)
    /// is treated as that limit, which no frame can reach anyway.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{Codec, Decoded, FrameError};
    ///
    /// let mut decoder = Codec::default().decoder();
    /// decoder.set_max_frame_len(4);
    /// let buf = b"\x05\0\0\0hello";
    /// assert!(matches!(
    ///     decoder.decode_slice(buf),
    ///     Err(FrameError::TooLarge { len: 5, max: 4, .. })
    /// ));
    /// decoder.set_max_frame_len(5);
    /// assert_eq!(decoder.decode_slice(buf)?, Decoded::Frame { frame: &b"hello"[..], consumed: 9 });
    /// # Ok::<(), FrameError>(())
    /// ```
    pub fn set_max_frame_len(&mut self, max: usize) {
        self.codec.set_max_decode_len(max);
        self.plain = self.codec.plain();
        self.wide = self.codec.wide();
    }

    /// Forgets any parsed header or frame being skipped, as for a new stream. The counters
    /// ([`dropped_bytes`](Self::dropped_bytes)) are kept.
    pub fn reset(&mut self) {
        self.state = FrameDecoder::boundary(&self.codec);
    }

    /// Decodes from the front of a buffer the caller owns, lending the frame without copying
    /// or allocating; the stateful counterpart of [`Codec::decode_slice`], and the one that can
    /// skip oversized frames.
    ///
    /// The protocol: call it with everything buffered that has not been dropped yet, starting
    /// at the stream position the last result left off, then
    /// - on [`Decoded::Frame`], use the frame and drop `consumed` bytes from the front;
    /// - on [`Decoded::Skipped`] (only with
    ///   [`skip_oversized`](crate::CodecBuilder::skip_oversized), after a
    ///   [`FrameError::TooLarge`]), drop `consumed` bytes: they belong to the oversized frame;
    /// - on [`Decoded::Incomplete`], keep the buffer, read at least `needed` more bytes, and
    ///   call again with all of it.
    ///
    /// A header parsed on an earlier call is not parsed again, and a maximum changed in between
    /// applies from the next header. On an error nothing is to be dropped.
    ///
    /// # Examples
    ///
    /// A firmware-style loop over a fixed buffer, with an oversized frame skipped:
    ///
    /// ```
    /// use lenframe::{Codec, Decoded, FrameError};
    ///
    /// let codec = Codec::builder().max_frame_len(4).skip_oversized(true).build()?;
    /// let mut decoder = codec.decoder();
    /// // Reads as they arrive: "toobig" is over the maximum, then "ok".
    /// let reads: [&[u8]; 3] = [b"\x06\0\0\0too", b"big\x02\0", b"\0\0ok"];
    ///
    /// let mut buf = [0u8; 16];
    /// let mut len = 0; // bytes in `buf` not yet dropped
    /// let mut events = Vec::new();
    /// for read in reads {
    ///     buf[len..len + read.len()].copy_from_slice(read);
    ///     len += read.len();
    ///     loop {
    ///         let drop = match decoder.decode_slice(&buf[..len]) {
    ///             Ok(Decoded::Frame { frame, consumed }) => {
    ///                 events.push(Ok(frame.to_vec()));
    ///                 consumed
    ///             }
    ///             Ok(Decoded::Skipped { consumed }) => consumed,
    ///             Ok(Decoded::Incomplete { .. }) => break,
    ///             Err(err @ FrameError::TooLarge { .. }) => {
    ///                 events.push(Err(err));
    ///                 0 // the next call says what to drop
    ///             }
    ///             Err(err) => return Err(err.into()), // fail fast: close the connection
    ///         };
    ///         buf.copy_within(drop..len, 0);
    ///         len -= drop;
    ///     }
    /// }
    /// assert!(matches!(events[0], Err(FrameError::TooLarge { len: 6, max: 4, .. })));
    /// assert_eq!(events[1], Ok(b"ok".to_vec()));
    /// assert_eq!(len, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`FrameError::NegativeLength`], [`FrameError::AdjustedLengthNegative`],
    /// [`FrameError::AdjustedLengthOverflow`], [`FrameError::TooLarge`],
    /// [`FrameError::VarintTooLong`] or [`FrameError::VarintOverflow`], as soon as the header is
    /// complete. See [after an error](Self#after-an-error).
    #[inline(always)]
    pub fn decode_slice<'a>(&mut self, buf: &'a [u8]) -> Result<Decoded<'a>, FrameError> {
        if let Some(plain) = self.plain {
            match self.state {
                // A plain 4-byte header on a frame boundary: the stateless decoder does it all;
                // a bad header may start a skip.
                State::Head => {
                    return match self.codec.decode_slice_plain(buf, plain) {
                        Ok(Decoded::Incomplete { needed }) => {
                            Ok(self.remember_plain_header(buf.len(), needed))
                        }
                        Err(err) => Err(self.start_skip(err, buf, 0)),
                        done => done,
                    }
                }
                State::Body {
                    header_len,
                    payload_len,
                } => return Ok(self.body_slice(buf, header_len, payload_len)),
                _ => {}
            }
        }
        self.decode_slice_stateful(buf)
    }

    /// After a plain 4-byte header's frame was found incomplete in `have` bytes, `needed` more
    /// to go: once the header is all there, remembers it (the frame is `have + needed` bytes),
    /// so that a maximum changed before the frame is whole applies from the next header only.
    /// Without parsing the header again: a frame that spans reads (a 4 KiB frame in a
    /// tokio-util `Framed` is two calls, whole on the second) takes this every time.
    #[inline(never)]
    fn remember_plain_header(&mut self, have: usize, needed: usize) -> Decoded<'static> {
        const HEADER_LEN: usize = 4;
        if have >= HEADER_LEN {
            self.state = State::Body {
                header_len: HEADER_LEN,
                payload_len: have + needed - HEADER_LEN,
            };
        }
        Decoded::Incomplete { needed }
    }

    /// The frame whose header an earlier call parsed and kept (`State::Body`): whole once `buf`
    /// (which starts with that header) holds all of it, and the decoder is then on the next
    /// frame's boundary. Out of line, so that a plain header's short path can take it without
    /// the general path's call.
    #[inline(never)]
    fn body_slice<'a>(
        &mut self,
        buf: &'a [u8],
        header_len: usize,
        payload_len: usize,
    ) -> Decoded<'a> {
        let decoded = self.codec.slice_frame(buf, header_len, payload_len);
        if let Decoded::Frame { .. } = decoded {
            self.state = State::Head;
        }
        decoded
    }

    /// [`decode_slice`](Self::decode_slice) off its short path: any other layout, a header
    /// parsed earlier, or a frame being skipped.
    #[inline(never)]
    fn decode_slice_stateful<'a>(&mut self, buf: &'a [u8]) -> Result<Decoded<'a>, FrameError> {
        let (header_len, payload_len) = match self.state {
            State::Head => match self.codec.front(buf, self.plain, self.wide) {
                Ok(Front::Frame {
                    header_len,
                    payload_len,
                }) => (header_len, payload_len),
                Ok(Front::Header { needed }) => return Ok(Decoded::Incomplete { needed }),
                Err(err) => return Err(self.start_skip(err, buf, 0)),
            },
            State::Body {
                header_len,
                payload_len,
            } => return Ok(self.body_slice(buf, header_len, payload_len)),
            State::Skip { left, frame_len } => return Ok(self.skip_slice(buf, left, frame_len)),
            State::Noisy => return self.decode_slice_noisy(buf),
            State::Trailer { left } => return Ok(self.trailer_slice(buf, left)),
        };
        let decoded = self.codec.slice_frame(buf, header_len, payload_len);
        self.state = match decoded {
            Decoded::Incomplete { .. } => State::Body {
                header_len,
                payload_len,
            },
            _ => State::Head,
        };
        Ok(decoded)
    }

    /// Drops what `buf` holds of a skipped frame, for [`decode_slice`](Self::decode_slice).
    fn skip_slice<'a>(&mut self, buf: &[u8], left: u64, frame_len: u64) -> Decoded<'a> {
        if buf.is_empty() {
            return Decoded::Incomplete {
                needed: usize::try_from(left).unwrap_or(usize::MAX),
            };
        }
        let consumed = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
        self.state = match left - consumed as u64 {
            0 => FrameDecoder::boundary(&self.codec),
            left => State::Skip { left, frame_len },
        };
        Decoded::Skipped { consumed }
    }

    /// `err`, the error for the header at the front of `buf`; under `skip_oversized` a
    /// [`FrameError::TooLarge`] also starts skipping its frame, `dropped` bytes of which (its
    /// header, for a `BytesMut`) the caller drops at once.
    #[cold]
    fn start_skip(&mut self, err: FrameError, buf: &[u8], dropped: usize) -> FrameError {
        if self.codec.skips_oversized() && matches!(err, FrameError::TooLarge { .. }) {
            if let Ok(Some(head)) = self.codec.read_head_bits(buf, true) {
                // A checksum trailer is part of the frame (with sync bytes, the decoder
                // resynchronises rather than skip: it never gets here).
                let frame_len = (head.header_len as u64)
                    .saturating_add(head.payload_len)
                    .saturating_add(self.codec.trailer_len() as u64);
                self.state = State::Skip {
                    left: frame_len - dropped as u64,
                    frame_len,
                };
            }
        }
        err
    }

    /// How many more bytes the current frame needs, given what `buf` holds now: a hint for
    /// sizing the next read. At least 1 after decoding returned `Ok(None)` or
    /// [`Decoded::Incomplete`].
    ///
    /// While the header is incomplete this counts up to the end of the header; once it is parsed,
    /// to the end of the frame; while skipping, to the end of the skipped frame. Frames already
    /// complete in `buf` are not counted.
    pub fn bytes_needed(&self, buf: &[u8]) -> usize {
        match self.state {
            State::Head => self
                .codec
                .header_len_at_least(buf)
                .saturating_sub(buf.len()),
            State::Body {
                header_len,
                payload_len,
            } => (header_len + payload_len).saturating_sub(buf.len()),
            State::Skip { left, .. } => usize::try_from(left)
                .unwrap_or(usize::MAX)
                .saturating_sub(buf.len()),
            State::Trailer { left } => left.saturating_sub(buf.len()),
            State::Noisy => match self.codec.decode_noisy(buf) {
                Ok(Noisy {
                    decoded: Decoded::Incomplete { needed },
                    ..
                }) => needed,
                _ => 0,
            },
        }
    }

    /// Whether part of a frame has been parsed or skipped: `false` on a frame boundary.
    ///
    /// Bytes buffered but not yet parsed are not counted; check the buffer for those.
    pub fn is_mid_frame(&self) -> bool {
        !matches!(
            self.state,
            State::Head | State::Noisy | State::Trailer { .. }
        )
    }

    /// While an oversized frame is being skipped
    /// ([`skip_oversized`](crate::CodecBuilder::skip_oversized)), how many of its bytes are still
    /// to be dropped from the front of the caller's buffer (those already in the buffer
    /// included); `None` when not skipping.
    ///
    /// After [`decode`](Self::decode) returned the [`FrameError::TooLarge`], that is the payload
    /// (the header is already gone from the `BytesMut`); after
    /// [`decode_slice`](Self::decode_slice), the header and the payload. See
    /// [for adapters](Self#for-adapters).
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{Codec, Decoded};
    ///
    /// let codec = Codec::builder().max_frame_len(2).skip_oversized(true).build()?;
    /// let mut decoder = codec.decoder();
    /// let buf = b"\x05\0\0\0he";
    /// assert!(decoder.decode_slice(buf).is_err()); // TooLarge
    /// assert_eq!(decoder.skip_remaining(), Some(9));
    /// assert_eq!(decoder.decode_slice(buf)?, Decoded::Skipped { consumed: 6 });
    /// assert_eq!((decoder.skip_remaining(), decoder.skip_frame_len()), (Some(3), Some(9)));
    /// assert_eq!(decoder.decode_slice(b"llo")?, Decoded::Skipped { consumed: 3 });
    /// assert_eq!(decoder.skip_remaining(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip_remaining(&self) -> Option<u64> {
        match self.state {
            State::Skip { left, .. } => Some(left),
            _ => None,
        }
    }

    /// While an oversized frame is being skipped, its whole length: header and payload,
    /// saturating at `u64::MAX`. `None` when not skipping. See
    /// [`skip_remaining`](Self::skip_remaining).
    pub fn skip_frame_len(&self) -> Option<u64> {
        match self.state {
            State::Skip { frame_len, .. } => Some(frame_len),
            _ => None,
        }
    }

    /// At the end of a stream whose buffered bytes `buf` hold no whole frame at their front:
    /// with sync bytes the candidate there will never complete, so it is given up as noise up
    /// to the next sync candidate. How many bytes to drop (counted in
    /// [`dropped_bytes`](Self::dropped_bytes)); `None` without sync bytes, inside a frame, or
    /// for an empty `buf`. The one draining rule of [`decode_eof`](Self::decode_eof) and the
    /// embedded readers: the caller drops the bytes and decodes again, for the frames the
    /// candidate hid.
    #[cfg(any(feature = "alloc", feature = "embedded-io"))]
    pub(crate) fn give_up_candidate(&mut self, buf: &[u8]) -> Option<usize> {
        if self.state != State::Noisy || self.codec.sync_bytes().is_empty() || buf.is_empty() {
            return None;
        }
        let consumed = self.codec.sync.next_candidate(buf);
        let _ = self.count(Noisy::dropped(consumed, Drop::NoSync));
        Some(consumed)
    }

    /// The error for a stream that ended with `buf` unused, `None` at a clean end: the one
    /// truncation rule of [`decode_eof`](Self::decode_eof) and the embedded readers.
    #[cfg(any(feature = "alloc", feature = "embedded-io"))]
    pub(crate) fn end(&self, buf: &[u8]) -> Option<FrameError> {
        match self.state {
            State::Head | State::Noisy if buf.is_empty() => None,
            State::Trailer { left } if buf.len() <= left => None,
            State::Skip { left, frame_len } => Some(FrameError::Truncated {
                expected: frame_len,
                got: frame_len - left.saturating_sub(buf.len() as u64),
                guess: None,
            }),
            _ => Some(FrameError::truncated(
                &self.codec,
                (buf.len() + self.bytes_needed(buf)) as u64,
                buf.len() as u64,
                buf,
            )),
        }
    }
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl FrameDecoder {
    /// Splits the next whole frame off the front of `buf`, without copying the payload.
    ///
    /// `Ok(None)` means `buf` holds no whole frame yet: append more bytes and call again. The
    /// decoder does not reserve space in `buf` for the announced length; the caller grows the
    /// buffer as bytes really arrive ([`bytes_needed`](Self::bytes_needed) says how many the
    /// frame still lacks).
    ///
    /// # Errors
    ///
    /// As [`decode_slice`](Self::decode_slice). See [after an error](Self#after-an-error).
    #[inline(always)]
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        Ok(self.decode_mut(buf)?.map(BytesMut::freeze))
    }

    /// [`decode`](Self::decode), returning the frame as the `BytesMut` split off `buf`: what
    /// tokio-util's codecs yield.
    #[inline(always)]
    pub(crate) fn decode_mut(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<BytesMut>, FrameError> {
        loop {
            // A header parsed now goes straight on to the split below, without a round trip
            // through `self.state`: the common case of a frame that is all in `buf`.
            let (header_len, payload_len) = match self.state {
                State::Head => match self.front_mut(buf)? {
                    Some(lens) => lens,
                    None => return Ok(None),
                },
                State::Body {
                    header_len,
                    payload_len,
                } => (header_len, payload_len),
                State::Skip { .. } => {
                    if !self.skip(buf) {
                        return Ok(None);
                    }
                    continue;
                }
                State::Noisy | State::Trailer { .. } => return self.decode_mut_noisy(buf),
            };
            if buf.len() < header_len + payload_len {
                self.state = State::Body {
                    header_len,
                    payload_len,
                };
                return Ok(None);
            }
            self.state = State::Head;
            return Ok(Some(self.split_frame(buf, header_len, payload_len)));
        }
    }

    /// The frame at the front of `buf` if all of it is there and the decoder is on a frame
    /// boundary of a layout without sync bytes or a checksum: [`decode_mut`](Self::decode_mut)'s
    /// common case alone, for a reader's per-frame path. `None` for anything else (part of a
    /// frame, a bad header, a frame being skipped), with `buf` and the decoder left as they
    /// were: `decode_mut` then does the rest.
    #[cfg(feature = "std")]
    #[inline(always)]
    pub(crate) fn split_whole(&mut self, buf: &mut BytesMut) -> Option<Bytes> {
        if self.state != State::Head {
            return None;
        }
        let Ok(Front::Frame {
            header_len,
            payload_len,
        }) = self.codec.front(buf, self.plain, self.wide)
        else {
            return None;
        };
        // A whole header is there: no underflow.
        if buf.len() - header_len < payload_len {
            return None;
        }
        // The header is dropped from the frozen frame: `Bytes::advance` is a few inlined
        // instructions, `BytesMut::advance` a call.
        let mut frame = buf.split_to(header_len + payload_len).freeze();
        if !self.codec.keeps_header() {
            frame.advance(header_len);
        }
        Some(frame)
    }

    /// [`decode_mut`](Self::decode_mut) with sync bytes or a checksum: dropped bytes are
    /// advanced past here, and counted.
    #[cold]
    #[inline(never)]
    fn decode_mut_noisy(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>, FrameError> {
        self.drop_trailer(buf);
        loop {
            let noisy = match self.codec.decode_noisy(buf) {
                Ok(noisy) => noisy,
                Err(err) => return Err(self.start_skip_mut(err, buf)),
            };
            let start = noisy.start;
            match self.count(noisy) {
                Decoded::Frame { frame, consumed } => {
                    let end = start + frame.len();
                    let mut frame = buf.split_to(consumed);
                    frame.truncate(end);
                    frame.advance(start);
                    return Ok(Some(frame));
                }
                Decoded::Skipped { consumed } => buf.advance(consumed),
                Decoded::Incomplete { .. } => return Ok(None),
            }
        }
    }

    /// Drops what `buf` holds of a trailer left by [`decode_slice`](Self::decode_slice), for a
    /// caller that switched to a `BytesMut`.
    fn drop_trailer(&mut self, buf: &mut BytesMut) {
        if let State::Trailer { left } = self.state {
            if let Decoded::Skipped { consumed } = self.trailer_slice(buf, left) {
                buf.advance(consumed);
            }
        }
    }

    /// The checked header at the front of `buf`, if it is all there; an oversized frame's
    /// header is dropped from `buf` when skipping it.
    #[inline(always)]
    fn front_mut(&mut self, buf: &mut BytesMut) -> Result<Option<(usize, usize)>, FrameError> {
        match self.codec.front(buf, self.plain, self.wide) {
            Ok(Front::Frame {
                header_len,
                payload_len,
            }) => Ok(Some((header_len, payload_len))),
            Ok(Front::Header { .. }) => Ok(None),
            Err(err) => Err(self.start_skip_mut(err, buf)),
        }
    }

    /// [`start_skip`](Self::start_skip), dropping the header from `buf` at once.
    #[cold]
    fn start_skip_mut(&mut self, err: FrameError, buf: &mut BytesMut) -> FrameError {
        let header_len = match self.codec.read_head(buf) {
            Ok(Some(head)) if self.codec.skips_oversized() => head.header_len,
            _ => 0,
        };
        let err = self.start_skip(err, buf, header_len);
        if self.is_mid_frame() {
            buf.advance(header_len);
        }
        err
    }

    /// Splits off the frame at the front of `buf`, all of which is there.
    #[inline(always)]
    fn split_frame(&self, buf: &mut BytesMut, header_len: usize, payload_len: usize) -> BytesMut {
        // One split of the whole frame (the only call into `bytes` and its one reference-count
        // increment), then the header is dropped from the front.
        let mut frame = buf.split_to(header_len + payload_len);
        if !self.codec.keeps_header() {
            frame.advance(header_len);
        }
        frame
    }

    /// Discards what `buf` holds of an oversized frame; `true` once all of it is gone.
    fn skip(&mut self, buf: &mut BytesMut) -> bool {
        let State::Skip { left, frame_len } = self.state else {
            return true;
        };
        if buf.is_empty() {
            return false;
        }
        let Decoded::Skipped { consumed } = self.skip_slice(buf, left, frame_len) else {
            unreachable!("a non-empty buffer is skipped");
        };
        buf.advance(consumed);
        !self.is_mid_frame()
    }

    /// Consumes the next frame's header from `buf` and returns its payload length, leaving the
    /// payload to the caller: the path for streaming a large frame in bounded memory.
    ///
    /// `Ok(None)` means the header is not complete yet. After `Ok(Some(len))` the decoder is back
    /// on a frame boundary, and the next `len` bytes of the stream (those in `buf` first) are the
    /// payload: the caller must consume exactly that many before decoding again. The length has
    /// been checked like any other ([`max_decode_len`](Codec::max_decode_len) included);
    /// [`keep_header`](crate::CodecBuilder::keep_header) does not apply.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::Codec;
    ///
    /// let mut decoder = Codec::default().decoder();
    /// let mut buf = BytesMut::from(&b"\x05\0\0\0he"[..]);
    /// assert_eq!(decoder.decode_head(&mut buf)?, Some(5));
    /// assert_eq!(&buf[..], b"he", "the payload's first bytes stay for the caller");
    /// # Ok::<(), lenframe::FrameError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn decode_head(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, FrameError> {
        if self.codec.is_noisy() {
            self.drop_trailer(buf);
            return self.decode_head_noisy(buf);
        }
        loop {
            match self.state {
                State::Head => match self.front_mut(buf)? {
                    Some((header_len, payload_len)) => {
                        self.state = State::Body {
                            header_len,
                            payload_len,
                        }
                    }
                    None => return Ok(None),
                },
                State::Body {
                    header_len,
                    payload_len,
                } => {
                    self.state = State::Head;
                    if buf.len() < header_len {
                        // Not the buffer the header was parsed from: parse this one afresh.
                        continue;
                    }
                    buf.advance(header_len);
                    return Ok(Some(payload_len));
                }
                State::Skip { .. } => {
                    if !self.skip(buf) {
                        return Ok(None);
                    }
                }
                State::Noisy | State::Trailer { .. } => unreachable!("handled above"),
            }
        }
    }

    /// [`decode_head`](Self::decode_head) with sync bytes or a checksum: a payload is handed out
    /// only once its whole frame is in `buf` and checked (at most the maximum, so memory stays
    /// bounded), and the trailer is taken out from behind it, so that the next bytes of the
    /// stream are the payload and then the next frame.
    #[cold]
    fn decode_head_noisy(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, FrameError> {
        loop {
            if self.skip_remaining().is_some() {
                if !self.skip(buf) {
                    return Ok(None);
                }
                continue;
            }
            let noisy = match self.codec.decode_noisy(buf) {
                Ok(noisy) => noisy,
                Err(err) => return Err(self.start_skip_mut(err, buf)),
            };
            match self.count(noisy) {
                Decoded::Frame { consumed, .. } => {
                    // `keep_header` does not apply here: the header is always consumed.
                    let header_len = match self.codec.read_head(buf) {
                        Ok(Some(head)) => head.header_len,
                        _ => unreachable!("a checked frame has a header"),
                    };
                    let body_end = consumed - self.codec.trailer_len();
                    let payload_len = body_end - header_len;
                    let rest = buf.split_off(consumed);
                    buf.truncate(body_end);
                    buf.advance(body_end - payload_len);
                    buf.unsplit(rest);
                    return Ok(Some(payload_len));
                }
                Decoded::Skipped { consumed } => buf.advance(consumed),
                Decoded::Incomplete { .. } => return Ok(None),
            }
        }
    }

    /// Like [`decode`](Self::decode), for when the stream has ended: no more bytes will come.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, FrameError};
    ///
    /// let mut decoder = Codec::default().decoder();
    /// let mut buf = BytesMut::from(&b"\x05\0\0\0ab"[..]);
    /// assert_eq!(
    ///     decoder.decode_eof(&mut buf),
    ///     Err(FrameError::Truncated { expected: 9, got: 6, guess: None })
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// [`FrameError::Truncated`] if the stream ended inside a header or a payload, with the bytes
    /// the frame needed and the bytes that came; the partial frame stays in `buf`. Otherwise as
    /// [`decode`](Self::decode).
    ///
    /// # Termination
    ///
    /// Returns the remaining whole frames one call at a time, then `Ok(None)` if the stream ended
    /// exactly on a frame boundary. With [`sync_bytes`](crate::CodecBuilder::sync_bytes) set, a
    /// partial frame at the end is noise, not an error: it is dropped (and counted in
    /// [`dropped_bytes`](Self::dropped_bytes)), and the frames it hid are still returned.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        Ok(self.decode_eof_mut(buf)?.map(BytesMut::freeze))
    }

    /// [`decode_eof`](Self::decode_eof), returning the frame as a `BytesMut`.
    pub(crate) fn decode_eof_mut(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<BytesMut>, FrameError> {
        if let Some(frame) = self.decode_mut(buf)? {
            return Ok(Some(frame));
        }
        while let Some(consumed) = self.give_up_candidate(buf) {
            buf.advance(consumed);
            if let Some(frame) = self.decode_mut(buf)? {
                return Ok(Some(frame));
            }
        }
        match self.end(buf) {
            None => Ok(None),
            Some(err) => Err(err),
        }
    }

    /// While an oversized frame is being skipped: the bytes of it discarded so far (header
    /// included) and its whole length, for an adapter that reports a frame's progress.
    #[cfg(feature = "std")]
    pub(crate) fn skip_progress(&self) -> Option<(u64, u64)> {
        match self.state {
            State::Skip { left, frame_len } => Some((frame_len - left, frame_len)),
            _ => None,
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use bytes::BytesMut;

    use crate::{Codec, FrameError};

    /// What the adapters report as a skipped frame's progress (and the numbers of a stream
    /// that ends inside it): the bytes discarded so far, header included, of the whole frame.
    #[test]
    fn skip_progress_counts_the_skipped_frames_bytes_discarded_so_far() {
        let codec = Codec::builder()
            .max_frame_len(2)
            .skip_oversized(true)
            .build()
            .unwrap();
        let mut decoder = codec.decoder();
        assert_eq!(decoder.skip_progress(), None);
        let mut buf = BytesMut::from(&b"\x05\0\0\0he"[..]);
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(FrameError::TooLarge { len: 5, max: 2, .. })
        ));
        // The header is dropped from the buffer at once.
        assert_eq!(decoder.skip_progress(), Some((4, 9)));
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.skip_progress(), Some((6, 9)));
        buf.extend_from_slice(b"ll");
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.skip_progress(), Some((8, 9)));
        buf.extend_from_slice(b"o");
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.skip_progress(), None);
    }
}

#[cfg(all(test, feature = "std"))]
mod short_path {
    use bytes::BytesMut;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use crate::Codec;

    /// Every layout the short path takes ([`Codec::plain`]): 2, 4 and 8 bytes, signed and
    /// unsigned, every byte order.
    const PLAIN: [&str; 16] = [
        "<H", ">H", "<h", "!h", "=H", "<i", "!i", "<I", "!I", "=i", "<q", ">q", "<Q", ">Q", "!Q",
        "=q",
    ];

    /// The same codec off the short path: every setting alike, but `plain` unset, so that
    /// every decoding and encoding path takes the general one.
    fn general(codec: Codec) -> Codec {
        let mut general = codec;
        general.plain = crate::codec::ShortPaths::NONE;
        general
    }

    /// The stateless and stateful `decode_slice` and the streaming `decode`, on `wire` given
    /// first up to `cut` and then whole (the caller's buffer growing), each result as text.
    fn decode_all(codec: Codec, wire: &[u8], cut: usize) -> Vec<String> {
        let mut out = vec![format!("{:?}", codec.decode_slice(wire))];
        let mut decoder = codec.decoder();
        let mut at = 0;
        for end in [cut, wire.len()] {
            for _ in 0..4 {
                let result = decoder.decode_slice(&wire[at.min(end)..end]);
                out.push(format!("{result:?}"));
                match result {
                    Ok(crate::Decoded::Frame { consumed, .. })
                    | Ok(crate::Decoded::Skipped { consumed }) => at += consumed,
                    _ => break,
                }
            }
        }
        let mut decoder = codec.decoder();
        let mut buf = BytesMut::from(&wire[..cut]);
        for more in [&wire[cut..], &[][..]] {
            for _ in 0..4 {
                let result = decoder.decode(&mut buf);
                out.push(format!("{result:?} {}", buf.len()));
                if !matches!(result, Ok(Some(_))) && decoder.skip_remaining().is_none() {
                    break;
                }
            }
            buf.extend_from_slice(more);
        }
        out
    }

    /// The short paths give what the general path gives, for every plain layout: frames,
    /// incomplete headers and payloads, negative and oversized lengths (with skip_oversized
    /// too), and on the encoding side the bytes written or the error.
    #[test]
    fn the_short_paths_agree_with_the_general_path_for_every_plain_layout() {
        let value = prop_oneof![0..80u64, 0x7ff0..0x10010u64, any::<u64>()];
        let max = prop_oneof![
            0..80usize,
            0x7ff0..0x10010usize,
            Just(crate::MAX_FRAME_LEN_LIMIT)
        ];
        let input = (
            0..PLAIN.len(),
            value,
            max.clone(),
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..100),
            any::<prop::sample::Index>(),
            prop_oneof![0..100usize, 0x7ff0..0x10010usize],
            max,
        );
        let mut runner = TestRunner::new(Config::with_cases(2048));
        runner
            .run(
                &input,
                |(layout, value, max, skip, tail, cut, payload_len, encode_max)| {
                    let codec = Codec::builder()
                        .struct_format(PLAIN[layout])
                        .max_decode_len(max)
                        .max_encode_len(encode_max)
                        .skip_oversized(skip)
                        .build()
                        .unwrap();
                    prop_assert!(
                        codec.plain().is_some() || codec.wide().is_some(),
                        "{}",
                        PLAIN[layout]
                    );
                    let slow = general(codec);
                    // The header's bytes are the value's lowest ones, in the field's order.
                    let width = codec.length_field().width().unwrap();
                    let bytes = match codec.length_field().is_big_endian() {
                        true => value.to_be_bytes()[8 - width..].to_vec(),
                        false => value.to_le_bytes()[..width].to_vec(),
                    };
                    let wire = [bytes, tail].concat();
                    let cut = cut.index(wire.len() + 1);
                    prop_assert_eq!(decode_all(codec, &wire, cut), decode_all(slow, &wire, cut));

                    let payload = vec![7u8; payload_len];
                    let (mut fast_out, mut slow_out) = (BytesMut::new(), BytesMut::new());
                    let fast_result = codec.encoder().encode(&payload, &mut fast_out);
                    let slow_result = slow.encoder().encode(&payload, &mut slow_out);
                    prop_assert_eq!(fast_result, slow_result);
                    prop_assert_eq!(fast_out, slow_out);
                    Ok(())
                },
            )
            .unwrap();
    }
}
