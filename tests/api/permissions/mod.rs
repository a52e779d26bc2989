//! DESIGN §4 cell by cell: every operation as every kind of caller, over HTTP with real tokens.
//!
//! Each row of a matrix decides all ten callers in one `match` without a wildcard, so a caller
//! cannot be forgotten. An allowed cell checks the data the caller gets; a refused cell checks the
//! code, that the refused field holds nothing and that nothing was written. Every answer, allowed
//! or not, is searched for what its caller may not see (other firms' names and comments, drafts).
//! Objects a caller may not see are refused exactly like objects that do not exist.

//!
//! `world.rs` builds the firms, brokers, departments and policies every test starts from;
//! `table.rs` runs a table of cells (operation, caller, expected outcome) in one loop. The tables:
//! reads and writes of DESIGN §4, nested paths to firm data, refusals that look like absence,
//! entrustments withdrawn, the CSV export, and a check that every path to firm data in the schema
//! has cells.

mod coverage;
mod disguise;
mod entrustment;
mod export;
mod nested;
mod reads;
mod table;
mod world;
mod writes;
