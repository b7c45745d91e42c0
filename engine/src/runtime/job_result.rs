//! [`JobExecutionResult`]: what a finished job reports: its figures as a whole and per operator.

use std::time::Duration;

use weir_memory::ByteSize;

use crate::checkpoint::CheckpointStats;
use crate::operators::metrics::OperatorMetrics;
use crate::runtime::stream::task_report::TaskMetrics;

/// The figures of one operator, summed over its subtasks.
#[derive(Debug, Clone)]
pub struct OperatorSummary {
    pub name: String,
    pub parallelism: usize,
    pub metrics: OperatorMetrics,
}

/// The outcome of a successful job.
#[derive(Debug, Clone)]
pub struct JobExecutionResult {
    pub job_name: String,
    pub wall_time: Duration,
    /// Records the sources read.
    pub records_in: u64,
    /// Records the sinks received.
    pub records_out: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub records_skipped: u64,
    /// Managed memory reserved for the operators at the busiest moment (operators get their
    /// whole share when their task starts).
    pub peak_managed: ByteSize,
    /// Of that, what the operators of one stage held at their peaks, summed.
    pub peak_managed_used: ByteSize,
    pub managed_total: ByteSize,
    /// Spilled by operators and exchanges together.
    pub bytes_spilled: u64,
    pub spill_files: u64,
    /// The part of `bytes_spilled` the blocking exchanges wrote.
    pub exchange_bytes_spilled: u64,
    pub operators: Vec<OperatorSummary>,
    /// Checkpoints, restarts and task times of a streaming job.
    pub streaming: Option<StreamingSummary>,
}

/// How the tasks of one vertex (a chain) spent their time, summed over its subtasks.
#[derive(Debug, Clone)]
pub struct VertexTimes {
    pub name: String,
    pub parallelism: usize,
    pub metrics: TaskMetrics,
}

/// What a streaming job adds to its summary.
#[derive(Debug, Clone, Default)]
pub struct StreamingSummary {
    pub checkpoints: CheckpointStats,
    /// Checkpoints that failed, with why.
    pub checkpoint_problems: Vec<String>,
    pub restarts: u32,
    pub last_failure: Option<String>,
    /// Ctrl-C with --savepoint-dir: where the savepoint went.
    pub stopped_with_savepoint: Option<String>,
    /// Savepoints taken on request (SIGUSR1) while the job went on.
    pub savepoints: Vec<String>,
    pub vertices: Vec<VertexTimes>,
}

impl StreamingSummary {
    fn summary_lines(&self) -> Vec<String> {
        let c = &self.checkpoints;
        let mut lines = vec![format!(
            "checkpoints: {} completed, {} failed; last {} in {} ms (alignment {} ms), longest {} ms; restarts {}",
            c.completed,
            c.failed,
            ByteSize::new(c.last_size_bytes).human(),
            c.last_duration.unwrap_or_default().as_millis(),
            c.last_alignment.unwrap_or_default().as_millis(),
            c.max_duration.as_millis(),
            self.restarts,
        )];
        if let Some(path) = &c.last_completed_path {
            lines.push(format!("latest checkpoint: {}", path.display()));
        }
        for savepoint in &self.savepoints {
            lines.push(format!("savepoint taken: {savepoint}"));
        }
        if let Some(savepoint) = &self.stopped_with_savepoint {
            lines.push(format!("stopped with savepoint {savepoint}"));
        }
        for problem in &self.checkpoint_problems {
            lines.push(format!("checkpoint problem: {problem}"));
        }
        if let Some(failure) = &self.last_failure {
            lines.push(format!("last failure (recovered): {failure}"));
        }
        for vertex in &self.vertices {
            let m = &vertex.metrics;
            let total = (m.busy + m.backpressured + m.idle).as_secs_f64().max(1e-9);
            let lag = m
                .watermark_lag_ms
                .map(|lag| format!(", watermark lag {lag} ms"))
                .unwrap_or_default();
            lines.push(format!(
                "task {} (x{}): busy {:.0}%, backpressured {:.0}%, idle {:.0}%{lag}",
                vertex.name,
                vertex.parallelism,
                100.0 * m.busy.as_secs_f64() / total,
                100.0 * m.backpressured.as_secs_f64() / total,
                100.0 * m.idle.as_secs_f64() / total,
            ));
        }
        lines
    }

    fn to_json(&self) -> String {
        let c = &self.checkpoints;
        let vertices: Vec<String> = self
            .vertices
            .iter()
            .map(|vertex| {
                let m = &vertex.metrics;
                format!(
                    "{{\"name\":{},\"parallelism\":{},\"busy_ms\":{},\"backpressured_ms\":{},\"idle_ms\":{},\"records_in\":{},\"watermark_lag_ms\":{}}}",
                    json_string(&vertex.name),
                    vertex.parallelism,
                    m.busy.as_millis(),
                    m.backpressured.as_millis(),
                    m.idle.as_millis(),
                    m.records_in,
                    m.watermark_lag_ms
                        .map_or("null".to_owned(), |lag| lag.to_string()),
                )
            })
            .collect();
        format!(
            "{{\"checkpoints_completed\":{},\"checkpoints_failed\":{},\"last_checkpoint_bytes\":{},\"last_checkpoint_ms\":{},\"max_checkpoint_ms\":{},\"last_alignment_ms\":{},\"restarts\":{},\"savepoint\":{},\"savepoints\":[{}],\"tasks\":[{}]}}",
            c.completed,
            c.failed,
            c.last_size_bytes,
            c.last_duration.unwrap_or_default().as_millis(),
            c.max_duration.as_millis(),
            c.last_alignment.unwrap_or_default().as_millis(),
            self.restarts,
            self.stopped_with_savepoint
                .as_deref()
                .map_or("null".to_owned(), json_string),
            self.savepoints
                .iter()
                .map(|path| json_string(path))
                .collect::<Vec<_>>()
                .join(","),
            vertices.join(","),
        )
    }
}

impl JobExecutionResult {
    /// The end-of-job summary lines (peak resident memory is the process's and is added by
    /// the caller).
    pub fn summary_lines(&self) -> Vec<String> {
        let totals = match self.streaming {
            // Streaming sources and sinks count records, not bytes.
            Some(_) => format!(
                "{} records read by the sources, {} taken by the sinks",
                self.records_in, self.records_out
            ),
            None => format!(
                "{} records in, {} records out, {} read, {} written",
                self.records_in,
                self.records_out,
                ByteSize::new(self.bytes_read).human(),
                ByteSize::new(self.bytes_written).human(),
            ),
        };
        let mut lines = vec![
            format!(
                "job {} finished in {:.3} s: {totals}",
                self.job_name,
                self.wall_time.as_secs_f64(),
            ),
            format!(
                "managed memory: peak {} reserved of {}, {} in use; spilled {} in {} files ({} by exchanges)",
                self.peak_managed.human(),
                self.managed_total.human(),
                self.peak_managed_used.human(),
                ByteSize::new(self.bytes_spilled).human(),
                self.spill_files,
                ByteSize::new(self.exchange_bytes_spilled).human(),
            ),
        ];
        if self.records_skipped > 0 {
            lines.push(format!(
                "skipped {} bad input records",
                self.records_skipped
            ));
        }
        if let Some(streaming) = &self.streaming {
            lines.extend(streaming.summary_lines());
        }
        lines
    }

    /// The summary and per-operator metrics as one JSON object.
    pub fn to_json(&self, peak_rss: Option<ByteSize>) -> String {
        let operators: Vec<String> = self
            .operators
            .iter()
            .map(|operator| {
                let m = &operator.metrics;
                format!(
                    "{{\"name\":{},\"parallelism\":{},\"records_in\":{},\"records_out\":{},\"pages_reserved\":{},\"peak_pages_used\":{},\"bytes_spilled\":{},\"spill_files\":{},\"merge_passes\":{},\"recursion_depth\":{},\"sort_merge_fallbacks\":{},\"nested_loop_fallbacks\":{},\"bloom_filtered_records\":{}}}",
                    json_string(&operator.name),
                    operator.parallelism,
                    m.records_in,
                    m.records_out,
                    m.pages_reserved,
                    m.peak_pages_used,
                    m.bytes_spilled,
                    m.spill_files,
                    m.merge_passes,
                    m.recursion_depth,
                    m.sort_merge_fallbacks,
                    m.nested_loop_fallbacks,
                    m.bloom_filtered_records,
                )
            })
            .collect();
        format!(
            "{{\"job\":{},\"wall_time_seconds\":{:.6},\"records_in\":{},\"records_out\":{},\"bytes_read\":{},\"bytes_written\":{},\"records_skipped\":{},\"peak_managed_bytes\":{},\"peak_managed_used_bytes\":{},\"managed_bytes\":{},\"bytes_spilled\":{},\"spill_files\":{},\"exchange_bytes_spilled\":{},\"peak_resident_bytes\":{},\"operators\":[{}],\"streaming\":{}}}",
            json_string(&self.job_name),
            self.wall_time.as_secs_f64(),
            self.records_in,
            self.records_out,
            self.bytes_read,
            self.bytes_written,
            self.records_skipped,
            self.peak_managed.bytes(),
            self.peak_managed_used.bytes(),
            self.managed_total.bytes(),
            self.bytes_spilled,
            self.spill_files,
            self.exchange_bytes_spilled,
            peak_rss.map_or("null".to_owned(), |rss| rss.bytes().to_string()),
            operators.join(","),
            self.streaming
                .as_ref()
                .map_or("null".to_owned(), StreamingSummary::to_json),
        )
    }
}

/// `text` as a JSON string literal.
pub(crate) fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
