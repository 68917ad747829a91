//! Pure planners: desired vs actual state -> what must change. No I/O.

use super::{Attrs, FileMode};

/// What a call asks for; `None` leaves that attribute as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub mode: Option<FileMode>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// The attribute changes needed on an existing path, each as (from, to).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttrPlan {
    pub mode: Option<(FileMode, FileMode)>,
    pub uid: Option<(u32, u32)>,
    pub gid: Option<(u32, u32)>,
}

impl AttrPlan {
    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.uid.is_none() && self.gid.is_none()
    }

    /// `mode 0644 -> 0540, group root -> alationdocker`, with names from the callbacks.
    pub fn summary(&self, user: &dyn Fn(u32) -> String, group: &dyn Fn(u32) -> String) -> String {
        let mut parts = Vec::new();
        if let Some((a, b)) = self.mode {
            parts.push(format!("mode {a} -> {b}"));
        }
        if let Some((a, b)) = self.uid {
            parts.push(format!("owner {} -> {}", user(a), user(b)));
        }
        if let Some((a, b)) = self.gid {
            parts.push(format!("group {} -> {}", group(a), group(b)));
        }
        parts.join(", ")
    }
}

pub fn plan_attrs(wanted: &Wanted, actual: &Attrs) -> AttrPlan {
    AttrPlan {
        mode: wanted
            .mode
            .filter(|m| *m != actual.mode)
            .map(|m| (actual.mode, m)),
        uid: wanted
            .uid
            .filter(|u| *u != actual.uid)
            .map(|u| (actual.uid, u)),
        gid: wanted
            .gid
            .filter(|g| *g != actual.gid)
            .map(|g| (actual.gid, g)),
    }
}

/// What a file write must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WritePlan {
    /// Content, mode and ownership already as desired: no write at all.
    Nothing,
    /// The file is missing: create it with these final attributes.
    Create { mode: FileMode },
    /// Content differs: replace the file (atomically) with these attributes.
    Replace {
        attrs: AttrPlan,
        final_mode: FileMode,
    },
    /// Only mode or ownership differ: fix them in place.
    Attrs(AttrPlan),
}

/// `default_mode` is used for a new file when no mode is asked for; an
/// existing file keeps its mode unless one is asked for.
pub fn plan_write(
    wanted: &Wanted,
    default_mode: FileMode,
    actual: Option<(&Attrs, &[u8])>,
    content: &[u8],
) -> WritePlan {
    match actual {
        None => WritePlan::Create {
            mode: wanted.mode.unwrap_or(default_mode),
        },
        Some((attrs, old)) => {
            let plan = plan_attrs(wanted, attrs);
            if old != content {
                WritePlan::Replace {
                    attrs: plan,
                    final_mode: wanted.mode.unwrap_or(attrs.mode),
                }
            } else if plan.is_empty() {
                WritePlan::Nothing
            } else {
                WritePlan::Attrs(plan)
            }
        }
    }
}

/// What `mkdir` must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirPlan {
    Nothing,
    Create { mode: FileMode },
    Attrs(AttrPlan),
}

pub fn plan_mkdir(wanted: &Wanted, default_mode: FileMode, actual: Option<&Attrs>) -> DirPlan {
    match actual {
        None => DirPlan::Create {
            mode: wanted.mode.unwrap_or(default_mode),
        },
        Some(a) => {
            let p = plan_attrs(wanted, a);
            if p.is_empty() {
                DirPlan::Nothing
            } else {
                DirPlan::Attrs(p)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(mode: u32, uid: u32, gid: u32) -> Attrs {
        Attrs {
            mode: FileMode::from_bits(mode),
            uid,
            gid,
        }
    }

    fn want(mode: Option<u32>, uid: Option<u32>, gid: Option<u32>) -> Wanted {
        Wanted {
            mode: mode.map(FileMode::from_bits),
            uid,
            gid,
        }
    }

    #[test]
    fn attrs_already_right_plan_nothing() {
        let p = plan_attrs(&want(Some(0o540), Some(0), Some(10)), &attrs(0o540, 0, 10));
        assert!(p.is_empty());
        assert!(plan_attrs(&Wanted::default(), &attrs(0o777, 1, 1)).is_empty());
    }

    #[test]
    fn attrs_differences_are_listed_with_names() {
        let p = plan_attrs(&want(Some(0o540), None, Some(10)), &attrs(0o644, 0, 0));
        assert_eq!(
            p.mode,
            Some((FileMode::from_bits(0o644), FileMode::from_bits(0o540)))
        );
        assert_eq!(p.uid, None);
        assert_eq!(p.gid, Some((0, 10)));
        let s = p.summary(&|u| format!("u{u}"), &|g| format!("g{g}"));
        assert_eq!(s, "mode 0644 -> 0540, group g0 -> g10");
    }

    #[test]
    fn write_plans() {
        let d = FileMode::from_bits(0o644);
        assert_eq!(
            plan_write(&want(Some(0o540), None, None), d, None, b"x"),
            WritePlan::Create {
                mode: FileMode::from_bits(0o540)
            }
        );
        assert_eq!(
            plan_write(&Wanted::default(), d, None, b"x"),
            WritePlan::Create { mode: d }
        );
        let a = attrs(0o600, 0, 0);
        assert_eq!(
            plan_write(&Wanted::default(), d, Some((&a, b"x")), b"x"),
            WritePlan::Nothing
        );
        assert_eq!(
            plan_write(
                &want(Some(0o600), Some(0), Some(0)),
                d,
                Some((&a, b"x")),
                b"x"
            ),
            WritePlan::Nothing
        );
        match plan_write(&Wanted::default(), d, Some((&a, b"x")), b"y") {
            WritePlan::Replace { attrs, final_mode } => {
                assert!(attrs.is_empty());
                assert_eq!(
                    final_mode,
                    FileMode::from_bits(0o600),
                    "existing mode is kept"
                );
            }
            other => panic!("{other:?}"),
        }
        match plan_write(&want(Some(0o540), None, None), d, Some((&a, b"x")), b"x") {
            WritePlan::Attrs(p) => assert!(p.mode.is_some()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mkdir_plans() {
        let d = FileMode::from_bits(0o755);
        assert_eq!(
            plan_mkdir(&Wanted::default(), d, None),
            DirPlan::Create { mode: d }
        );
        assert_eq!(
            plan_mkdir(&Wanted::default(), d, Some(&attrs(0o700, 0, 0))),
            DirPlan::Nothing
        );
        assert!(matches!(
            plan_mkdir(
                &want(Some(0o750), None, Some(5)),
                d,
                Some(&attrs(0o700, 0, 0))
            ),
            DirPlan::Attrs(_)
        ));
    }
}
