//! Launching an attempt's AM container (YARN's `AMLauncher`): the RM finalizes the submitted
//! launch context and starts it on the chosen NodeManager through the same `startContainers`
//! path an AM uses (token checks included), in process instead of over RPC.
//!
//! ```text
//!   ASC.am_container_spec ──► + env APPLICATION_WEB_PROXY_BASE=/proxy/<appId>
//!                               + env APP_SUBMIT_TIME_ENV=<submit ms>
//!                               + tokens: the submitted Credentials blob (if any)
//!                                         + the AMRMToken under alias "" (service "")
//!                               ──► NodeManager::start_container_for_rm(container token)
//! ```

use std::sync::Arc;

use crate::ids::ApplicationAttemptId;
use crate::mini_cluster::nm_token_secret_manager::NmTokenIdentity;
use crate::mini_cluster::node_manager::NodeManager;
use crate::mini_cluster::resource_manager::ResourceManager;
use crate::mini_cluster::rm_app::RmApp;
use crate::mini_cluster::yarn_exception::{IO_EXCEPTION, YarnException};
use crate::proto::nm_protocol::StartContainerRequestProto;
use crate::proto::yarn_records::{ContainerLaunchContextProto, StringStringMapProto};
use crate::token::Credentials;

/// `ApplicationConstants.APPLICATION_WEB_PROXY_BASE_ENV`.
pub const APPLICATION_WEB_PROXY_BASE_ENV: &str = "APPLICATION_WEB_PROXY_BASE";
/// `ApplicationConstants.APP_SUBMIT_TIME_ENV`.
pub const APP_SUBMIT_TIME_ENV: &str = "APP_SUBMIT_TIME_ENV";

impl ResourceManager {
    /// Starts the AM container of `attempt_id` (already placed and recorded in `app`).
    pub(super) fn launch_am_container(
        &self,
        app: &RmApp,
        attempt_id: &ApplicationAttemptId,
        node: &Arc<NodeManager>,
    ) -> Result<(), YarnException> {
        let attempt = app
            .attempts
            .get(&attempt_id.attempt_id)
            .ok_or_else(|| YarnException::remote(format!("unknown attempt {attempt_id}")))?;
        let (container_id, _) = attempt.master_container.ok_or_else(|| {
            YarnException::remote(format!("attempt {attempt_id} has no AM container"))
        })?;
        let container = app
            .containers
            .get(&container_id)
            .ok_or_else(|| YarnException::remote(format!("unknown AM container {container_id}")))?;
        let launch_context = am_launch_context(app, &attempt.am_rm_token)?;
        let identity = NmTokenIdentity {
            attempt: *attempt_id,
            node: node.address(),
            app_submitter: app.user.clone(),
            key_id: -1,
        };
        node.start_container_for_rm(
            &identity,
            StartContainerRequestProto {
                container_launch_context: Some(launch_context),
                container_token: Some(container.container_token.to_proto()),
            },
        )
    }
}

/// The submitted launch context with the RM's additions.
pub fn am_launch_context(
    app: &RmApp,
    amrm_token: &crate::token::Token,
) -> Result<ContainerLaunchContextProto, YarnException> {
    let mut context = app.am_container_spec.clone();
    set_env(
        &mut context,
        APPLICATION_WEB_PROXY_BASE_ENV,
        &format!("/proxy/{}", app.id),
    );
    set_env(
        &mut context,
        APP_SUBMIT_TIME_ENV,
        &app.submit_time_ms.to_string(),
    );
    let mut credentials = match context.tokens.as_deref() {
        Some(bytes) if !bytes.is_empty() => Credentials::from_bytes(bytes).map_err(|e| {
            YarnException::new(
                IO_EXCEPTION,
                format!("cannot read the tokens of the AM container launch context: {e}"),
            )
        })?,
        _ => Credentials::new(),
    };
    // AMLauncher: credentials.addToken(amrmToken.getService() /* empty */, amrmToken).
    credentials.add_token(amrm_token.service.clone(), amrm_token.clone());
    context.tokens = Some(credentials.to_bytes());
    Ok(context)
}

/// Sets an environment entry, replacing an entry with the same key.
fn set_env(context: &mut ContainerLaunchContextProto, key: &str, value: &str) {
    context
        .environment
        .retain(|entry| entry.key.as_deref() != Some(key));
    context.environment.push(StringStringMapProto {
        key: Some(key.to_string()),
        value: Some(value.to_string()),
    });
}
