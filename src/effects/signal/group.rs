//! Process groups, for the report only: devtop never signals a process group (`kill(-pgid)`).
//!
//! A group signal would add exactly the recipients nobody listed: every member devtop means to
//! end is already signalled through its own verified pidfd, while a group signal also reaches a
//! child forked between the membership scan and the signal, a process that joined the group
//! with `setpgid`, or a member the scan could not read (`hidepid`, a set-uid member). So each
//! target is signalled alone, and the dry run and the dialog name the group's unlisted members,
//! which receive nothing.

use super::guards::SelfView;
use crate::collect::identity::ProcIdentity;

impl SelfView {
    /// Live (not zombie) members of the process group `id` leads that are not in `listed`, the
    /// `(pid, start_ticks)` of every verified target, or that are devtop or its ancestors;
    /// ascending PIDs. Empty when `id` does not lead its group or `/proc` cannot be scanned.
    /// Source: `/proc/<pid>/stat` (pgrp, state, starttime) of every process; one scan.
    pub(super) fn unlisted_group_members(
        &self,
        id: &ProcIdentity,
        listed: &[(u32, u64)],
    ) -> Vec<u32> {
        let pgid = id.pgrp;
        if pgid != id.pid || pgid <= 1 {
            return Vec::new();
        }
        let Ok(all) = procfs::process::all_processes() else {
            return Vec::new();
        };
        let mut unlisted = Vec::new();
        for process in all {
            // Processes vanishing during the scan are not members any more.
            let Ok(process) = process else { continue };
            let Ok(stat) = process.stat() else { continue };
            let member = u32::try_from(stat.pid).unwrap_or(0);
            if u32::try_from(stat.pgrp).ok() != Some(pgid) || matches!(stat.state, 'Z' | 'X') {
                continue;
            }
            let is_listed = listed.contains(&(member, stat.starttime));
            if !is_listed || self.is_self_or_ancestor(member) {
                unlisted.push(member);
            }
        }
        unlisted.sort_unstable();
        unlisted
    }
}
