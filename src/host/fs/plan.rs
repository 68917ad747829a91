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

/// One change of attributes, applied in the order [`attr_steps`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrStep {
    Mode(FileMode),
    Owner { uid: Option<u32>, gid: Option<u32> },
}

/// The order of the changes from `old` to what `p` asks for, such that no
/// state on the way lets anyone do what neither the old nor the new state
/// allows: when owner or group change too, the mode first narrows to what
/// both modes grant, then owner and group change (one `fchown`), then the
/// mode widens to the new one. So 0660 root:staff -> 0600 root:adm never
/// lets adm read, and 0600 root:staff -> 0640 root:adm never lets staff read.
/// `wanted_mode` is the mode the call asked for: set again after `chown`
/// when it has setuid/setgid bits, which `chown` clears.
pub fn attr_steps(old: &Attrs, p: &AttrPlan, wanted_mode: Option<FileMode>) -> Vec<AttrStep> {
    let new_mode = p.mode.map(|(_, m)| m);
    if p.uid.is_none() && p.gid.is_none() {
        return new_mode.map(AttrStep::Mode).into_iter().collect();
    }
    let mut steps = Vec::new();
    if let Some(m) = new_mode {
        let common = FileMode::from_bits(old.mode.bits() & m.bits());
        if common != old.mode {
            steps.push(AttrStep::Mode(common));
        }
    }
    steps.push(AttrStep::Owner {
        uid: p.uid.map(|(_, u)| u),
        gid: p.gid.map(|(_, g)| g),
    });
    let last = new_mode.or(wanted_mode.filter(|m| m.bits() & 0o6000 != 0));
    steps.extend(last.map(AttrStep::Mode));
    steps
}

/// For content holding a secret written without a mode: the existing mode
/// without anything for others (a group is how a service reads it, so group
/// bits stay). Any other call is left as it is.
pub fn narrowed_for_secret(wanted: &Wanted, secret: bool, actual: &Attrs) -> Wanted {
    let bits = actual.mode.bits();
    if secret && wanted.mode.is_none() && bits & 0o007 != 0 {
        Wanted {
            mode: Some(FileMode::from_bits(bits & !0o007)),
            ..*wanted
        }
    } else {
        *wanted
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

    /// Every state on the way is within the old one or within the new one
    /// (same owner and group, no bit the other lacks).
    #[test]
    fn no_state_on_the_way_is_wider_than_old_and_new() {
        let modes = [
            0o000, 0o400, 0o600, 0o640, 0o660, 0o644, 0o540, 0o604, 0o750, 0o4755, 0o2750, 0o777,
        ];
        let owners = [(0, 0), (0, 50), (1000, 0), (1000, 50)];
        let within = |s: &Attrs, t: &Attrs| {
            (s.uid, s.gid) == (t.uid, t.gid) && s.mode.bits() & !t.mode.bits() == 0
        };
        for &m1 in &modes {
            for &m2 in &modes {
                for &(u1, g1) in &owners {
                    for &(u2, g2) in &owners {
                        let old = attrs(m1, u1, g1);
                        let new = attrs(m2, u2, g2);
                        let p = plan_attrs(&want(Some(m2), Some(u2), Some(g2)), &old);
                        let mut cur = old;
                        for step in attr_steps(&old, &p, Some(FileMode::from_bits(m2))) {
                            match step {
                                AttrStep::Mode(m) => cur.mode = m,
                                AttrStep::Owner { uid, gid } => {
                                    cur.uid = uid.unwrap_or(cur.uid);
                                    cur.gid = gid.unwrap_or(cur.gid);
                                    // chown clears setuid and setgid.
                                    cur.mode = FileMode::from_bits(cur.mode.bits() & !0o6000);
                                }
                            }
                            assert!(
                                within(&cur, &old) || within(&cur, &new),
                                "{old:?} -> {new:?}: {cur:?} on the way"
                            );
                        }
                        assert_eq!(cur, new, "{old:?} -> {new:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_issue_case_narrows_first() {
        let old = attrs(0o660, 0, 50);
        let p = plan_attrs(&want(Some(0o600), None, Some(4)), &old);
        assert_eq!(
            attr_steps(&old, &p, Some(FileMode::from_bits(0o600))),
            [
                AttrStep::Mode(FileMode::from_bits(0o600)),
                AttrStep::Owner {
                    uid: None,
                    gid: Some(4)
                },
                AttrStep::Mode(FileMode::from_bits(0o600)),
            ]
        );
        // Mode alone: one chmod.
        let p = plan_attrs(&want(Some(0o600), None, None), &old);
        assert_eq!(
            attr_steps(&old, &p, Some(FileMode::from_bits(0o600))),
            [AttrStep::Mode(FileMode::from_bits(0o600))]
        );
    }

    #[test]
    fn a_secret_without_a_mode_loses_what_others_may_do() {
        let w = narrowed_for_secret(&Wanted::default(), true, &attrs(0o644, 0, 0));
        assert_eq!(w.mode, Some(FileMode::from_bits(0o640)));
        let w = narrowed_for_secret(&Wanted::default(), true, &attrs(0o640, 0, 0));
        assert_eq!(w.mode, None, "no others bits: nothing to narrow");
        let w = narrowed_for_secret(&Wanted::default(), false, &attrs(0o644, 0, 0));
        assert_eq!(w.mode, None, "not a secret");
        let w = narrowed_for_secret(&want(Some(0o644), None, None), true, &attrs(0o600, 0, 0));
        assert_eq!(
            w.mode,
            Some(FileMode::from_bits(0o644)),
            "an asked mode wins"
        );
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
