//! The rules a row must pass before anything is sent, met the way a user meets them: through
//! `validate`, `plan` and `apply` on files written by the test. Lengths and characters Tallyfy
//! would refuse, identical and conflicting repeats of a key, and cells an export wrapped or
//! mangled (`<ann@x.com>`, `__clear__`, `4.42E+09`).

mod duplicates;
mod emails;
mod text;
