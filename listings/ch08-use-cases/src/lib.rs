//! Chapter 8: where tasks pay off and where they do not: many waits, many
//! connections, and one blocking call among tasks.

pub mod blocking;
pub mod echo;
pub mod io;
