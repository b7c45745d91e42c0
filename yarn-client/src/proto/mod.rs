//! (being written)

/// `hadoop.common`: IPC headers, SASL, connection context, tokens and credentials.
pub mod hadoop_common;
