//! The Chakra execution-trace messages, written by hand from `schema/protobuf/et_def.proto`
//! of mlcommons/chakra (package `ChakraProtoMsg`) with `prost`'s derive macros, so no
//! `protoc` runs at build time. Field numbers and types are the schema's; the `storage`
//! field of `Node` (storage nodes only) and the `Tensor` and storage messages are not
//! written out: a decoder skips fields it does not know, and storage nodes are reported as
//! nodes kernbench does not run.

/// The first message of a trace file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GlobalMetadata {
    /// The schema version the trace was written with (`0.0.4`).
    #[prost(string, tag = "1")]
    pub version: String,
    /// Attributes of the whole trace.
    #[prost(message, repeated, tag = "2")]
    pub attr: Vec<AttributeProto>,
}

/// One node of a rank's graph.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Node {
    /// Unique in its file; dependencies name it.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// A name for people.
    #[prost(string, tag = "2")]
    pub name: String,
    /// A [`NodeType`] as its number (unknown numbers decode too).
    #[prost(enumeration = "NodeType", tag = "3")]
    pub r#type: i32,
    /// Nodes that must finish first, for ordering only.
    #[prost(uint64, repeated, tag = "4")]
    pub ctrl_deps: Vec<u64>,
    /// Nodes whose outputs it reads.
    #[prost(uint64, repeated, tag = "5")]
    pub data_deps: Vec<u64>,
    /// When it started in the traced run.
    #[prost(uint64, tag = "6")]
    pub start_time_micros: u64,
    /// How long it took in the traced run, in microseconds.
    #[prost(uint64, tag = "7")]
    pub duration_micros: u64,
    /// Its inputs as the tracer printed them.
    #[prost(message, optional, tag = "8")]
    pub inputs: Option<IoInfo>,
    /// Its outputs as the tracer printed them.
    #[prost(message, optional, tag = "9")]
    pub outputs: Option<IoInfo>,
    /// Named attributes (`comm_type`, `comm_size`, `num_ops`, ...).
    #[prost(message, repeated, tag = "10")]
    pub attr: Vec<AttributeProto>,
}

/// A node's inputs or outputs, as text.
#[derive(Clone, PartialEq, prost::Message)]
pub struct IoInfo {
    /// Values.
    #[prost(string, tag = "1")]
    pub values: String,
    /// Shapes.
    #[prost(string, tag = "2")]
    pub shapes: String,
    /// Element types.
    #[prost(string, tag = "3")]
    pub types: String,
}

/// The kind of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum NodeType {
    /// Not a node.
    InvalidNode = 0,
    /// Metadata.
    MetadataNode = 1,
    /// A load from memory.
    MemLoadNode = 2,
    /// A store to memory.
    MemStoreNode = 3,
    /// Compute.
    CompNode = 4,
    /// A point-to-point send.
    CommSendNode = 5,
    /// A point-to-point receive.
    CommRecvNode = 6,
    /// A collective.
    CommCollNode = 7,
    /// Storage I/O.
    StorageNode = 8,
    /// A batch boundary.
    BatchNode = 9,
    /// A checkpoint.
    CheckpointNode = 10,
}

impl NodeType {
    /// The schema's name of the type (`COMP_NODE`).
    pub fn as_str_name(self) -> &'static str {
        match self {
            NodeType::InvalidNode => "INVALID_NODE",
            NodeType::MetadataNode => "METADATA_NODE",
            NodeType::MemLoadNode => "MEM_LOAD_NODE",
            NodeType::MemStoreNode => "MEM_STORE_NODE",
            NodeType::CompNode => "COMP_NODE",
            NodeType::CommSendNode => "COMM_SEND_NODE",
            NodeType::CommRecvNode => "COMM_RECV_NODE",
            NodeType::CommCollNode => "COMM_COLL_NODE",
            NodeType::StorageNode => "STORAGE_NODE",
            NodeType::BatchNode => "BATCH_NODE",
            NodeType::CheckpointNode => "CHECKPOINT_NODE",
        }
    }

    /// The schema's name of a node type number, `NODE_TYPE_<n>` for numbers it does not have.
    pub fn name_of(number: i32) -> String {
        match NodeType::try_from(number) {
            Ok(t) => t.as_str_name().to_string(),
            Err(_) => format!("NODE_TYPE_{number}"),
        }
    }
}

/// The collective of a `COMM_COLL_NODE` (its `comm_type` attribute).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum CollectiveCommType {
    /// All-reduce.
    AllReduce = 0,
    /// Reduce.
    Reduce = 1,
    /// All-gather.
    AllGather = 2,
    /// Gather.
    Gather = 3,
    /// Scatter.
    Scatter = 4,
    /// Broadcast.
    Broadcast = 5,
    /// All-to-all.
    AllToAll = 6,
    /// Reduce-scatter.
    ReduceScatter = 7,
    /// Reduce-scatter into equal blocks.
    ReduceScatterBlock = 8,
    /// Barrier.
    Barrier = 9,
}

impl CollectiveCommType {
    /// The schema's name of the type (`ALL_REDUCE`).
    pub fn as_str_name(self) -> &'static str {
        match self {
            CollectiveCommType::AllReduce => "ALL_REDUCE",
            CollectiveCommType::Reduce => "REDUCE",
            CollectiveCommType::AllGather => "ALL_GATHER",
            CollectiveCommType::Gather => "GATHER",
            CollectiveCommType::Scatter => "SCATTER",
            CollectiveCommType::Broadcast => "BROADCAST",
            CollectiveCommType::AllToAll => "ALL_TO_ALL",
            CollectiveCommType::ReduceScatter => "REDUCE_SCATTER",
            CollectiveCommType::ReduceScatterBlock => "REDUCE_SCATTER_BLOCK",
            CollectiveCommType::Barrier => "BARRIER",
        }
    }
}

/// A named attribute of a node or of the trace.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttributeProto {
    /// Its name (`comm_size`).
    #[prost(string, tag = "1")]
    pub name: String,
    /// A description.
    #[prost(string, tag = "2")]
    pub doc_string: String,
    /// Its value.
    #[prost(
        oneof = "attribute_proto::Value",
        tags = "3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32"
    )]
    pub value: Option<attribute_proto::Value>,
}

impl AttributeProto {
    /// An attribute holding one `int64` (as Chakra's converters and ASTRA-sim's generators
    /// write `comm_type`, `comm_size`, `num_ops`, ...).
    pub fn int64(name: &str, value: i64) -> AttributeProto {
        AttributeProto {
            name: name.to_string(),
            doc_string: String::new(),
            value: Some(attribute_proto::Value::Int64Val(value)),
        }
    }

    /// An attribute holding one `bool`.
    pub fn bool(name: &str, value: bool) -> AttributeProto {
        AttributeProto {
            name: name.to_string(),
            doc_string: String::new(),
            value: Some(attribute_proto::Value::BoolVal(value)),
        }
    }

    /// An attribute holding one string.
    pub fn string(name: &str, value: &str) -> AttributeProto {
        AttributeProto {
            name: name.to_string(),
            doc_string: String::new(),
            value: Some(attribute_proto::Value::StringVal(value.to_string())),
        }
    }

    /// Its value as a whole number, whatever integer type it was written as; `None` for a
    /// value of another type (a string, a list, a float).
    pub fn integer(&self) -> Option<i128> {
        use attribute_proto::Value as V;
        Some(match self.value.as_ref()? {
            V::Int32Val(v) | V::Sint32Val(v) | V::Sfixed32Val(v) => i128::from(*v),
            V::Int64Val(v) | V::Sint64Val(v) | V::Sfixed64Val(v) => i128::from(*v),
            V::Uint32Val(v) | V::Fixed32Val(v) => i128::from(*v),
            V::Uint64Val(v) | V::Fixed64Val(v) => i128::from(*v),
            _ => return None,
        })
    }

    /// Its value as text, if it is a string.
    pub fn text(&self) -> Option<&str> {
        match self.value.as_ref()? {
            attribute_proto::Value::StringVal(s) => Some(s),
            _ => None,
        }
    }
}

/// The value of an [`AttributeProto`].
pub mod attribute_proto {
    use super::*;

    /// One of the schema's value types.
    #[derive(Clone, PartialEq, prost::Oneof)]
    #[allow(missing_docs)]
    pub enum Value {
        #[prost(double, tag = "3")]
        DoubleVal(f64),
        #[prost(message, tag = "4")]
        DoubleList(DoubleList),
        #[prost(float, tag = "5")]
        FloatVal(f32),
        #[prost(message, tag = "6")]
        FloatList(FloatList),
        #[prost(int32, tag = "7")]
        Int32Val(i32),
        #[prost(message, tag = "8")]
        Int32List(Int32List),
        #[prost(int64, tag = "9")]
        Int64Val(i64),
        #[prost(message, tag = "10")]
        Int64List(Int64List),
        #[prost(uint32, tag = "11")]
        Uint32Val(u32),
        #[prost(message, tag = "12")]
        Uint32List(Uint32List),
        #[prost(uint64, tag = "13")]
        Uint64Val(u64),
        #[prost(message, tag = "14")]
        Uint64List(Uint64List),
        #[prost(sint32, tag = "15")]
        Sint32Val(i32),
        #[prost(message, tag = "16")]
        Sint32List(Sint32List),
        #[prost(sint64, tag = "17")]
        Sint64Val(i64),
        #[prost(message, tag = "18")]
        Sint64List(Sint64List),
        #[prost(fixed32, tag = "19")]
        Fixed32Val(u32),
        #[prost(message, tag = "20")]
        Fixed32List(Fixed32List),
        #[prost(fixed64, tag = "21")]
        Fixed64Val(u64),
        #[prost(message, tag = "22")]
        Fixed64List(Fixed64List),
        #[prost(sfixed32, tag = "23")]
        Sfixed32Val(i32),
        #[prost(message, tag = "24")]
        Sfixed32List(Sfixed32List),
        #[prost(sfixed64, tag = "25")]
        Sfixed64Val(i64),
        #[prost(message, tag = "26")]
        Sfixed64List(Sfixed64List),
        #[prost(bool, tag = "27")]
        BoolVal(bool),
        #[prost(message, tag = "28")]
        BoolList(BoolList),
        #[prost(string, tag = "29")]
        StringVal(String),
        #[prost(message, tag = "30")]
        StringList(StringList),
        #[prost(bytes = "vec", tag = "31")]
        BytesVal(Vec<u8>),
        #[prost(message, tag = "32")]
        BytesList(BytesList),
    }
}

/// The schema's `*List` messages: one repeated field `values = 1`.
macro_rules! list {
    ($(#[$doc:meta] $name:ident: $kind:ident, $ty:ty;)*) => {$(
        #[$doc]
        #[derive(Clone, PartialEq, prost::Message)]
        pub struct $name {
            /// The values.
            #[prost($kind, repeated, tag = "1")]
            pub values: Vec<$ty>,
        }
    )*};
}

list! {
    /// `repeated double`.
    DoubleList: double, f64;
    /// `repeated float`.
    FloatList: float, f32;
    /// `repeated int32`.
    Int32List: int32, i32;
    /// `repeated int64`.
    Int64List: int64, i64;
    /// `repeated uint32`.
    Uint32List: uint32, u32;
    /// `repeated uint64`.
    Uint64List: uint64, u64;
    /// `repeated sint32`.
    Sint32List: sint32, i32;
    /// `repeated sint64`.
    Sint64List: sint64, i64;
    /// `repeated fixed32`.
    Fixed32List: fixed32, u32;
    /// `repeated fixed64`.
    Fixed64List: fixed64, u64;
    /// `repeated sfixed32`.
    Sfixed32List: sfixed32, i32;
    /// `repeated sfixed64`.
    Sfixed64List: sfixed64, i64;
    /// `repeated bool`.
    BoolList: bool, bool;
    /// `repeated string`.
    StringList: string, String;
}

/// `repeated bytes`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BytesList {
    /// The values.
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub values: Vec<Vec<u8>>,
}
