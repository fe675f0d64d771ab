//! Running `wrk` and reading its report.

use std::path::Path;
use std::process::Command;

/// How each run loads a server.
#[derive(Debug, Clone)]
pub struct Load {
    /// `-t`: wrk's threads.
    pub threads: u32,
    /// `-c`: open connections.
    pub connections: u32,
    /// `-d`: seconds of load.
    pub seconds: u32,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Requests completed.
    pub requests: u64,
    /// Requests per second over the run.
    pub requests_per_sec: f64,
    /// Mean latency, in milliseconds.
    pub latency_avg_ms: f64,
    /// 99th percentile latency, in milliseconds.
    pub latency_p99_ms: f64,
    /// Requests answered with a status outside 2xx and 3xx.
    pub non_2xx: u64,
    /// Connect, read, write and timeout errors together.
    pub socket_errors: u64,
    /// wrk's line about them (`connect 0, read 1, write 0, timeout 0`), empty when none.
    pub socket_error_detail: String,
}

/// Whether `wrk` can be started.
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Runs wrk on `url`, with `script` (a Lua file) when given and `headers` (`Name: value`)
/// added to every request, and reads its report.
pub fn run(
    load: &Load,
    url: &str,
    script: Option<&Path>,
    headers: &[String],
) -> Result<Measured, String> {
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.seconds))
        .arg("--latency");
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    for h in headers {
        cmd.arg("-H").arg(h);
    }
    cmd.arg(url);
    let out = cmd.output().map_err(|e| format!("wrk: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse(&stdout).ok_or_else(|| format!("cannot read wrk's report:\n{stdout}"))
}

/// Reads `N requests in`, `Requests/sec:`, the `Latency` line, the `99%` line of `--latency`, and the error
/// lines of a wrk report.
pub fn parse(report: &str) -> Option<Measured> {
    let mut requests = None;
    let mut requests_per_sec = None;
    let mut latency_avg_ms = None;
    let mut latency_p99_ms = None;
    let mut non_2xx = 0;
    let mut socket_errors = 0;
    let mut socket_error_detail = String::new();
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [n, "requests", "in", ..] => requests = n.parse().ok(),
            ["Requests/sec:", n, ..] => requests_per_sec = n.parse().ok(),
            // Not `Latency Distribution`, the heading of the percentiles.
            ["Latency", avg, ..] if *avg != "Distribution" => latency_avg_ms = duration_ms(avg),
            ["99%", p99, ..] => latency_p99_ms = duration_ms(p99),
            ["Non-2xx", "or", "3xx", "responses:", n, ..] => non_2xx = n.parse().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                // `connect 0, read 0, write 0, timeout 0`
                socket_errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
                socket_error_detail = rest.join(" ");
            }
            _ => {}
        }
    }
    Some(Measured {
        requests: requests?,
        requests_per_sec: requests_per_sec?,
        latency_avg_ms: latency_avg_ms?,
        latency_p99_ms: latency_p99_ms?,
        non_2xx,
        socket_errors,
        socket_error_detail,
    })
}

/// `812.50us`, `1.23ms`, `2.00s`, `1.50m` in milliseconds.
fn duration_ms(s: &str) -> Option<f64> {
    let units = [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)];
    units.iter().find_map(|(unit, scale)| {
        s.strip_suffix(unit)
            .and_then(|n| n.parse::<f64>().ok())
            .map(|n| n * scale)
    })
}

/// CPU time this process has used so far (user and system, every thread), in milliseconds,
/// from `/proc/self/stat` (Linux; clock ticks of 10 ms, the usual `USER_HZ` of 100). `None`
/// where it cannot be read.
pub fn process_cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses: state is field 3, utime
    // field 14 and stime field 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10)
}
