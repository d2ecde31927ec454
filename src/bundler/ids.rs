//! Tables by identifier, looked up without a copy of the identifier's name: a copy of a long
//! name (an `Atom` on the heap) changes a count in memory that every thread shares, and the
//! passes that look up every identifier run on all threads.

use swc_core::atoms::Atom;
use swc_core::common::SyntaxContext;
use swc_core::ecma::ast::{Id, Ident};

/// A table by identifier (name and context).
pub type IdMap<V> = hashbrown::HashMap<Id, V, rustc_hash::FxBuildHasher>;

/// An identifier as an `IdMap` looks it up: it hashes as an `Id` does.
#[derive(Hash)]
pub struct IdRef<'a>(pub &'a Atom, pub SyntaxContext);

impl<'a> IdRef<'a> {
    pub fn of(i: &'a Ident) -> IdRef<'a> {
        IdRef(&i.sym, i.ctxt)
    }
}

impl hashbrown::Equivalent<Id> for IdRef<'_> {
    fn equivalent(&self, id: &Id) -> bool {
        *self.0 == id.0 && self.1 == id.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_is_found_by_its_reference() {
        let mut map: IdMap<u32> = IdMap::default();
        let ctxt = SyntaxContext::empty();
        for (k, name) in ["a", "a_long_name_kept_on_the_heap", "b"]
            .iter()
            .enumerate()
        {
            map.insert((Atom::from(*name), ctxt), k as u32);
        }
        let long = Ident::new_no_ctxt("a_long_name_kept_on_the_heap".into(), Default::default());
        assert_eq!(map.get(&IdRef::of(&long)), Some(&1));
        let other = Ident::new_no_ctxt("c".into(), Default::default());
        assert_eq!(map.get(&IdRef::of(&other)), None);
    }
}
