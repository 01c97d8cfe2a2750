//! Checks and preprocessors that keep the book honest.

pub mod includes;
