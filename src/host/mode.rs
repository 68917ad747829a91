//! Whether a run may change the world.

/// The session's mode, passed to every state-changing primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Apply,
    Check,
}

impl Mode {
    pub fn is_check(self) -> bool {
        self == Mode::Check
    }
}
