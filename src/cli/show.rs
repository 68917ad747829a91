//! `runbook show`: what a playbook is, takes and needs — without running it.

use super::error::{CliError, EXIT_OK};
use super::run::header_of;
use crate::runtime::catalog;
use crate::runtime::params::ParamType;

fn default_text(v: &Option<toml::Value>, ty: ParamType) -> String {
    match v {
        None => "-".into(),
        Some(_) if ty == ParamType::Secret => "(set)".into(),
        Some(toml::Value::String(s)) => format!("{s:?}"),
        Some(other) => other.to_string(),
    }
}

pub fn show(name: &str) -> Result<u8, CliError> {
    let script = catalog::load(name)?;
    let header = header_of(&script)?;
    outln!("{}", script.name);
    if !header.summary.is_empty() {
        outln!("  {}", header.summary);
    }
    if !header.description.is_empty() {
        outln!();
        for line in header.description.lines() {
            outln!("  {line}");
        }
    }
    outln!();
    outln!("Parameters:");
    if header.params.is_empty() {
        outln!("  (none)");
    }
    for p in &header.params {
        let mut flags = Vec::new();
        if p.required {
            flags.push("required");
        }
        if p.ty == ParamType::Secret {
            flags.push("secret");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(", "))
        };
        outln!(
            "  {} ({}){flags}  default: {}",
            p.name,
            p.ty.name(),
            default_text(&p.default, p.ty)
        );
        if !p.help.is_empty() {
            outln!("      {}", p.help);
        }
        outln!("      --set {}=…  or  {}", p.name, p.env_name());
    }
    outln!();
    outln!("Needs:");
    outln!("  root: {}", if header.needs.root { "yes" } else { "no" });
    let cmds = if header.needs.commands.is_empty() {
        "(none)".into()
    } else {
        header.needs.commands.join(", ")
    };
    outln!("  commands: {cmds}");
    Ok(EXIT_OK)
}
