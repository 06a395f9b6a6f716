//! Reads the whole machine's CPU: `/proc/loadavg` (load averages) and the `cpu` line of
//! `/proc/stat` (cumulative busy and idle ticks), into a [`CpuLoad`]. The busy share needs two
//! readings: [`CpuReader`] keeps the previous one. Two small reads per refresh (~10 µs).

use crate::model::cpu::{CpuLoad, CpuTimes};
use std::path::PathBuf;

/// Parses `/proc/loadavg` (`0.52 0.61 0.70 2/345 12345`): the 1, 5 and 15 minute load
/// averages. `None` when the first three words are not non-negative numbers.
pub fn parse_loadavg(text: &str) -> Option<(f64, f64, f64)> {
    let mut words = text
        .split_whitespace()
        .map(|w| w.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0));
    Some((words.next()??, words.next()??, words.next()??))
}

/// Parses `/proc/stat`: the whole machine's ticks from the `cpu ` line (user nice system idle
/// iowait irq softirq steal …; guest and guest_nice are left out, they are already in user
/// and nice) and the number of `cpuN` lines (online CPUs). `None` without a well-formed `cpu `
/// line (at least user, nice, system and idle).
pub fn parse_stat(text: &str) -> Option<(CpuTimes, usize)> {
    let mut times = None;
    let mut cores = 0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("cpu") else {
            continue;
        };
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            cores += 1;
            continue;
        }
        let v: Vec<u64> = rest
            .split_whitespace()
            .take(8)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        if v.len() < 4 {
            return None;
        }
        let field = |i: usize| v.get(i).copied().unwrap_or(0);
        let idle = field(3).saturating_add(field(4));
        let busy = [0, 1, 2, 5, 6, 7]
            .iter()
            .fold(0u64, |acc, &i| acc.saturating_add(field(i)));
        times = Some(CpuTimes {
            busy,
            total: busy.saturating_add(idle),
        });
    }
    times.map(|t| (t, cores))
}

/// Reads [`CpuLoad`]s, remembering the previous `/proc/stat` reading for the busy share.
#[derive(Debug)]
pub struct CpuReader {
    proc_root: PathBuf,
    previous: Option<CpuTimes>,
}

impl CpuReader {
    /// A reader of this machine's `/proc`.
    pub fn system() -> Self {
        Self::at("/proc")
    }

    /// A reader of `loadavg` and `stat` under `proc_root` (tests point it at fixture files).
    pub fn at(proc_root: impl Into<PathBuf>) -> Self {
        CpuReader {
            proc_root: proc_root.into(),
            previous: None,
        }
    }

    /// One reading. The busy share is over the time since the previous call (`None` on the
    /// first, or when `/proc/stat` cannot be read or parsed: the load averages still show).
    ///
    /// # Errors
    /// A message naming `/proc/loadavg` when it cannot be read or parsed.
    pub fn read(&mut self) -> Result<CpuLoad, String> {
        let path = self.proc_root.join("loadavg");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let (load1, load5, load15) = parse_loadavg(&text)
            .ok_or_else(|| format!("parsing {}: {:?}", path.display(), text.trim()))?;
        let stat = std::fs::read_to_string(self.proc_root.join("stat"))
            .ok()
            .and_then(|t| parse_stat(&t));
        let (busy_percent, cores) = match stat {
            Some((now, cores)) => {
                let busy = self.previous.and_then(|p| now.busy_percent_since(&p));
                self.previous = Some(now);
                (busy, cores)
            }
            None => (None, 0),
        };
        Ok(CpuLoad {
            load1,
            load5,
            load15,
            busy_percent,
            cores,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 20 30 800 40 5 5 0 10 0\n\
                        cpu0 50 10 15 400 20 3 2 0 5 0\n\
                        cpu1 50 10 15 400 20 2 3 0 5 0\n\
                        intr 12345 0 0\nctxt 999\nbtime 1700000000\n";

    #[test]
    fn parses_loadavg() {
        assert_eq!(
            parse_loadavg("0.52 0.61 0.70 2/345 12345\n"),
            Some((0.52, 0.61, 0.70))
        );
        assert_eq!(parse_loadavg("0.52 0.61"), None);
        assert_eq!(parse_loadavg("x 0.61 0.70"), None);
        assert_eq!(parse_loadavg("-1 0.61 0.70"), None);
    }

    #[test]
    fn parses_the_cpu_line_and_counts_cores() {
        let (t, cores) = parse_stat(STAT).unwrap();
        // busy = user 100 + nice 20 + system 30 + irq 5 + softirq 5 + steal 0 (guest 10 is in
        // user already); idle = 800 + iowait 40.
        assert_eq!(
            t,
            CpuTimes {
                busy: 160,
                total: 1000
            }
        );
        assert_eq!(cores, 2);
        // Old kernels: only user nice system idle.
        assert_eq!(
            parse_stat("cpu 1 2 3 4\n").unwrap().0,
            CpuTimes { busy: 6, total: 10 }
        );
        assert_eq!(parse_stat("cpu 1 2\n"), None);
        assert_eq!(parse_stat("cpu 1 x 3 4\n"), None);
        assert_eq!(parse_stat("intr 1 2 3\n"), None);
    }

    #[test]
    fn reader_computes_the_busy_share_between_readings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("loadavg"), "2.50 1.00 0.50 3/100 42\n").unwrap();
        std::fs::write(dir.path().join("stat"), STAT).unwrap();
        let mut r = CpuReader::at(dir.path());
        let first = r.read().unwrap();
        assert_eq!(first.busy_percent, None, "one reading is not a rate");
        assert_eq!((first.load1, first.cores), (2.5, 2));
        assert!(first.overloaded());
        std::fs::write(
            dir.path().join("stat"),
            "cpu  130 20 40 860 40 5 5 0 10 0\ncpu0 1\ncpu1 1\n",
        )
        .unwrap();
        // 40 more busy ticks of 100: 40 %.
        assert_eq!(r.read().unwrap().busy_percent, Some(40.0));
        // /proc/stat unreadable: the load still shows, the share is unknown.
        std::fs::remove_file(dir.path().join("stat")).unwrap();
        let l = r.read().unwrap();
        assert_eq!((l.busy_percent, l.cores, l.load5), (None, 0, 1.0));
        std::fs::remove_file(dir.path().join("loadavg")).unwrap();
        assert!(r.read().unwrap_err().contains("loadavg"));
    }

    #[test]
    fn reads_this_machine() {
        let mut r = CpuReader::system();
        let l = r.read().unwrap();
        assert!(l.cores >= 1, "{l:?}");
    }
}
