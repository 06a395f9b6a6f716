//! What the kernel said about OOM kills since the memory collector started, as a running
//! tally a reader can take its share of ([`OomTally::since`]). The collector publishes the
//! latest value on a `watch` channel, where a slow reader may miss a reading: the tally is
//! cumulative, so the kills of a missed reading come with the next one instead of being lost.
//! Pure: the kernel log and cgroup counters are read by `crate::collect::oom`.

use crate::model::deaths::OomEvents;

/// Kernel-log kills kept in the tally (the newest): far more than a refresh interval sees.
pub const KILLS_KEPT: usize = 64;

/// The OOM kills seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OomTally {
    /// The newest (at most [`KILLS_KEPT`]) kernel-log kills, oldest first: `(n, pid, comm)`,
    /// `n` counting every kill seen from 1.
    pub kills: Vec<(u64, u32, String)>,
    /// How many kernel-log kills were seen in all (the `n` of the newest).
    pub kills_seen: u64,
    /// The sum of every rise of the cgroup's `oom_kill` counter seen.
    pub counter_rises: u64,
}

/// How much of an [`OomTally`] a reader has taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OomCursor {
    kills: u64,
    counter_rises: u64,
}

impl OomTally {
    /// Adds what one pass found (collector side).
    pub fn record(&mut self, ev: OomEvents) {
        for (pid, comm) in ev.killed {
            self.kills_seen += 1;
            self.kills.push((self.kills_seen, pid, comm));
        }
        let drop = self.kills.len().saturating_sub(KILLS_KEPT);
        self.kills.drain(..drop);
        self.counter_rises += ev.counter_delta;
    }

    /// What `cursor` has not taken yet, as the events of one pass; moves `cursor` past it.
    pub fn since(&self, cursor: &mut OomCursor) -> OomEvents {
        let ev = OomEvents {
            killed: self
                .kills
                .iter()
                .filter(|(n, _, _)| *n > cursor.kills)
                .map(|(_, pid, comm)| (*pid, comm.clone()))
                .collect(),
            counter_delta: self.counter_rises.saturating_sub(cursor.counter_rises),
        };
        cursor.kills = cursor.kills.max(self.kills_seen);
        cursor.counter_rises = cursor.counter_rises.max(self.counter_rises);
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(killed: &[u32], counter_delta: u64) -> OomEvents {
        OomEvents {
            killed: killed.iter().map(|p| (*p, format!("p{p}"))).collect(),
            counter_delta,
        }
    }

    #[test]
    fn a_reader_gets_each_kill_once_also_after_missing_readings() {
        let mut tally = OomTally::default();
        let mut cursor = OomCursor::default();
        assert_eq!(tally.since(&mut cursor), OomEvents::default());
        tally.record(ev(&[10], 1));
        assert_eq!(tally.since(&mut cursor), ev(&[10], 1));
        assert_eq!(tally.since(&mut cursor), OomEvents::default());
        // Two passes the reader did not see, then one it does: all of them, once.
        tally.record(ev(&[11, 12], 0));
        tally.record(ev(&[], 2));
        tally.record(ev(&[13], 0));
        assert_eq!(tally.since(&mut cursor), ev(&[11, 12, 13], 2));
        assert_eq!(tally.since(&mut cursor), OomEvents::default());
    }

    #[test]
    fn the_tally_keeps_the_newest_kills() {
        let mut tally = OomTally::default();
        let many: Vec<u32> = (0..100).collect();
        tally.record(ev(&many, 0));
        assert_eq!(tally.kills.len(), KILLS_KEPT);
        assert_eq!(tally.kills_seen, 100);
        assert_eq!(tally.kills[0].1, 36);
        let mut cursor = OomCursor::default();
        assert_eq!(tally.since(&mut cursor).killed.len(), KILLS_KEPT);
    }
}
