//! `{{#const PATH:NAME}}`: the value of a listing's `const` or `static`, read
//! from the code so prose and listing cannot drift.
//!
//! `PATH` is relative to the chapter's own file, as in mdBook's
//! `{{#include PATH:ANCHOR}}`. The file is parsed by `syn` (the book's parser
//! of Rust source, already used for the test catalog) and `NAME` looked up at
//! the top level first, then in inline `mod` blocks and function bodies at any
//! depth, where it must be unique. `NAME` may also be `Type::NAME`, an
//! associated const of an inherent or trait `impl` of `Type` (`Model::SIZE`),
//! unique among the file's impls of that type name; inside it, `Self::NAME`
//! is a sibling, and a plain name a const of the file. The value may be an integer or float
//! literal (`_` allowed), `Duration::from_secs|from_millis|from_micros|from_nanos`
//! of one, another const of the same file, `* / + - <<` of those, a cast, or an
//! array of them. Integers print with their thousands grouped by a no-break
//! space, as the book writes `10 000`; durations as the measured figures do
//! ([`crate::units::format_value`]), exactly.

use std::path::Path;

use crate::measurements::Unit;
use crate::units::format_value;

/// How deep consts may refer to other consts before it is called a cycle.
const MAX_DEPTH: usize = 16;

/// The rendered value of `{{#const SPEC}}` in a chapter whose file is in
/// `chapter_dir`.
pub fn render(spec: &str, chapter_dir: &Path) -> Result<String, String> {
    if !spec.contains(':') {
        return Err(format!(
            "`{spec}` names no constant: write `{{{{#const PATH:NAME}}}}`, PATH relative to the chapter"
        ));
    }
    let Some((path, name)) = split_spec(spec) else {
        return Err(format!(
            "`{spec}`: write `{{{{#const PATH:NAME}}}}` or `{{{{#const PATH:Type::NAME}}}}`, \
             PATH relative to the chapter"
        ));
    };
    let file = chapter_dir.join(path);
    let source = std::fs::read_to_string(&file).map_err(|e| {
        format!("cannot read `{path}` (relative to the chapter's directory): {e}")
    })?;
    let parsed = syn::parse_file(&source)
        .map_err(|e| format!("`{path}` is not Rust: {e}"))?;
    let items = Items::of(&parsed.items);
    let value = items
        .value(name, 0)
        .map_err(|e| format!("`{name}` in `{path}`: {e}"))?;
    Ok(value.to_string())
}

/// `PATH:NAME` or `PATH:Type::NAME` split at the colon before the name (the
/// first single `:` that a Rust name, or `Type::name`, follows); `None` when
/// there is none or the path is empty.
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let is_ident = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let is_name = |s: &str| match s.split_once("::") {
        Some((ty, name)) => is_ident(ty) && is_ident(name),
        None => is_ident(s),
    };
    spec.char_indices()
        .filter(|&(i, c)| c == ':' && i > 0 && !spec[..i].ends_with(':'))
        .map(|(i, _)| (&spec[..i], &spec[i + 1..]))
        .find(|(_, name)| is_name(name))
}

/// A constant's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i128),
    Float(f64),
    /// Nanoseconds.
    Duration(u128),
    List(Vec<Value>),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(n) => f.write_str(&group(*n)),
            Value::Float(x) => write!(f, "{x}"),
            Value::Duration(ns) => f.write_str(&duration(*ns)),
            Value::List(values) => {
                let texts: Vec<String> =
                    values.iter().map(Value::to_string).collect();
                match texts.split_last() {
                    None => Ok(()),
                    Some((last, [])) => f.write_str(last),
                    Some((last, rest)) => {
                        write!(f, "{} and {last}", rest.join(", "))
                    }
                }
            }
        }
    }
}

/// `10000` as `10 000` (a no-break space, so the number never wraps), from
/// 1000 on, as the book's prose writes `1 000`.
pub fn group(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A duration as the book prints measured ones, unless that rounds: then
/// exactly, in the same unit (`1.234 s`, not `1.23 s`).
fn duration(ns: u128) -> String {
    let rounded = format_value(ns as f64, Unit::Ns);
    let scale = match rounded.rsplit_once(' ').map(|(_, unit)| unit) {
        Some("µs") => 1_000,
        Some("ms") => 1_000_000,
        Some("s") => 1_000_000_000,
        _ => 1,
    };
    let unit = rounded.rsplit_once(' ').map_or("ns", |(_, unit)| unit);
    let (whole, fraction) = (ns / scale, ns % scale);
    let exact = if fraction == 0 {
        group(whole as i128)
    } else {
        let width = scale.ilog10() as usize;
        let decimals = format!("{fraction:0width$}");
        format!("{whole}.{}", decimals.trim_end_matches('0'))
    };
    format!("{exact} {unit}")
}

/// Every `const` and `static` of a file: the top level's, then the nested
/// ones with where they are, then the associated consts of its impls with
/// the name of their type.
struct Items<'a> {
    top: Vec<(&'a syn::Ident, &'a syn::Expr)>,
    nested: Vec<(String, &'a syn::Ident, &'a syn::Expr)>,
    associated: Vec<(String, &'a syn::Ident, &'a syn::Expr)>,
}

impl<'a> Items<'a> {
    fn of(items: &'a [syn::Item]) -> Items<'a> {
        let mut found = Items {
            top: Vec::new(),
            nested: Vec::new(),
            associated: Vec::new(),
        };
        for item in items {
            match constant(item) {
                Some((ident, expr)) => found.top.push((ident, expr)),
                None => found.nest(item, ""),
            }
        }
        found
    }

    /// Collects the constants inside `item` (a module or a function), whose
    /// enclosing path is `outer`.
    fn nest(&mut self, item: &'a syn::Item, outer: &str) {
        let (name, inner): (String, Vec<&'a syn::Item>) = match item {
            syn::Item::Impl(block) => {
                let syn::Type::Path(ty) = &*block.self_ty else {
                    return;
                };
                let Some(ty) = ty.path.segments.last() else {
                    return;
                };
                for inner in &block.items {
                    if let syn::ImplItem::Const(c) = inner {
                        self.associated.push((
                            ty.ident.to_string(),
                            &c.ident,
                            &c.expr,
                        ));
                    }
                }
                return;
            }
            syn::Item::Mod(module) => (
                module.ident.to_string(),
                module
                    .content
                    .as_ref()
                    .map(|(_, items)| items.iter().collect())
                    .unwrap_or_default(),
            ),
            syn::Item::Fn(function) => (
                format!("{}()", function.sig.ident),
                function
                    .block
                    .stmts
                    .iter()
                    .filter_map(|stmt| match stmt {
                        syn::Stmt::Item(item) => Some(item),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => return,
        };
        let path = if outer.is_empty() {
            name
        } else {
            format!("{outer}::{name}")
        };
        for item in inner {
            match constant(item) {
                Some((ident, expr)) => self.nested.push((path.clone(), ident, expr)),
                None => self.nest(item, &path),
            }
        }
    }

    /// The expression `name` is set to.
    fn find(&self, name: &str) -> Result<&'a syn::Expr, String> {
        if let Some((ty, name)) = name.split_once("::") {
            let found: Vec<_> = self
                .associated
                .iter()
                .filter(|(t, ident, _)| t == ty && *ident == name)
                .collect();
            return match found.as_slice() {
                [(_, _, expr)] => Ok(expr),
                [] => {
                    let known: Vec<String> = self
                        .associated
                        .iter()
                        .map(|(t, i, _)| format!("{t}::{i}"))
                        .collect();
                    Err(format!(
                        "no associated `const` of that name in an `impl {ty}`; the file's impls have: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ))
                }
                _ => Err(format!(
                    "more than one `impl {ty}` has a `const {name}`: give one a name of its own"
                )),
            };
        }
        if let Some((_, expr)) = self.top.iter().find(|(ident, _)| *ident == name) {
            return Ok(expr);
        }
        let nested: Vec<_> = self
            .nested
            .iter()
            .filter(|(_, ident, _)| *ident == name)
            .collect();
        match nested.as_slice() {
            [(_, _, expr)] => Ok(expr),
            [] => {
                let mut known: Vec<String> =
                    self.top.iter().map(|(i, _)| i.to_string()).collect();
                known
                    .extend(self.nested.iter().map(|(p, i, _)| format!("{p}::{i}")));
                Err(format!(
                    "no `const` or `static` of that name; the file has: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            }
            many => Err(format!(
                "more than one nested constant of that name ({}): give one a name of its own",
                many.iter()
                    .map(|(p, i, _)| format!("{p}::{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn value(&self, name: &str, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("constants refer to each other in a cycle".to_string());
        }
        let within = name.split_once("::").map(|(ty, _)| ty);
        self.eval(self.find(name)?, depth, within)
    }

    /// The value of `expr`, at `depth` references from the marker's constant;
    /// `within` is the type whose `impl` holds it, for `Self::NAME`.
    fn eval(
        &self,
        expr: &syn::Expr,
        depth: usize,
        within: Option<&str>,
    ) -> Result<Value, String> {
        use syn::{BinOp, Expr, Lit};
        let show = |e: &Expr| quote_free(e);
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Int(int) => int
                    .base10_parse::<i128>()
                    .map(Value::Int)
                    .map_err(|e| e.to_string()),
                Lit::Float(float) => float
                    .base10_parse::<f64>()
                    .map(Value::Float)
                    .map_err(|e| e.to_string()),
                _ => Err("only number literals have a value to show".to_string()),
            },
            Expr::Paren(inner) => self.eval(&inner.expr, depth, within),
            Expr::Group(inner) => self.eval(&inner.expr, depth, within),
            Expr::Cast(cast) => self.eval(&cast.expr, depth, within),
            Expr::Reference(reference) => self.eval(&reference.expr, depth, within),
            Expr::Array(array) => array
                .elems
                .iter()
                .map(|e| self.eval(e, depth, within))
                .collect::<Result<_, _>>()
                .map(Value::List),
            Expr::Unary(syn::ExprUnary {
                op: syn::UnOp::Neg(_),
                expr,
                ..
            }) => match self.eval(expr, depth, within)? {
                Value::Int(n) => Ok(Value::Int(-n)),
                Value::Float(x) => Ok(Value::Float(-x)),
                _ => Err(format!("cannot negate `{}`", show(expr))),
            },
            Expr::Path(path) if path.qself.is_none() => {
                let segments: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .filter(|s| s.arguments.is_none())
                    .map(|s| s.ident.to_string())
                    .collect();
                let whole = segments.len() == path.path.segments.len();
                match segments.as_slice() {
                    [name] if whole => self.value(name, depth + 1),
                    [ty, name] if whole && ty == "Self" => match within {
                        Some(ty) => self.value(&format!("{ty}::{name}"), depth + 1),
                        None => Err(format!(
                            "`{}` outside an `impl` names no constant",
                            show(expr)
                        )),
                    },
                    [ty, name] if whole => {
                        self.value(&format!("{ty}::{name}"), depth + 1)
                    }
                    _ => Err(format!(
                        "`{}` is not a constant of this file",
                        show(expr)
                    )),
                }
            }
            Expr::Call(call) => {
                let function = match &*call.func {
                    Expr::Path(path) => path
                        .path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>(),
                    _ => Vec::new(),
                };
                let scale = match function
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()[..]
                {
                    [.., "Duration", "from_secs"] => 1_000_000_000,
                    [.., "Duration", "from_millis"] => 1_000_000,
                    [.., "Duration", "from_micros"] => 1_000,
                    [.., "Duration", "from_nanos"] => 1,
                    _ => {
                        return Err(format!(
                            "cannot evaluate `{}`: of calls, only `Duration::from_secs`, \
                             `from_millis`, `from_micros` and `from_nanos` are known",
                            show(expr)
                        ));
                    }
                };
                match (
                    call.args.len(),
                    call.args.first().map(|a| self.eval(a, depth, within)),
                ) {
                    (1, Some(Ok(Value::Int(n)))) if n >= 0 => {
                        Ok(Value::Duration(n as u128 * scale))
                    }
                    (1, Some(Err(e))) => Err(e),
                    _ => Err(format!(
                        "`{}` takes one whole number of units",
                        show(expr)
                    )),
                }
            }
            Expr::Binary(binary) => {
                let (left, right) = (
                    self.eval(&binary.left, depth, within)?,
                    self.eval(&binary.right, depth, within)?,
                );
                let refuse =
                    || Err(format!("cannot evaluate `{}` exactly", show(expr)));
                let count = |n: i128| u128::try_from(n).ok();
                match (&binary.op, left, right) {
                    (BinOp::Mul(_), Value::Int(a), Value::Int(b)) => {
                        a.checked_mul(b).map(Value::Int).map_or_else(refuse, Ok)
                    }
                    (BinOp::Add(_), Value::Int(a), Value::Int(b)) => {
                        a.checked_add(b).map(Value::Int).map_or_else(refuse, Ok)
                    }
                    (BinOp::Sub(_), Value::Int(a), Value::Int(b)) => {
                        a.checked_sub(b).map(Value::Int).map_or_else(refuse, Ok)
                    }
                    (BinOp::Div(_), Value::Int(a), Value::Int(b))
                        if b != 0 && a % b == 0 =>
                    {
                        Ok(Value::Int(a / b))
                    }
                    (BinOp::Shl(_), Value::Int(a), Value::Int(b))
                        if (0..64).contains(&b) =>
                    {
                        a.checked_mul(1 << b)
                            .map(Value::Int)
                            .map_or_else(refuse, Ok)
                    }
                    (BinOp::Mul(_), Value::Float(a), Value::Float(b)) => {
                        Ok(Value::Float(a * b))
                    }
                    (BinOp::Mul(_), Value::Duration(d), Value::Int(n))
                    | (BinOp::Mul(_), Value::Int(n), Value::Duration(d)) => count(n)
                        .and_then(|n| d.checked_mul(n))
                        .map(Value::Duration)
                        .map_or_else(refuse, Ok),
                    (BinOp::Div(_), Value::Duration(d), Value::Int(n)) => {
                        match count(n) {
                            Some(n) if n != 0 && d % n == 0 => {
                                Ok(Value::Duration(d / n))
                            }
                            _ => refuse(),
                        }
                    }
                    (BinOp::Add(_), Value::Duration(a), Value::Duration(b)) => {
                        Ok(Value::Duration(a + b))
                    }
                    (BinOp::Sub(_), Value::Duration(a), Value::Duration(b))
                        if a >= b =>
                    {
                        Ok(Value::Duration(a - b))
                    }
                    _ => refuse(),
                }
            }
            other => Err(format!(
                "cannot evaluate `{}`: a value must be a number, a `Duration::from_*` of one, \
                 another constant of the file, or `* / + - <<` of those",
                show(other)
            )),
        }
    }
}

/// `item`'s name and value when it is a `const` or `static`.
fn constant(item: &syn::Item) -> Option<(&syn::Ident, &syn::Expr)> {
    match item {
        syn::Item::Const(c) => Some((&c.ident, &*c.expr)),
        syn::Item::Static(s) => Some((&s.ident, &*s.expr)),
        _ => None,
    }
}

/// A short description of an expression for messages (syn's `printing`
/// feature, and with it token text, is not enabled).
fn quote_free(expr: &syn::Expr) -> String {
    match expr {
        syn::Expr::Call(call) => format!("{}(..)", quote_free(&call.func)),
        syn::Expr::Binary(_) => "an arithmetic expression".to_string(),
        syn::Expr::Path(path) => path
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::"),
        syn::Expr::MethodCall(call) => format!("a call of `.{}()`", call.method),
        syn::Expr::Macro(_) => "a macro".to_string(),
        syn::Expr::Block(_) => "a block".to_string(),
        _ => "an expression".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_group_thousands_with_no_break_spaces() {
        assert_eq!(group(7), "7");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1\u{a0}000");
        assert_eq!(group(1_000_000), "1\u{a0}000\u{a0}000");
        assert_eq!(group(-12_345), "-12\u{a0}345");
    }

    /// The value of `name` in the Rust file `source`.
    fn value_in(source: &str, name: &str) -> Result<Value, String> {
        let parsed = syn::parse_file(source).map_err(|e| e.to_string())?;
        Items::of(&parsed.items).value(name, 0)
    }

    const WITH_IMPLS: &str = "
        const BASE: usize = 8;
        pub enum Model { A }
        impl Model {
            pub const DEFAULT_POOL_THREADS: usize = 64;
            const TWICE: usize = Self::DEFAULT_POOL_THREADS * 2;
            const FROM_FILE: usize = BASE + Model::DEFAULT_POOL_THREADS;
            fn f(&self) {}
        }
        mod inner {
            pub struct Other;
            impl Other { pub const DEFAULT_POOL_THREADS: usize = 3; }
        }
        const BARE: usize = DEFAULT_POOL_THREADS;
    ";

    #[test]
    fn an_associated_const_of_an_impl_is_read_by_its_type_name() {
        assert_eq!(
            value_in(WITH_IMPLS, "Model::DEFAULT_POOL_THREADS"),
            Ok(Value::Int(64))
        );
        assert_eq!(
            value_in(WITH_IMPLS, "Other::DEFAULT_POOL_THREADS"),
            Ok(Value::Int(3))
        );
        assert_eq!(value_in(WITH_IMPLS, "Model::TWICE"), Ok(Value::Int(128)));
        assert_eq!(value_in(WITH_IMPLS, "Model::FROM_FILE"), Ok(Value::Int(72)));
        // A plain name is the file's, as in Rust: not an associated const.
        let bare = value_in(WITH_IMPLS, "BARE").unwrap_err();
        assert!(bare.contains("no `const` or `static`"), "{bare}");
        let missing = value_in(WITH_IMPLS, "Model::NOWHERE").unwrap_err();
        assert!(
            missing.contains("Model::DEFAULT_POOL_THREADS, Model::TWICE"),
            "lists what the impls have: {missing}"
        );
    }

    #[test]
    fn the_spec_splits_before_the_name_even_when_the_name_has_a_path() {
        assert_eq!(
            split_spec("../a/mod.rs:Model::DEFAULT_POOL_THREADS"),
            Some(("../a/mod.rs", "Model::DEFAULT_POOL_THREADS"))
        );
        assert_eq!(split_spec("a.rs:CLIENTS"), Some(("a.rs", "CLIENTS")));
        assert_eq!(split_spec("a.rs:"), None);
        assert_eq!(split_spec(":CLIENTS"), None);
        assert_eq!(split_spec("a.rs:A::B::C"), None);
    }

    #[test]
    fn durations_print_exactly() {
        assert_eq!(duration(20_000_000), "20 ms");
        assert_eq!(duration(10_000_000_000), "10 s");
        assert_eq!(duration(2_500_000_000), "2.5 s");
        assert_eq!(duration(1_234_000_000), "1.234 s");
        assert_eq!(duration(200_000), "200 µs");
        assert_eq!(duration(7), "7 ns");
    }
}
