//! What Linux's /proc tells about a process: its state, parent, process group, start time, CPU time and listening
//! sockets. Local mode uses it to tell a running process from a reused process id (`local down`) and a live service
//! from an exited one; `make local-bench` to say which part of the pipeline used the CPU; the test kit to tell its own
//! server on a port from another process that took the port first.

use std::path::Path;

/// The fields of `/proc/<pid>/stat` local mode reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// `R`, `S`, `D`... ; `Z` once it has exited and is waiting for its parent to collect it.
    pub state: char,
    /// The parent's process id.
    pub ppid: u32,
    /// The process group.
    pub pgrp: u32,
    /// When it started, in clock ticks since boot: with the pid, it names one process for good.
    pub start_time: u64,
    /// CPU time used so far, user and system, in clock ticks.
    pub cpu_ticks: u64,
}

impl ProcStat {
    /// Running (or sleeping), not exited.
    pub fn is_alive(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }

    /// CPU time used so far, user and system, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        self.cpu_ticks as f64 / clock_ticks_per_second()
    }
}

/// The stat of process `pid`, if it exists.
pub fn stat(pid: u32) -> Option<ProcStat> {
    parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Whether `pid` is alive and is the process that started at `start_time` (not a later one with the same id).
pub fn is_same_process(pid: u32, start_time: u64) -> bool {
    stat(pid).is_some_and(|s| s.is_alive() && s.start_time == start_time)
}

/// Every process on the machine with its stat.
pub fn processes() -> Vec<(u32, ProcStat)> {
    let Ok(entries) = std::fs::read_dir(Path::new("/proc")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .collect()
}

fn parse(text: &str) -> Option<ProcStat> {
    // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: the fields that
    // follow start after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
        cpu_ticks: fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?,
    })
}

/// CPU seconds used so far by the live processes of process group `pgrp` (a service and its children).
pub fn group_cpu_seconds(pgrp: u32) -> f64 {
    processes()
        .iter()
        .filter(|(_, stat)| stat.pgrp == pgrp)
        .map(|(_, stat)| stat.cpu_seconds())
        .sum()
}

/// Whether a process of process group `pgrp` holds a TCP socket listening on `port` (IPv4 or IPv6). A port that
/// accepts connections may belong to another process that took it first.
pub fn group_listens_on(pgrp: u32, port: u16) -> bool {
    let sockets = listening_sockets(port);
    !sockets.is_empty()
        && processes()
            .into_iter()
            .filter(|(_, stat)| stat.pgrp == pgrp)
            .any(|(pid, _)| holds_any(pid, &sockets))
}

/// The `socket:[INODE]` names of the sockets listening on TCP `port`, from /proc/net/tcp and tcp6.
fn listening_sockets(port: u16) -> Vec<String> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let local_port = fields.get(1)?.rsplit(':').next()?;
                    let listening = *fields.get(3)? == "0A";
                    let inode = fields.get(9)?;
                    (listening && u16::from_str_radix(local_port, 16).ok()? == port)
                        .then(|| format!("socket:[{inode}]"))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether one of process `pid`'s open files is one of `sockets`.
fn holds_any(pid: u32, sockets: &[String]) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .any(|target| {
            sockets
                .iter()
                .any(|socket| target.as_os_str() == socket.as_str())
        })
}

/// The unit of [`ProcStat::cpu_ticks`] (`getconf CLK_TCK`).
fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listening_socket_belongs_to_its_process_group_only() {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let group = stat(std::process::id()).unwrap().pgrp;
        assert!(group_listens_on(group, port));
        assert!(!group_listens_on(group.wrapping_add(1_000_000), port));
        drop(listener);
        assert!(!group_listens_on(group, port));
    }

    #[test]
    fn reads_this_process_and_a_name_with_parentheses() {
        let me = stat(std::process::id()).unwrap();
        assert!(me.is_alive());
        assert!(is_same_process(std::process::id(), me.start_time));
        assert!(!is_same_process(std::process::id(), me.start_time + 1));
        let busy = std::time::Instant::now();
        while busy.elapsed() < std::time::Duration::from_millis(50) {
            std::hint::black_box(0u64);
        }
        assert!(stat(std::process::id()).unwrap().cpu_ticks > 0);
        let line = "42 (a) b) (c) S 7 42 42 0 -1 4194560 1 0 0 0 250 30 0 0 20 0 1 0 987654 1 2";
        assert_eq!(
            parse(line),
            Some(ProcStat {
                state: 'S',
                ppid: 7,
                pgrp: 42,
                start_time: 987654,
                cpu_ticks: 280,
            })
        );
    }
}
