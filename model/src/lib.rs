//! The hardware model.
