//! Closures as the stream graph's operator factories: the DataStream API describes each
//! operator with a closure that builds it for one subtask on that subtask's thread.

use crate::api::functions::RuntimeContext;
use crate::error::WeirError;
use crate::graph::stream_graph::{LinkBox, OperatorNodeFactory, SideOutputs, SourceNodeFactory};
use crate::runtime::stream::chain_link::OperatorSetup;
use crate::runtime::stream::source_driver::SourceDriver;

type CreateOperator =
    dyn Fn(&OperatorSetup, LinkBox, SideOutputs) -> Result<LinkBox, WeirError> + Send + Sync;
type CreateSource =
    dyn Fn(&OperatorSetup, LinkBox) -> Result<Box<dyn SourceDriver>, WeirError> + Send + Sync;

/// A one-input operator built by a closure.
pub(crate) struct OperatorFn {
    create: Box<CreateOperator>,
}

impl OperatorFn {
    pub(crate) fn new(
        create: impl Fn(&OperatorSetup, LinkBox, SideOutputs) -> Result<LinkBox, WeirError>
        + Send
        + Sync
        + 'static,
    ) -> OperatorFn {
        OperatorFn {
            create: Box::new(create),
        }
    }
}

impl OperatorNodeFactory for OperatorFn {
    fn create(
        &self,
        setup: &OperatorSetup,
        output: LinkBox,
        side_outputs: SideOutputs,
    ) -> Result<LinkBox, WeirError> {
        (self.create)(setup, output, side_outputs)
    }
}

/// A source built by a closure.
pub(crate) struct SourceFn {
    create: Box<CreateSource>,
}

impl SourceFn {
    pub(crate) fn new(
        create: impl Fn(&OperatorSetup, LinkBox) -> Result<Box<dyn SourceDriver>, WeirError>
        + Send
        + Sync
        + 'static,
    ) -> SourceFn {
        SourceFn {
            create: Box::new(create),
        }
    }
}

impl SourceNodeFactory for SourceFn {
    fn create(
        &self,
        setup: &OperatorSetup,
        output: LinkBox,
    ) -> Result<Box<dyn SourceDriver>, WeirError> {
        (self.create)(setup, output)
    }
}

/// The runtime context user functions see.
pub(crate) fn runtime_context(setup: &OperatorSetup) -> RuntimeContext {
    RuntimeContext {
        operator_name: setup.name.clone(),
        subtask_index: setup.subtask,
        parallelism: setup.parallelism,
    }
}
