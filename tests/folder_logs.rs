//! A log given as a folder, or a glob pattern, is one log: `simroute run` on the
//! sample log split in three gzip files gives the same results as on the file,
//! whatever the threads.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(log: &str, replay: &str, threads: &str) -> Output {
    cargo_bin_cmd!("simroute")
        .current_dir(root())
        .args([
            "run",
            "scenarios/support.toml",
            "--traffic-log",
            log,
            "--class-field",
            "requestMetadata.feature",
            "--replay",
            replay,
            "--replications",
            "3",
            "--format",
            "json",
            "--threads",
            threads,
        ])
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_folder_of_gzip_files_replays_as_the_file_does() {
    let file = root().join("scenarios/logs/support-invocations.jsonl.gz");
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&file).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    for (i, part) in lines.chunks(lines.len().div_ceil(3)).enumerate() {
        // A day's folder each, as S3 delivers them.
        let day = logs.join(format!("2026/01/0{}", i + 1));
        std::fs::create_dir_all(&day).unwrap();
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(day.join("part.json.gz")).unwrap(),
            flate2::Compression::fast(),
        );
        for l in part {
            writeln!(enc, "{l}").unwrap();
        }
        enc.finish().unwrap();
    }
    let file = file.to_str().unwrap();
    let folder = logs.to_str().unwrap();
    let pattern = format!("{folder}/2026/*/*/*.json.gz");
    for replay in ["exact", "bootstrap"] {
        let want = ok(run(file, replay, "1"));
        for threads in ["1", "2"] {
            for log in [folder, pattern.as_str()] {
                let got = ok(run(log, replay, threads)).replace(log, file);
                assert!(got == want, "{replay}, {log}, {threads} threads");
            }
        }
    }
}

#[test]
fn a_bad_record_in_a_folder_is_named_by_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let good = "{\"schemaType\":\"ModelInvocationLog\",\"modelId\":\"m\",\"input\":{\"inputTokenCount\":10},\"output\":{\"outputTokenCount\":5},\"requestMetadata\":{\"feature\":\"chat\"}}\n";
    std::fs::write(logs.join("a.json"), good.repeat(3)).unwrap();
    std::fs::write(
        logs.join("b.json"),
        format!("{good}{}", good.replace("10", "-10")),
    )
    .unwrap();
    let out = cargo_bin_cmd!("simroute")
        .args([
            "fit",
            logs.to_str().unwrap(),
            "--class-field",
            "requestMetadata.feature",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!("error: {}:2: negative count", logs.join("b.json").display());
    assert!(err.starts_with(&want), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
