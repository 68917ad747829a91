//! Whether a run may change the world.

/// The session's mode, passed to every state-changing primitive. Test it with
/// [`Mode::is_apply`] (the one guard around a mutation) or [`Mode::is_check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Apply,
    Check,
}

impl Mode {
    pub fn is_apply(self) -> bool {
        matches!(self, Mode::Apply)
    }

    pub fn is_check(self) -> bool {
        matches!(self, Mode::Check)
    }
}
