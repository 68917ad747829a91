//! `runbook list`: the bundled playbooks with their summaries.

use super::error::{CliError, EXIT_OK};
use crate::runtime::catalog;
use crate::runtime::header::parse_header;

pub fn list() -> Result<u8, CliError> {
    let entries: Vec<(&str, String)> = catalog::playbooks()
        .map(|(name, source)| {
            let summary = parse_header(source)
                .map(|h| h.summary)
                .unwrap_or_else(|e| format!("(bad header: {e})"));
            (name, summary)
        })
        .collect();
    let width = entries.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, summary) in entries {
        outln!("{name:width$}  {summary}");
    }
    Ok(EXIT_OK)
}
