//! Uncertain inputs: what the user does not know, and what it does to the answer.
//!
//! Every interval simroute printed before this module was Monte Carlo noise: a
//! cost of `$0.01287 ± 0.00001` rests on a hand-set skill and AUC that the ±
//! knows nothing about. Here any number the user guesses may be given as a range,
//! `skill = { low = 0.70, high = 0.85 }` ([`ranges`]), read as a uniform
//! distribution on [low, high] (the maximum-entropy reading of "somewhere between
//! these two", and the one a reviewer can check).
//!
//! **Second-order Monte Carlo** ([`run`]): the uncertainty about the inputs is an
//! outer loop around the simulation's own noise. Replication r draws every
//! uncertain input once, from its own stream (seeded from (seed, r), apart from
//! the request streams), builds that variant of the scenario from the TOML
//! documents as a sweep does (so each variant is validated as a file is), and
//! simulates it on the request streams (seed, r, chunk) of any run. The spread of
//! the replications is then the inputs' uncertainty plus the simulation noise
//! (Cullen & Frey, *Probabilistic Techniques in Exposure Assessment*, 1999, ch. 6:
//! "two-dimensional" Monte Carlo; here the inner dimension is the requests of a
//! replication), and the interval reported is the **percentile interval** of the
//! replications' values, their 2.5% and 97.5% quantiles ([`sample`]): where an
//! input could be, not where the mean of the replications is. It does not narrow
//! with more replications; more replications only pin its ends down.
//!
//! **Sensitivity** ([`sensitivity`]): which unknown to measure first. Each input
//! goes from its low to its high end with the others at their midpoints
//! (one-at-a-time, the tornado diagram of decision analysis: Howard, "Decision
//! analysis: practice and promise", *Management Science* 34, 1988), on the same
//! request streams, so that a swing is the input's effect and not noise. The share
//! of each figure's variance that each input explains comes from the
//! second-order run: standardised regression coefficients (Saltelli et al.,
//! *Global Sensitivity Analysis: The Primer*, 2008, §1.2.5).

pub mod ranges;
pub mod run;
pub mod sample;
pub mod sensitivity;

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as Rng64;
use toml::{Table, Value};

use crate::input::{InputError, Seg, TomlFile};
use crate::scenario::Scenario;
use crate::sweep::param::{self, Doc};
use ranges::Found;

/// One uncertain input: a number the user gave as a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The user's dotted path, as `sweep --param` names keys:
    /// `models.micro.skill`, `traffic.chat.cache_hit_rate`,
    /// `models.sonnet.price.input`.
    pub key: String,
    /// Which document it is in.
    pub doc: Doc,
    /// Where it is in that document.
    pub segs: Vec<Seg>,
    /// The range's ends (its low end at most its high end).
    pub low: f64,
    pub high: f64,
    /// A whole-number key (a token count): values are rounded.
    pub whole: bool,
}

impl Input {
    /// The midpoint, where the input sits while others move.
    pub fn mid(&self) -> f64 {
        let m = self.low + (self.high - self.low) / 2.0;
        if self.whole { m.round() } else { m }
    }

    /// The value at `u` ∈ [0, 1) of the range (uniform).
    pub fn at(&self, u: f64) -> f64 {
        let v = self.low + u * (self.high - self.low);
        if self.whole {
            v.round()
        } else {
            v.min(self.high)
        }
    }

    /// Whether it is a traffic class's share (shares are renormalised).
    pub fn is_share(&self) -> bool {
        self.doc == Doc::Scenario
            && self.segs.len() == 3
            && self.segs[0] == Seg::Key("traffic".into())
            && self.segs[2] == Seg::Key("share".into())
    }

    /// The input in words: "micro's skill", "chat's cache hit rate".
    pub fn words(&self) -> String {
        words(&self.key)
    }
}

/// A dotted key in words: `models.micro.skill` → "micro's skill",
/// `models.sonnet.price.input` → "sonnet's input price",
/// `traffic.chat.input_tokens.median` → "chat's input tokens (median)".
pub fn words(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    let say = |k: &str| match k {
        "confidence_auc" => "confidence AUC".to_string(),
        "ttft_ms" => "TTFT".to_string(),
        "output_tokens_per_s" => "output speed".to_string(),
        "auc" => "AUC".to_string(),
        k => k.replace('_', " "),
    };
    match parts[..] {
        ["models" | "traffic" | "policy", owner, "price", k] => {
            format!("{owner}'s {} price", say(k))
        }
        ["models" | "traffic" | "policy", owner, ref rest @ ..] if !rest.is_empty() => {
            let (last, head) = rest.split_last().expect("not empty");
            let qualifier = ["median", "p95", "alpha", "beta", "low", "high"];
            if qualifier.contains(last) && !head.is_empty() {
                let head: Vec<String> = head.iter().map(|k| say(k)).collect();
                format!("{owner}'s {} ({last})", head.join(" "))
            } else {
                let all: Vec<String> = rest.iter().map(|k| say(k)).collect();
                format!("{owner}'s {}", all.join(" "))
            }
        }
        ["scenario", k] => say(k),
        _ => key.to_string(),
    }
}

/// The uncertain inputs of a scenario, and the documents its variants are built
/// from (every range at its midpoint).
#[derive(Debug, Clone)]
pub struct Uncertainty {
    pub inputs: Vec<Input>,
    scenario_doc: Table,
    pricing_doc: Table,
}

/// The replication's stream for drawing the uncertain inputs: apart from the
/// request streams (seed, r, chunk) and the eval resample (seed, r, u64::MAX).
fn input_stream(seed: u64, rep: u32) -> Rng64 {
    Rng64::seed_from_u64(crate::engine::stream_seed(seed, rep, u64::MAX - 1))
}

impl Uncertainty {
    /// The inputs' midpoints.
    pub fn mids(&self) -> Vec<f64> {
        self.inputs.iter().map(Input::mid).collect()
    }

    /// The values replication `rep` draws: each input uniform on its range, one
    /// uniform each, in the order of the inputs.
    pub fn draw(&self, seed: u64, rep: u32) -> Vec<f64> {
        let mut rng = input_stream(seed, rep);
        self.inputs
            .iter()
            .map(|i| i.at(rng.random::<f64>()))
            .collect()
    }

    /// The scenario with the inputs at `values` (one per input), built from the
    /// documents and validated as a file is, with `base`'s run size (seed,
    /// requests, replications: the command line's overrides). Where some share
    /// is uncertain, the shares are scaled to sum to 1.
    pub fn variant(&self, base: &Scenario, values: &[f64]) -> Result<Scenario, String> {
        let (mut s_doc, mut p_doc) = (self.scenario_doc.clone(), self.pricing_doc.clone());
        for (i, v) in self.inputs.iter().zip(values) {
            let doc = match i.doc {
                Doc::Scenario => &mut s_doc,
                Doc::Pricing => &mut p_doc,
            };
            ranges::set(doc, &i.segs, *v, i.whole);
        }
        if self.inputs.iter().any(Input::is_share) {
            renormalise(&mut s_doc);
        }
        let mut s = Scenario::from_tables(
            &base.path,
            s_doc,
            &base.pricing_path,
            p_doc,
            base.measured.clone(),
        )?;
        s.seed = base.seed;
        s.requests = base.requests;
        s.replications = base.replications;
        Ok(s)
    }

    /// The values with every input at its midpoint but input `i` at `v`.
    pub fn one_at(&self, i: usize, v: f64) -> Vec<f64> {
        let mut values = self.mids();
        values[i] = v;
        values
    }

    /// `values` in words, for a message: `models.micro.skill = 0.61, ...`.
    pub fn say(&self, values: &[f64]) -> String {
        self.inputs
            .iter()
            .zip(values)
            .map(|(i, v)| format!("{} = {}", i.key, crate::input::num(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Scales the classes' shares to sum to 1 (an uncertain share takes its
/// draw's weight; the others keep their proportions).
fn renormalise(doc: &mut Table) {
    let Some(Value::Array(classes)) = doc.get_mut("traffic") else {
        return;
    };
    let share = |c: &Value| {
        c.get("share")
            .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
    };
    let sum: f64 = classes.iter().filter_map(share).sum();
    if sum <= 0.0 || !sum.is_finite() {
        return;
    }
    for c in classes.iter_mut() {
        if let Some(v) = share(c)
            && let Some(t) = c.as_table_mut()
        {
            t.insert("share".into(), Value::Float(v / sum));
        }
    }
}

/// Reads the scenario file and its pricing table with their ranges: the
/// midpoint scenario, validated as a file is (its mistakes at their line and
/// column), and the uncertain inputs, each checked at its low and high end with
/// the others at their midpoints. A scenario without ranges is read as before.
pub fn load(path: &Path, options: &crate::scenario::LoadOptions) -> Result<Scenario, InputError> {
    use crate::input::TomlKind;
    use crate::pricing::format::PricingFile;
    use crate::scenario::format::ScenarioFile;

    let (file, s_found) = TomlFile::<ScenarioFile>::read_ranged(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let pricing_path = dir.join(&file.value.scenario.pricing);
    let named_by = |mut e: InputError| {
        if e.position.is_none() && e.key.is_empty() {
            e.message = format!(
                "{} (the pricing table named by scenario.pricing in {})",
                e.message,
                path.display()
            );
        }
        e
    };
    let (pfile, p_found) = TomlFile::<PricingFile>::read_ranged(&pricing_path).map_err(named_by)?;
    let table = crate::pricing::PriceTable::validate(&pfile.value).map_err(|e| pfile.error(e))?;
    let mut scenario = crate::scenario::load_parsed(file, path, &pricing_path, table, options)?;
    if s_found.is_empty() && p_found.is_empty() {
        return Ok(scenario);
    }
    let plain = |p: &Path, kind: TomlKind, found: &[Found]| -> Result<Table, InputError> {
        let text = crate::input::read_toml_text(p, kind)?;
        let mut t: Table = text
            .parse()
            .map_err(|e: toml::de::Error| InputError::file(p, e.message().to_string()))?;
        ranges::midpoints(&mut t, found);
        Ok(t)
    };
    let scenario_doc = plain(path, TomlKind::Scenario, &s_found)?;
    let pricing_doc = plain(&pricing_path, TomlKind::Pricing, &p_found)?;
    let leaves = param::leaves(&scenario_doc, &pricing_doc);
    let mut inputs = Vec::new();
    for (doc, found) in [(Doc::Scenario, &s_found), (Doc::Pricing, &p_found)] {
        for f in found {
            // A price of an entry no scenario model uses cannot matter: it is
            // read at its midpoint and not drawn.
            let Some(leaf) = leaves.iter().find(|l| l.doc == doc && l.segs == f.segs) else {
                continue;
            };
            inputs.push(Input {
                key: leaf.path.clone(),
                doc,
                segs: f.segs.clone(),
                low: f.low,
                high: f.high,
                whole: f.whole,
            });
        }
    }
    let u = Uncertainty {
        inputs,
        scenario_doc,
        pricing_doc,
    };
    // Each end, with the others at their midpoints, must be a valid scenario.
    for (i, input) in u.inputs.iter().enumerate() {
        for (end, v) in [("low", input.low), ("high", input.high)] {
            if let Err(e) = u.variant(&scenario, &u.one_at(i, v)) {
                let located = crate::input::Invalid::new(
                    crate::input::KeyPath(input.segs.clone()),
                    format!(
                        "the scenario is not valid at this range's {end} end ({}), the other uncertain inputs at their midpoints: {e}",
                        crate::input::num(v)
                    ),
                );
                return Err(match input.doc {
                    Doc::Scenario => scenario_file_error(path, located)?,
                    Doc::Pricing => pfile.error(located),
                });
            }
        }
    }
    if !u.inputs.is_empty() {
        scenario.uncertainty = Some(std::sync::Arc::new(u));
    }
    Ok(scenario)
}

/// `sweep` and `compare` do not draw uncertain inputs (yet): a scenario with
/// ranges is a usage error there rather than a run at the midpoints that looks
/// certain.
pub fn refuse(s: &Scenario, command: &str) -> Result<(), crate::input::UsageError> {
    match &s.uncertainty {
        None => Ok(()),
        Some(u) => Err(crate::input::UsageError(format!(
            "{}: {command} does not take uncertain inputs: {} {} given as a range ({}). Run `simroute run` for the figures with their uncertainty and `simroute sensitivity` for which input matters, or give {command} a scenario with numbers",
            s.path.display(),
            u.inputs.len(),
            if u.inputs.len() == 1 {
                "input is"
            } else {
                "inputs are"
            },
            u.inputs
                .iter()
                .map(|i| i.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A finding located in the scenario file (read again for its text).
fn scenario_file_error(
    path: &Path,
    invalid: crate::input::Invalid,
) -> Result<InputError, InputError> {
    let text = crate::input::read_toml_text(path, crate::input::TomlKind::Scenario)?;
    let f = TomlFile {
        path: path.to_path_buf(),
        text,
        value: (),
    };
    Ok(f.error(invalid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_words() {
        assert_eq!(words("models.micro.skill"), "micro's skill");
        assert_eq!(
            words("models.micro.confidence_auc"),
            "micro's confidence AUC"
        );
        assert_eq!(words("models.sonnet.price.input"), "sonnet's input price");
        assert_eq!(
            words("traffic.chat.cache_hit_rate"),
            "chat's cache hit rate"
        );
        assert_eq!(
            words("traffic.chat.input_tokens.median"),
            "chat's input tokens (median)"
        );
        assert_eq!(
            words("traffic.chat.difficulty.alpha"),
            "chat's difficulty (alpha)"
        );
        assert_eq!(words("scenario.sharpness"), "sharpness");
    }

    #[test]
    fn draws_are_uniform_on_the_range_and_whole_where_asked() {
        let i = Input {
            key: "k".into(),
            doc: Doc::Scenario,
            segs: vec![],
            low: 100.0,
            high: 200.0,
            whole: true,
        };
        assert_eq!(i.at(0.0), 100.0);
        assert_eq!(i.at(0.999_999), 200.0);
        assert_eq!(i.at(0.333), 133.0);
        assert_eq!(i.mid(), 150.0);
    }

    #[test]
    fn shares_are_scaled_to_sum_to_one() {
        let mut t: Table = "[[traffic]]\nshare = 0.6\n[[traffic]]\nshare = 0.6\n"
            .parse()
            .unwrap();
        renormalise(&mut t);
        let shares: Vec<f64> = t["traffic"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["share"].as_float().unwrap())
            .collect();
        assert_eq!(shares, vec![0.5, 0.5]);
    }
}
