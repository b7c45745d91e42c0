//! Hadoop and YARN protobuf messages, written by hand with prost's derive macros (no `protoc`,
//! no build.rs). Field numbers, wire types and enum numbers are Hadoop 3.4's
//! (../shared/yarn-protocol.md §1.6, §2, §4.3).
//!
//! | module              | .proto file(s)                                | contents                          |
//! |---------------------|-----------------------------------------------|-----------------------------------|
//! | [`hadoop_common`]   | RpcHeader, IpcConnectionContext, ProtobufRpcEngine2, Security | IPC headers, SASL, tokens |
//! | [`yarn_records`]    | yarn_protos                                   | ids, resources, reports, records  |
//! | [`client_protocol`] | yarn_service_protos (client ↔ RM)             | ApplicationClientProtocol         |
//! | [`am_protocol`]     | yarn_service_protos (AM ↔ RM)                 | ApplicationMasterProtocol         |
//! | [`nm_protocol`]     | yarn_service_protos (AM ↔ NM)                 | ContainerManagementProtocol       |
//! | [`security_tokens`] | yarn_security_token                           | AMRM/NM/container token identifiers |
//!
//! Conventions (all YARN messages are proto2):
//! - Struct and enum names are the .proto names (`URLProto`, `NMTokenProto`, ...); fields are
//!   the .proto names in snake_case (`attemptId` → `attempt_id`, `application_ACLs` →
//!   `application_acls`, `type` → `r#type`). Enum variants are the value names in CamelCase as
//!   prost-build would generate them (`NS_RUNNING` → `NsRunning`, `C_COMPLETE` → `CComplete`).
//! - `optional` scalars are `Option<T>`, encoded only when set (even when equal to the default).
//!   Where the .proto declares a default that Java reports for an absent field (`diagnostics`
//!   "N/A", `exit_status` -1000, `queue` "default", `relax_locality` true, ...), the prost
//!   attribute carries it, so the generated getter (`status.exit_status()`) returns it.
//! - Enum fields are `Option<i32>` with a typed getter/setter (`report.yarn_application_state()`,
//!   `set_yarn_application_state(..)`); an unknown number is kept as the raw `i32` and the
//!   getter returns the enum's default, so a newer server's values never fail a decode.
//! - Repeated enums and integers are encoded unpacked (`packed = "false"`), as Java's proto2
//!   code writes them; prost reads both forms.
//! - `required` fields are plain values and always encoded.
//! - Unknown fields are skipped on decode, so fields added by newer Hadoop releases are
//!   harmless. Rarely used 3.x fields that are not modelled have their tag named in a comment at
//!   their position; those tags must not be reused.

pub mod am_protocol;
pub mod client_protocol;
/// `hadoop.common`: IPC headers, SASL, connection context, tokens and credentials.
pub mod hadoop_common;
pub mod nm_protocol;
pub mod security_tokens;
pub mod yarn_records;

#[cfg(test)]
mod tests;
