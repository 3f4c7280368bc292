//! Sync bytes: the fixed bytes in front of every frame on a link that can corrupt or drop bytes,
//! and the scan for the next place a frame may start.

/// The most sync bytes a codec takes; together with
/// [`length_field_offset`](crate::CodecBuilder::length_field_offset) at most
/// [`MAX_LENGTH_OFFSET`](crate::MAX_LENGTH_OFFSET).
pub const MAX_SYNC_LEN: usize = 8;

/// The sync bytes of a codec, inline: none by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) struct SyncBytes {
    bytes: [u8; MAX_SYNC_LEN],
    len: u8,
}

impl SyncBytes {
    /// `bytes`, or `Err(len)` if there are more than [`MAX_SYNC_LEN`].
    pub(crate) fn new(bytes: &[u8]) -> Result<SyncBytes, usize> {
        let mut sync = SyncBytes::default();
        sync.bytes
            .get_mut(..bytes.len())
            .ok_or(bytes.len())?
            .copy_from_slice(bytes);
        sync.len = bytes.len() as u8;
        Ok(sync)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The bytes as a little-endian integer, zero past their length: the low bytes of a header
    /// built in a register.
    #[inline(always)]
    pub(crate) fn packed(&self) -> u64 {
        u64::from_le_bytes(self.bytes)
    }

    /// Whether `buf` starts with the sync bytes, or with the start of them if it is shorter.
    pub(crate) fn could_start(&self, buf: &[u8]) -> bool {
        let sync = self.as_bytes();
        let n = sync.len().min(buf.len());
        buf[..n] == sync[..n]
    }

    /// Where in `buf` the next frame may start after the one at its front is given up: the
    /// first position from 1 on that holds the sync bytes, or the start of them at the end of
    /// `buf`; `buf.len()` if there is none. Always at least 1 for a non-empty `buf`, so a scan
    /// always moves on.
    pub(crate) fn next_candidate(&self, buf: &[u8]) -> usize {
        let Some(&first) = self.as_bytes().first() else {
            return buf.len().min(1);
        };
        let mut at = 1;
        while let Some(found) = buf
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == first))
        {
            at += found;
            if self.could_start(&buf[at..]) {
                return at;
            }
            at += 1;
        }
        buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_candidate_is_a_whole_sync_or_its_start_at_the_end() {
        let sync = SyncBytes::new(b"\xB5\x62").unwrap();
        assert_eq!(sync.next_candidate(b"\xB5\x62xx\xB5\x62"), 4);
        assert_eq!(sync.next_candidate(b"\xB5\x62x\xB5\x00\xB5"), 5);
        assert_eq!(sync.next_candidate(b"\xB5\xB5\x62"), 1);
        assert_eq!(sync.next_candidate(b"abc"), 3);
        assert_eq!(sync.next_candidate(b"a"), 1);
        assert_eq!(sync.next_candidate(b""), 0);
        assert!(SyncBytes::new(&[0; 9]).is_err());
    }
}
