//! [`AggregateFunction`]: incremental aggregation through an accumulator (Flink's
//! `AggregateFunction`), used by aggregating state and by window aggregation.
//!
//! ```text
//!   create_accumulator() ──▶ acc ──add(v1)──▶ acc ──add(v2)──▶ acc ──get_result──▶ out
//!                                        merge(acc_a, acc_b) ──▶ acc   (merging windows)
//! ```

/// Aggregates values of type `In` into an accumulator `Acc` and reads a result `Out` from it.
pub trait AggregateFunction<In, Acc, Out>: Send + Sync {
    /// A new, empty accumulator.
    fn create_accumulator(&self) -> Acc;

    /// Adds `value` to `acc`.
    fn add(&self, value: &In, acc: &mut Acc);

    /// The result of the values added to `acc`.
    fn get_result(&self, acc: &Acc) -> Out;

    /// One accumulator holding the values of both (used when namespaces or windows merge).
    fn merge(&self, a: Acc, b: Acc) -> Acc;
}
