//! `weir config`: every key with its resolved value and where the value came from, then the
//! memory plan check, so that impossible combinations show up here too.

use std::io::Write;

use weir::MemoryPlan;
use weir::config::options::{MANAGED_SIZE, TASK_HEAP_SIZE};
use weir::config::{ConfigOverrides, Configuration, ResolvedOption};
use weir_memory::ByteSize;

pub fn run(overrides: &ConfigOverrides, out: &mut impl Write) -> anyhow::Result<()> {
    let config = Configuration::load(overrides)?;
    // The values are valid one by one; the memory plan checks how they combine and gives the
    // values of the keys it derives.
    let plan = MemoryPlan::from_config(&config);
    writeln!(out, "conf file: {}", config.conf_file())?;
    if let Some(path) = config.conf_argument() {
        writeln!(out, "--conf:    {}", path.display())?;
    }
    writeln!(out)?;
    write!(
        out,
        "{}",
        format_table(&config.resolved_options(), plan.as_ref().ok())
    )?;
    plan?;
    Ok(())
}

/// The value the memory plan derived for `key`, if it derives one.
fn derived_value(key: &str, plan: &MemoryPlan) -> Option<ByteSize> {
    if key == TASK_HEAP_SIZE.key {
        Some(plan.task_heap)
    } else if key == MANAGED_SIZE.key {
        Some(plan.managed.size)
    } else {
        None
    }
}

/// `key  value  source` rows, aligned. A key left unset whose value the memory plan derives
/// shows the derived value; without a plan, that it is derived.
fn format_table(options: &[ResolvedOption], plan: Option<&MemoryPlan>) -> String {
    let rows: Vec<(String, String, String)> = options
        .iter()
        .map(|resolved| {
            let key = resolved.option.key();
            let derived = plan.and_then(|plan| derived_value(key, plan));
            let (value, source) = match (&resolved.value, derived) {
                (Some(value), _) => (value.clone(), resolved.source.to_string()),
                (None, Some(size)) => (size.to_string(), "derived (weir memory-plan)".to_string()),
                (None, None) => ("(derived)".to_string(), resolved.source.to_string()),
            };
            (key.to_string(), value, source)
        })
        .collect();
    let key_width = rows.iter().map(|row| row.0.len()).max().unwrap_or(0).max(3);
    let value_width = rows.iter().map(|row| row.1.len()).max().unwrap_or(0).max(5);
    let mut text = format!("{:<key_width$}  {:<value_width$}  source\n", "key", "value");
    for (key, value, source) in rows {
        text.push_str(&format!(
            "{key:<key_width$}  {value:<value_width$}  {source}\n"
        ));
    }
    text
}
