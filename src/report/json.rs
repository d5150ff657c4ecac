//! JSON: [`RunResults`] as it is, pretty-printed. Fields are documented in
//! scenarios/README.md.

use std::io::{self, Write};

use super::Report;
use crate::engine::results::RunResults;

pub struct Json;

impl Report for Json {
    fn write(&self, r: &RunResults, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, r)?;
        writeln!(out)
    }
}
