//! Lanes: the sub-tracks a track's spans are spread over so that no two spans of one lane
//! overlap, since trace viewers draw only nested or disjoint slices on a track.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The lane of each `(start, end)` span (ends not before starts), and the number of lanes.
///
/// Greedy by start: spans taken in (start, end, index) order each go to the lowest-numbered
/// lane that is free at their start, a lane being free from its last span's end on (spans
/// that touch, `a.end == b.start`, share a lane). That uses as few lanes as the most spans
/// open at one instant, and the same input gives the same lanes. Spans that never overlap
/// all get lane 0.
///
/// # Complexity
/// `O(n log n)` for `n` spans.
pub(crate) fn lanes(spans: &[(u64, u64)]) -> (Vec<u32>, u32) {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].0, spans[i].1, i));
    let mut lane_of = vec![0u32; spans.len()];
    // Lanes holding a span, by when it ends; lanes free again, lowest first.
    let mut busy: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    let mut free: BinaryHeap<Reverse<u32>> = BinaryHeap::new();
    let mut count = 0u32;
    for i in order {
        let (start, end) = spans[i];
        while let Some(&Reverse((busy_until, lane))) = busy.peek() {
            if busy_until > start {
                break;
            }
            busy.pop();
            free.push(Reverse(lane));
        }
        let lane = match free.pop() {
            Some(Reverse(lane)) => lane,
            None => {
                count += 1;
                count - 1
            }
        };
        lane_of[i] = lane;
        busy.push(Reverse((end, lane)));
    }
    (lane_of, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjoint_and_touching_spans_share_lane_zero() {
        assert_eq!(
            lanes(&[(0, 5), (5, 9), (12, 12), (12, 20)]),
            (vec![0; 4], 1)
        );
        assert_eq!(lanes(&[]), (vec![], 0));
    }

    #[test]
    fn overlapping_spans_take_the_lowest_free_lane() {
        // 0: [0,10)  1: [2,4)  2: [3,8)  3: [4,6)  4: [9,12)  5: [10,11)
        let spans = [(0, 10), (2, 4), (3, 8), (4, 6), (9, 12), (10, 11)];
        let (lane, count) = lanes(&spans);
        assert_eq!(lane, [0, 1, 2, 1, 1, 0]);
        assert_eq!(count, 3);
        // No two spans of a lane overlap.
        for a in 0..spans.len() {
            for b in a + 1..spans.len() {
                if lane[a] == lane[b] {
                    let (x, y) = (spans[a], spans[b]);
                    assert!(
                        x.1 <= y.0 || y.1 <= x.0,
                        "{x:?} and {y:?} share lane {}",
                        lane[a]
                    );
                }
            }
        }
    }

    #[test]
    fn the_order_spans_are_given_in_does_not_change_their_lanes() {
        let spans = [(3, 8), (0, 10), (4, 6), (2, 4)];
        let (lane, _) = lanes(&spans);
        assert_eq!(lane, [2, 0, 1, 1]);
    }
}
