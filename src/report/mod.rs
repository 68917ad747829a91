//! Reporting: events, the human and JSON printers, the recap, redaction, prompts.

mod event;
mod human;
mod json;
mod printer;
pub mod prompt;
mod redact;
mod reporter;
mod style;
mod variants;

pub use event::{Counts, Event, Level, OpEvent};
pub use human::HumanPrinter;
pub use json::{JsonPrinter, SCHEMA_VERSION, to_json};
pub use printer::{Printer, Verbosity};
pub use redact::{MIN_REDACTED_LEN, Redactor};
pub use reporter::Reporter;
pub use style::Style;
