//! What every parse of user code goes through, the bundler's and the schema reader's alike: a
//! scan that refuses input nested deeper than the parsers can take (`depth`), and a guard that
//! turns a parser's panic into an error for that file (`guard`).

pub mod depth;
pub mod guard;
