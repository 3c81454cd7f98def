//! The one error type of the model crate, [`ModelError`].
//!
//! Every variant carries what a person needs to fix the input: the file (`origin`), the place
//! (line and column, or the field path such as `sips.links.shape`), the value and the limit.
//! Display is one sentence that ends with the fix.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// What kind of quantity a unit string was meant to be; it decides the accepted units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityKind {
    /// A size in bytes (`"64KiB"`).
    Size,
    /// A bandwidth in bytes per second (`"100GB/s"`).
    Bandwidth,
    /// A latency or duration (`"500ns"`).
    Time,
}

impl fmt::Display for QuantityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuantityKind::Size => "size",
            QuantityKind::Bandwidth => "bandwidth",
            QuantityKind::Time => "time",
        })
    }
}

impl QuantityKind {
    fn example(self) -> &'static str {
        match self {
            QuantityKind::Size => "64KiB",
            QuantityKind::Bandwidth => "100GB/s",
            QuantityKind::Time => "500ns",
        }
    }
}

/// An error in a topology file, a unit string, a coordinate, or a query on a topology.
///
/// `origin` is the file name (or whatever name the caller gave to the text).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The file could not be read.
    #[error("cannot read {}: {source}; check that the file exists and is readable", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },

    /// The file is larger than [`crate::limits::MAX_INPUT_FILE`].
    #[error(
        "{} is larger than {limit}, the limit for an input file (a topology, sweep or scenario file is a few KiB); check the path",
        path.display()
    )]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: crate::units::Bytes,
    },

    /// The RON text is malformed, has an unknown or missing field, or a value of the wrong type
    /// (unit strings are checked here too, so a bad unit also has a line and column).
    #[error(
        "{origin}:{line}:{column}: {message}; fix the file at that place (topologies/default.ron is a complete example)"
    )]
    Syntax {
        /// The file.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the RON parser (or a unit parser) said.
        message: String,
    },

    /// A string is not a valid size, bandwidth or time.
    #[error("\"{text}\" is not a valid {kind}: {problem}; write a number followed by one of {units} (for example \"{example}\")", units = kind.accepted_units(), example = kind.example())]
    BadQuantity {
        /// The string as written.
        text: String,
        /// What it was meant to be.
        kind: QuantityKind,
        /// What is wrong with it.
        problem: String,
    },

    /// A bandwidth, capacity, packet size or count is zero.
    #[error("{origin}: {field} is {value}; it must be greater than zero")]
    Zero {
        /// The file.
        origin: String,
        /// The field path, such as `sips.links.bandwidth`.
        field: String,
        /// The value as printed.
        value: String,
    },

    /// A value is above one of the documented limits (see [`crate::limits`]).
    #[error("{origin}: {field} is {value}, above the limit of {limit}; use a smaller value")]
    TooLarge {
        /// The file.
        origin: String,
        /// The field path (or a description of the total that is too large).
        field: String,
        /// The value as printed.
        value: String,
        /// The limit as printed.
        limit: String,
    },

    /// A shape cannot be laid out over the number of members at its level.
    #[error(
        "{origin}: {field}: {shape} needs {needs} {members} but {count_field} is {count}; change the shape or {count_field}"
    )]
    ShapeDoesNotFit {
        /// The file.
        origin: String,
        /// The field path of the shape, such as `sips.links.shape`.
        field: String,
        /// The shape as written, such as `Mesh2D(3, 3)`.
        shape: String,
        /// How many members the shape needs.
        needs: u64,
        /// What the members are: `PEs`, `SIPs` or `cubes`.
        members: &'static str,
        /// The field holding the count, such as `sips.per_cube`.
        count_field: &'static str,
        /// The count given.
        count: u32,
    },

    /// An explicit link names an index that does not exist at its level.
    #[error("{origin}: {field}: link ({from}, {to}) names {member} {index}, but {count_field} is {count} so the indices are 0 to {last}; fix the index", last = count.saturating_sub(1))]
    LinkOutOfRange {
        /// The file.
        origin: String,
        /// The field path of the shape.
        field: String,
        /// The link's source index.
        from: u32,
        /// The link's destination index.
        to: u32,
        /// The index that does not exist.
        index: u32,
        /// What the members are: `PE`, `SIP` or `cube`.
        member: &'static str,
        /// The field holding the count.
        count_field: &'static str,
        /// The count given.
        count: u32,
    },

    /// An explicit link is listed twice.
    #[error(
        "{origin}: {field}: link ({from}, {to}) is listed twice; remove one (each pair is one directed link; ExplicitDuplex pairs are two)"
    )]
    DuplicateLink {
        /// The file.
        origin: String,
        /// The field path of the shape.
        field: String,
        /// The link's source index.
        from: u32,
        /// The link's destination index.
        to: u32,
    },

    /// An explicit link joins a member to itself.
    #[error("{origin}: {field}: link ({index}, {index}) joins {index} to itself; remove it")]
    SelfLink {
        /// The file.
        origin: String,
        /// The field path of the shape.
        field: String,
        /// The index.
        index: u32,
    },

    /// A level with more than one member has no links.
    #[error(
        "{origin}: {field} is missing but {count_field} is {count}; add {field}: (shape: Ring, bandwidth: \"50GB/s\", latency: \"1us\") or similar"
    )]
    MissingLinks {
        /// The file.
        origin: String,
        /// The missing field path.
        field: &'static str,
        /// The field holding the count.
        count_field: &'static str,
        /// The count given.
        count: u32,
    },

    /// Some node cannot reach some other node.
    #[error(
        "{origin}: the topology is not connected: there is no path from {from} to {to}; add links so that every node can reach every other (directed links count one way only)"
    )]
    Disconnected {
        /// The file.
        origin: String,
        /// A node from which `to` cannot be reached.
        from: String,
        /// A node that `from` cannot reach.
        to: String,
    },

    /// A `--topology` value or sweep entry starts like a generated form (`ring:`, `mesh:`,
    /// `torus:`, `cubes:`) but is not one.
    #[error(
        "\"{text}\" is not a generated topology: {problem}; write ring:N, mesh:RxC, torus:RxC or cubes:CxS (for example ring:1024, torus:32x32, cubes:64x16), or the path of a RON file"
    )]
    BadGeneratedTopology {
        /// The text as written.
        text: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A string is not a node coordinate.
    #[error(
        "\"{text}\" is not a node coordinate; write one of c0.s1.p3, c0.s1.p3.tcm, c0.s1.hub, c0.s1.sram, c0.s1.hbm, c0.sw (a cube's SIP switch) or rail3.sw (a cube-level switch)"
    )]
    BadCoordinate {
        /// The string as written.
        text: String,
    },

    /// A string is not a memory kind.
    #[error("\"{text}\" is not a memory kind; write tcm, sram or hbm")]
    UnknownMemoryKind {
        /// The string as written.
        text: String,
    },

    /// A node index or coordinate does not belong to this topology.
    #[error(
        "node {node} is not in topology \"{topology}\"; use a node of this topology (`kernbench topo` lists the counts)"
    )]
    NoSuchNode {
        /// The node index or coordinate as printed.
        node: String,
        /// The topology's name.
        topology: String,
    },

    /// A buffer does not fit in the memory it was placed in.
    #[error(
        "a buffer of {bytes} does not fit in {memory} of {place} ({capacity} in all, {in_use} in use); use a smaller size or place it in a larger memory (tcm < sram < hbm)"
    )]
    DoesNotFit {
        /// The buffer's size (for a TCM buffer spread over PEs: the whole buffer).
        bytes: String,
        /// `tcm`, `sram` or `hbm`.
        memory: String,
        /// Where: `c0.s1` or `c0.s1.p2`.
        place: String,
        /// The memory's capacity there (for a spread TCM buffer: per PE, times the PEs).
        capacity: String,
        /// Already allocated there.
        in_use: String,
    },

    /// A copy or reduction names bytes outside a buffer, or misaligned data.
    #[error(
        "{what}: range {offset}+{len} bytes is outside a buffer of {size} bytes or not a whole number of f32 elements; keep offset + len within the buffer and both multiples of 4"
    )]
    BadRange {
        /// What was being done.
        what: String,
        /// Offset in bytes.
        offset: u64,
        /// Length in bytes.
        len: u64,
        /// The buffer's size in bytes.
        size: u64,
    },

    /// A receive got a message of another size than its buffer.
    #[error(
        "recv {receiver} <- {sender}: got {got} but the buffer holds {expected}; send and receive buffers of the same size"
    )]
    SizeMismatch {
        /// The receiving PE.
        receiver: String,
        /// The sending PE.
        sender: String,
        /// The message's size.
        got: String,
        /// The buffer's size.
        expected: String,
    },

    /// A kernel named a program id outside its launch.
    #[error(
        "{pe}: program {program} does not exist (the kernel runs {programs} programs, 0..{programs}); use a program id below {programs}"
    )]
    NoSuchProgram {
        /// The PE asking.
        pe: String,
        /// The id it asked for.
        program: u32,
        /// The number of programs.
        programs: u32,
    },

    /// A fault names a link the topology does not have.
    #[error(
        "topology {topology} has no link {from} -> {to}; name two nodes joined by a link (`kernbench topo FILE --dot` lists them)"
    )]
    NoSuchLink {
        /// The link's source node.
        from: String,
        /// The link's target node.
        to: String,
        /// The topology's name.
        topology: String,
    },

    /// A tagged receive got a message with another tag.
    #[error(
        "recv {receiver} <- {sender}: got a message with tag {got} but expected tag {expected}; IPCQs are FIFO, so send in the order the receiver expects"
    )]
    TagMismatch {
        /// The receiving PE.
        receiver: String,
        /// The sending PE.
        sender: String,
        /// The message's tag.
        got: u32,
        /// The tag the receive asked for.
        expected: u32,
    },
}
