//! `pricing import --overlay`: keys merged on top of the imported entries, for
//! what LiteLLM does not list (quota burndown, prefill and latency estimates,
//! cache minimums from AWS's documentation).
//!
//! An overlay is a pricing table without `[meta]` whose model entries may be
//! partial: every key it sets replaces or adds the imported one (tables such
//! as `tiers.priority` merge key by key). A model it names must be in the
//! import: an overlay entry for a model LiteLLM no longer lists is a mistake
//! to look at, not something to carry silently.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;
use toml::Table;

use crate::input::{InputError, Invalid, KeyPath, TomlFile, TomlFormat, TomlKind};
use crate::pricing::format::ModelEntry;

/// An overlay as written: `[models."key"]` tables, each key optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayFile {
    #[serde(default)]
    pub models: BTreeMap<String, ModelEntry>,
}

impl TomlFormat for OverlayFile {
    const KIND: TomlKind = TomlKind::Pricing;
}

/// An overlay read and checked: its entries as written (for merging) and the
/// file (for locating mistakes).
pub struct Overlay {
    file: TomlFile<OverlayFile>,
    models: Table,
}

/// A key of a model entry, as path segments below `models`: `[model, "tiers",
/// "priority", "ttft_ms"]`.
pub type LeafPath = Vec<String>;

impl Overlay {
    /// Reads `path`: syntax, unknown keys and wrong types are refused at their
    /// line and column.
    pub fn read(path: &Path) -> Result<Overlay, InputError> {
        let file = TomlFile::<OverlayFile>::read(path)?;
        let doc: Table = file
            .text
            .parse()
            .map_err(|e: toml::de::Error| InputError::file(path, e.message().to_string()))?;
        let models = match doc.get("models") {
            Some(toml::Value::Table(t)) => t.clone(),
            _ => Table::new(),
        };
        Ok(Overlay { file, models })
    }

    /// A finding about a key the overlay sets, at its line in the overlay.
    pub fn error(&self, invalid: Invalid) -> InputError {
        self.file.error(invalid)
    }

    /// Merges the overlay into `models`, and returns the keys it set. A model
    /// not in `models` is an error, unless `skip` says it was filtered out.
    pub fn apply(
        &self,
        models: &mut BTreeMap<String, Table>,
        skip: impl Fn(&str) -> bool,
    ) -> Result<BTreeSet<LeafPath>, InputError> {
        let mut set = BTreeSet::new();
        for (key, v) in &self.models {
            let Some(target) = models.get_mut(key) else {
                if skip(key) {
                    continue;
                }
                return Err(self.file.error(Invalid::new(
                    KeyPath::root().key("models").key(key),
                    format!(
                        "\"{key}\" is not a model of the import{}: an overlay adds keys to imported models; remove the entry, or check whether LiteLLM renamed or dropped the model",
                        crate::input::did_you_mean(key, models.keys().map(String::as_str))
                    ),
                )));
            };
            let toml::Value::Table(entry) = v else {
                continue;
            };
            merge(target, entry, &mut vec![key.clone()], &mut set);
        }
        Ok(set)
    }
}

/// Merges `over` into `into`, tables key by key, recording each leaf set.
fn merge(into: &mut Table, over: &Table, at: &mut LeafPath, set: &mut BTreeSet<LeafPath>) {
    for (k, v) in over {
        at.push(k.clone());
        match (into.get_mut(k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) if !is_spread(k) => {
                merge(a, b, at, set)
            }
            _ => {
                into.insert(k.clone(), v.clone());
                set.insert(at.clone());
            }
        }
        at.pop();
    }
}

/// A latency spread is replaced whole: `{ median, p95 }` over a plain number.
fn is_spread(key: &str) -> bool {
    key == "ttft_ms" || key == "output_tokens_per_s"
}
