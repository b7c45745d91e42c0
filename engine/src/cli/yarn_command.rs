//! `weir yarn list | status | kill | nodes`: operations on the YARN cluster, over the
//! ResourceManager's client protocol (Hadoop IPC, SIMPLE auth as the Hadoop user).
//!
//! ```text
//! weir yarn list [--all]          Weir's applications that are running or waiting (--all: every
//!                                 application, in every state)
//! weir yarn status <app-id>       one application's report
//! weir yarn kill <app-id>         kills an application (and waits until YARN says KILLED)
//! weir yarn nodes                 the NodeManagers, their state and resources
//! ```

use std::io::Write;

use anyhow::Context;
use weir::config::options::YARN_APPLICATION_TYPE;
use weir::config::{ConfigOverrides, Configuration};
use weir_yarn::client::{ApplicationFilter, ApplicationReport, YarnApplicationState};
use weir_yarn::ids::ApplicationId;

use crate::cli::ConfigArgs;
use crate::cli::yarn_settings::{YarnSettings, runtime};

#[derive(Debug, clap::Subcommand)]
pub enum YarnCommand {
    /// Lists Weir's applications that are submitted, accepted or running.
    List {
        /// Every application of every type and state.
        #[arg(long)]
        all: bool,

        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Prints one application's report.
    Status {
        application_id: String,

        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Kills an application.
    Kill {
        application_id: String,

        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Lists the cluster's NodeManagers.
    Nodes {
        #[command(flatten)]
        config: ConfigArgs,
    },
}

impl YarnCommand {
    /// The `-D` / `--conf` options given after the subcommand.
    pub fn config_args(&self) -> &ConfigArgs {
        match self {
            YarnCommand::List { config, .. }
            | YarnCommand::Status { config, .. }
            | YarnCommand::Kill { config, .. }
            | YarnCommand::Nodes { config } => config,
        }
    }
}

pub fn run(
    command: YarnCommand,
    overrides: &ConfigOverrides,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let config = Configuration::load(overrides)?;
    let settings = YarnSettings::from_config(&config)?;
    let client = settings.client();
    runtime()?.block_on(async {
        match command {
            YarnCommand::List { all, .. } => {
                let filter = if all {
                    ApplicationFilter::default()
                } else {
                    ApplicationFilter {
                        application_types: vec![config.get(&YARN_APPLICATION_TYPE)],
                        states: vec![
                            YarnApplicationState::New,
                            YarnApplicationState::NewSaving,
                            YarnApplicationState::Submitted,
                            YarnApplicationState::Accepted,
                            YarnApplicationState::Running,
                        ],
                        ..ApplicationFilter::default()
                    }
                };
                let mut reports = client.applications(&filter).await?;
                reports.sort_by_key(|report| report.application_id);
                writeln!(
                    out,
                    "{:<32} {:<36} {:<10} {:<10} {:<10} {:<10} {:>8}  TRACKING URL",
                    "APPLICATION", "NAME", "TYPE", "USER", "QUEUE", "STATE", "PROGRESS"
                )?;
                for report in &reports {
                    writeln!(
                        out,
                        "{:<32} {:<36} {:<10} {:<10} {:<10} {:<10} {:>7.0}%  {}",
                        report.application_id.to_string(),
                        report.name,
                        report.application_type,
                        report.user,
                        report.queue,
                        report.state.name(),
                        report.progress * 100.0,
                        report.tracking_url.as_deref().unwrap_or("N/A")
                    )?;
                }
                writeln!(out, "{} application(s)", reports.len())?;
            }
            YarnCommand::Status { application_id, .. } => {
                let id = parse_application_id(&application_id)?;
                let report = client.application_report(id).await?;
                write_report(out, &report)?;
            }
            YarnCommand::Kill { application_id, .. } => {
                let id = parse_application_id(&application_id)?;
                let report = client.application_report(id).await?;
                if report.state.is_terminal() {
                    writeln!(
                        out,
                        "{id} has already ended ({}); nothing to kill",
                        report.state.name()
                    )?;
                    return Ok(());
                }
                client
                    .kill_application(
                        id,
                        &format!("Killed by {} with weir yarn kill", settings.user),
                    )
                    .await?;
                writeln!(out, "Killed {id}")?;
            }
            YarnCommand::Nodes { .. } => {
                let nodes = client.cluster_nodes(&[]).await?;
                writeln!(
                    out,
                    "{:<24} {:<12} {:>10} {:>10} {:>6} {:>6} {:>10}  HTTP ADDRESS",
                    "NODE", "STATE", "USED MB", "TOTAL MB", "VCORES", "USED", "CONTAINERS"
                )?;
                for node in &nodes {
                    writeln!(
                        out,
                        "{:<24} {:<12} {:>10} {:>10} {:>6} {:>6} {:>10}  {}",
                        node.node_address,
                        node.state.map_or("UNKNOWN", |state| state.name()),
                        node.used_memory_mb,
                        node.capability_memory_mb,
                        node.capability_vcores,
                        node.used_vcores,
                        node.num_containers,
                        node.http_address
                    )?;
                }
                writeln!(out, "{} node(s)", nodes.len())?;
            }
        }
        Ok(())
    })
}

fn parse_application_id(text: &str) -> anyhow::Result<ApplicationId> {
    text.parse::<ApplicationId>().with_context(|| {
        format!("'{text}' is not an application id (application_<cluster timestamp>_<number>)")
    })
}

/// An application's report, one field per line.
pub fn write_report(out: &mut impl Write, report: &ApplicationReport) -> std::io::Result<()> {
    writeln!(out, "Application:      {}", report.application_id)?;
    writeln!(out, "Name:             {}", report.name)?;
    writeln!(out, "Type:             {}", report.application_type)?;
    writeln!(out, "User:             {}", report.user)?;
    writeln!(out, "Queue:            {}", report.queue)?;
    writeln!(out, "State:            {}", report.state.name())?;
    writeln!(out, "Final status:     {}", report.final_status.name())?;
    writeln!(out, "Progress:         {:.0}%", report.progress * 100.0)?;
    writeln!(
        out,
        "Tracking URL:     {}",
        report.tracking_url.as_deref().unwrap_or("N/A")
    )?;
    writeln!(
        out,
        "AM host:          {}",
        report.host.as_deref().unwrap_or("N/A")
    )?;
    writeln!(out, "Diagnostics:      {}", report.diagnostics)?;
    Ok(())
}
