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
//!
//! An all-to-allv takes its per-pair sizes from a [`SizeMatrix`] instead: rank `i` sends
//! `bytes(i, j)` to rank `j`. Every rank's buffer is then the largest send total followed by
//! the largest receive total (the same size on every rank, as the model lays out a buffer by
//! its size); rank `i`'s blocks start at 0 in receiver order, the blocks it receives at the
//! start of the receive part in sender order. [`Blocks`] answers both forms.

use std::rc::Rc;

use crate::comm::segment;

/// The most ranks an all-to-allv's matrix may have: its `n x n` sizes and offsets are held in
/// memory (24 bytes per pair: 24 MiB at this bound).
pub const MAX_MATRIX_RANKS: u32 = 1024;

/// The per-pair sizes of an all-to-allv, in bytes: `bytes(from, to)`, whole `f32`s, with the
/// offsets of every block precomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeMatrix {
    n: u32,
    bytes: Vec<u64>,
    send_at: Vec<u64>,
    recv_at: Vec<u64>,
    send_max: u64,
    recv_max: u64,
}

impl SizeMatrix {
    /// The matrix of `rows` (row `from`, column `to`, in bytes).
    ///
    /// # Errors
    /// Not square, more than [`MAX_MATRIX_RANKS`] ranks, or a size that is not whole `f32`s,
    /// with the place and the fix.
    pub fn new(rows: &[Vec<u64>]) -> Result<SizeMatrix, String> {
        let n = rows.len();
        if n == 0 {
            return Err("the matrix has no rows; give one row per rank".to_string());
        }
        if n > MAX_MATRIX_RANKS as usize {
            return Err(format!(
                "{n} ranks is more than an all-to-allv's limit of {MAX_MATRIX_RANKS}"
            ));
        }
        for (i, row) in rows.iter().enumerate() {
            if row.len() != n {
                return Err(format!(
                    "row {i} has {} sizes, but there are {n} rows; give each rank a size for every rank",
                    row.len()
                ));
            }
            if let Some((j, b)) = row.iter().enumerate().find(|(_, b)| *b % 4 != 0) {
                return Err(format!(
                    "the size from rank {i} to rank {j}, {b} B, is not a whole number of 4-byte f32s"
                ));
            }
        }
        let n32 = n as u32;
        let bytes: Vec<u64> = rows.iter().flatten().copied().collect();
        let at = |i: usize, j: usize| bytes[i * n + j];
        let mut send_at = vec![0; n * n];
        let mut recv_at = vec![0; n * n];
        let (mut send_max, mut recv_max) = (0u64, 0u64);
        for i in 0..n {
            let mut offset = 0u64;
            for j in 0..n {
                send_at[i * n + j] = offset;
                offset = offset.saturating_add(at(i, j));
            }
            send_max = send_max.max(offset);
        }
        for j in 0..n {
            let mut offset = 0u64;
            for i in 0..n {
                recv_at[i * n + j] = offset;
                offset = offset.saturating_add(at(i, j));
            }
            recv_max = recv_max.max(offset);
        }
        Ok(SizeMatrix {
            n: n32,
            bytes,
            send_at,
            recv_at,
            send_max,
            recv_max,
        })
    }

    /// The ranks it is for.
    pub fn ranks(&self) -> u32 {
        self.n
    }

    /// The bytes `from` sends to `to`.
    pub fn get(&self, from: u32, to: u32) -> u64 {
        self.bytes[(from * self.n + to) as usize]
    }

    /// Every block's bytes, a rank's block to itself included.
    pub fn total(&self) -> u64 {
        self.bytes.iter().sum()
    }

    /// The bytes that cross between ranks: every block but a rank's own.
    pub fn moved(&self) -> u64 {
        self.total() - (0..self.n).map(|i| self.get(i, i)).sum::<u64>()
    }

    /// The largest block between two ranks `(from, to, bytes)`, the first in row order.
    pub fn largest(&self) -> (u32, u32, u64) {
        let mut best = (0, 0, 0);
        for i in 0..self.n {
            for j in 0..self.n {
                if i != j && self.get(i, j) > best.2 {
                    best = (i, j, self.get(i, j));
                }
            }
        }
        best
    }

    /// The buffer every rank needs: the largest send total, then the largest receive total.
    pub fn buffer_bytes(&self) -> u64 {
        self.send_max.saturating_add(self.recv_max)
    }

    /// A matrix where every rank sends `bytes` split over the `n` ranks as `weights` say
    /// (the same split for every sender), in whole `f32`s: each share rounded down, the
    /// elements left over given one each to the largest remainders (ties to the lower rank).
    fn split(n: u32, bytes: u64, weights: &[f64]) -> Result<SizeMatrix, String> {
        let elements = bytes / 4;
        let sum: f64 = weights.iter().sum();
        let exact: Vec<f64> = weights.iter().map(|w| elements as f64 * w / sum).collect();
        let mut shares: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
        let left = elements.saturating_sub(shares.iter().sum());
        let mut order: Vec<usize> = (0..n as usize).collect();
        order.sort_by(|&a, &b| {
            let (fa, fb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
            fb.total_cmp(&fa).then(a.cmp(&b))
        });
        for &j in order.iter().take(left as usize) {
            shares[j] += 1;
        }
        let row: Vec<u64> = shares.iter().map(|e| e * 4).collect();
        SizeMatrix::new(&vec![row; n as usize])
    }

    /// Every rank sends `bytes` split evenly over the `n` ranks (itself included).
    ///
    /// # Errors
    /// As [`new`](SizeMatrix::new).
    pub fn uniform(n: u32, bytes: u64) -> Result<SizeMatrix, String> {
        SizeMatrix::split(n, bytes, &vec![1.0; n as usize])
    }

    /// Every rank sends `bytes` split over the `n` ranks (experts) by a Zipf law: the expert
    /// of popularity rank `k` (1 the hottest) gets a share proportional to `1 / k^exponent`;
    /// which rank holds which popularity is a permutation drawn from `seed`. The same for
    /// every sender: the hot experts receive from everyone, as a skewed MoE router sends.
    ///
    /// # Errors
    /// As [`new`](SizeMatrix::new), or an exponent that is negative or not finite.
    pub fn zipf(n: u32, bytes: u64, exponent: f64, seed: u64) -> Result<SizeMatrix, String> {
        if !exponent.is_finite() || exponent < 0.0 {
            return Err(format!(
                "a Zipf exponent of {exponent} is not a number >= 0; use for example 1.2"
            ));
        }
        // Fisher-Yates with splitmix64: the same seed gives the same experts on any machine.
        let mut popularity: Vec<u32> = (1..=n).collect();
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        for i in (1..popularity.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            popularity.swap(i, j);
        }
        let weights: Vec<f64> = popularity
            .iter()
            .map(|&k| 1.0 / (k as f64).powf(exponent))
            .collect();
        SizeMatrix::split(n, bytes, &weights)
    }
}

/// Where each block of an all-to-all or all-to-allv is: the even form of an all-to-all of
/// `bytes` per rank, or a size matrix.
#[derive(Clone, Debug)]
pub enum Blocks {
    /// An all-to-all of `bytes` per rank over `n` ranks (the layout of this module's docs).
    Even {
        /// Bytes each rank sends.
        bytes: u64,
        /// Ranks.
        n: u32,
    },
    /// An all-to-allv's sizes.
    Sizes(Rc<SizeMatrix>),
}

impl Blocks {
    /// `(offset, len)` in `from`'s buffer of the block it sends to `to`.
    pub fn send_block(&self, from: u32, to: u32) -> (u64, u64) {
        match self {
            Blocks::Even { bytes, n } => send_block(*bytes, from, to, *n),
            Blocks::Sizes(m) => (m.send_at[(from * m.n + to) as usize], m.get(from, to)),
        }
    }

    /// `(offset, len)` in `to`'s buffer where the block from `from` lands.
    pub fn recv_block(&self, from: u32, to: u32) -> (u64, u64) {
        match self {
            Blocks::Even { bytes, n } => recv_block(*bytes, from, to, *n),
            Blocks::Sizes(m) => (
                m.send_max + m.recv_at[(from * m.n + to) as usize],
                m.get(from, to),
            ),
        }
    }
}

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
    fn a_size_matrix_lays_out_sends_then_receives_and_knows_its_totals() {
        let m = SizeMatrix::new(&[vec![0, 8, 4], vec![12, 4, 0], vec![4, 4, 4]]).unwrap();
        assert_eq!((m.total(), m.moved(), m.largest()), (40, 32, (1, 0, 12)));
        // Largest send total 16 (rank 1), largest receive total 16 (rank 0 and 1 get 16, 16).
        assert_eq!(m.buffer_bytes(), 16 + 16);
        let blocks = Blocks::Sizes(Rc::new(m));
        assert_eq!(blocks.send_block(1, 2), (16, 0));
        assert_eq!(blocks.send_block(2, 1), (4, 4));
        assert_eq!(blocks.recv_block(2, 1), (16 + 12, 4));
        assert_eq!(
            SizeMatrix::new(&[vec![0, 8], vec![6, 0]]).unwrap_err(),
            "the size from rank 1 to rank 0, 6 B, is not a whole number of 4-byte f32s"
        );
        assert_eq!(
            SizeMatrix::new(&[vec![0, 8], vec![4]]).unwrap_err(),
            "row 1 has 1 sizes, but there are 2 rows; give each rank a size for every rank"
        );
    }

    #[test]
    fn uniform_and_zipf_splits_send_every_byte_and_zipf_is_skewed_and_seeded() {
        let u = SizeMatrix::uniform(4, 4 * 10).unwrap();
        assert_eq!(
            (0..4).map(|j| u.get(0, j)).collect::<Vec<_>>(),
            [12, 12, 8, 8]
        );
        let z = SizeMatrix::zipf(8, 4 << 20, 1.2, 7).unwrap();
        for i in 0..8 {
            assert_eq!((0..8).map(|j| z.get(i, j)).sum::<u64>(), 4 << 20);
        }
        let (_, hot, largest) = z.largest();
        // The hottest expert gets 1 / H(8, 1.2) of each sender's bytes, about 41%.
        assert!(largest > (4 << 20) * 2 / 5, "{largest}");
        assert_eq!(z, SizeMatrix::zipf(8, 4 << 20, 1.2, 7).unwrap());
        assert_ne!(
            hot,
            SizeMatrix::zipf(8, 4 << 20, 1.2, 8).unwrap().largest().1
        );
    }

    #[test]
    fn even_sizes_make_equal_blocks_and_the_send_half_is_half_the_buffer() {
        assert_eq!(send_block(64, 1, 2, 4), (32, 16));
        assert_eq!(recv_block(64, 3, 0, 4), (64 + 48, 16));
        assert_eq!(send_bytes(buffer_bytes(4004)), 4004);
    }
}
