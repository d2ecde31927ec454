//! `--minify` renames private class members (`#notFoundHandler` → `#e`), as esbuild and oxc
//! do: a private name is visible only inside its class body, never looked up by a string.
//! A nested class's names come after those of the classes around it, so it never hides an
//! outer member it uses.

use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::ecma::ast::{Class, ClassMember, Key, PrivateName};
use swc_core::ecma::visit::{Visit, VisitWith};

use super::mangle::short_name;

/// The renamings of the classes around the current point, innermost last. Kept by a walk that
/// visits every class anyway (the minifier's syntax rules, compress.rs): renaming needs no
/// walk of the bundle of its own. Classes in different top-level statements share nothing.
#[derive(Default)]
pub struct PrivateNames {
    classes: Vec<FxHashMap<Atom, Atom>>,
}

impl PrivateNames {
    /// Before `class`'s members are visited: its private names, the most used first, take
    /// the short names after those of the classes around it.
    pub fn enter(&mut self, class: &Class) {
        let mut declared = declared(class);
        // Most classes have no private member: nothing to count their uses for.
        if declared.is_empty() {
            self.classes.push(FxHashMap::default());
            return;
        }
        let first = self.classes.iter().map(|m| m.len()).sum::<usize>();
        let uses = uses(class);
        declared.sort_by(|a, b| uses.get(b).cmp(&uses.get(a)).then_with(|| a.cmp(b)));
        let renaming = declared
            .into_iter()
            .enumerate()
            .map(|(i, name)| (name, short_name(first + i)))
            .collect();
        self.classes.push(renaming);
    }

    /// After `enter`'s class.
    pub fn leave(&mut self) {
        self.classes.pop();
    }

    pub fn rename(&self, n: &mut PrivateName) {
        if let Some(new) = self.classes.iter().rev().find_map(|m| m.get(&n.name)) {
            n.name = new.clone();
        }
    }
}

/// The private names a class body declares, each once (a getter and setter share one).
fn declared(class: &Class) -> Vec<Atom> {
    let mut names: Vec<Atom> = class
        .body
        .iter()
        .filter_map(|m| match m {
            ClassMember::PrivateMethod(m) => Some(m.key.name.clone()),
            ClassMember::PrivateProp(p) => Some(p.key.name.clone()),
            ClassMember::AutoAccessor(a) => match &a.key {
                Key::Private(k) => Some(k.name.clone()),
                Key::Public(_) => None,
            },
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// How often each private name occurs in a class, nested classes included.
fn uses(class: &Class) -> FxHashMap<Atom, u32> {
    struct Count(FxHashMap<Atom, u32>);
    impl Visit for Count {
        fn visit_private_name(&mut self, n: &PrivateName) {
            *self.0.entry(n.name.clone()).or_default() += 1;
        }
    }
    let mut count = Count(FxHashMap::default());
    class.visit_with(&mut count);
    count.0
}
