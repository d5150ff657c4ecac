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

/// The measured-inputs example: the committed log is what the documented
/// `generate-log` command writes, and the figures the README quotes from
/// `simroute run scenarios/support-measured.toml` are what it prints today.
#[test]
fn the_measured_example_and_its_readme_figures_are_up_to_date() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl.gz");
    Command::cargo_bin("simroute")
        .unwrap()
        .current_dir(repo)
        .args([
            "generate-log",
            "scenarios/support.toml",
            "--records",
            "3000",
            "--seed",
            "7",
            "--policy",
            "sonnet-cache-batch",
            "--gzip",
            "--out",
        ])
        .arg(&log)
        .assert()
        .success();
    // Compare the records, not the gzip bytes (the gzip header is not part of the
    // contract).
    let unzip = |p: &Path| {
        let mut s = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(p).unwrap()),
            &mut s,
        )
        .unwrap();
        s
    };
    assert!(
        unzip(&log) == unzip(&repo.join("scenarios/logs/support-invocations.jsonl.gz")),
        "scenarios/logs/support-invocations.jsonl.gz is stale: regenerate it with the command in README.md"
    );

    let out = Command::cargo_bin("simroute")
        .unwrap()
        .current_dir(repo)
        .args(["run", "scenarios/support-measured.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    // Each quoted table row of the README: its policy name, then the cells it
    // quotes, must match the run's row cell for cell.
    let quoted: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("### Measured inputs"))
        .take_while(|l| !l.starts_with("## Files"))
        .filter(|l| l.starts_with("│ ") && !l.starts_with("│ policy"))
        .collect();
    assert!(quoted.len() >= 4, "{quoted:?}");
    let cells = |l: &str| -> Vec<String> {
        l.trim_matches('│')
            .split('┆')
            .map(|c| c.trim().to_string())
            .collect()
    };
    for q in quoted {
        let q = cells(q);
        let row = out
            .lines()
            .map(cells)
            .find(|r| r[0] == q[0])
            .unwrap_or_else(|| panic!("no row {} in\n{out}", q[0]));
        // The README abridges middle columns with "...": the cells before it
        // start the row, the cells after it appear in the row in that order.
        let cut = q.iter().position(|c| c == "...").unwrap_or(q.len());
        assert_eq!(q[..cut], row[..cut], "README row {:?} is stale", q[0]);
        let tail = &q[(cut + 1).min(q.len())..];
        assert!(
            tail.is_empty() || row.windows(tail.len()).any(|w| w == tail),
            "README row {:?} is stale: {tail:?} not in {row:?}",
            q[0]
        );
    }
}

/// The sensitivity example: the committed tornado chart is what the command in
/// README.md draws today, and the advice line the README quotes is what it
/// prints.
#[test]
fn the_sensitivity_example_and_its_readme_line_are_up_to_date() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["scenarios", "pricing", "docs/example"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    for f in [
        "scenarios/support-uncertain.toml",
        "pricing/bedrock-us-east-1.toml",
    ] {
        std::fs::copy(repo.join(f), dir.path().join(f)).unwrap();
    }
    let args = [
        "sensitivity",
        "scenarios/support-uncertain.toml",
        "--policy",
        "cascade",
        "--charts",
        "docs/example",
    ];
    let out = Command::cargo_bin("simroute")
        .unwrap()
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = "support-uncertain-tornado.svg";
    let want = std::fs::read(repo.join("docs/example").join(f)).unwrap();
    let got = std::fs::read(dir.path().join("docs/example").join(f)).unwrap();
    assert!(
        want == got,
        "docs/example/{f} is stale: regenerate it with `cargo run --release -- {}`",
        args.join(" ")
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let advice = stdout.lines().next().unwrap();
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    assert!(
        readme.contains(advice),
        "README.md does not quote the advice line `{advice}`"
    );
}
