//! The example review in docs/example/ is what the documented command produces
//! today: if the engine, a chart or the report changes, this test says the example
//! is stale (regenerate it with the command in README.md).

use std::path::Path;

use assert_cmd::Command;

const ARGS: [&str; 10] = [
    "sweep",
    "scenarios/support.toml",
    "--policy",
    "cascade",
    "--param",
    "threshold=0.05..0.95:0.05",
    "--charts",
    "docs/example",
    "--report",
    "docs/example/support-review.md",
];

const FILES: [&str; 5] = [
    "support-review.md",
    "support-cost-curve.svg",
    "support-frontier.svg",
    "support-latency.svg",
    "support-breakdown.svg",
];

#[test]
fn the_committed_example_is_up_to_date() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["scenarios", "pricing", "docs/example"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    for f in ["scenarios/support.toml", "pricing/bedrock-us-east-1.toml"] {
        std::fs::copy(repo.join(f), dir.path().join(f)).unwrap();
    }
    Command::cargo_bin("simroute")
        .unwrap()
        .current_dir(dir.path())
        .args(ARGS)
        .assert()
        .success();
    for f in FILES {
        let want = std::fs::read(repo.join("docs/example").join(f)).unwrap();
        let got = std::fs::read(dir.path().join("docs/example").join(f)).unwrap();
        assert!(
            want == got,
            "docs/example/{f} is stale: regenerate it with `cargo run --release -- {}`",
            ARGS.join(" ")
        );
    }
}
