//! [`KeyedSnapshotWriter`]: writes the snapshot sections of a keyed backend in one pass over
//! its states and key groups, merging the working-set entries with the spilled ones of the
//! managed backend as they stream out of the spill store.
//!
//! ```text
//!   slots in lookup-key order:  (state 0, group 0) (state 0, group 1) … (state 1, group 0) …
//!                                 slot = state × groups + group
//!
//!   spill store, merged runs ───▶ spilled entries sorted by (state id BE, key group BE, …),
//!                                 so they arrive slot by slot
//!
//!   for each slot:  section start ─ working-set entries of (state, group)
//!                   ─ the spilled entries of the slot ─ end marker
//!                   ──▶ SectionWriter (in memory, or spooled to a file: bounded buffer)
//!                   a slot with no live entry writes no section
//! ```
//!
//! Memory while writing: the section writer's buffer plus the working-set entries of one
//! group serialized at a time; never the whole state.

use crate::checkpoint::{OperatorSnapshot, SectionWriter};
use crate::error::WeirError;
use crate::state::key_group::KeyGroupRange;
use crate::state::managed::store_record::StoreRecord;
use crate::state::state_table::{KeyedTable, SECTION_END_MARKER};

/// The section being written: its slot and live entries so far.
#[derive(Debug, Clone, Copy)]
struct OpenSection {
    slot: usize,
    entries: u64,
}

/// Writes a backend's sections. See the module docs.
pub struct KeyedSnapshotWriter<'a, K> {
    tables: &'a [Box<dyn KeyedTable<K>>],
    section_names: &'a [String],
    key_groups: KeyGroupRange,
    now_ms: i64,
    writer: SectionWriter,
    snapshot: &'a mut OperatorSnapshot,
    /// Slots before this one are written.
    next_slot: usize,
    open: Option<OpenSection>,
}

impl<K> std::fmt::Debug for KeyedSnapshotWriter<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedSnapshotWriter")
            .field("sections", &self.section_names)
            .field("key_groups", &self.key_groups)
            .field("next_slot", &self.next_slot)
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl<'a, K: 'static> KeyedSnapshotWriter<'a, K> {
    /// A writer of the sections of `tables` (named `section_names`) over `key_groups`, keeping
    /// what is live at `now_ms` (TTL), into `snapshot` through `writer`.
    pub fn new(
        tables: &'a [Box<dyn KeyedTable<K>>],
        section_names: &'a [String],
        key_groups: KeyGroupRange,
        now_ms: i64,
        writer: SectionWriter,
        snapshot: &'a mut OperatorSnapshot,
    ) -> KeyedSnapshotWriter<'a, K> {
        KeyedSnapshotWriter {
            tables,
            section_names,
            key_groups,
            now_ms,
            writer,
            snapshot,
            next_slot: 0,
            open: None,
        }
    }

    fn slots(&self) -> usize {
        self.tables.len() * self.key_groups.len()
    }

    /// Adds a spilled entry; entries must come in lookup-key order (as the spill store's
    /// merge gives them).
    pub fn add_spilled(&mut self, record: &StoreRecord<'_>) -> Result<(), WeirError> {
        let group = (record.key_group() - self.key_groups.start) as usize;
        let slot = record.state_id() as usize * self.key_groups.len() + group;
        if self.open.is_none_or(|open| open.slot != slot) {
            self.write_until(slot)?;
            self.open_slot(slot)?;
        }
        let table = &self.tables[record.state_id() as usize];
        let written = table.write_spilled_entry(
            record.key_and_namespace(),
            record.value,
            self.now_ms,
            self.writer.buffer(),
        )?;
        if written {
            self.open.as_mut().expect("opened above").entries += 1;
        }
        self.writer.flush_if_full()
    }

    /// Writes the remaining slots.
    pub fn finish(mut self) -> Result<(), WeirError> {
        let slots = self.slots();
        self.write_until(slots)
    }

    /// Closes the open section and writes every slot before `slot` (working-set entries only).
    fn write_until(&mut self, slot: usize) -> Result<(), WeirError> {
        // A slot written twice would replace its first section: never lose it silently.
        assert!(
            slot >= self.next_slot,
            "spilled entries arrive in lookup-key order (slot {slot} after {})",
            self.next_slot
        );
        self.close_open()?;
        while self.next_slot < slot {
            self.open_slot(self.next_slot)?;
            self.close_open()?;
        }
        Ok(())
    }

    /// Starts the section of `slot` with its working-set entries.
    fn open_slot(&mut self, slot: usize) -> Result<(), WeirError> {
        let groups = self.key_groups.len();
        let table = &self.tables[slot / groups];
        let buffer = self.writer.buffer();
        table.write_section_start(buffer)?;
        let entries = table.write_group_entries(slot % groups, self.now_ms, buffer)?;
        self.writer.flush_if_full()?;
        self.open = Some(OpenSection { slot, entries });
        self.next_slot = slot + 1;
        Ok(())
    }

    /// Ends the open section: kept when it holds a live entry.
    fn close_open(&mut self) -> Result<(), WeirError> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        if open.entries == 0 {
            self.writer.discard_section();
            return Ok(());
        }
        self.writer.buffer().push(SECTION_END_MARKER);
        let section = self.writer.finish_section()?;
        let groups = self.key_groups.len();
        let key_group = self.key_groups.start + (open.slot % groups) as u32;
        self.snapshot.put_keyed_section(
            key_group,
            &self.section_names[open.slot / groups],
            section,
        );
        Ok(())
    }
}
