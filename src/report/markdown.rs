//! GitHub-flavoured Markdown tables, for pasting into reviews.

use std::io::{self, Write};

use super::{Report, Section, notes, sections, summary_line, write_lines};
use crate::engine::results::RunResults;

pub struct Markdown;

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

impl Report for Markdown {
    fn write(&self, r: &RunResults, out: &mut dyn Write) -> io::Result<()> {
        print(&summary_line(r), &sections(r), out)?;
        write_lines(&notes(r), out)
    }
}

/// Prints a header line and titled tables as Markdown.
pub fn print(header: &str, sections: &[Section], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{header}")?;
    for s in sections {
        writeln!(out, "\n### {}\n", s.title)?;
        let row = |cells: &[String]| {
            format!(
                "| {} |",
                cells
                    .iter()
                    .map(|c| cell(c))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        writeln!(out, "{}", row(&s.header))?;
        let align: Vec<String> = (0..s.header.len())
            .map(|i| {
                if i == 0 || s.text_columns.contains(&i) {
                    "---".into()
                } else {
                    "---:".into()
                }
            })
            .collect();
        writeln!(out, "| {} |", align.join(" | "))?;
        for r in &s.rows {
            writeln!(out, "{}", row(r))?;
        }
        if !s.notes.is_empty() {
            writeln!(out)?;
            for n in &s.notes {
                // One list item each, so that Markdown does not join them.
                writeln!(out, "- {}", n.replacen("* ", "\\* ", 1))?;
            }
        }
    }
    Ok(())
}
