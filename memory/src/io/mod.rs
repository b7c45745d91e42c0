//! Spill I/O (being written).
