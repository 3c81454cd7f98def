//! The process engine.
mod time;
pub use time::SimTime;
