//! Turning bytes into frames: the stateful [`FrameDecoder`] over a `BytesMut`, and the borrowed
//! [`Codec::decode_slice`] over a `&[u8]` the caller owns.

use bytes::{Buf, Bytes, BytesMut};

use crate::codec::{Codec, Head};
use crate::error::FrameError;

/// The result of [`Codec::decode_slice`]: a whole frame, or how much more is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Decoded<'a> {
    /// A whole frame is at the front of the buffer.
    Frame {
        /// The payload (or the whole frame, with [`keep_header`](crate::CodecBuilder::keep_header)).
        frame: &'a [u8],
        /// How many bytes of the buffer the frame used: drop them before decoding the next.
        consumed: usize,
    },
    /// The buffer holds only part of a frame; nothing was consumed.
    Incomplete {
        /// At least this many more bytes are needed (exactly this many once the header is in).
        needed: usize,
    },
}

impl Codec {
    /// Decodes the frame at the front of `buf` without copying or allocating.
    ///
    /// This is the path for callers that own their buffer: on [`Decoded::Frame`], use the frame,
    /// then drop `consumed` bytes from the front; on [`Decoded::Incomplete`], read at least
    /// `needed` more bytes and call again with the whole buffer. It keeps no state: the header is
    /// parsed again on each call, which costs a few nanoseconds.
    ///
    /// [`skip_oversized`](crate::CodecBuilder::skip_oversized) does not apply here: an oversized
    /// frame is always an error, since skipping needs state across calls (use [`FrameDecoder`]).
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
    /// As [`FrameDecoder::decode`]: a negative, malformed or oversized length, checked as soon as the
    /// header is complete, before any payload byte is looked at.
    #[inline(always)]
    pub fn decode_slice<'a>(&self, buf: &'a [u8]) -> Result<Decoded<'a>, FrameError> {
        let Some(head) = self.read_head(buf)? else {
            let needed = self.header_len_at_least(buf) - buf.len();
            return Ok(Decoded::Incomplete { needed });
        };
        let payload_len = self.check_decode_len(head.payload_len)?;
        let frame_len = head.header_len + payload_len;
        match buf.get(..frame_len) {
            Some(frame) => Ok(Decoded::Frame {
                frame: if self.keeps_header() {
                    frame
                } else {
                    &frame[head.header_len..]
                },
                consumed: frame_len,
            }),
            None => Ok(Decoded::Incomplete {
                needed: frame_len - buf.len(),
            }),
        }
    }
}

/// Splits frames off the front of a `BytesMut`, remembering a header it already parsed.
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
/// By default the decoder fails fast. When [`decode`](Self::decode) returns an error, nothing of
/// the offending frame has been consumed: the buffer still starts at its header, and decoding
/// again returns the same error. A length-prefixed stream cannot be resynchronised after a bad
/// header, so the caller should report the error and close the connection.
///
/// With [`skip_oversized`](crate::CodecBuilder::skip_oversized), a [`FrameError::TooLarge`] is
/// different: it is returned once, the header is consumed, and the following calls discard the
/// body as it arrives and then go on with the next frame. Every other error still fails fast.
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    codec: Codec,
    state: State,
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
    /// Discarding an oversized frame's body.
    Skip { frame_len: u64, skipped: u64 },
}

impl FrameDecoder {
    /// A decoder with these settings.
    pub fn new(codec: Codec) -> FrameDecoder {
        FrameDecoder {
            codec,
            state: State::Head,
        }
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
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, FrameError};
    ///
    /// let mut decoder = Codec::default().decoder();
    /// decoder.set_max_frame_len(4);
    /// let mut buf = BytesMut::from(&b"\x05\0\0\0hello"[..]);
    /// assert!(matches!(decoder.decode(&mut buf), Err(FrameError::TooLarge { len: 5, max: 4 })));
    /// decoder.set_max_frame_len(5);
    /// assert_eq!(decoder.decode(&mut buf)?.unwrap(), &b"hello"[..]);
    /// # Ok::<(), FrameError>(())
    /// ```
    pub fn set_max_frame_len(&mut self, max: usize) {
        self.codec.set_max_decode_len(max);
    }

    /// Forgets any parsed header or frame being skipped, as for a new stream.
    pub fn reset(&mut self) {
        self.state = State::Head;
    }

    /// Splits the next whole frame off the front of `buf`, without copying the payload.
    ///
    /// `Ok(None)` means `buf` holds no whole frame yet: append more bytes and call again. The
    /// decoder does not reserve space in `buf` for the announced length; the caller grows the
    /// buffer as bytes really arrive ([`bytes_needed`](Self::bytes_needed) says how many the
    /// frame still lacks).
    ///
    /// # Errors
    ///
    /// [`FrameError::NegativeLength`], [`FrameError::AdjustedLengthNegative`],
    /// [`FrameError::TooLarge`], [`FrameError::VarintTooLong`] or [`FrameError::VarintOverflow`],
    /// as soon as the header is complete. See [after an error](Self#after-an-error).
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
                State::Head => match self.codec.read_head(buf)? {
                    Some(head) => match self.check_head(head, buf)? {
                        State::Body {
                            header_len,
                            payload_len,
                        } => (header_len, payload_len),
                        other => {
                            self.state = other;
                            continue;
                        }
                    },
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

    /// Discards what `buf` holds of an oversized frame's body; `true` once all of it is gone.
    fn skip(&mut self, buf: &mut BytesMut) -> bool {
        let State::Skip { frame_len, skipped } = self.state else {
            return true;
        };
        let left = frame_len - skipped;
        let now = left.min(buf.len() as u64);
        buf.advance(now as usize);
        if now < left {
            self.state = State::Skip {
                frame_len,
                skipped: skipped + now,
            };
            return false;
        }
        self.state = State::Head;
        true
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
        loop {
            match self.state {
                State::Head => match self.codec.read_head(buf)? {
                    Some(head) => self.state = self.check_head(head, buf)?,
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
            }
        }
    }

    /// Checks a parsed header's length, entering skip mode for an oversized frame if asked to.
    #[inline]
    fn check_head(&mut self, head: Head, buf: &mut BytesMut) -> Result<State, FrameError> {
        match self.codec.check_decode_len(head.payload_len) {
            Ok(payload_len) => Ok(State::Body {
                header_len: head.header_len,
                payload_len,
            }),
            Err(err) if self.codec.skips_oversized() => {
                buf.advance(head.header_len);
                self.state = State::Skip {
                    frame_len: (head.header_len as u64).saturating_add(head.payload_len),
                    skipped: head.header_len as u64,
                };
                Err(err)
            }
            Err(err) => Err(err),
        }
    }

    /// Like [`decode`](Self::decode), for when the stream has ended: no more bytes will come.
    ///
    /// # Termination
    ///
    /// Returns the remaining whole frames one call at a time, then `Ok(None)` if the stream ended
    /// exactly on a frame boundary.
    ///
    /// # Errors
    ///
    /// [`FrameError::Truncated`] if the stream ended inside a header or a payload, with the bytes
    /// the frame needed and the bytes that came; the partial frame stays in `buf`. Otherwise as
    /// [`decode`](Self::decode).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, FrameError};
    ///
    /// let mut decoder = Codec::default().decoder();
    /// let mut buf = BytesMut::from(&b"\x05\0\0\0ab"[..]);
    /// assert_eq!(
    ///     decoder.decode_eof(&mut buf),
    ///     Err(FrameError::Truncated { expected: 9, got: 6 })
    /// );
    /// ```
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
        match self.state {
            State::Head if buf.is_empty() => Ok(None),
            State::Skip { frame_len, skipped } => Err(FrameError::Truncated {
                expected: frame_len,
                got: skipped,
            }),
            _ => Err(FrameError::Truncated {
                expected: (buf.len() + self.bytes_needed(buf)) as u64,
                got: buf.len() as u64,
            }),
        }
    }

    /// How many more bytes the current frame needs, given what `buf` holds now: a hint for
    /// sizing the next read. At least 1 after [`decode`](Self::decode) returned `Ok(None)`.
    ///
    /// While the header is incomplete this counts up to the end of the header; once it is parsed,
    /// to the end of the frame. Frames already complete in `buf` are not counted.
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
            State::Skip { frame_len, skipped } => usize::try_from(frame_len - skipped)
                .unwrap_or(usize::MAX)
                .saturating_sub(buf.len()),
        }
    }

    /// Whether part of a frame has been parsed or skipped: `false` on a frame boundary.
    ///
    /// Bytes buffered but not yet parsed are not counted; check the buffer for those.
    pub fn is_mid_frame(&self) -> bool {
        self.state != State::Head
    }

    /// While an oversized frame is being skipped
    /// ([`skip_oversized`](crate::CodecBuilder::skip_oversized)), how many of its payload bytes
    /// are still to be discarded, counting those already in the caller's buffer; `None` when
    /// not skipping.
    ///
    /// An adapter that must tell skipped bytes from header bytes in what a call consumed (to
    /// report a header's length) reads this before the call.
    pub fn skip_remaining(&self) -> Option<u64> {
        match self.state {
            State::Skip { frame_len, skipped } => Some(frame_len - skipped),
            _ => None,
        }
    }

    /// While an oversized frame is being skipped: the bytes of it discarded so far (header
    /// included) and its whole length, for an adapter that reports a frame's progress.
    #[cfg(feature = "std")]
    pub(crate) fn skip_progress(&self) -> Option<(u64, u64)> {
        match self.state {
            State::Skip { frame_len, skipped } => Some((skipped, frame_len)),
            _ => None,
        }
    }
}
