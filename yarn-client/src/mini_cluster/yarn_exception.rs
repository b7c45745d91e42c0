//! Java exceptions the mini cluster throws, by class name: what a Java client instantiates from
//! an RPC error (`RpcResponseHeaderProto.exceptionClassName`) or from a per-container
//! `SerializedExceptionProto`. The class names must be exact, because Java clients dispatch on
//! them (`catch (ApplicationNotFoundException e)`, AMRMClient's re-register on
//! `ApplicationMasterNotRegisteredException`, …).

use crate::ipc::server::RemoteException;
use crate::proto::yarn_records::SerializedExceptionProto;

pub const YARN_EXCEPTION: &str = "org.apache.hadoop.yarn.exceptions.YarnException";
pub const APPLICATION_NOT_FOUND: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException";
pub const APPLICATION_ATTEMPT_NOT_FOUND: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException";
pub const INVALID_RESOURCE_REQUEST: &str =
    "org.apache.hadoop.yarn.exceptions.InvalidResourceRequestException";
pub const INVALID_APPLICATION_MASTER_REQUEST: &str =
    "org.apache.hadoop.yarn.exceptions.InvalidApplicationMasterRequestException";
pub const APPLICATION_MASTER_NOT_REGISTERED: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationMasterNotRegisteredException";
pub const INVALID_CONTAINER_RELEASE: &str =
    "org.apache.hadoop.yarn.exceptions.InvalidContainerReleaseException";
pub const CONTAINER_NOT_FOUND: &str =
    "org.apache.hadoop.yarn.exceptions.ContainerNotFoundException";
pub const INVALID_CONTAINER: &str = "org.apache.hadoop.yarn.exceptions.InvalidContainerException";
pub const NM_NOT_YET_READY: &str = "org.apache.hadoop.yarn.exceptions.NMNotYetReadyException";
pub const INVALID_TOKEN: &str = "org.apache.hadoop.security.token.SecretManager$InvalidToken";
pub const ACCESS_CONTROL: &str = "org.apache.hadoop.security.AccessControlException";
pub const IO_EXCEPTION: &str = "java.io.IOException";
pub const NO_SUCH_METHOD: &str = "org.apache.hadoop.ipc.RpcNoSuchMethodException";

/// A Java exception to throw: class name and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YarnException {
    pub class_name: &'static str,
    pub message: String,
}

impl YarnException {
    pub fn new(class_name: &'static str, message: impl Into<String>) -> YarnException {
        YarnException {
            class_name,
            message: message.into(),
        }
    }

    /// `RPCUtil.getRemoteException(message)`: a plain `YarnException`.
    pub fn remote(message: impl Into<String>) -> YarnException {
        YarnException::new(YARN_EXCEPTION, message)
    }

    /// Decodes the request body of `method`, or the exception Hadoop answers for one that does
    /// not decode.
    pub fn decode_request<M: prost::Message + Default>(
        method: &str,
        bytes: &[u8],
    ) -> Result<M, YarnException> {
        M::decode(bytes).map_err(|e| YarnException::undecodable(method, &e))
    }

    /// The error of a request body that does not decode.
    pub fn undecodable(method: &str, error: &prost::DecodeError) -> YarnException {
        YarnException::new(
            IO_EXCEPTION,
            format!("cannot decode the request of {method}: {error}"),
        )
    }

    /// A method the protocol does not have (or the mini cluster does not serve).
    pub fn no_such_method(method: &str, protocol: &str) -> YarnException {
        YarnException::new(
            NO_SUCH_METHOD,
            format!("Unknown method {method} called on {protocol} protocol."),
        )
    }

    /// The form the IPC server sends back as an RPC error.
    pub fn into_remote(self) -> RemoteException {
        RemoteException {
            class_name: self.class_name.to_string(),
            message: self.message,
        }
    }

    /// The per-container form of `failed_requests` (Java's `SerializedException`).
    pub fn to_serialized(&self) -> SerializedExceptionProto {
        SerializedExceptionProto {
            message: Some(self.message.clone()),
            trace: Some(format!(
                "{}: {}\n\tat weir mini cluster (no Java stack)",
                self.class_name, self.message
            )),
            class_name: Some(self.class_name.to_string()),
            cause: None,
        }
    }
}

impl From<YarnException> for RemoteException {
    fn from(e: YarnException) -> RemoteException {
        e.into_remote()
    }
}
