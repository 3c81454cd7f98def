//! The layout of an all-to-all: which bytes of a rank's buffer go to each peer, and where the
//! block from each peer lands.
//!
//! An all-to-all of `S` bytes per rank runs on a buffer of `2S` bytes: the first half is what
//! the rank sends (block `j` for rank `j`, in rank order), the second what it receives (block
//! from rank `i` at place `i`, in rank order), as NCCL's and MPI's separate send and receive
//! buffers. Where `S/4` elements divide by `n` every block is `S/n` bytes. Where they do not,
//! the block from rank `i` to rank `j` has the length of segment `(j - i) mod n` of `S` (see
//! [`segment`]), so every rank still sends and receives exactly `S` bytes, and blocks differ
//! by at most one element.

use crate::comm::segment;

/// The bytes each rank sends in an all-to-all on a buffer of `buffer` bytes: half of it.
pub fn send_bytes(buffer: u64) -> u64 {
    // Half, in whole f32s: an odd element count leaves the last element to neither half.
    (buffer / 8) * 4
}

/// The buffer an all-to-all of `bytes` per rank needs: the send half and the receive half.
pub fn buffer_bytes(bytes: u64) -> u64 {
    bytes.saturating_mul(2)
}

/// The length of the block rank `from` sends to rank `to` in an all-to-all of `bytes` per
/// rank over `n` ranks.
pub fn block_len(bytes: u64, from: u32, to: u32, n: u32) -> u64 {
    let k = (to + n - from % n) % n;
    segment(bytes, k, n).1
}

/// `(offset, len)` in the buffer of rank `from` of the block it sends to `to`.
pub fn send_block(bytes: u64, from: u32, to: u32, n: u32) -> (u64, u64) {
    let offset = (0..to).map(|j| block_len(bytes, from, j, n)).sum();
    (offset, block_len(bytes, from, to, n))
}

/// `(offset, len)` in the buffer of rank `to` where the block from `from` lands.
pub fn recv_block(bytes: u64, from: u32, to: u32, n: u32) -> (u64, u64) {
    let offset: u64 = (0..from).map(|i| block_len(bytes, i, to, n)).sum();
    (bytes + offset, block_len(bytes, from, to, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rank_sends_and_receives_exactly_its_bytes_in_blocks_that_tile_each_half() {
        for (bytes, n) in [
            (0u64, 3u32),
            (4, 4),
            (12, 16),
            (4004, 16),
            (4 * 64, 8),
            (40, 3),
        ] {
            for r in 0..n {
                let mut at = 0;
                for j in 0..n {
                    let (o, l) = send_block(bytes, r, j, n);
                    assert_eq!(o, at, "send {r}->{j} of {bytes} B over {n}");
                    at += l;
                }
                assert_eq!(at, bytes, "rank {r} sends all of its {bytes} B");
                let mut at = bytes;
                for i in 0..n {
                    let (o, l) = recv_block(bytes, i, r, n);
                    assert_eq!(o, at, "recv {i}->{r}");
                    assert_eq!(l, send_block(bytes, i, r, n).1, "both ends agree");
                    at += l;
                }
                assert_eq!(at, 2 * bytes, "rank {r} receives {bytes} B");
            }
        }
    }

    #[test]
    fn even_sizes_make_equal_blocks_and_the_send_half_is_half_the_buffer() {
        assert_eq!(send_block(64, 1, 2, 4), (32, 16));
        assert_eq!(recv_block(64, 3, 0, 4), (64 + 48, 16));
        assert_eq!(send_bytes(buffer_bytes(4004)), 4004);
    }
}
