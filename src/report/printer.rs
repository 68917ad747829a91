//! A printer renders the event stream; human and JSON are interchangeable.

use super::Event;

pub trait Printer {
    fn print(&mut self, event: &Event);
}

/// How much the human printer shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}
