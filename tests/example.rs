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
        .take_while(|l| !l.starts_with("## Files") && !l.starts_with("### Traffic over time"))
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

/// The cells of a quoted table row.
fn row_cells(l: &str) -> Vec<String> {
    l.trim_matches('│')
        .split('┆')
        .map(|c| c.trim().to_string())
        .collect()
}

/// Each row of `quoted` (README lines) matches the row of `out`'s table
/// `title` with the same first cells, cell for cell; "..." abridges middle
/// columns.
fn rows_match(quoted: &[&str], out: &str, title: &str, what: &str) {
    assert!(!quoted.is_empty(), "{what}: nothing quoted");
    let table: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != title)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(!table.is_empty(), "{what}: no table {title:?} in\n{out}");
    for q in quoted {
        let q = row_cells(q);
        let row = table
            .iter()
            .filter(|l| l.starts_with("│ "))
            .map(|l| row_cells(l))
            .find(|r| r[0] == q[0] && (q.len() < 2 || q[1] == "..." || r[1] == q[1]))
            .unwrap_or_else(|| {
                panic!(
                    "{what}: no row {:?} in\n{out}",
                    q[..2.min(q.len())].to_vec()
                )
            });
        let cut = q.iter().position(|c| c == "...").unwrap_or(q.len());
        assert_eq!(q[..cut], row[..cut], "{what}: README row {q:?} is stale");
        let tail = &q[(cut + 1).min(q.len())..];
        assert!(
            tail.is_empty() || row.windows(tail.len()).any(|w| w == tail),
            "{what}: README row {q:?} is stale: not in {row:?}"
        );
    }
}

#[test]
fn the_traffic_over_time_section_its_figures_and_its_chart_are_up_to_date() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let section: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("### Traffic over time"))
        .take_while(|l| !l.starts_with("## Files") && !l.starts_with("### What Bedrock bills"))
        .collect();
    // The quoted blocks, in order: the run's cache table, the scale sweep,
    // the run at 3x's quota table.
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut inside = false;
    for l in &section {
        if l.starts_with("```text") {
            inside = true;
            blocks.push(Vec::new());
        } else if l.starts_with("```") {
            inside = false;
        } else if inside
            && l.starts_with("│ ")
            && !l.starts_with("│ policy")
            && !l.starts_with("│ load.scale")
        {
            blocks.last_mut().unwrap().push(l);
        }
    }
    assert_eq!(blocks.len(), 3, "{blocks:?}");
    let run = |args: &[&str]| -> String {
        let out = Command::cargo_bin("simroute")
            .unwrap()
            .current_dir(repo)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // The run, with its load chart.
    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().to_str().unwrap();
    let out = run(&["run", "scenarios/support-load.toml", "--charts", charts]);
    rows_match(
        &blocks[0],
        &out,
        "Traffic over time: cache and quota by model",
        "run scenarios/support-load.toml",
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("support-load-load.svg")).unwrap(),
        std::fs::read_to_string(repo.join("docs/example/support-load-load.svg")).unwrap(),
        "docs/example/support-load-load.svg is stale: regenerate it with simroute run scenarios/support-load.toml --charts docs/example"
    );
    let ttl = run(&[
        "sweep",
        "scenarios/support-load.toml",
        "--policy",
        "cascade",
        "--param",
        "prompt_caching=5m,1h",
    ]);
    assert!(
        section.iter().any(|l| ttl
            .lines()
            .any(|o| o == *l && o.starts_with("recommended:"))),
        "the TTL sweep's recommendation is stale:\n{ttl}"
    );
    let sweep = run(&[
        "sweep",
        "scenarios/support-load.toml",
        "--policy",
        "all-sonnet",
        "--param",
        "load.scale=1,2,3",
    ]);
    rows_match(
        &blocks[1],
        &sweep,
        "Policy all-sonnet at each setting",
        "sweep load.scale=1,2,3",
    );
    // The run at 3x the traffic: the same file with scale = 3.
    let text = std::fs::read_to_string(repo.join("scenarios/support-load.toml"))
        .unwrap()
        .replace("scale = 1\n", "scale = 3\n")
        .replace("\"../pricing/", &format!("\"{}/pricing/", repo.display()));
    let tripled = dir.path().join("support-load-3x.toml");
    std::fs::write(&tripled, text).unwrap();
    let out = run(&["run", tripled.to_str().unwrap()]);
    rows_match(
        &blocks[2],
        &out,
        "Traffic over time: what a quota request asks for (per minute; TPM in quota tokens, output × burndown)",
        "run at scale = 3",
    );
}

#[test]
fn the_buying_capacity_section_quotes_the_run_it_shows() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let section: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("### Buying capacity"))
        .take_while(|l| !l.starts_with("## Files"))
        .collect();
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut inside = false;
    for l in &section {
        if l.starts_with("```text") {
            inside = true;
            blocks.push(Vec::new());
        } else if l.starts_with("```") {
            inside = false;
        } else if inside && l.starts_with("│ ") && !l.starts_with("│ policy") {
            blocks.last_mut().unwrap().push(l);
        }
    }
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    let out = Command::cargo_bin("simroute")
        .unwrap()
        .current_dir(repo)
        .args(["run", "scenarios/support-capacity.toml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = String::from_utf8(out.stdout).unwrap();
    rows_match(
        &blocks[0],
        &out,
        "Capacity: the monthly bill with commitments, against all on demand (USD a month)",
        "run scenarios/support-capacity.toml",
    );
    rows_match(
        &blocks[1],
        &out,
        "Capacity: the cheapest commitment for this traffic (newsvendor rule, at load.scale = 10; USD a month of the model's calls)",
        "run scenarios/support-capacity.toml",
    );
    for quoted in ["$76,183.94", "$90,020.53", "$13,836.59"] {
        assert!(out.contains(quoted), "{quoted} is not in the run's output");
    }
}

/// The "What Bedrock bills" section's figures: the case study with Sonnet
/// through the us profile, against the case study as shipped.
#[test]
fn the_profile_figures_the_readme_quotes_are_what_a_run_prints() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let section: String = readme
        .lines()
        .skip_while(|l| !l.starts_with("### What Bedrock bills"))
        .take_while(|l| !l.starts_with("### Buying capacity"))
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().unwrap();
    for sub in ["scenarios", "pricing"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    std::fs::copy(
        repo.join("pricing/bedrock-us-east-1.toml"),
        dir.path().join("pricing/bedrock-us-east-1.toml"),
    )
    .unwrap();
    let shipped = std::fs::read_to_string(repo.join("scenarios/support.toml")).unwrap();
    let sonnet = "price = \"anthropic.claude-sonnet-4-5-20250929-v1:0\"\n";
    assert!(shipped.contains(sonnet));
    let months = |text: &str| -> Vec<(String, String)> {
        std::fs::write(dir.path().join("scenarios/support.toml"), text).unwrap();
        let out = Command::cargo_bin("simroute")
            .unwrap()
            .current_dir(dir.path())
            .args(["run", "scenarios/support.toml", "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let usd = p["cost_per_month"]["mean"].as_f64().unwrap();
                let cents = (usd * 100.0).round() as u64;
                (
                    p["name"].as_str().unwrap().to_string(),
                    format!(
                        "${},{:03}.{:02}",
                        cents / 100_000,
                        (cents / 100) % 1000,
                        cents % 100
                    ),
                )
            })
            .collect()
    };
    let us = shipped.replacen(sonnet, &format!("{sonnet}profile = \"us\"\n"), 1);
    let (base, prof) = (months(&shipped), months(&us));
    for ((policy, b), (_, p)) in base.iter().zip(&prof) {
        if policy == "all-sonnet" || policy == "cascade" {
            let quoted = format!("{b} → {p}");
            assert!(
                section.contains(&quoted),
                "README lacks {quoted:?} for {policy}"
            );
        }
    }
}
