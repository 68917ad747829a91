//! Registering a function twice: with its trailing `opts` map and without it
//! (an empty map), from one closure and one doc comment.

use std::rc::Rc;

use rhai::{FuncRegistration, Map, Module, Variant};

use super::convert::RhaiResult;

/// The parameter list without its `opts` entry, for the short form.
fn without_opts<'a>(params: &[&'a str]) -> Vec<&'a str> {
    params
        .iter()
        .copied()
        .filter(|p| !p.starts_with("opts:"))
        .collect()
}

macro_rules! with_opts {
    ($(#[$doc:meta])* $name:ident; $($arg:ident: $ty:ident),*) => {
        $(#[$doc])*
        pub fn $name<$($ty: Variant + Clone,)* R: Variant + Clone>(
            m: &mut Module,
            name: &str,
            comments: &[&str],
            params: &[&str],
            f: impl Fn($($ty,)* &Map) -> RhaiResult<R> + 'static,
        ) {
            let f = Rc::new(f);
            let short = f.clone();
            FuncRegistration::new(name)
                .with_comments(comments)
                .with_params_info(without_opts(params))
                .set_into_module(m, move |$($arg: $ty),*| short($($arg,)* &Map::new()));
            FuncRegistration::new(name)
                .with_comments(comments)
                .with_params_info(params)
                .set_into_module(m, move |$($arg: $ty,)* opts: Map| f($($arg,)* &opts));
        }
    };
}

with_opts!(
    /// `name()` and `name(opts)`.
    opts0;
);
with_opts!(
    /// `name(a)` and `name(a, opts)`.
    opts1; a: A
);
with_opts!(
    /// `name(a, b)` and `name(a, b, opts)`.
    opts2; a: A, b: B
);
with_opts!(
    /// `name(a, b, c)` and `name(a, b, c, opts)`.
    opts3; a: A, b: B, c: C
);
