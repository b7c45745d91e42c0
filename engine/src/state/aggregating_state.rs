//! Aggregating state (Flink's `AggregatingState`): one accumulator per (key, namespace), fed
//! through an [`AggregateFunction`].
//!
//! ```text
//!   add(&in):  none ──▶ create_accumulator(), add      some(acc) ──▶ add(&in, &mut acc)
//!   get():     get_result(&acc)
//! ```
//!
//! This is the hot path of window aggregation: an add of an existing (key, namespace) is one
//! lookup of the key in its group's map, a search of the key's (few) namespaces and the
//! function's `add` in place, with no allocation or serialization. Growth of an accumulator by
//! `add` is not re-measured for the heap budget (it is measured when the accumulator is created
//! or merged).

use std::sync::Arc;

use crate::api::Data;
use crate::error::WeirError;
use crate::state::aggregate_function::AggregateFunction;
use crate::state::state_access::StateAccess;
use crate::state::state_handle::{MergingStateHandle, state_handle};
use crate::state::state_kind::{MergingKind, SingleValueKind, StateKind, TtlValue};
use crate::state::state_table::StateTable;
use crate::state::state_ttl_config::StateTtlConfig;
use crate::state::{StateKey, StateNamespace};
use crate::types::DefaultSerializer;

/// A shared aggregate function.
pub type SharedAggregateFunction<In, Acc, Out> = Arc<dyn AggregateFunction<In, Acc, Out>>;

/// Describes an aggregating state: its name, aggregate function and TTL.
pub struct AggregatingStateDescriptor<In, Acc, Out> {
    name: String,
    function: SharedAggregateFunction<In, Acc, Out>,
    ttl: Option<StateTtlConfig>,
}

impl<In: 'static, Acc: Data, Out: 'static> AggregatingStateDescriptor<In, Acc, Out> {
    pub fn new(
        name: impl Into<String>,
        function: impl AggregateFunction<In, Acc, Out> + 'static,
    ) -> AggregatingStateDescriptor<In, Acc, Out> {
        AggregatingStateDescriptor::from_arc(name, Arc::new(function))
    }

    /// A descriptor with a shared aggregate function.
    pub fn from_arc(
        name: impl Into<String>,
        function: SharedAggregateFunction<In, Acc, Out>,
    ) -> AggregatingStateDescriptor<In, Acc, Out> {
        AggregatingStateDescriptor {
            name: name.into(),
            function,
            ttl: None,
        }
    }

    /// Entries expire `ttl` after their last write (or read, see [`StateTtlConfig`]).
    pub fn enable_time_to_live(
        mut self,
        ttl: StateTtlConfig,
    ) -> AggregatingStateDescriptor<In, Acc, Out> {
        self.ttl = Some(ttl);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn function(&self) -> &SharedAggregateFunction<In, Acc, Out> {
        &self.function
    }

    pub fn ttl_config(&self) -> Option<&StateTtlConfig> {
        self.ttl.as_ref()
    }
}

impl<In, Acc, Out> Clone for AggregatingStateDescriptor<In, Acc, Out> {
    fn clone(&self) -> Self {
        AggregatingStateDescriptor {
            name: self.name.clone(),
            function: Arc::clone(&self.function),
            ttl: self.ttl,
        }
    }
}

impl<In, Acc, Out> std::fmt::Debug for AggregatingStateDescriptor<In, Acc, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregatingStateDescriptor")
            .field("name", &self.name)
            .field("accumulator", &std::any::type_name::<Acc>())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

state_handle! {
    /// A registered aggregating state: namespace `N`, input `In`, accumulator `Acc`, result
    /// `Out`.
    AggregatingStateHandle<N, In, Acc, Out> => AggregatingKind<In, Acc, Out>,
        where In: 'static, Acc: Data, Out: 'static,
}

impl<N: StateNamespace, In: 'static, Acc: Data, Out: 'static> MergingStateHandle
    for AggregatingStateHandle<N, In, Acc, Out>
{
}

/// How aggregating state stores its entries (accumulators).
pub struct AggregatingKind<In, Acc: Data, Out> {
    serializer: Acc::Serializer,
    function: SharedAggregateFunction<In, Acc, Out>,
}

impl<In: 'static, Acc: Data, Out: 'static> AggregatingKind<In, Acc, Out> {
    pub(crate) fn new(
        function: SharedAggregateFunction<In, Acc, Out>,
    ) -> AggregatingKind<In, Acc, Out> {
        AggregatingKind {
            serializer: Acc::serializer(),
            function,
        }
    }

    pub fn function(&self) -> &SharedAggregateFunction<In, Acc, Out> {
        &self.function
    }
}

impl<In: 'static, Acc: Data, Out: 'static> std::fmt::Debug for AggregatingKind<In, Acc, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.kind_description())
    }
}

impl<In: 'static, Acc: Data, Out: 'static> SingleValueKind for AggregatingKind<In, Acc, Out> {
    type Value = Acc;
    type Serializer = <Acc as DefaultSerializer>::Serializer;

    fn serializer(&self) -> &Self::Serializer {
        &self.serializer
    }

    fn kind_description(&self) -> String {
        format!("aggregating accumulator={}", std::any::type_name::<Acc>())
    }
}

impl<In: 'static, Acc: Data, Out: 'static> MergingKind for AggregatingKind<In, Acc, Out> {
    fn merge_entries(
        &self,
        into: TtlValue<Acc>,
        from: TtlValue<Acc>,
        now_ms: i64,
    ) -> TtlValue<Acc> {
        TtlValue::new(self.function.merge(into.value, from.value), now_ms)
    }
}

impl<K, N, In, Acc, Out> StateTable<K, N, AggregatingKind<In, Acc, Out>>
where
    K: StateKey,
    N: StateNamespace,
    In: 'static,
    Acc: Data,
    Out: 'static,
{
    /// Adds `value` to the accumulator of (current key, `namespace`), creating it if needed.
    #[inline]
    pub fn aggregating_add(
        &mut self,
        access: StateAccess<'_, K>,
        namespace: &N,
        value: &In,
    ) -> Result<(), WeirError> {
        let Some(ttl) = self.ttl else {
            // Hot path: no TTL, the accumulator exists.
            if let Some(slot) = self.groups[access.group]
                .get_mut(access.key)
                .and_then(|key_entry| key_entry.namespaces.get_mut(namespace))
            {
                self.kind.function.add(value, &mut slot.entry.value);
                return Ok(());
            }
            let mut accumulator = self.kind.function.create_accumulator();
            self.kind.function.add(value, &mut accumulator);
            return self.insert(
                access.group,
                access.key,
                namespace,
                TtlValue::new(accumulator, 0),
                access.budget,
            );
        };
        let now_ms = access.now_ms();
        if let Some(slot) = self.groups[access.group]
            .get_mut(access.key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace))
        {
            if !ttl.is_expired(slot.entry.timestamp_ms, now_ms) {
                self.kind.function.add(value, &mut slot.entry.value);
                slot.entry.timestamp_ms = now_ms;
                return Ok(());
            }
            // Expired: start again from a new accumulator.
            let mut accumulator = self.kind.function.create_accumulator();
            self.kind.function.add(value, &mut accumulator);
            let entry = TtlValue::new(accumulator, now_ms);
            let payload_bytes = self.kind.payload_heap_bytes(&entry)?;
            access
                .budget
                .resize(&self.name, slot.payload_bytes, payload_bytes)?;
            slot.entry = entry;
            slot.payload_bytes = payload_bytes;
            return Ok(());
        }
        let mut accumulator = self.kind.function.create_accumulator();
        self.kind.function.add(value, &mut accumulator);
        self.insert(
            access.group,
            access.key,
            namespace,
            TtlValue::new(accumulator, now_ms),
            access.budget,
        )
    }
}
