//! The text of every script and module compiled in this process, by source
//! name, so diagnostics can show the offending line.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Default)]
pub struct Sources(Rc<RefCell<HashMap<String, Rc<str>>>>);

impl Sources {
    pub fn add(&self, name: &str, text: &str) {
        self.0.borrow_mut().insert(name.to_string(), Rc::from(text));
    }

    pub fn get(&self, name: &str) -> Option<Rc<str>> {
        self.0.borrow().get(name).cloned()
    }
}
