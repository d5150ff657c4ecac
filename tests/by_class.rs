//! A route and a trigger per traffic class (`by_class.CLASS = { route,
//! threshold }`): figures against closed forms, common random numbers, sweeps of
//! one class's threshold, and the messages for mistakes in a class's table.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use common::*;
use serde_json::Value;

/// small: $0.0012 a call (1000 in at $1/M, 100 out at $2/M); plain the same;
/// large: $0.012 (1000 × $10/M + 100 × $20/M). Fixed tokens, fixed difficulty.
const SMALL: f64 = 0.0012;
const PLAIN: f64 = 0.0012;
const LARGE: f64 = 0.012;

/// Models s (small), m (plain) and l (large); s and m with confidence of AUC
/// `auc`, l with none. Classes `(name, share)` with fixed tokens.
fn scenario(requests: u64, reps: u32, auc: f64, classes: &[(&str, f64)], policies: &str) -> String {
    let mut s = header(requests, reps);
    s += &format!(
        "[models.s]\nprice = \"small\"\nskill = 0.5\nconfidence_auc = {auc}\n\n\
         [models.m]\nprice = \"plain\"\nskill = 0.6\nconfidence_auc = {auc}\n\n\
         [models.l]\nprice = \"large\"\nskill = 0.8\n\n"
    );
    for (name, share) in classes {
        s += &format!(
            "[[traffic]]\nname = \"{name}\"\nshare = {share}\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = {{ alpha = 2, beta = 4 }}\n\n"
        );
    }
    s + policies
}

fn class<'a>(
    p: &'a simroute::engine::results::PolicyResult,
    name: &str,
) -> &'a simroute::engine::results::ClassResult {
    p.classes.iter().find(|c| c.class == name).unwrap()
}

const FOUR: [(&str, f64); 4] = [("chat", 0.3), ("agent", 0.3), ("faq", 0.2), ("other", 0.2)];

#[test]
fn each_class_escalates_at_its_own_threshold() {
    // AUC 0.5: a confidence is uniform on (0, 1) whatever the answer, and the
    // confidences of s and m are independent, so a tier with threshold t
    // escalates with probability t.
    //   chat  (0.3): s → l at 0.2: escalation 0.2, cost small + 0.2 large = 0.0036
    //   agent (0.3): s → m → l at [0.5, 0.4]: reaches m 0.5, l 0.5 × 0.4 = 0.2;
    //                escalation 0.5, cost small + 0.5 plain + 0.2 large = 0.0042
    //   faq   (0.2): s alone: escalation 0, cost 0.0012
    //   other (0.2): the policy's route s → l and threshold 0.7: 0.7, 0.0096
    // Blended: escalation 0.3·0.2 + 0.3·0.5 + 0.2·0.7 = 0.35;
    //          cost 0.3·0.0036 + 0.3·0.0042 + 0.2·0.0012 + 0.2·0.0096 = 0.0045.
    let r = simulate(&scenario(
        20_000,
        20,
        0.5,
        &FOUR,
        "[[policy]]\nname = \"mixed\"\nroute = [\"s\", \"l\"]\nthreshold = 0.7\n\
         by_class = { chat = { route = [\"s\", \"l\"], threshold = 0.2 }, agent = { route = [\"s\", \"m\", \"l\"], threshold = [0.5, 0.4] }, faq = \"s\" }\n",
    ));
    let p = policy(&r, "mixed");
    let by_hand = [
        ("chat", 0.2, SMALL + 0.2 * LARGE),
        ("agent", 0.5, SMALL + 0.5 * PLAIN + 0.2 * LARGE),
        ("other", 0.7, SMALL + 0.7 * LARGE),
    ];
    for (name, escalation, cost) in by_hand {
        let c = class(p, name);
        assert_in_ci(
            &format!("{name} escalation"),
            c.escalation_rate.as_ref().unwrap(),
            escalation,
        );
        assert_in_ci(
            &format!("{name} cost"),
            c.cost_per_request.as_ref().unwrap(),
            cost,
        );
    }
    let faq = class(p, "faq");
    assert_eq!(faq.escalation_rate.as_ref().unwrap().mean, 0.0);
    assert_close(
        "faq cost",
        faq.cost_per_request.as_ref().unwrap().mean,
        SMALL,
        1e-12,
    );
    assert_in_ci("escalation", &p.escalation_rate, 0.35);
    assert_close(
        "blended cost by hand",
        0.3 * 0.0036 + 0.3 * 0.0042 + 0.2 * 0.0012 + 0.2 * 0.0096,
        0.0045,
        1e-12,
    );
    assert_in_ci("cost", &p.cost_per_request, 0.0045);
}

/// A policy of a run's JSON, without its name.
fn figures(run: &Value, name: &str) -> String {
    let mut p = run["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no policy {name}"))
        .clone();
    p.as_object_mut().unwrap().remove("name");
    p.as_object_mut().unwrap().remove("baseline");
    serde_json::to_string(&p).unwrap()
}

/// A class's figures within a policy's JSON.
fn class_json(policy: &Value, name: &str) -> String {
    let c = policy["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == name)
        .unwrap();
    serde_json::to_string(c).unwrap()
}

fn policy_json<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

/// The policy-wide trigger, written once, and the same trigger written in every
/// class's table.
const WIDE: &str = "[[policy]]\nname = \"p\"\nroute = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { faq = \"s\", agent = [\"s\", \"m\", \"l\"] }\n";
const PER_CLASS: &str = "[[policy]]\nname = \"p\"\nroute = [\"s\", \"l\"]\n\
    by_class = { chat = { threshold = 0.3 }, other = { route = [\"s\", \"l\"], threshold = [0.3] }, faq = \"s\", agent = { route = [\"s\", \"m\", \"l\"], threshold = 0.3 } }\n";

#[test]
fn the_same_threshold_per_class_or_for_the_policy_gives_the_same_figures() {
    // Informative confidence and a Beta difficulty, so that every draw matters.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pricing.toml"), PRICING).unwrap();
    let write = |file: &str, policies: &str| {
        std::fs::write(
            dir.path().join(file),
            scenario(20_000, 4, 0.8, &FOUR, policies),
        )
        .unwrap();
    };
    write("wide.toml", WIDE);
    write("per-class.toml", PER_CLASS);
    let wide = run_json(dir.path(), &["run", "wide.toml", "--threads", "1"]);
    let per_class = run_json(dir.path(), &["run", "per-class.toml", "--threads", "2"]);
    assert_eq!(figures(&wide, "p"), figures(&per_class, "p"));
    // Both in one scenario: each routes the same requests the same way.
    write(
        "both.toml",
        &format!(
            "{WIDE}\n{}",
            PER_CLASS.replace("name = \"p\"", "name = \"q\"")
        ),
    );
    let both = run_json(dir.path(), &["run", "both.toml"]);
    assert_eq!(figures(&both, "p"), figures(&both, "q"));
    assert_eq!(figures(&both, "p"), figures(&wide, "p"));
}

#[test]
fn a_class_threshold_moves_only_that_class() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pricing.toml"), PRICING).unwrap();
    // `p` with chat's own threshold 0.6 instead of the policy's 0.3.
    let own = WIDE.replace(
        "by_class = { faq",
        "by_class = { chat = { threshold = 0.6 }, faq",
    );
    std::fs::write(
        dir.path().join("own.toml"),
        scenario(20_000, 4, 0.8, &FOUR, &own),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("wide.toml"),
        scenario(20_000, 4, 0.8, &FOUR, WIDE),
    )
    .unwrap();
    let own = run_json(dir.path(), &["run", "own.toml"]);
    let wide = run_json(dir.path(), &["run", "wide.toml"]);
    let (a, b) = (policy_json(&own, "p"), policy_json(&wide, "p"));
    for c in ["agent", "faq", "other"] {
        assert_eq!(class_json(a, c), class_json(b, c), "class {c}");
    }
    let esc = |p: &Value| p["classes"][0]["escalation_rate"]["mean"].as_f64().unwrap();
    assert_eq!(a["classes"][0]["class"], "chat");
    assert!(esc(a) > esc(b) + 0.1, "{} vs {}", esc(a), esc(b));
}

const SWEPT: &str = "[[policy]]\nname = \"mixed\"\nroute = [\"s\", \"l\"]\nthreshold = 0.7\n\
    by_class = { chat = { route = [\"s\", \"l\"], threshold = 0.2 }, agent = { route = [\"s\", \"m\", \"l\"], threshold = [0.5, 0.4] }, faq = \"s\" }\n";

#[test]
fn a_sweep_of_one_class_threshold_changes_only_that_class() {
    let f = fixture(&scenario(20_000, 10, 0.5, &FOUR, SWEPT));
    let dir = f.dir.path();
    let sweep = |key: &str| {
        run_json(
            dir,
            &[
                "sweep",
                "scenario.toml",
                "--policy",
                "mixed",
                "--param",
                &format!("{key}=0.1,0.5,0.9"),
            ],
        )
    };
    let short = sweep("by_class.chat.threshold");
    let long = sweep("policy.mixed.by_class.chat.threshold");
    assert_eq!(short["params"][0], "policy.mixed.by_class.chat.threshold");
    let points = short["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    for (pt, t) in points.iter().zip([0.1, 0.5, 0.9]) {
        // AUC 0.5: chat escalates at its threshold.
        let chat = pt["result"]["classes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["class"] == "chat")
            .unwrap();
        let e = &chat["escalation_rate"];
        let (lo, hi) = (
            e["ci_low"].as_f64().unwrap(),
            e["ci_high"].as_f64().unwrap(),
        );
        assert!(lo <= t && t <= hi, "chat at {t}: [{lo}, {hi}]");
        // Every other class is the same, to the byte, at every point.
        for c in ["agent", "faq", "other"] {
            assert_eq!(
                class_json(&pt["result"], c),
                class_json(&points[0]["result"], c),
                "class {c} at chat threshold {t}"
            );
        }
    }
    // The long spelling is the same sweep.
    let strip = |v: &Value| {
        let mut v = v["points"].clone();
        for p in v.as_array_mut().unwrap() {
            p.as_object_mut().unwrap().remove("label");
        }
        v
    };
    assert_eq!(strip(&short), strip(&long));
}

// ---------------------------------------------------------------------------
// Mistakes in a class's table: the message names the class and its route.
// ---------------------------------------------------------------------------

/// Two classes, a policy `mixed` made of `policy` (its keys after the name).
fn bad_case(policy: &str) -> (Fixture, String) {
    let text = scenario(
        1000,
        2,
        0.5,
        &[("chat", 0.5), ("agent", 0.5)],
        &format!("[[policy]]\nname = \"mixed\"\n{policy}"),
    );
    (fixture(&text), text)
}

/// `validate` must fail with exit 2 and `error: FILE:LINE:COL: KEY: ` where
/// LINE:COL is that of `at` (unique in the file), and hold every fragment.
fn assert_bad(policy: &str, at: &str, key: &str, fragments: &[&str]) -> String {
    let (f, text) = bad_case(policy);
    let out = cargo_bin_cmd!("simroute")
        .args(["validate", f.scenario.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(text.matches(at).count(), 1, "{at:?} in\n{text}");
    let offset = text.find(at).unwrap();
    let line = text[..offset].matches('\n').count() + 1;
    let col = offset - text[..offset].rfind('\n').map_or(0, |n| n + 1) + 1;
    let want = format!("error: {}:{line}:{col}: {key}: ", f.scenario.display());
    assert!(err.starts_with(&want), "want {want}\ngot  {err}");
    for frag in fragments {
        assert!(err.contains(frag), "{frag:?} not in {err}");
    }
    err
}

fn assert_valid(policy: &str) {
    let (f, _) = bad_case(policy);
    let out = cargo_bin_cmd!("simroute")
        .args(["validate", f.scenario.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_list_of_thresholds_for_routes_of_two_lengths_is_no_longer_a_circle() {
    // A 2-tier and a 3-tier route share the policy's list: once, each message
    // asked for the length the other route refuses ("give 2", then "give 1").
    let routes = "route = [\"s\", \"l\"]\nby_class = { agent = [\"s\", \"m\", \"l\"] }\n";
    for list in ["[0.3]", "[0.3, 0.5]"] {
        let err = assert_bad(
            &format!("{routes}threshold = {list}\n"),
            "threshold =",
            "policy[0].threshold",
            &[
                "class \"chat\" (route [\"s\", \"l\"])",
                "class \"agent\" (route [\"s\", \"m\", \"l\"])",
                "routes of different lengths cannot share a list",
                "or use a single number",
            ],
        );
        // Never "give one per tier but the last": no length would do.
        assert!(!err.contains("one per tier but the last"), "{err}");
    }
    // The way out the message gives, for each class that does not fit.
    let err = assert_bad(
        &format!("{routes}threshold = [0.3]\n"),
        "threshold =",
        "policy[0].threshold",
        &["agent = { route = [\"s\", \"m\", \"l\"], threshold = […, …] }"],
    );
    assert!(err.contains("its own list of 2"), "{err}");
    let err = assert_bad(
        &format!("{routes}threshold = [0.3, 0.5]\n"),
        "threshold =",
        "policy[0].threshold",
        &["chat = { threshold = … }"],
    );
    assert!(err.contains("its own threshold"), "{err}");
    // ... and it works.
    assert_valid(
        "route = [\"s\", \"l\"]\nthreshold = [0.3]\nby_class = { agent = { route = [\"s\", \"m\", \"l\"], threshold = [0.3, 0.5] } }\n",
    );
    assert_valid(
        "route = [\"s\", \"l\"]\nthreshold = [0.3, 0.5]\nby_class = { chat = { threshold = 0.3 }, agent = [\"s\", \"m\", \"l\"] }\n",
    );
    // A single number serves every boundary of every route, as before.
    assert_valid(&format!("{routes}threshold = 0.3\n"));
}

#[test]
fn a_list_of_the_wrong_length_names_the_class_and_route() {
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { route = [\"s\", \"m\", \"l\"], threshold = [0.3] } }\n",
        "threshold = [0.3]",
        "policy[0].by_class.agent.threshold",
        &[
            "1 threshold for class \"agent\" (route [\"s\", \"m\", \"l\"]), of 3 tiers",
            "one per tier but the last (2)",
        ],
    );
    // Every route of the policy's list is too short: the plain message.
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = [0.3, 0.4]\n",
        "threshold =",
        "policy[0].threshold",
        &[
            "2 thresholds for class \"chat\" (route [\"s\", \"l\"]), of 2 tiers",
            "one per tier but the last (1)",
        ],
    );
}

#[test]
fn an_unknown_model_in_a_class_route() {
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { route = [\"s\", \"mm\"], threshold = 0.3 } }\n",
        "\"mm\"",
        "policy[0].by_class.agent.route[1]",
        &["\"mm\" is not a model", "did you mean `m`?"],
    );
}

#[test]
fn a_class_route_that_needs_a_confidence_auc() {
    // l has no confidence_auc, and agent's cascade leaves l on its confidence.
    let at = "l]\nprice";
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { route = [\"l\", \"m\"], threshold = 0.4 } }\n",
        at,
        "models.l.confidence_auc",
        &[
            "missing: policy \"mixed\" escalates class \"agent\" (route [\"l\", \"m\"]) on the confidence of \"l\"",
        ],
    );
}

#[test]
fn a_class_trigger_must_have_something_to_escalate_to() {
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { route = [\"m\"], threshold = 0.4 } }\n",
        "threshold = 0.4",
        "policy[0].by_class.agent.threshold",
        &[
            "class \"agent\" (route [\"m\"])",
            "one tier",
            "nothing to escalate to",
        ],
    );
}

#[test]
fn a_class_escalates_on_one_trigger() {
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { threshold = 0.4, validator = { catches = 0.9, false_alarm = 0.1 } } }\n",
        "validator =",
        "policy[0].by_class.agent.validator",
        &["`threshold` and `validator` are both set for class \"agent\""],
    );
}

#[test]
fn a_cascade_without_any_trigger_names_its_class() {
    // No policy trigger: agent's own serves agent, chat has none.
    assert_bad(
        "route = [\"s\", \"l\"]\nby_class = { agent = { threshold = 0.4 } }\n",
        "route = [\"s\", \"l\"]",
        "policy[0].route",
        &[
            "class \"chat\" (route [\"s\", \"l\"]) has 2 tiers",
            "needs an escalation trigger",
            "by_class table",
        ],
    );
    // The route written in by_class is where the message points.
    assert_bad(
        "by_class = { agent = { route = [\"s\", \"l\"], threshold = 0.4 }, chat = [\"m\", \"l\"] }\n",
        "chat = ",
        "policy[0].by_class.chat",
        &["class \"chat\" (route [\"m\", \"l\"]) has 2 tiers"],
    );
}

#[test]
fn a_policy_trigger_that_no_class_takes() {
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { threshold = 0.4 }, chat = { threshold = 0.5 } }\n",
        "threshold = 0.3",
        "policy[0].threshold",
        &[
            "every class with a second tier sets its own trigger",
            "\"chat\", \"agent\"",
            "remove it",
        ],
    );
    // A one-tier class is not among those listed.
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { threshold = 0.4 }, chat = { route = [\"s\"], threshold = 0.5 } }\n",
        "threshold = 0.3",
        "policy[0].threshold",
        &["sets its own trigger in by_class (\"agent\"), so it applies to no route"],
    );
}

#[test]
fn a_class_table_without_a_route_needs_the_policy_route() {
    assert_bad(
        "by_class = { agent = { threshold = 0.4 }, chat = \"s\" }\n",
        "agent = ",
        "policy[0].by_class.agent",
        &["missing `route`", "class \"agent\"", "no default `route`"],
    );
}

#[test]
fn a_classifier_in_a_class_table_needs_two_tiers() {
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { route = [\"s\", \"m\", \"l\"], classifier = { model = \"s\", auc = 0.8, threshold = 0.5, input_tokens = 100, output_tokens = 1 } } }\n",
        "classifier =",
        "policy[0].by_class.agent.classifier",
        &[
            "class \"agent\" (route [\"s\", \"m\", \"l\"]) has 3 tiers",
            "use two",
        ],
    );
}

#[test]
fn mistakes_inside_a_class_table_are_said_as_themselves() {
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { treshold = 0.4 } }\n",
        "treshold",
        "policy[0].by_class.agent.treshold",
        &["unknown key `treshold` (did you mean `threshold`?)"],
    );
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = { threshold = 1.4 } }\n",
        "threshold = 1.4",
        "policy[0].by_class.agent.threshold",
        &["1.4"],
    );
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = 3 }\n",
        "3 }",
        "policy[0].by_class.agent",
        &[
            "expected a model name, a list of model names, or a table",
            "found 3",
        ],
    );
    assert_bad(
        "route = [\"s\", \"l\"]\nthreshold = 0.3\nby_class = { agent = [\"s\", 4] }\n",
        "4]",
        "policy[0].by_class.agent[1]",
        &["found 4"],
    );
}

#[test]
fn classes_may_escalate_on_different_kinds_of_trigger() {
    // Three triggers in one policy, each on its class alone. With AUC 0.5
    // confidences and a classifier of AUC 0.5, and a validator that escalates
    // right and wrong answers alike, escalation does not depend on correctness:
    //   chat  (0.4): confidence below 0.3: escalation 0.3,
    //                cost small + 0.3 large = 0.0048
    //   agent (0.3): validator { catches = 0.6, false_alarm = 0.6 }: 0.6,
    //                cost small + 0.6 large = 0.0084
    //   other (0.3): classifier on s (300 in, 5 out: $0.00031), score Φ(z),
    //                z ~ N(0, 1), below 0.25 goes to l alone: escalation 0.25,
    //                cost 0.00031 + 0.75 small + 0.25 large = 0.00421
    // Blended: escalation 0.4·0.3 + 0.3·0.6 + 0.3·0.25 = 0.375;
    //          cost 0.4·0.0048 + 0.3·0.0084 + 0.3·0.00421 = 0.005703.
    let r = simulate(&scenario(
        20_000,
        20,
        0.5,
        &[("chat", 0.4), ("agent", 0.3), ("other", 0.3)],
        "[[policy]]\nname = \"kinds\"\nroute = [\"s\", \"l\"]\nthreshold = 0.3\n\
         [policy.by_class]\n\
         agent = { validator = { catches = 0.6, false_alarm = 0.6 } }\n\
         other = { classifier = { model = \"s\", auc = 0.5, threshold = 0.25, input_tokens = 300, output_tokens = 5 } }\n",
    ));
    let p = policy(&r, "kinds");
    let classifier = 300.0 * 1e-6 + 5.0 * 2e-6;
    for (name, escalation, cost) in [
        ("chat", 0.3, SMALL + 0.3 * LARGE),
        ("agent", 0.6, SMALL + 0.6 * LARGE),
        ("other", 0.25, classifier + 0.75 * SMALL + 0.25 * LARGE),
    ] {
        let c = class(p, name);
        assert_in_ci(
            &format!("{name} escalation"),
            c.escalation_rate.as_ref().unwrap(),
            escalation,
        );
        assert_in_ci(
            &format!("{name} cost"),
            c.cost_per_request.as_ref().unwrap(),
            cost,
        );
    }
    assert_in_ci("escalation", &p.escalation_rate, 0.375);
    assert_close(
        "blended cost by hand",
        0.4 * (SMALL + 0.3 * LARGE)
            + 0.3 * (SMALL + 0.6 * LARGE)
            + 0.3 * (classifier + 0.75 * SMALL + 0.25 * LARGE),
        0.005703,
        1e-12,
    );
    assert_in_ci("cost", &p.cost_per_request, 0.005703);
    // s answers every request but the classified class's escalated ones, and
    // runs that class's classifier: 0.4 + 0.3 + 0.3 × (1 + 0.75) calls.
    let s = p.cost_by_model.iter().find(|m| m.model == "s").unwrap();
    assert_close(
        "calls to s",
        s.calls_per_request,
        0.4 + 0.3 + 0.3 * 1.75,
        0.02,
    );
}

#[test]
fn the_review_report_says_each_class_trigger() {
    let f = fixture(&scenario(1000, 2, 0.5, &FOUR, SWEPT));
    let report = f.dir.path().join("review.md");
    let out = cargo_bin_cmd!("simroute")
        .current_dir(f.dir.path())
        .args(["run", "scenario.toml", "--report", "review.md"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(report).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("- `mixed`"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        line,
        "- `mixed`: chat: s -> l, escalates when confidence < 0.2; agent: s -> m -> l, escalates when confidence < 0.5 / 0.4; faq: s; other: s -> l, escalates when confidence < 0.7"
    );
}

#[test]
fn an_eval_set_needs_confidences_only_where_a_class_escalates_on_them() {
    // chat's rows give no confidence; agent's do for s.
    let mut csv = String::from("example_id,class,model,pass,confidence\n");
    for i in 0..4 {
        csv += &format!("c{i},chat,s,{},\nc{i},chat,l,1,\n", i % 2);
        csv += &format!("a{i},agent,s,{},0.{}\na{i},agent,l,1,\n", i % 2, 2 + i);
    }
    let validate = |policy: &str| {
        let f = fixture(&scenario(
            1000,
            2,
            0.5,
            &[("chat", 0.5), ("agent", 0.5)],
            &format!("[eval]\nfile = \"eval.csv\"\n\n[[policy]]\nname = \"p\"\n{policy}"),
        ));
        std::fs::write(f.dir.path().join("eval.csv"), &csv).unwrap();
        cargo_bin_cmd!("simroute")
            .args(["validate", f.scenario.to_str().unwrap()])
            .output()
            .unwrap()
    };
    // chat on a validator, agent on its confidence: valid.
    let out = validate(
        "route = [\"s\", \"l\"]\nthreshold = 0.5\nby_class = { chat = { validator = { catches = 0.9, false_alarm = 0.1 } } }\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // chat on its confidence: its rows have none.
    let out = validate(
        "route = [\"s\", \"l\"]\nvalidator = { catches = 0.9, false_alarm = 0.1 }\nby_class = { chat = { threshold = 0.5 } }\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("example \"c0\" has no confidence for model \"s\", and policy \"p\" routes class \"chat\" to \"s\" escalating on its confidence"),
        "{err}"
    );
}
