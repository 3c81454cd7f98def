//! Generators: a [`Shape`] over `n` members of a level becomes a list of directed links.
//!
//! Members are numbered `0..n` (PE index in a SIP, SIP index in a cube, cube index). The output
//! order is deterministic (by member, then by dimension, then forward before backward) and has no
//! duplicates: where a small ring or torus dimension would generate the same link twice it is
//! generated once. `Switch` yields no member-to-member links; the caller adds the switch node.

use std::collections::BTreeSet;

use crate::spec::Shape;

/// Why a shape does not fit its level; the caller adds the field path and file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ShapeError {
    /// The shape needs exactly `needs` members.
    DoesNotFit { needs: u64 },
    /// An explicit link names a member that does not exist.
    OutOfRange { from: u32, to: u32, index: u32 },
    /// An explicit link is listed twice.
    Duplicate { from: u32, to: u32 },
    /// An explicit link joins a member to itself.
    SelfLink { index: u32 },
}

/// The number of members `shape` needs, if it fixes it (`Mesh2D`, `Torus2D`, `Torus3D`).
pub(crate) fn required_members(shape: &Shape) -> Option<u64> {
    match *shape {
        Shape::Mesh2D(r, c) | Shape::Torus2D(r, c) => Some(u64::from(r) * u64::from(c)),
        Shape::Torus3D(x, y, z) => Some(u64::from(x) * u64::from(y) * u64::from(z)),
        _ => None,
    }
}

/// The directed links `(from, to)` of `shape` over members `0..n`.
///
/// # Errors
/// [`ShapeError`] when a grid's size is not `n`, or an explicit list names a missing member,
/// repeats a link or joins a member to itself.
pub(crate) fn directed_links(shape: &Shape, n: u32) -> Result<Vec<(u32, u32)>, ShapeError> {
    if let Some(needs) = required_members(shape) {
        if needs != u64::from(n) {
            return Err(ShapeError::DoesNotFit { needs });
        }
    }
    let mut links = Links::default();
    match shape {
        Shape::Ring => {
            for i in 0..n {
                links.add(i, (i + 1) % n);
            }
        }
        Shape::BidirectionalRing => {
            for i in 0..n {
                links.add_duplex(i, (i + 1) % n);
            }
        }
        Shape::Mesh2D(r, c) => grid(&mut links, &[*r, *c], false),
        Shape::Torus2D(r, c) => grid(&mut links, &[*r, *c], true),
        Shape::Torus3D(x, y, z) => grid(&mut links, &[*x, *y, *z], true),
        Shape::FullyConnected => {
            for i in 0..n {
                for j in 0..n {
                    links.add(i, j);
                }
            }
        }
        Shape::Switch => {}
        Shape::Explicit(pairs) => explicit(&mut links, pairs, n, false)?,
        Shape::ExplicitDuplex(pairs) => explicit(&mut links, pairs, n, true)?,
    }
    Ok(links.order)
}

/// Links in insertion order, without self links or repeats.
#[derive(Default)]
struct Links {
    order: Vec<(u32, u32)>,
    seen: BTreeSet<(u32, u32)>,
}

impl Links {
    /// Adds `from -> to` unless it is a self link or already present; says whether it was new.
    fn add(&mut self, from: u32, to: u32) -> bool {
        if from == to || !self.seen.insert((from, to)) {
            return false;
        }
        self.order.push((from, to));
        true
    }
    fn add_duplex(&mut self, a: u32, b: u32) {
        self.add(a, b);
        self.add(b, a);
    }
}

/// Joins every grid point to its `+1` neighbour in each dimension, both ways; with `wrap` the
/// last point of a dimension is joined to the first.
fn grid(links: &mut Links, dims: &[u32], wrap: bool) {
    let total: u32 = dims.iter().product();
    for member in 0..total {
        // Row-major: the last dimension varies fastest.
        let mut stride = 1;
        for &dim in dims.iter().rev() {
            let coord = (member / stride) % dim;
            let next = if coord + 1 < dim {
                Some(member + stride)
            } else if wrap {
                Some(member - coord * stride)
            } else {
                None
            };
            if let Some(next) = next {
                links.add_duplex(member, next);
            }
            stride *= dim;
        }
    }
}

fn explicit(
    links: &mut Links,
    pairs: &[(u32, u32)],
    n: u32,
    duplex: bool,
) -> Result<(), ShapeError> {
    for &(from, to) in pairs {
        if let Some(index) = [from, to].into_iter().find(|&i| i >= n) {
            return Err(ShapeError::OutOfRange { from, to, index });
        }
        if from == to {
            return Err(ShapeError::SelfLink { index: from });
        }
        let new = if duplex {
            let forward = links.add(from, to);
            let backward = links.add(to, from);
            forward && backward
        } else {
            links.add(from, to)
        };
        if !new {
            return Err(ShapeError::Duplicate { from, to });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(shape: Shape, n: u32) -> Vec<(u32, u32)> {
        directed_links(&shape, n).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn ring_links_each_member_to_the_next() {
        assert_eq!(links(Shape::Ring, 4), vec![(0, 1), (1, 2), (2, 3), (3, 0)]);
        assert_eq!(links(Shape::Ring, 1), vec![]);
        assert_eq!(links(Shape::Ring, 2), vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn bidirectional_ring_has_two_links_per_member_and_one_pair_for_two() {
        let l = links(Shape::BidirectionalRing, 8);
        assert_eq!(l.len(), 16);
        assert!(l.contains(&(7, 0)) && l.contains(&(0, 7)));
        assert_eq!(links(Shape::BidirectionalRing, 2), vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn mesh_joins_grid_neighbours_without_wrap() {
        let l = links(Shape::Mesh2D(2, 2), 4);
        assert_eq!(l.len(), 8);
        assert!(l.contains(&(0, 1)) && l.contains(&(0, 2)) && l.contains(&(3, 1)));
        assert!(!l.contains(&(0, 3)));
        assert_eq!(links(Shape::Mesh2D(3, 3), 9).len(), 24);
    }

    #[test]
    fn torus_wraps_around_every_dimension() {
        let l = links(Shape::Torus2D(4, 4), 16);
        assert_eq!(l.len(), 64);
        assert!(l.contains(&(3, 0)) && l.contains(&(0, 12)) && l.contains(&(12, 0)));
        // A dimension of 2 wraps onto the mesh link: no duplicates.
        assert_eq!(links(Shape::Torus2D(2, 2), 4).len(), 8);
        assert_eq!(links(Shape::Torus3D(2, 2, 2), 8).len(), 24);
        assert_eq!(links(Shape::Torus3D(3, 3, 3), 27).len(), 27 * 6);
        assert!(links(Shape::Torus3D(3, 3, 3), 27).contains(&(18, 0)));
    }

    #[test]
    fn fully_connected_has_every_ordered_pair() {
        let l = links(Shape::FullyConnected, 4);
        assert_eq!(l.len(), 12);
        assert_eq!(l[0], (0, 1));
        assert_eq!(links(Shape::Switch, 4), vec![]);
    }

    #[test]
    fn explicit_lists_are_checked() {
        assert_eq!(
            links(Shape::Explicit(vec![(0, 1), (1, 0)]), 2),
            vec![(0, 1), (1, 0)]
        );
        assert_eq!(
            links(Shape::ExplicitDuplex(vec![(0, 2)]), 3),
            vec![(0, 2), (2, 0)]
        );
        assert_eq!(
            directed_links(&Shape::Explicit(vec![(0, 5)]), 4),
            Err(ShapeError::OutOfRange {
                from: 0,
                to: 5,
                index: 5
            })
        );
        assert_eq!(
            directed_links(&Shape::Explicit(vec![(0, 1), (0, 1)]), 4),
            Err(ShapeError::Duplicate { from: 0, to: 1 })
        );
        assert_eq!(
            directed_links(&Shape::ExplicitDuplex(vec![(0, 1), (1, 0)]), 4),
            Err(ShapeError::Duplicate { from: 1, to: 0 })
        );
        assert_eq!(
            directed_links(&Shape::Explicit(vec![(2, 2)]), 4),
            Err(ShapeError::SelfLink { index: 2 })
        );
        assert_eq!(
            directed_links(&Shape::Mesh2D(3, 3), 8),
            Err(ShapeError::DoesNotFit { needs: 9 })
        );
    }
}
