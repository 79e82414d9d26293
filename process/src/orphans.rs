//! Children that never outlive their parent: the kernel signals a child when the thread that forked
//! it ends (`PR_SET_PDEATHSIG`), whatever ends it (an error, a signal, `kill -9`). Every process this
//! project starts (local services, the AWS CLI, cargo-lambda) is spawned with it.
//!
//! The signal comes when the forking *thread* ends, not the process: spawn from a thread that lives
//! as long as the process (the main thread, or local mode's spawner thread in `services`).
//!
//! A command waiting on a child stops it when this process gets a signal: [`wait_or_stop`].

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

use crate::shutdown::{Shutdown, Signal};

/// How long a child that a signal ended waits for this process's own handler to report a signal: the terminal's
/// Ctrl-C reaches the whole foreground process group at once, and the child may end first.
pub const SIGNAL_GRACE: Duration = Duration::from_secs(2);

/// How often [`wait_or_stop`] looks for a signal.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Makes the kernel send `signal` to the child `command` starts once the calling thread ends.
pub fn die_with_parent(command: &mut Command, signal: libc::c_int) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: between fork and exec the closure makes only async-signal-safe calls (prctl,
    // getppid) and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect: then no signal would ever come.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// The signal this process got that stopped a child which ended with `status`, if any. A child that a signal
/// ended counts as stopped when this process gets a signal within [`SIGNAL_GRACE`]: a Ctrl-C in the terminal
/// reaches the whole foreground process group, so the child can end before this process's handler has noted it.
pub fn stopped_by(status: ExitStatus, shutdown: &Shutdown) -> Option<Signal> {
    match status.signal() {
        Some(_) => shutdown.received_within(SIGNAL_GRACE),
        None => shutdown.received(),
    }
}

/// Waits for `child` until it ends or this process gets a signal. On a signal the child's process group gets
/// SIGTERM (spawn the child with `process_group(0)` so that its own children, such as cargo's rustc, stop too),
/// the child is waited for, and the answer is the signal. A child that ended by itself is judged by
/// [`stopped_by`].
pub fn wait_or_stop(
    child: &mut Child,
    shutdown: &Shutdown,
) -> io::Result<Result<ExitStatus, Signal>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(stopped_by(status, shutdown).map_or(Ok(status), Err));
        }
        if let Some(signal) = shutdown.received() {
            let pid = child.id() as libc::pid_t;
            // SAFETY: kill(2) on a child not yet waited for (its pid, and the group it leads, cannot be reused).
            unsafe {
                if libc::kill(-pid, libc::SIGTERM) == -1 {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
            child.wait()?;
            return Ok(Err(signal));
        }
        std::thread::sleep(SIGNAL_CHECK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    const HELPER: &str = "STREAM2NEPTUNE_ORPHANS_HELPER";

    /// Run as a child of the test below (this test binary again): starts `sleep` with
    /// [`die_with_parent`], prints its pid and waits to be killed.
    #[test]
    fn helper_parent_of_a_sleep() {
        if std::env::var_os(HELPER).is_none() {
            return;
        }
        let mut sleep = Command::new("sleep");
        sleep.arg("300").stdout(Stdio::null());
        die_with_parent(&mut sleep, libc::SIGKILL);
        let mut child = sleep.spawn().unwrap();
        println!("sleep-pid={}", child.id());
        // The test kills this process first: the wait never returns.
        child.wait().unwrap();
    }

    #[test]
    fn the_child_dies_when_its_parent_is_killed_with_sigkill() {
        // GIVEN a parent process that started `sleep 300` with die_with_parent
        let mut parent = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "orphans::tests::helper_parent_of_a_sleep",
                "--nocapture",
            ])
            .env(HELPER, "1")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(parent.stdout.take().unwrap()).lines();
        let pid: u32 = lines
            .find_map(|line| line.unwrap().strip_prefix("sleep-pid=").map(str::to_owned))
            .expect("the helper's sleep pid")
            .parse()
            .unwrap();
        assert!(crate::procfs::stat(pid).is_some_and(|s| s.is_alive()));

        // WHEN the parent is killed with SIGKILL (no handler, no destructor runs)
        parent.kill().unwrap();
        parent.wait().unwrap();

        // THEN the kernel kills the sleep
        let started = Instant::now();
        while crate::procfs::stat(pid).is_some_and(|s| s.is_alive()) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "sleep {pid} outlived its parent"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
