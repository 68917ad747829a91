//! Terraform-style attribute lines for `--diff` of resources that have no
//! text body (a user, an access key): `+ key = value` for what a create
//! sets, `- key = value` for what a delete removes, both for an update.

/// One attribute: its name and value as shown (already masked if secret).
pub type Attr = (String, String);

/// Builds an attribute diff line by line.
#[derive(Default)]
pub struct AttrDiff {
    out: String,
}

impl AttrDiff {
    pub fn new(header: &str) -> Self {
        AttrDiff {
            out: format!("{header}\n"),
        }
    }

    /// What a create sets.
    pub fn added(mut self, attrs: &[Attr]) -> Self {
        for (k, v) in attrs {
            self.out.push_str(&format!("+ {k} = {v}\n"));
        }
        self
    }

    /// What a delete removes.
    pub fn removed(mut self, attrs: &[Attr]) -> Self {
        for (k, v) in attrs {
            self.out.push_str(&format!("- {k} = {v}\n"));
        }
        self
    }

    /// An attribute kept as it is, for context.
    pub fn kept(mut self, attrs: &[Attr]) -> Self {
        for (k, v) in attrs {
            self.out.push_str(&format!("  {k} = {v}\n"));
        }
        self
    }

    /// An update: before, then after.
    pub fn changed(self, key: &str, before: &str, after: &str) -> Self {
        self.removed(&[(key.into(), before.into())])
            .added(&[(key.into(), after.into())])
    }

    pub fn build(self) -> String {
        self.out
    }
}

/// `(key, value)` pairs as attributes named `prefix.key`, sorted by key.
pub fn prefixed(prefix: &str, pairs: &[(String, String)]) -> Vec<Attr> {
    let mut v: Vec<Attr> = pairs
        .iter()
        .map(|(k, val)| (format!("{prefix}.{k}"), format!("{val:?}")))
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_update_and_delete_lines() {
        let d = AttrDiff::new("user bob")
            .added(&[("path".into(), "\"/\"".into())])
            .added(&prefixed("tags", &[("team".into(), "data".into())]))
            .build();
        assert_eq!(d, "user bob\n+ path = \"/\"\n+ tags.team = \"data\"\n");
        let d = AttrDiff::new("k")
            .changed("status", "Active", "Inactive")
            .build();
        assert_eq!(d, "k\n- status = Active\n+ status = Inactive\n");
        let d = AttrDiff::new("k")
            .removed(&[("id".into(), "AKIA".into())])
            .build();
        assert!(d.ends_with("- id = AKIA\n"));
    }
}
