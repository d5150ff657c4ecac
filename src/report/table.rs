//! The terminal table format (the default).

use std::io::{self, Write};

use comfy_table::{CellAlignment, ContentArrangement, Table as Grid, presets::UTF8_FULL_CONDENSED};

use super::{Report, Section, notes, sections, summary_line, write_lines};
use crate::engine::results::RunResults;

pub struct Table;

impl Report for Table {
    fn write(&self, r: &RunResults, out: &mut dyn Write) -> io::Result<()> {
        print(&summary_line(r), &sections(r), out)?;
        write_lines(&notes(r), out)
    }
}

/// Prints a header line and titled tables.
pub fn print(header: &str, sections: &[Section], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{header}")?;
    for s in sections {
        let mut g = Grid::new();
        g.load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(&s.header);
        for row in &s.rows {
            g.add_row(row);
        }
        for i in (1..s.header.len()).filter(|i| !s.text_columns.contains(i)) {
            if let Some(c) = g.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        writeln!(out, "\n{}\n{g}", s.title)?;
        for n in &s.notes {
            writeln!(out, "{n}")?;
        }
    }
    Ok(())
}
