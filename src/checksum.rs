//! The checksum trailer: which check a frame carries after its payload, how wide it is, in which
//! byte order, and which bytes of the frame it covers.

use core::fmt;
use core::hash::{Hash, Hasher};

use crate::format::ByteOrder;

/// The checks with a name. The CRCs come from the [`crc`](https://docs.rs/crc) crate's catalogue
/// (feature `checksum`), CRC-32 and CRC-32C from [`crc-fast`](https://docs.rs/crc-fast)'s SIMD
/// code instead with the feature `checksum-simd` (same values, faster on big frames); Fletcher-8
/// is two running byte sums, small enough to need no crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// u-blox UBX's 8-bit Fletcher checksum: `a += byte; b += a` over the covered bytes, both
    /// modulo 256, sent as `a` then `b`. Its value is `b << 8 | a`, so little-endian order puts
    /// `a` first, as UBX does. 2 bytes; needs no feature.
    Fletcher8,
    /// CRC-16/MCRF4XX (MAVLink's X.25 CRC: reflected 0x1021, init 0xFFFF, no final xor).
    #[cfg(feature = "checksum")]
    Crc16Mcrf4xx,
    /// CRC-16/XMODEM (0x1021, init 0, not reflected).
    #[cfg(feature = "checksum")]
    Crc16Xmodem,
    /// CRC-16/MODBUS (reflected 0x8005, init 0xFFFF).
    #[cfg(feature = "checksum")]
    Crc16Modbus,
    /// CRC-16/KERMIT (reflected 0x1021, init 0).
    #[cfg(feature = "checksum")]
    Crc16Kermit,
    /// CRC-16/IBM-SDLC, also called X-25 (reflected 0x1021, init and final xor 0xFFFF).
    #[cfg(feature = "checksum")]
    Crc16IbmSdlc,
    /// CRC-16/ARC (reflected 0x8005, init 0).
    #[cfg(feature = "checksum")]
    Crc16Arc,
    /// CRC-24Q, RTCM 3's and SBAS's (0x864CFB, init 0, not reflected); the catalogue's
    /// CRC-24/LTE-A. 3 bytes, big-endian on RTCM's wire.
    #[cfg(feature = "checksum")]
    Crc24Q,
    /// CRC-24/OPENPGP (0x864CFB, init 0xB704CE).
    #[cfg(feature = "checksum")]
    Crc24OpenPgp,
    /// CRC-32 as zlib, Ethernet and PNG compute it (CRC-32/ISO-HDLC).
    #[cfg(feature = "checksum")]
    Crc32,
    /// CRC-32C (Castagnoli, CRC-32/ISCSI): iSCSI's, ext4's, SCTP's.
    #[cfg(feature = "checksum")]
    Crc32C,
}

#[cfg(feature = "checksum")]
mod tables {
    use crc::Crc;
    #[cfg(not(feature = "checksum-simd"))]
    use crc::Table;

    // One table each, built at compile time; only the algorithms a program names are linked.
    // The 32-bit CRCs take crc's slice-by-16 tables (16 KiB each) for throughput on big frames;
    // the others a 256-entry table, small enough for firmware.
    pub(super) static MCRF4XX: Crc<u16> = Crc::<u16>::new(&crc::CRC_16_MCRF4XX);
    pub(super) static XMODEM: Crc<u16> = Crc::<u16>::new(&crc::CRC_16_XMODEM);
    pub(super) static MODBUS: Crc<u16> = Crc::<u16>::new(&crc::CRC_16_MODBUS);
    pub(super) static KERMIT: Crc<u16> = Crc::<u16>::new(&crc::CRC_16_KERMIT);
    pub(super) static IBM_SDLC: Crc<u16> = Crc::<u16>::new(&crc::CRC_16_IBM_SDLC);
    pub(super) static ARC: Crc<u16> = Crc::<u16>::new(&crc::CRC_16_ARC);
    pub(super) static CRC24Q: Crc<u32> = Crc::<u32>::new(&crc::CRC_24_LTE_A);
    pub(super) static OPENPGP: Crc<u32> = Crc::<u32>::new(&crc::CRC_24_OPENPGP);
    #[cfg(not(feature = "checksum-simd"))]
    pub(super) static CRC32: Crc<u32, Table<16>> =
        Crc::<u32, Table<16>>::new(&crc::CRC_32_ISO_HDLC);
    #[cfg(not(feature = "checksum-simd"))]
    pub(super) static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&crc::CRC_32_ISCSI);
    // With `checksum-simd` the 32-bit CRCs come from crc-fast, whose catalogue names the same
    // parameters (reflected 0x04C11DB7 / 0x1EDC6F41, init and final xor 0xFFFFFFFF).
    #[cfg(feature = "checksum-simd")]
    pub(super) const CRC32: crc_fast::CrcAlgorithm = crc_fast::CrcAlgorithm::Crc32IsoHdlc;
    #[cfg(feature = "checksum-simd")]
    pub(super) const CRC32C: crc_fast::CrcAlgorithm = crc_fast::CrcAlgorithm::Crc32Iscsi;
}

impl ChecksumAlgorithm {
    /// The check's width on the wire, in bytes.
    pub fn width(self) -> usize {
        match self {
            ChecksumAlgorithm::Fletcher8 => 2,
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc24Q | ChecksumAlgorithm::Crc24OpenPgp => 3,
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32C => 4,
            #[cfg(feature = "checksum")]
            _ => 2,
        }
    }

    /// The check of `bytes`.
    ///
    /// ```
    /// use lenframe::ChecksumAlgorithm;
    ///
    /// // UBX's checksum of an empty-payload poll of NAV-PVT (class 01, id 07, length 0).
    /// assert_eq!(ChecksumAlgorithm::Fletcher8.compute(&[0x01, 0x07, 0, 0]), 0x1908);
    /// ```
    pub fn compute(self, bytes: &[u8]) -> u64 {
        #[cfg(feature = "checksum")]
        use tables::*;
        match self {
            ChecksumAlgorithm::Fletcher8 => fletcher8(bytes),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Mcrf4xx => MCRF4XX.checksum(bytes).into(),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Xmodem => XMODEM.checksum(bytes).into(),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Modbus => MODBUS.checksum(bytes).into(),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Kermit => KERMIT.checksum(bytes).into(),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16IbmSdlc => IBM_SDLC.checksum(bytes).into(),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Arc => ARC.checksum(bytes).into(),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc24Q => CRC24Q.checksum(bytes).into(),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc24OpenPgp => OPENPGP.checksum(bytes).into(),
            #[cfg(all(feature = "checksum", not(feature = "checksum-simd")))]
            ChecksumAlgorithm::Crc32 => CRC32.checksum(bytes).into(),
            #[cfg(all(feature = "checksum", not(feature = "checksum-simd")))]
            ChecksumAlgorithm::Crc32C => CRC32C.checksum(bytes).into(),
            #[cfg(feature = "checksum-simd")]
            ChecksumAlgorithm::Crc32 => crc_fast::checksum(CRC32, bytes),
            #[cfg(feature = "checksum-simd")]
            ChecksumAlgorithm::Crc32C => crc_fast::checksum(CRC32C, bytes),
        }
    }
}

/// The 8-bit Fletcher sums of `bytes` as `b << 8 | a`. The sums wrap at 256 (u-blox's
/// definition), unlike Fletcher-16's modulo 255.
fn fletcher8(bytes: &[u8]) -> u64 {
    let (mut a, mut b) = (0u8, 0u8);
    for &byte in bytes {
        a = a.wrapping_add(byte);
        b = b.wrapping_add(a);
    }
    u64::from(b) << 8 | u64::from(a)
}

/// A check the caller computes: given the covered bytes, the value the trailer must hold. For
/// checks that depend on the message, such as MAVLink's CRC seeded with a per-message
/// `CRC_EXTRA` byte looked up from the message id inside the covered bytes.
pub type CheckFn = fn(covered: &[u8]) -> u64;

#[derive(Clone, Copy)]
enum Kind {
    Named(ChecksumAlgorithm),
    Custom { check: CheckFn, width: u8 },
}

/// Where the covered bytes start; they always end with the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Cover {
    /// Just after the sync bytes (UBX, MAVLink).
    AfterSync,
    /// This many bytes from the start of the frame, its first sync byte (0 for RTCM 3).
    From(usize),
}

/// A checksum trailer: the check, its width, its byte order, and the bytes it covers (by default
/// from just after the sync bytes to the end of the payload).
///
/// Set it with [`CodecBuilder::checksum`](crate::CodecBuilder::checksum). The decoder checks
/// every frame and never returns one whose check fails; the encoder appends the trailer.
///
/// # Examples
///
/// ```
/// use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm};
///
/// // UBX: Fletcher-8 over class, id, length and payload, `a` first.
/// let ubx = Checksum::new(ChecksumAlgorithm::Fletcher8, ByteOrder::Little);
/// assert_eq!(ubx.width(), 2);
/// ```
#[derive(Clone, Copy)]
pub struct Checksum {
    kind: Kind,
    order: ByteOrder,
    cover: Cover,
}

impl Checksum {
    /// A named check, written in `order`, covering from just after the sync bytes to the end of
    /// the payload.
    pub fn new(algorithm: ChecksumAlgorithm, order: ByteOrder) -> Checksum {
        Checksum {
            kind: Kind::Named(algorithm),
            order,
            cover: Cover::AfterSync,
        }
    }

    /// A check the caller computes, `width` bytes wide (1 to 8; others are rejected when the
    /// codec is built), written in `order`, covering from just after the sync bytes to the end of
    /// the payload.
    ///
    /// The function takes the covered bytes in one piece, so a writer must hold the frame
    /// whole to compute it: the std and async writers copy every frame into their buffer for
    /// it (a long one too, rather than write it from the caller's memory), and the writers that
    /// never hold a frame whole, `copy_frame_from` (a streamed payload) and the embedded
    /// writers, refuse it with
    /// [`EncodeError::ChecksumNeedsWholeFrame`](crate::EncodeError::ChecksumNeedsWholeFrame).
    /// Named algorithms work with every writer.
    ///
    /// # Examples
    ///
    /// ```
    /// use lenframe::{ByteOrder, Checksum};
    ///
    /// // A one-byte xor of the covered bytes (NMEA-style, sent in binary).
    /// fn xor(covered: &[u8]) -> u64 {
    ///     covered.iter().fold(0u8, |x, b| x ^ b).into()
    /// }
    /// let check = Checksum::custom(xor, 1, ByteOrder::Big);
    /// assert_eq!(check.compute(b"\x01\x03"), 2);
    /// ```
    pub fn custom(check: CheckFn, width: usize, order: ByteOrder) -> Checksum {
        Checksum {
            kind: Kind::Custom {
                check,
                width: u8::try_from(width).unwrap_or(u8::MAX),
            },
            order,
            cover: Cover::AfterSync,
        }
    }

    /// Covers from `start` bytes after the start of the frame (its first sync byte) to the end of
    /// the payload. `0` covers the sync bytes too, as RTCM 3's CRC-24Q does. At most the sync
    /// bytes plus the header (checked when the codec is built).
    pub fn covering_from(mut self, start: usize) -> Checksum {
        self.cover = Cover::From(start);
        self
    }

    /// The trailer's width in bytes.
    pub fn width(&self) -> usize {
        match self.kind {
            Kind::Named(algorithm) => algorithm.width(),
            Kind::Custom { width, .. } => usize::from(width),
        }
    }

    /// The trailer's byte order.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// The named algorithm, `None` for a caller's check.
    pub fn algorithm(&self) -> Option<ChecksumAlgorithm> {
        match self.kind {
            Kind::Named(algorithm) => Some(algorithm),
            Kind::Custom { .. } => None,
        }
    }

    /// Where the covered bytes start, counted from the frame's first byte, given the number of
    /// sync bytes.
    pub(crate) fn cover_start(&self, sync_len: usize) -> usize {
        match self.cover {
            Cover::AfterSync => sync_len,
            Cover::From(start) => start,
        }
    }

    /// The check of the covered bytes, cut to the trailer's width.
    pub fn compute(&self, covered: &[u8]) -> u64 {
        let value = match self.kind {
            Kind::Named(algorithm) => algorithm.compute(covered),
            Kind::Custom { check, .. } => check(covered),
        };
        value & width_mask(self.width())
    }

    /// The value in `trailer` (exactly [`width`](Self::width) bytes).
    pub(crate) fn read(&self, trailer: &[u8]) -> u64 {
        let big = match self.order {
            ByteOrder::Big => true,
            ByteOrder::Little => false,
            ByteOrder::Native => cfg!(target_endian = "big"),
        };
        let fold = |acc: u64, b: &u8| acc << 8 | u64::from(*b);
        if big {
            trailer.iter().fold(0, fold)
        } else {
            trailer.iter().rev().fold(0, fold)
        }
    }

    /// Writes `value` as the trailer into `out` (exactly [`width`](Self::width) bytes).
    pub(crate) fn write(&self, value: u64, out: &mut [u8]) {
        let width = out.len();
        let big = match self.order {
            ByteOrder::Big => true,
            ByteOrder::Little => false,
            ByteOrder::Native => cfg!(target_endian = "big"),
        };
        for (i, byte) in out.iter_mut().enumerate() {
            let shift = if big { 8 * (width - 1 - i) } else { 8 * i };
            *byte = (value >> shift) as u8;
        }
    }

    /// The trailer for the covered bytes, as bytes ready to send after the payload.
    ///
    /// ```
    /// use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm};
    ///
    /// let ubx = Checksum::new(ChecksumAlgorithm::Fletcher8, ByteOrder::Little);
    /// let trailer = ubx.trailer(&[0x01, 0x07, 0, 0]);
    /// assert_eq!(trailer.as_bytes(), &[0x08, 0x19]);
    /// ```
    pub fn trailer(&self, covered: &[u8]) -> Trailer {
        self.trailer_of(self.compute(covered))
    }

    /// The trailer holding `value`.
    fn trailer_of(&self, value: u64) -> Trailer {
        let mut raw = [0u8; 8];
        let width = self.width().min(8);
        self.write(value, &mut raw[..width]);
        Trailer {
            raw,
            len: width as u8,
        }
    }

    /// An identity for comparing and hashing: a caller's check by its function's address.
    fn key(&self) -> (u8, usize, ByteOrder, Cover) {
        match self.kind {
            Kind::Named(algorithm) => (0, algorithm as usize, self.order, self.cover),
            Kind::Custom { check, width } => (width, check as usize, self.order, self.cover),
        }
    }
}

/// A check being computed over bytes that come in pieces: [`Checksum::start`], then
/// [`update`](Self::update) with each piece in order, then [`finish`](Self::finish). The same
/// value as [`Checksum::compute`] over the pieces joined, with no allocation and no copy, for
/// a writer that sends a frame's payload as it streams in.
///
/// # Examples
///
/// ```
/// use lenframe::{ByteOrder, Checksum, ChecksumAlgorithm};
///
/// let ubx = Checksum::new(ChecksumAlgorithm::Fletcher8, ByteOrder::Little);
/// let mut digest = ubx.start().expect("a named check");
/// digest.update(&[0x01, 0x07]);
/// digest.update(&[0, 0]);
/// assert_eq!(digest.finish(), ubx.trailer(&[0x01, 0x07, 0, 0]));
/// ```
#[derive(Clone)]
pub struct ChecksumDigest {
    running: Running,
    checksum: Checksum,
}

/// The running state of each algorithm: the same crate and tables as
/// [`ChecksumAlgorithm::compute`], so pieces and one shot agree.
// crc-fast's digest carries its CRC parameters and folding keys (~300 bytes); boxing it would
// allocate once per frame, which costs more than the copy of a few hundred bytes.
#[cfg_attr(feature = "checksum-simd", allow(clippy::large_enum_variant))]
#[derive(Clone)]
enum Running {
    Fletcher8 {
        a: u8,
        b: u8,
    },
    #[cfg(feature = "checksum")]
    Crc16(crc::Digest<'static, u16>),
    #[cfg(feature = "checksum")]
    Crc24(crc::Digest<'static, u32>),
    #[cfg(all(feature = "checksum", not(feature = "checksum-simd")))]
    Crc32(crc::Digest<'static, u32, crc::Table<16>>),
    #[cfg(feature = "checksum-simd")]
    Crc32(crc_fast::Digest),
}

impl Checksum {
    /// Starts computing the check over bytes given in pieces: `None` for a caller's check
    /// ([`Checksum::custom`]), whose function takes the covered bytes in one piece.
    pub fn start(&self) -> Option<ChecksumDigest> {
        #[cfg(feature = "checksum")]
        use tables::*;
        let Kind::Named(algorithm) = self.kind else {
            return None;
        };
        let running = match algorithm {
            ChecksumAlgorithm::Fletcher8 => Running::Fletcher8 { a: 0, b: 0 },
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Mcrf4xx => Running::Crc16(MCRF4XX.digest()),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Xmodem => Running::Crc16(XMODEM.digest()),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Modbus => Running::Crc16(MODBUS.digest()),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Kermit => Running::Crc16(KERMIT.digest()),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16IbmSdlc => Running::Crc16(IBM_SDLC.digest()),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc16Arc => Running::Crc16(ARC.digest()),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc24Q => Running::Crc24(CRC24Q.digest()),
            #[cfg(feature = "checksum")]
            ChecksumAlgorithm::Crc24OpenPgp => Running::Crc24(OPENPGP.digest()),
            #[cfg(all(feature = "checksum", not(feature = "checksum-simd")))]
            ChecksumAlgorithm::Crc32 => Running::Crc32(CRC32.digest()),
            #[cfg(all(feature = "checksum", not(feature = "checksum-simd")))]
            ChecksumAlgorithm::Crc32C => Running::Crc32(CRC32C.digest()),
            #[cfg(feature = "checksum-simd")]
            ChecksumAlgorithm::Crc32 => Running::Crc32(crc_fast::Digest::new(CRC32)),
            #[cfg(feature = "checksum-simd")]
            ChecksumAlgorithm::Crc32C => Running::Crc32(crc_fast::Digest::new(CRC32C)),
        };
        Some(ChecksumDigest {
            running,
            checksum: *self,
        })
    }
}

impl ChecksumDigest {
    /// Adds the next covered bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.running {
            Running::Fletcher8 { a, b } => {
                for &byte in bytes {
                    *a = a.wrapping_add(byte);
                    *b = b.wrapping_add(*a);
                }
            }
            #[cfg(feature = "checksum")]
            Running::Crc16(digest) => digest.update(bytes),
            #[cfg(feature = "checksum")]
            Running::Crc24(digest) => digest.update(bytes),
            #[cfg(feature = "checksum")]
            Running::Crc32(digest) => digest.update(bytes),
        }
    }

    /// The trailer for the bytes given, ready to send after the payload.
    pub fn finish(self) -> Trailer {
        let value = match self.running {
            Running::Fletcher8 { a, b } => u64::from(b) << 8 | u64::from(a),
            #[cfg(feature = "checksum")]
            Running::Crc16(digest) => digest.finalize().into(),
            #[cfg(feature = "checksum")]
            Running::Crc24(digest) => digest.finalize().into(),
            #[cfg(all(feature = "checksum", not(feature = "checksum-simd")))]
            Running::Crc32(digest) => digest.finalize().into(),
            #[cfg(feature = "checksum-simd")]
            Running::Crc32(digest) => digest.finalize(),
        };
        let check = &self.checksum;
        check.trailer_of(value & width_mask(check.width()))
    }
}

impl fmt::Debug for ChecksumDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChecksumDigest")
            .field("checksum", &self.checksum)
            .finish_non_exhaustive()
    }
}

/// The bytes of a checksum trailer, built inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    raw: [u8; 8],
    len: u8,
}

impl Trailer {
    /// No trailer: a codec without a checksum.
    #[cfg(any(feature = "std", feature = "embedded-io"))]
    pub(crate) const NONE: Trailer = Trailer {
        raw: [0; 8],
        len: 0,
    };

    /// The trailer's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw[..usize::from(self.len)]
    }
}

impl core::ops::Deref for Trailer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// The low `width` bytes.
fn width_mask(width: usize) -> u64 {
    match width {
        0 => 0,
        1..=7 => (1u64 << (8 * width)) - 1,
        _ => u64::MAX,
    }
}

impl PartialEq for Checksum {
    fn eq(&self, other: &Checksum) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Checksum {}

impl Hash for Checksum {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Checksum");
        match self.kind {
            Kind::Named(algorithm) => out.field("algorithm", &algorithm),
            Kind::Custom { width, .. } => out.field("custom_width", &width),
        };
        out.field("order", &self.order)
            .field("cover", &self.cover)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue's check values (the CRC of "123456789"): the right table behind each name.
    #[cfg(feature = "checksum")]
    #[test]
    fn each_named_crc_gives_its_catalogue_check_value() {
        let cases = [
            (ChecksumAlgorithm::Crc16Mcrf4xx, 0x6f91),
            (ChecksumAlgorithm::Crc16Xmodem, 0x31c3),
            (ChecksumAlgorithm::Crc16Modbus, 0x4b37),
            (ChecksumAlgorithm::Crc16Kermit, 0x2189),
            (ChecksumAlgorithm::Crc16IbmSdlc, 0x906e),
            (ChecksumAlgorithm::Crc16Arc, 0xbb3d),
            (ChecksumAlgorithm::Crc24Q, 0xcde703),
            (ChecksumAlgorithm::Crc24OpenPgp, 0x21cf02),
            (ChecksumAlgorithm::Crc32, 0xcbf43926),
            (ChecksumAlgorithm::Crc32C, 0xe3069283),
        ];
        for (algorithm, check) in cases {
            assert_eq!(algorithm.compute(b"123456789"), check, "{algorithm:?}");
        }
    }

    #[cfg(feature = "checksum")]
    const NAMED: &[ChecksumAlgorithm] = &[
        ChecksumAlgorithm::Fletcher8,
        ChecksumAlgorithm::Crc16Mcrf4xx,
        ChecksumAlgorithm::Crc16Xmodem,
        ChecksumAlgorithm::Crc16Modbus,
        ChecksumAlgorithm::Crc16Kermit,
        ChecksumAlgorithm::Crc16IbmSdlc,
        ChecksumAlgorithm::Crc16Arc,
        ChecksumAlgorithm::Crc24Q,
        ChecksumAlgorithm::Crc24OpenPgp,
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
    ];
    #[cfg(not(feature = "checksum"))]
    const NAMED: &[ChecksumAlgorithm] = &[ChecksumAlgorithm::Fletcher8];

    /// A digest fed in pieces gives the one-shot trailer, for every named check, whatever the
    /// cut points.
    #[test]
    fn a_digest_in_pieces_gives_the_one_shot_trailer() {
        let data: [u8; 300] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        for &algorithm in NAMED {
            for order in [ByteOrder::Big, ByteOrder::Little] {
                let check = Checksum::new(algorithm, order);
                for cuts in [(0, 0), (1, 2), (17, 250), (299, 300), (300, 300)] {
                    let mut digest = check.start().unwrap();
                    digest.update(&data[..cuts.0]);
                    digest.update(&data[cuts.0..cuts.1]);
                    digest.update(&data[cuts.1..]);
                    assert_eq!(
                        digest.finish(),
                        check.trailer(&data),
                        "{algorithm:?} {cuts:?}"
                    );
                }
                assert_eq!(check.start().unwrap().finish(), check.trailer(b""));
            }
        }
        assert!(Checksum::custom(|_| 0, 2, ByteOrder::Big).start().is_none());
    }

    /// crc-fast's CRC-32 and CRC-32C put the same bytes on the wire as the `crc` crate's, one
    /// shot and in pieces, whatever the length (its SIMD paths switch at several sizes) and
    /// the cut.
    #[cfg(feature = "checksum-simd")]
    #[test]
    fn crc_fast_matches_the_crc_crate_on_random_input() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};

        static CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
        static CRC32C: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
        let cases = [
            (ChecksumAlgorithm::Crc32, &CRC32),
            (ChecksumAlgorithm::Crc32C, &CRC32C),
        ];
        let input = proptest::collection::vec(any::<u8>(), 0..9000).prop_flat_map(|data| {
            let len = data.len();
            (Just(data), 0..=len, 0..=len)
        });
        let mut runner = TestRunner::new(Config::with_cases(256));
        runner
            .run(&input, |(data, a, b)| {
                let (first, second) = (a.min(b), a.max(b));
                for (algorithm, reference) in cases {
                    let expected = u64::from(reference.checksum(&data));
                    prop_assert_eq!(algorithm.compute(&data), expected, "{:?}", algorithm);
                    for order in [ByteOrder::Big, ByteOrder::Little] {
                        let check = Checksum::new(algorithm, order);
                        let mut digest = check.start().unwrap();
                        digest.update(&data[..first]);
                        digest.update(&data[first..second]);
                        digest.update(&data[second..]);
                        let trailer = digest.finish();
                        prop_assert_eq!(check.read(trailer.as_bytes()), expected);
                        prop_assert_eq!(trailer, check.trailer(&data));
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn fletcher8_wraps_its_sums_at_256() {
        // a = 0xff + 0x02 = 0x101 -> 0x01; b = 0xff + 0x01 = 0x100 -> 0x00.
        assert_eq!(fletcher8(&[0xff, 0x02]), 0x0001);
        assert_eq!(fletcher8(&[]), 0);
    }

    #[test]
    fn trailers_round_trip_in_both_byte_orders() {
        for order in [ByteOrder::Big, ByteOrder::Little, ByteOrder::Native] {
            let check = Checksum::custom(|_| 0x0a0b0c, 3, order);
            let trailer = check.trailer(b"");
            assert_eq!(check.read(&trailer), 0x0a0b0c);
        }
        let big = Checksum::custom(|_| 0x0a0b0c, 3, ByteOrder::Big);
        assert_eq!(big.trailer(b"").as_bytes(), &[0x0a, 0x0b, 0x0c]);
        // Wider values are cut to the width.
        assert_eq!(big.compute(b""), 0x0a0b0c);
        let one = Checksum::custom(|_| 0x1ff, 1, ByteOrder::Big);
        assert_eq!(one.compute(b""), 0xff);
    }
}
