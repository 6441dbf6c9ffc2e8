//! The calling thread's CPU time, for per-core speed figures on a shared machine (wall time there
//! mostly measures the other processes). Shared by the dedup benchmark and the scaling measurements.

/// Nanoseconds of CPU time used by the calling thread (POSIX `CLOCK_THREAD_CPUTIME_ID`), or `None`
/// where the clock is not available.
#[cfg(unix)]
pub fn thread_cpu_ns() -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a pointer that is valid for the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then_some(ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64)
}

#[cfg(not(unix))]
pub fn thread_cpu_ns() -> Option<f64> {
    None
}

/// Median CPU milliseconds of three `pipeline.clean` runs over `bytes`, and what the last run gave,
/// summed up by `describe` (or the error it refused with).
pub fn median_clean_ms(
    pipeline: &sluice::Pipeline,
    bytes: &[u8],
    describe: impl Fn(&sluice::Cleaned) -> String,
) -> (f64, String) {
    let mut times = Vec::new();
    let mut result = String::new();
    for _ in 0..3 {
        let start = thread_cpu_ns().unwrap_or(0.0);
        let cleaned = pipeline.clean(bytes);
        times.push((thread_cpu_ns().unwrap_or(0.0) - start) / 1e6);
        result = match cleaned {
            Ok(c) => describe(&c),
            Err(e) => format!("refused: {e}"),
        };
    }
    times.sort_by(f64::total_cmp);
    (times[1], result)
}
