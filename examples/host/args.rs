//! A tiny command-line reader shared by the examples (no external parser crate).

use std::fmt::Display;
use std::str::FromStr;

/// Walks `std::env::args()`; options are matched by the caller, values parsed here.
pub struct Args {
    items: Vec<String>,
    next: usize,
}

impl Args {
    /// The process arguments without the program name.
    pub fn from_env() -> Args {
        Args::from_vec(std::env::args().skip(1).collect())
    }

    /// Arguments from a list (for tests).
    pub fn from_vec(items: Vec<String>) -> Args {
        Args { items, next: 0 }
    }

    /// The next argument, if any.
    pub fn next_arg(&mut self) -> Option<String> {
        let item = self.items.get(self.next).cloned();
        if item.is_some() {
            self.next += 1;
        }
        item
    }

    /// The value following option `opt`, parsed; exits with a message when missing or invalid.
    pub fn value<T: FromStr>(&mut self, opt: &str) -> T
    where
        T::Err: Display,
    {
        let Some(text) = self.next_arg() else {
            die(&format!("{opt} needs a value"));
        };
        match text.parse() {
            Ok(v) => v,
            Err(e) => die(&format!("{opt} {text}: {e}")),
        }
    }
}

/// Prints `msg` to stderr and exits with status 2 (usage error).
pub fn die(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}
