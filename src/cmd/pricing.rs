//! `simroute pricing import | list | diff`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use toml::Table;

use super::{PricingArgs, PricingCommand, UsageError};
use crate::input::{InputError, TomlFile};
use crate::pricing::litellm::{self, REGIONS};
use crate::pricing::overlay::Overlay;
use crate::pricing::{PriceTable, diff, list, write};

/// The shipped table, built into the binary so that `pricing list` works from
/// any folder.
pub const SHIPPED: &str = include_str!("../../pricing/bedrock-us-east-1.toml");

/// How the shipped table is named in messages.
const SHIPPED_NAME: &str = "pricing/bedrock-us-east-1.toml (built in)";

pub fn pricing_cmd(args: &PricingArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match &args.command {
        PricingCommand::Import(a) => import(a, out),
        PricingCommand::List(a) => {
            let table = match &a.pricing {
                Some(p) => PriceTable::load(p)?,
                None => shipped()?,
            };
            out.write_all(list::list(&table, a.filter.as_deref()).as_bytes())?;
            Ok(())
        }
        PricingCommand::Diff(a) => diff_cmd(a, out),
    }
}

/// The built-in table.
pub fn shipped() -> anyhow::Result<PriceTable> {
    let file = TomlFile::<crate::pricing::format::PricingFile>::parse(
        Path::new(SHIPPED_NAME),
        SHIPPED.to_string(),
    )?;
    Ok(PriceTable::validate(&file.value).map_err(|e| file.error(e))?)
}

/// Today's date (UTC), YYYY-MM-DD.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = crate::logs::time::civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

fn import(a: &super::ImportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if !REGIONS.contains(&a.region.as_str()) {
        return Err(UsageError(format!(
            "--region {}: not an AWS Region simroute knows{}; the Regions are {}",
            a.region,
            crate::input::did_you_mean(&a.region, REGIONS.iter().copied()),
            REGIONS.join(", ")
        ))
        .into());
    }
    let to_stdout = a.out.as_os_str() == "-";
    if !to_stdout {
        let mut inputs = vec![a.file.clone()];
        inputs.extend(a.overlay.iter().cloned());
        crate::outfile::check(
            &[crate::outfile::Planned {
                shown: format!("--out {}", a.out.display()),
                path: a.out.clone(),
                makes_folder: false,
            }],
            &inputs,
            crate::outfile::Replace::Allowed,
        )?;
    }
    let overlay = a.overlay.as_deref().map(Overlay::read).transpose()?;
    let bytes = crate::infile::read_whole(&a.file, crate::infile::Whole::PriceList)?;
    if let Some(what) = crate::infile::binary_kind(&bytes) {
        return Err(InputError::file(
            &a.file,
            format!("this is {what}, not LiteLLM's price list (a JSON file, model_prices_and_context_window_backup.json)"),
        )
        .into());
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        InputError::file(
            &a.file,
            "this is not UTF-8 text: LiteLLM's price list is a JSON file",
        )
    })?;
    if crate::infile::looks_like_toml(crate::infile::first_line(&bytes)) {
        return Err(InputError::file(
            &a.file,
            "this is a TOML file (a pricing table or a scenario?), not LiteLLM's price list: give model_prices_and_context_window_backup.json, or the Bedrock entries of it in pricing/litellm/",
        )
        .into());
    }
    let sha = litellm::sha256_hex(&bytes);
    let mut imported =
        litellm::import(text, &a.region, &a.models).map_err(|e| e.into_input(&a.file))?;
    let mut marked = Default::default();
    if let Some(o) = &overlay {
        let filters: Vec<String> = a.models.iter().map(|f| f.to_lowercase()).collect();
        let filtered_out =
            |k: &str| !filters.is_empty() && !filters.iter().any(|f| k.to_lowercase().contains(f));
        marked = o.apply(&mut imported.models, filtered_out)?;
    }
    let as_of = a.as_of.clone().unwrap_or_else(today);
    let mut meta = Table::new();
    meta.insert("region".into(), a.region.clone().into());
    meta.insert("currency".into(), "USD".into());
    meta.insert("unit".into(), "per 1M tokens".into());
    meta.insert("as_of".into(), as_of.clone().into());
    meta.insert(
        "source".into(),
        match &a.litellm_version {
            Some(v) => format!(
                "LiteLLM {v} price list ({}), imported by simroute pricing import",
                a.file.display()
            ),
            None => format!(
                "LiteLLM price list ({}), imported by simroute pricing import",
                a.file.display()
            ),
        }
        .into(),
    );
    if let Some(v) = &a.litellm_version {
        meta.insert("litellm_version".into(), v.clone().into());
    }
    meta.insert("litellm_sha256".into(), sha.clone().into());
    let header = header(a, &sha, &imported.skipped);
    let mark = a
        .overlay
        .as_ref()
        .and_then(|p| p.file_name())
        .map_or("overlay".into(), |n| n.to_string_lossy().into_owned());
    let text = write::render(&header, &meta, &imported.models, &marked, &mark);
    // What was written must read back as a valid table.
    let file = TomlFile::<crate::pricing::format::PricingFile>::parse(
        Path::new("the imported table"),
        text.clone(),
    )
    .context("the imported table does not read back")?;
    if let Err(e) = PriceTable::validate(&file.value) {
        return Err(blame(a, overlay.as_ref(), &imported.models, &marked, e).into());
    }
    for (why, n) in &imported.skipped {
        eprintln!("note: skipped {n}: {why}");
    }
    if to_stdout {
        out.write_all(text.as_bytes())?;
    } else {
        crate::outfile::write_all(&[(a.out.clone(), text.as_bytes())])
            .map_err(|(p, e)| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
        eprintln!(
            "wrote {} models to {}",
            imported.models.len(),
            a.out.display()
        );
    }
    Ok(())
}

/// A finding in the imported table, said of the file it came from: the
/// overlay where it set the key, else LiteLLM's file, naming the entry.
fn blame(
    a: &super::ImportArgs,
    overlay: Option<&Overlay>,
    models: &std::collections::BTreeMap<String, Table>,
    marked: &std::collections::BTreeSet<crate::pricing::overlay::LeafPath>,
    e: crate::input::Invalid,
) -> InputError {
    use crate::input::Seg;
    let segs: Vec<String> = e
        .path
        .0
        .iter()
        .skip(1)
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.clone()),
            Seg::Index(_) => None,
        })
        .collect();
    let by_overlay = marked
        .iter()
        .any(|m| segs.starts_with(m) || m.starts_with(&segs));
    match (overlay, by_overlay) {
        (Some(o), true) => o.error(crate::input::Invalid {
            message: format!("{} (once merged into the import)", e.message),
            ..e
        }),
        _ => {
            let entry = segs
                .first()
                .and_then(|m| models.get(m))
                .and_then(|m| m.get("source"))
                .and_then(|s| s.as_str())
                .and_then(|s| s.strip_prefix("litellm:"))
                .map_or(String::new(), |k| format!(" (LiteLLM's entry \"{k}\")"));
            InputError {
                file: a.file.clone(),
                position: None,
                key: e.path.to_string(),
                message: format!(
                    "{}{entry}: simroute cannot take these prices as they are; set the key in an overlay (--overlay) or leave the model out (--models)",
                    e.message
                ),
            }
        }
    }
}

/// The generated table's header: how it was made and where every price came
/// from.
fn header(
    a: &super::ImportArgs,
    sha: &str,
    skipped: &std::collections::BTreeMap<String, usize>,
) -> String {
    let mut cmd = format!(
        "simroute pricing import {} --region {}",
        a.file.display(),
        a.region
    );
    for m in &a.models {
        cmd.push_str(&format!(" --models {m}"));
    }
    if let Some(o) = &a.overlay {
        cmd.push_str(&format!(" --overlay {}", o.display()));
    }
    if let Some(v) = &a.litellm_version {
        cmd.push_str(&format!(" --litellm-version {v}"));
    }
    if let Some(d) = &a.as_of {
        cmd.push_str(&format!(" --as-of {d}"));
    }
    if let Some(u) = &a.upstream_sha256 {
        cmd.push_str(&format!(" --upstream-sha256 {u}"));
    }
    cmd.push_str(&format!(" --out {}", a.out.display()));
    write::import_header(&write::Provenance {
        command: &cmd,
        file: &a.file,
        region: &a.region,
        version: a.litellm_version.as_deref(),
        sha,
        upstream: a.upstream_sha256.as_deref(),
        overlay: a.overlay.as_deref(),
        skipped,
    })
}

fn diff_cmd(a: &super::DiffArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let old = PriceTable::load(&a.old)?;
    let new = PriceTable::load(&a.new)?;
    let d = diff::diff(&old, &new);
    writeln!(out, "old: {} ({})", a.old.display(), diff::describe(&old))?;
    writeln!(out, "new: {} ({})\n", a.new.display(), diff::describe(&new))?;
    out.write_all(
        diff::render(
            &d,
            &a.old.display().to_string(),
            &a.new.display().to_string(),
        )
        .as_bytes(),
    )?;
    if let Some(s) = &a.scenario {
        scenario_costs(a, s, out)?;
    }
    Ok(())
}

/// Runs scenario `s` with OLD and with NEW as its pricing table (paired, as
/// `compare` does) and prints each policy's monthly cost.
fn scenario_costs(a: &super::DiffArgs, s: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let opts = crate::scenario::LoadOptions::default();
    // Read as `run` reads it first: its own mistakes, and ranges, are said so.
    let plain = crate::scenario::Scenario::load_with(s, &opts)?;
    crate::uncertain::refuse(&plain, "pricing diff --scenario")?;
    let size = crate::sweep::run::RunSize {
        seed: a.seed,
        requests: a.requests,
        replications: a.replications,
    };
    let with = |p: &Path| -> anyhow::Result<crate::scenario::Scenario> {
        let file = TomlFile::<crate::scenario::format::ScenarioFile>::read(s)?;
        let table = PriceTable::load(p)?;
        let mut sc = crate::scenario::load_parsed(file, s, p, table, &opts).with_context(|| {
            format!(
                "{} cannot run with {} as its pricing table",
                s.display(),
                p.display()
            )
        })?;
        size.apply(&mut sc)?;
        Ok(sc)
    };
    let sa = with(&a.old)?;
    let sb = with(&a.new)?;
    let progress = super::progress::Progress::new(
        crate::engine::total_requests(&sa) + crate::engine::total_requests(&sb),
        "pricing diff",
    );
    let results = crate::engine::with_threads(super::work::threads(a.threads), || {
        crate::compare::compare(&sa, &sb, &|n| progress.tick(n))
    })??;
    progress.finish();
    writeln!(
        out,
        "\nscenario {} ({} requests x {} replications, seed {}): monthly cost with OLD → NEW",
        s.display(),
        crate::numfmt::count(sa.requests as f64),
        sa.replications,
        sa.seed
    )?;
    let rows: Vec<[String; 4]> = results
        .policies
        .iter()
        .filter_map(|p| {
            let d = p.deltas.iter().find(|d| d.metric == "cost_per_month_usd")?;
            Some([
                p.name.clone(),
                crate::report::format::usd(&d.a),
                crate::report::format::usd(&d.b),
                format!(
                    "{}{}{}",
                    if d.change.mean > 0.0 { "+" } else { "" },
                    crate::report::format::usd(&d.change),
                    d.relative
                        .map_or(String::new(), |r| format!(" ({:+.1}%)", r * 100.0))
                ),
            ])
        })
        .collect();
    let head = [
        "policy".to_string(),
        "old".to_string(),
        "new".to_string(),
        "change (paired)".to_string(),
    ];
    let mut w = [0usize; 4];
    for r in std::iter::once(&head).chain(&rows) {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    for r in std::iter::once(&head).chain(&rows) {
        writeln!(
            out,
            "  {:<a$}  {:>b$}  {:>c$}  {:>d$}",
            r[0],
            r[1],
            r[2],
            r[3],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3]
        )?;
    }
    Ok(())
}
