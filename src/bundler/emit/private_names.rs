//! `--minify` renames private class members (`#notFoundHandler` → `#e`), as esbuild and oxc
//! do: a private name is visible only inside its class body, never looked up by a string.
//! A nested class's names come after those of the classes around it, so it never hides an
//! outer member it uses.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::ecma::ast::{Class, ClassMember, Key, PrivateName, Program};
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use super::mangle::short_name;

/// Classes in different top-level statements share nothing: each statement on any thread.
pub fn mangle_private_names(program: &mut Program) {
    match program {
        Program::Module(m) => m
            .body
            .par_iter_mut()
            .for_each(|item| item.visit_mut_with(&mut PrivateNames::default())),
        Program::Script(s) => s
            .body
            .par_iter_mut()
            .for_each(|stmt| stmt.visit_mut_with(&mut PrivateNames::default())),
    }
}

/// The renamings of the classes around the current point, innermost last.
#[derive(Default)]
struct PrivateNames {
    classes: Vec<FxHashMap<Atom, Atom>>,
}

impl VisitMut for PrivateNames {
    fn visit_mut_class(&mut self, class: &mut Class) {
        let first = self.classes.iter().map(|m| m.len()).sum::<usize>();
        let mut declared = declared(class);
        let uses = uses(class);
        declared.sort_by(|a, b| uses.get(b).cmp(&uses.get(a)).then_with(|| a.cmp(b)));
        let renaming = declared
            .into_iter()
            .enumerate()
            .map(|(i, name)| (name, short_name(first + i)))
            .collect();
        self.classes.push(renaming);
        class.visit_mut_children_with(self);
        self.classes.pop();
    }

    fn visit_mut_private_name(&mut self, n: &mut PrivateName) {
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
