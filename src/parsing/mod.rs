//! What every parse of user code goes through, the bundler's and the schema reader's alike: a
//! scan that refuses input nested deeper than the parsers can take (`depth`), and a guard that
//! turns a parser's panic into an error for that file (`guard`); and what a parsed module
//! imports and exports, read once (`module_facts`).

pub mod depth;
pub mod guard;
pub mod module_facts;
