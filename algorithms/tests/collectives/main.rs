//! Collectives end to end: verified results, timing against first principles, refusals.

mod support;

mod all_to_all;
mod bound;
mod conservation;
mod direct;
mod double_binary_tree;
mod groups;
mod halving_doubling;
mod hierarchical;
mod kernels;
mod matrix;
mod mesh;
mod ring;
mod send_recv;
mod tree;
