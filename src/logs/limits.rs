//! Limits on what a log may make simroute hold or decompress, so that a hostile
//! or broken file (a 2 GB line without a newline, a gzip bomb) is refused early,
//! in bounded memory, instead of exhausting the machine.
//!
//! Both limits are far above what a real log meets, and each message names its
//! limit and the environment variable that raises it:
//!
//! - **Line length**, [`MAX_LINE_BYTES`] (64 MiB; `SIMROUTE_MAX_LINE_BYTES`).
//!   Bedrock's invocation logging delivers request and response bodies above
//!   100 KB to S3 as separate objects, so a record is rarely above a few hundred
//!   KB; a plain CSV or JSONL line is a few dozen bytes.
//! - **Decompression ratio**, [`MAX_GZIP_RATIO`] (100×; `SIMROUTE_MAX_GZIP_RATIO`),
//!   checked once [`RATIO_GRACE_BYTES`] (64 MiB) have been decompressed. JSON logs
//!   compress 5–20× (the repository's synthetic example, whose records differ
//!   only in their counts, 16×); a gzip bomb 1,000× and more.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The longest line read, in bytes, unless `SIMROUTE_MAX_LINE_BYTES` says otherwise.
pub const MAX_LINE_BYTES: u64 = 64 << 20;
/// The largest ratio of decompressed to compressed bytes, unless
/// `SIMROUTE_MAX_GZIP_RATIO` says otherwise.
pub const MAX_GZIP_RATIO: u64 = 100;
/// Decompressed bytes read before the ratio is checked: small files are never
/// refused for it.
pub const RATIO_GRACE_BYTES: u64 = 64 << 20;

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_line_bytes: u64,
    pub max_gzip_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: MAX_LINE_BYTES,
            max_gzip_ratio: MAX_GZIP_RATIO,
        }
    }
}

impl Limits {
    /// The defaults, raised (or lowered) by the environment variables. A value
    /// that is not a whole number above 0 is an error naming the variable.
    pub fn from_env() -> Result<Limits, String> {
        let var = |name: &str, default: u64| -> Result<u64, String> {
            match std::env::var(name) {
                Err(_) => Ok(default),
                Ok(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("{name}={v}: expected a whole number above 0")),
            }
        };
        Ok(Limits {
            max_line_bytes: var("SIMROUTE_MAX_LINE_BYTES", MAX_LINE_BYTES)?,
            max_gzip_ratio: var("SIMROUTE_MAX_GZIP_RATIO", MAX_GZIP_RATIO)?,
        })
    }
}

/// A limit was passed: the message says which and how to raise it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LimitExceeded(pub String);

/// The message of `e` if it is a [`LimitExceeded`].
pub fn limit_message(e: &io::Error) -> Option<String> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<LimitExceeded>())
        .map(|l| l.0.clone())
}

/// Counts the bytes read through it (the compressed side of a gzip log).
pub struct Counting<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Passes the (decompressed) bytes of a log through, and fails with a
/// [`LimitExceeded`] as soon as a line grows past the line limit or, for gzip,
/// the output outgrows the input by more than the ratio.
pub struct Guard<R> {
    inner: R,
    limits: Limits,
    /// Bytes since the last newline.
    line: u64,
    /// Decompressed bytes so far, and the compressed bytes read (gzip only).
    out: u64,
    compressed: Option<Arc<AtomicU64>>,
}

impl<R: Read> Guard<R> {
    pub fn new(inner: R, limits: Limits, compressed: Option<Arc<AtomicU64>>) -> Self {
        Guard {
            inner,
            limits,
            line: 0,
            out: 0,
            compressed,
        }
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        let max = self.limits.max_line_bytes;
        // The longest line that ends or goes on in this read: the one carried
        // over from the last read up to the first newline, any whole line in
        // between (only possible where the read is longer than the limit), and
        // the one left open at the end.
        let longest = match memchr::memchr(b'\n', data) {
            None => {
                self.line += n as u64;
                self.line
            }
            Some(first) => {
                let carried = self.line + first as u64;
                let last = memchr::memrchr(b'\n', data).unwrap_or(first);
                let mut inner = 0;
                if n as u64 > max {
                    let mut prev = first;
                    for i in memchr::memchr_iter(b'\n', &data[first + 1..=last]) {
                        let at = first + 1 + i;
                        inner = inner.max((at - prev - 1) as u64);
                        prev = at;
                    }
                }
                self.line = (n - last - 1) as u64;
                carried.max(inner).max(self.line)
            }
        };
        if longest > max {
            return Err(io::Error::other(LimitExceeded(format!(
                "a line is longer than {} bytes without a newline: not a log of one record per line (a real record is at most a few hundred KB); if it is one, raise the limit with SIMROUTE_MAX_LINE_BYTES",
                crate::numfmt::count(self.limits.max_line_bytes as f64)
            ))));
        }
        self.out += n as u64;
        if let Some(c) = &self.compressed
            && self.out > RATIO_GRACE_BYTES
        {
            let read = c.load(Ordering::Relaxed).max(1);
            if self.out / read > self.limits.max_gzip_ratio {
                return Err(io::Error::other(LimitExceeded(format!(
                    "decompresses to more than {} times its compressed size ({} bytes from {}): a gzip bomb, or not a log; if it is a real log, raise the limit with SIMROUTE_MAX_GZIP_RATIO",
                    self.limits.max_gzip_ratio,
                    crate::numfmt::count(self.out as f64),
                    crate::numfmt::count(read as f64)
                ))));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(line: u64, ratio: u64) -> Limits {
        Limits {
            max_line_bytes: line,
            max_gzip_ratio: ratio,
        }
    }

    #[test]
    fn a_long_line_inside_one_read_is_caught_too() {
        // Reads larger than the limit: the 100-byte line lies inside the first.
        let text = format!("a\n{}\nb\n", "x".repeat(100));
        let mut g = Guard::new(text.as_bytes(), limits(50, 100), None);
        let err = g.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(limit_message(&err).is_some());
        let ok = format!("a\n{}\nb\n", "x".repeat(50));
        let mut g = Guard::new(ok.as_bytes(), limits(50, 100), None);
        g.read_to_end(&mut Vec::new()).unwrap();
    }

    #[test]
    fn a_line_longer_than_the_limit_fails_within_the_limit() {
        let text = format!("short\n{}\nrest\n", "x".repeat(100));
        let mut g = Guard::new(text.as_bytes(), limits(50, 100), None);
        let mut buf = [0u8; 16];
        let mut read = 0;
        let err = loop {
            match g.read(&mut buf) {
                Ok(0) => panic!("read to the end"),
                Ok(n) => read += n,
                Err(e) => break e,
            }
        };
        // Stopped within one read of the limit, not at the end of the line.
        assert!(read <= 6 + 50 + 16, "{read}");
        assert!(
            limit_message(&err)
                .unwrap()
                .contains("SIMROUTE_MAX_LINE_BYTES")
        );
        // Lines at the limit pass.
        let ok = format!("{}\n{}\n", "x".repeat(50), "y".repeat(50));
        let mut out = Vec::new();
        Guard::new(ok.as_bytes(), limits(50, 100), None)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, ok.as_bytes());
    }

    #[test]
    fn output_beyond_the_ratio_fails_after_the_grace() {
        // 65 MiB of short lines "from" 1,000 compressed bytes: 68,157× the input.
        let line = b"0123456789abcde\n";
        let total = RATIO_GRACE_BYTES + (1 << 20);
        let src = std::iter::repeat_n(&line[..], (total / 16) as usize)
            .flatten()
            .copied()
            .collect::<Vec<u8>>();
        let count = Arc::new(AtomicU64::new(1000));
        let mut g = Guard::new(&src[..], limits(1 << 20, 100), Some(count.clone()));
        let err = g.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(
            limit_message(&err)
                .unwrap()
                .contains("SIMROUTE_MAX_GZIP_RATIO")
        );
        // At a plausible ratio it reads to the end.
        count.store(total / 20, Ordering::Relaxed);
        let mut g = Guard::new(&src[..], limits(1 << 20, 100), Some(count));
        assert_eq!(g.read_to_end(&mut Vec::new()).unwrap() as u64, total);
    }
}
