//! Test server processes that cannot outlive their test.
//!
//! [`Server::spawn`] starts the command in its own process group (so a signal reaches the
//! server's children too) with PR_SET_PDEATHSIG=SIGKILL, so the kernel kills it when the thread
//! that started it ends, even after `kill -9` of the test binary. Dropping a [`Server`] kills its
//! group and reaps it.

use std::os::unix::process::CommandExt;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use stream2neptune_process::orphans;
use stream2neptune_process::procfs::group_listens_on;

/// A running test server, killed (its whole process group) when dropped.
#[derive(Debug)]
pub struct Server {
    name: String,
    child: Child,
    log: Option<PathBuf>,
    reaped: bool,
}

impl Server {
    /// Spawns `command` in a new process group with the parent-death signal set; panics naming
    /// `name` when it cannot start.
    pub fn spawn(name: &str, mut command: Command) -> Server {
        command.process_group(0);
        orphans::die_with_parent(&mut command, libc::SIGKILL);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}; run `make tools`"));
        Server {
            name: name.to_owned(),
            child,
            log: None,
            reaped: false,
        }
    }

    /// [`Server::spawn`], then waits until `port` on 127.0.0.1 accepts connections. Panics naming
    /// the server and the tail of `log` (its captured output) when it exits first or does not
    /// listen within `timeout`.
    pub fn spawn_listening(
        name: &str,
        command: Command,
        port: u16,
        timeout: Duration,
        log: Option<&Path>,
    ) -> Server {
        let mut server = Server::spawn(name, command);
        server.log = log.map(Path::to_path_buf);
        server.wait_listening(port, timeout);
        server
    }

    /// [`Server::spawn`] of a command whose output goes to `log`, without waiting: a later
    /// [`Server::wait_listening`] panics with the tail of `log`.
    pub fn spawn_logged(name: &str, command: Command, log: &Path) -> Server {
        let mut server = Server::spawn(name, command);
        server.log = Some(log.to_path_buf());
        server
    }

    /// Waits until the server listens on `port` of 127.0.0.1 (see [`Server::spawn_listening`]).
    pub fn wait_listening(&mut self, port: u16, timeout: Duration) {
        if let Err(NotListening::Exited(failure) | NotListening::Timeout(failure)) =
            self.try_wait_listening(port, timeout)
        {
            panic!("{failure}");
        }
    }

    /// Waits until a process of the server's group listens on `port` of 127.0.0.1 and accepts a connection there. A
    /// port that another process took first accepts connections too: that does not count, and the server, which
    /// then cannot bind it, exits and is reported ([`NotListening::Exited`]).
    fn try_wait_listening(&mut self, port: u16, timeout: Duration) -> Result<(), NotListening> {
        let started = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && group_listens_on(self.child.id(), port)
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.reaped = true;
                return Err(NotListening::Exited(format!(
                    "{} exited ({status}) before listening on {port}:\n{}",
                    self.name,
                    self.log_tail()
                )));
            }
            if started.elapsed() > timeout {
                self.kill();
                return Err(NotListening::Timeout(format!(
                    "{} did not listen on {port} within {} s:\n{}",
                    self.name,
                    timeout.as_secs(),
                    self.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server `command` makes for a free port and waits until it listens there; when it exits before
    /// listening (another process took the port between the pick and its bind: the tests start servers side by side),
    /// tries again on another port, three times at most. Returns the server and its port.
    pub fn spawn_on_free_port(
        name: &str,
        timeout: Duration,
        log: Option<&Path>,
        mut command: impl FnMut(u16) -> Command,
    ) -> (Server, u16) {
        let mut tries = 0;
        loop {
            tries += 1;
            let port = crate::free_port();
            let mut server = Server::spawn(name, command(port));
            server.log = log.map(Path::to_path_buf);
            match server.try_wait_listening(port, timeout) {
                Ok(()) => return (server, port),
                Err(NotListening::Exited(_)) if tries < 3 => continue,
                Err(NotListening::Exited(failure) | NotListening::Timeout(failure)) => {
                    panic!("{failure}")
                }
            }
        }
    }

    /// The server's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server has not exited yet.
    pub fn is_running(&mut self) -> bool {
        if !self.reaped && !matches!(self.child.try_wait(), Ok(None)) {
            self.reaped = true;
        }
        !self.reaped
    }

    /// SIGKILL to the process group, and reap.
    pub fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
        self.reaped = true;
    }

    /// SIGTERM to the process group (the server runs its shutdown hooks) and reap; SIGKILL after
    /// `grace`.
    pub fn terminate(&mut self, grace: Duration) {
        self.signal(libc::SIGTERM);
        let started = Instant::now();
        while started.elapsed() < grace {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.reaped = true;
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }

    fn signal(&self, signal: libc::c_int) {
        if self.reaped {
            return;
        }
        // SAFETY: kill(2) on the process group this server leads (its pid, not yet reaped, so
        // the group id cannot have been reused).
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), signal);
        }
    }

    /// The last 40 lines of the captured output, if any.
    fn log_tail(&self) -> String {
        self.log
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .map(|text| {
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            })
            .unwrap_or_default()
    }
}

/// Why a server was not listening (the message names it, its port and its log's tail).
enum NotListening {
    Exited(String),
    Timeout(String),
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: i32) -> bool {
        // SAFETY: signal 0 only checks that the process exists.
        unsafe { libc::kill(pid, 0) == 0 }
    }

    #[test]
    fn a_dropped_server_takes_its_children_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("sleep 60 & echo $! > {}; wait", pid_file.display()));
        let server = Server::spawn("sh", command);
        let started = Instant::now();
        let grandchild = loop {
            if let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok())
            {
                break pid;
            }
            assert!(started.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(alive(grandchild));
        drop(server);
        let started = Instant::now();
        while alive(grandchild) && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        // The grandchild was reparented, so it may linger as a zombie of init only briefly;
        // /proc tells a zombie from a live process.
        let state = std::fs::read_to_string(format!("/proc/{grandchild}/stat")).unwrap_or_default();
        assert!(state.is_empty() || state.contains(") Z "), "{state}");
    }

    #[test]
    fn a_server_dies_with_the_thread_that_started_it() {
        let pid = std::thread::spawn(|| {
            let server = Server::spawn("sleep", {
                let mut c = Command::new("sleep");
                c.arg("60");
                c
            });
            let pid = server.pid();
            // Leak it: only the parent-death signal can stop it now.
            std::mem::forget(server);
            pid
        })
        .join()
        .unwrap() as i32;
        let started = Instant::now();
        loop {
            // Reap it (it is still our child) once the kernel has killed it.
            let mut status = 0;
            // SAFETY: waitpid on our own child.
            let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if reaped == pid {
                assert!(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL);
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the server outlived the thread that started it"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn terminate_stops_a_server_that_handles_sigterm() {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("trap 'exit 0' TERM; while :; do sleep 0.05; done");
        let mut server = Server::spawn("sh", command);
        assert!(server.is_running());
        let started = Instant::now();
        server.terminate(Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!server.is_running());
    }

    #[test]
    fn a_port_another_process_listens_on_is_not_the_servers_and_another_port_is_tried() {
        // GIVEN a port that a listener of this test process holds, and a server that exits when it cannot bind
        let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let taken_port = taken.local_addr().unwrap().port();
        assert!(!group_listens_on(
            std::process::id() + 1_000_000,
            taken_port
        ));
        let mut ports = vec![taken_port];
        // WHEN a server is started on it first
        let (mut server, port) = Server::spawn_on_free_port(
            "python",
            Duration::from_secs(20),
            None,
            |free| {
                let port = if ports.len() == 1 { ports[0] } else { free };
                ports.push(port);
                let mut command = Command::new("python3");
                command.stderr(std::process::Stdio::null());
                command.arg("-c").arg(format!(
                    "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); time.sleep(60)"
                ));
                command
            },
        );
        // THEN the first try exits (the port is taken) and the second listens on a port of its own
        assert_ne!(port, taken_port);
        assert_eq!(ports.len(), 3, "{ports:?}");
        assert!(group_listens_on(server.pid(), port));
        assert!(!group_listens_on(server.pid(), taken_port));
        server.kill();
    }

    #[test]
    #[should_panic(expected = "exited")]
    fn a_server_that_exits_before_listening_is_reported() {
        let mut command = Command::new("sh");
        command.arg("-c").arg("exit 3");
        Server::spawn_listening(
            "sh",
            command,
            crate::free_port(),
            Duration::from_secs(5),
            None,
        );
    }
}
