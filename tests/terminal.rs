//! The long commands as a person runs them: in a real terminal (a pseudo-terminal, not a pipe), with the
//! progress bar and RUST_LOG logs at the same time, stopped with Ctrl-C, and killed outright. Checks that
//! progress is drawn live, that the summary line comes, that Ctrl-C stops a command within seconds with exit code
//! 130 after saving what must survive (`logs --follow` ends with 130 too), and that no service outlives the process
//! that started it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};
use stream2neptune_local::services::{StreamServer, StreamServerKind};
use stream2neptune_process::procfs;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::resume::ResumeState;

/// How long one expected output may take.
const EXPECT_TIMEOUT_MS: u64 = 90_000;

/// `stream2neptune ARGS` in a new pseudo-terminal of 120 x 40 characters.
struct Terminal {
    session: PtySession,
    /// The process id of the command (the pty's session leader).
    pid: u32,
}

impl Terminal {
    fn run(args: &[&str], env: &[(&str, &str)]) -> Self {
        // The shell sizes the terminal, prints its pid and becomes the command (exec keeps the pid).
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("stty cols 120 rows 40; echo \"pid=$$\"; exec \"$@\"")
            .arg("sh")
            .arg(env!("CARGO_BIN_EXE_stream2neptune"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("RUST_LOG");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut session = spawn_with_options(
            command,
            Options::new()
                .timeout_ms(Some(EXPECT_TIMEOUT_MS))
                .strip_ansi_escape_codes(true),
        )
        .expect("cannot start the command in a pseudo-terminal");
        let (_, line) = session.exp_regex(r"pid=\d+").expect("the shell's pid line");
        let pid = line["pid=".len()..].parse().unwrap();
        Terminal { session, pid }
    }

    /// Waits for `text`; returns what came before it.
    fn expect(&mut self, text: &str) -> String {
        self.session
            .exp_string(text)
            .unwrap_or_else(|e| panic!("{text:?} did not appear on the terminal: {e}"))
    }

    /// Waits for `regex`; returns (what came before, the match).
    fn expect_regex(&mut self, regex: &str) -> (String, String) {
        self.session
            .exp_regex(regex)
            .unwrap_or_else(|e| panic!("{regex:?} did not appear on the terminal: {e}"))
    }

    /// Ctrl-C, as typed: the terminal sends SIGINT to its foreground process group.
    fn ctrl_c(&mut self) {
        self.session.send_control('c').unwrap();
    }

    /// Sends `signal` to the command alone (not to its terminal's process group).
    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on the pid of the command this terminal started, not yet waited for.
        assert_eq!(unsafe { libc::kill(self.pid as libc::pid_t, signal) }, 0);
    }

    /// Ctrl-C as typed for SIGINT (the whole foreground group); any other signal to the command alone.
    fn interrupt_with(&mut self, signal: libc::c_int) {
        if signal == libc::SIGINT {
            self.ctrl_c();
        } else {
            self.signal(signal);
        }
    }

    /// Reads to the end of the output; returns it and the exit code.
    fn finish(mut self) -> (String, i32) {
        let rest = self
            .session
            .exp_eof()
            .unwrap_or_else(|e| panic!("the command did not end: {e}"));
        match self.session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => (rest, code),
            other => panic!("the command did not exit normally: {other:?}\n{rest}"),
        }
    }
}

/// The live child processes of `pid` (the services it started).
fn children(pid: u32) -> Vec<u32> {
    procfs::processes()
        .into_iter()
        .filter(|(_, s)| s.ppid == pid && s.is_alive())
        .map(|(child, _)| child)
        .collect()
}

/// Waits up to `patience` until none of `pids` is alive and no live process is in one of their process groups
/// (each service leads its own group: a process it forked would be in it).
fn assert_all_gone(pids: &[u32], patience: Duration) {
    let until = Instant::now() + patience;
    loop {
        let left: Vec<(u32, procfs::ProcStat)> = procfs::processes()
            .into_iter()
            .filter(|(pid, s)| s.is_alive() && (pids.contains(pid) || pids.contains(&s.pgrp)))
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < until,
            "still running {patience:?} after their parent stopped: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until `pid` has started `count` services; returns their pids.
fn services_of(pid: u32, count: usize) -> Vec<u32> {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let found = children(pid);
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < until,
            "{pid} did not start {count} services"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn edge_file(dir: &Path, follows: u64) -> PathBuf {
    let summary = generate(
        &DatasetConfig::from_args(&DatasetArgs {
            people: 1000,
            follows,
            seed: 3,
            out: dir.to_owned(),
            zipf_exponent: 1.0,
            start: "2018-01-01".into(),
            end: "2019-12-31".into(),
            gzip_level: 1,
        })
        .unwrap(),
    )
    .unwrap();
    summary.follows_gz
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn demo_draws_live_progress_with_info_logs_and_ends_with_its_summary() {
    // GIVEN a small paced demo in a terminal, with the writer's info logs on
    let dir = tempfile::tempdir().unwrap();
    let mut term = Terminal::run(
        &[
            "demo",
            "--region",
            "eu-west-1",
            // Oxigraph starts in a second; the JVM engines' demo is tested in local/tests/demo.rs.
            "--set",
            "QueryLanguage=sparql",
            "--edges",
            "1200",
            "--rate",
            "600",
            "--state-dir",
            path(dir.path()),
        ],
        &[("RUST_LOG", "info,aws=warn,hyper=warn")],
    );

    // THEN the bar moves while edges are written, log lines print between its draws
    term.expect("demo: kinesalite at");
    let services = services_of(term.pid, 2);
    let (_, first) = term.expect_regex(r"\d+/1200 written");
    let first: u64 = first.split('/').next().unwrap().parse().unwrap();
    let logs = term.expect("invocation done");
    let (_, later) = term.expect_regex(r"[1-9]\d*/1200 written");
    let later: u64 = later.split('/').next().unwrap().parse().unwrap();
    assert!(
        first < 1200 && later > first,
        "the bar did not move: {first} then {later}\n{logs}"
    );

    // AND it ends with the summary line counted from the store, and exit code 0
    term.expect(
        "demo: sent 1200 edges = held 1200 + rejected 0 + on-failure 0 + lost 0; store holds 1200 follows edges, duplicated 0, unexpected 0",
    );
    let (rest, code) = term.finish();
    assert_eq!(code, 0, "{rest}");
    assert_all_gone(&services, Duration::from_secs(1));

    // AND the log file holds the lines RUST_LOG asked for too
    let log = std::fs::read_to_string(dir.path().join("logs").join("pipeline.log")).unwrap();
    assert!(log.contains("invocation done"), "{log}");
}

#[test]
fn a_store_that_dies_during_a_demo_is_named_with_its_log_and_the_run_stops() {
    // GIVEN a paced demo writing into Oxigraph
    let dir = tempfile::tempdir().unwrap();
    let mut term = Terminal::run(
        &[
            "demo",
            "--region",
            "eu-west-1",
            "--set",
            "QueryLanguage=sparql",
            "--edges",
            "20000",
            "--rate",
            "500",
            "--state-dir",
            path(dir.path()),
        ],
        &[],
    );
    let (_, store) = term.expect_regex(r"oxigraph \(sparql\) at \S+ \(pid \d+\)");
    let store_pid: i32 = store
        .rsplit("pid ")
        .next()
        .unwrap()
        .trim_end_matches(')')
        .parse()
        .unwrap();
    let (mut shown, _) = term.expect_regex(r"[1-9]\d*/20000 written");

    // WHEN the store stops answering until the stream is 1000 edges ahead of the store (the writer waits on its
    // requests), then dies: every request waiting fails and is retried, with a warning each
    // SAFETY: kill(2) of the store process this test's demo started and still holds as its child.
    unsafe {
        libc::kill(store_pid, libc::SIGSTOP);
    }
    // (The pty's bytes arrive one char each: the line's `·` is two characters here.)
    let counts = regex::Regex::new(r"(\d+)/20000 written \([^)]*\) \S+ sent (\d+)").unwrap();
    loop {
        let (before, line) = term.expect_regex(counts.as_str());
        shown.push_str(&before);
        let n = counts.captures(&line).unwrap();
        let (written, sent): (u64, u64) = (n[1].parse().unwrap(), n[2].parse().unwrap());
        if sent >= written + 1000 {
            break;
        }
    }
    // SAFETY: as above.
    unsafe {
        libc::kill(store_pid, libc::SIGKILL);
    }

    // THEN the demo names it and its log, stops, and exits 1 instead of retrying into the drain time-out
    let (before, _) =
        term.expect_regex("oxigraph exited during the run, after \\d+ of 20000 edges were sent");
    let (rest, code) = term.finish();
    assert_eq!(code, 1, "{before}{rest}");
    let log = dir.path().join("logs").join("oxigraph.log");
    assert!(
        rest.contains(&format!("see its log {}", log.display())),
        "{rest}"
    );

    // AND without RUST_LOG no log line was printed over the progress line: the run's lines are in the log file.
    // (The requests the store left waiting fail when it dies and are retried with a warning each, unless the demo
    // sees the exit first: whether the file holds a WARN line is a race, so only the terminal's side is asserted;
    // workload's logs tests check that warnings go to the file.)
    shown.push_str(&before);
    shown.push_str(&rest);
    assert!(
        !shown.contains(" WARN ") && !shown.contains(" INFO "),
        "a log line on the terminal:\n{shown}"
    );
    let pipeline = std::fs::read_to_string(dir.path().join("logs").join("pipeline.log")).unwrap();
    assert!(
        pipeline.contains(" INFO ") && pipeline.contains("invocation done"),
        "{pipeline}"
    );
}

#[test]
fn ctrl_c_stops_a_long_demo_within_seconds_with_130_saving_its_files_and_leaving_no_service() {
    // GIVEN a demo that would run for a minute, its services up and edges flowing
    let dir = tempfile::tempdir().unwrap();
    let mut term = Terminal::run(
        &[
            "demo",
            "--region",
            "eu-west-1",
            "--set",
            "QueryLanguage=sparql",
            "--edges",
            "30000",
            "--rate",
            "500",
            "--state-dir",
            path(dir.path()),
        ],
        &[("RUST_LOG", "stream2neptune_local=debug")],
    );
    term.expect("demo: kinesalite at");
    let services = services_of(term.pid, 2);
    term.expect_regex(r"[1-9]\d*/30000 written");

    // WHEN Ctrl-C is typed
    let typed = Instant::now();
    term.ctrl_c();

    // THEN it says so, stops in order and exits 130 within seconds
    term.expect("stopped by Ctrl-C (SIGINT): demo stopped after");
    let (rest, code) = term.finish();
    let took = typed.elapsed();
    assert_eq!(code, 130, "{rest}");
    assert!(took < Duration::from_secs(6), "stopping took {took:?}");

    // AND no service (kinesalite's node, Oxigraph) is left, and what must survive was written
    assert_all_gone(&services, Duration::from_secs(1));
    let resume = ResumeState::load(&dir.path().join("drive.resume.json"))
        .unwrap()
        .expect("the driver's resume file");
    assert!(
        resume.edges_read < 30000,
        "the driver had read {} edges",
        resume.edges_read
    );
    let checkpoints = std::fs::read_dir(dir.path().join("checkpoints"))
        .unwrap()
        .count();
    assert!(checkpoints > 0, "no checkpoint was written");
}

/// `drive` of `edges` into the stream `follows` at `endpoint`, `rate` edges/s, with every crate's debug logs.
fn drive_in_terminal(endpoint: &str, edges: &Path, rate: &str, extra: &[&str]) -> Terminal {
    let mut args = vec![
        "drive",
        "--stream",
        "follows",
        "--edges",
        path(edges),
        "--endpoint-url",
        endpoint,
        "--region",
        "us-east-1",
        "--rate",
        rate,
    ];
    args.extend_from_slice(extra);
    Terminal::run(
        &args,
        &[
            ("RUST_LOG", "debug"),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
        ],
    )
}

#[test]
fn drive_with_its_bar_and_debug_logs_finishes_and_ctrl_c_writes_the_resume_file() {
    // GIVEN kinesis-mock with a 2-shard stream, and two edge files
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime
        .block_on(StreamServer::start(
            StreamServerKind::KinesisMock,
            0,
            "us-east-1",
            2,
            &dir.path().join("kinesis-mock.log"),
        ))
        .unwrap();
    let client = stream2neptune_local::kinesis::client(&mock.endpoint(), "us-east-1");
    runtime
        .block_on(stream2neptune_local::kinesis::create_stream(
            &client, "follows", 2, 24,
        ))
        .unwrap();
    let small = edge_file(&dir.path().join("small"), 1500);
    let large = edge_file(&dir.path().join("large"), 20000);

    // WHEN the small file is driven with the progress bar and every crate's debug logs
    let mut term = drive_in_terminal(&mock.endpoint(), &small, "1000", &[]);
    let shown = term.expect("1500 edges accepted by follows");
    let (rest, code) = term.finish();

    // THEN it finishes with exit code 0, debug logs and the bar on one terminal
    assert_eq!(code, 0, "{rest}");
    assert!(shown.contains("DEBUG"), "no debug log line:\n{shown}");
    assert!(
        shown.contains("edges accepted ("),
        "no progress bar:\n{shown}"
    );

    // WHEN the small file is driven again as KPL aggregates, as fast as the stream takes them
    let mut term = drive_in_terminal(&mock.endpoint(), &small, "100000", &["--aggregate"]);
    let (shown, _) = term.expect_regex(
        r"1500 edges accepted by follows in [\d.]+ s \(\d+/s\) in [1-9]\d* KPL aggregated records",
    );
    let (rest, code) = term.finish();

    // THEN it finishes with exit code 0 and says how many aggregates carried the edges
    assert_eq!(code, 0, "{shown}{rest}");

    // WHEN a long drive is interrupted with Ctrl-C
    let mut term = drive_in_terminal(&mock.endpoint(), &large, "500", &[]);
    term.expect_regex(r"[1-9][\d,]* edges accepted \(");
    term.ctrl_c();
    term.expect("stopped by Ctrl-C (SIGINT)");
    let (rest, code) = term.finish();

    // THEN it exits 130 with the unsent edges in the resume file it names
    assert_eq!(code, 130, "{rest}");
    let resume_file = PathBuf::from(format!("{}.resume.json", large.display()));
    let resume = ResumeState::load(&resume_file)
        .unwrap()
        .expect("the resume file");
    assert!(
        resume.edges_read > 0 && resume.edges_read < 20000,
        "edges read: {}",
        resume.edges_read
    );
    assert!(
        rest.contains(&resume_file.display().to_string()),
        "the message names the resume file: {rest}"
    );
}

#[test]
fn kill_9_of_local_up_leaves_no_service_running() {
    // GIVEN `local up` with its services running
    let dir = tempfile::tempdir().unwrap();
    let mut term = Terminal::run(
        &[
            "local",
            "up",
            "--region",
            "eu-west-1",
            "--set",
            "QueryLanguage=sparql",
            "--kinesis-port",
            "0",
            "--store-port",
            "0",
            "--state-dir",
            path(dir.path()),
        ],
        &[],
    );
    term.expect("stop with Ctrl-C");
    let services = services_of(term.pid, 2);

    // AND a demo on the same state directory is refused, naming the running one, before it touches anything
    let demo = Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args(["demo", "--edges", "10", "--state-dir", path(dir.path())])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&demo.stderr);
    assert!(!demo.status.success());
    assert!(
        err.contains(&format!(
            "is in use by another local run (pid {} (local up))",
            term.pid
        )),
        "{err}"
    );

    // WHEN it is killed outright
    term.signal(libc::SIGKILL);

    // THEN the kernel stops its services with it
    assert_all_gone(&services, Duration::from_secs(5));
    let (_, _) = (term.session.exp_eof(), term.session.process().wait());

    // AND `local down` finds the recorded pid is no longer that `local up`, and removes the stale file
    let down = Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args(["local", "down", "--state-dir", path(dir.path())])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&down.stderr);
    assert!(!down.status.success());
    assert!(err.contains("is not running; removed the stale"), "{err}");
    assert!(!dir.path().join("services.json").exists());
}

#[test]
fn local_up_with_info_logs_writes_what_is_driven_and_local_down_stops_it_but_not_a_reused_pid() {
    // GIVEN services.json naming a live process whose start time is not the recorded one (a reused pid)
    let dir = tempfile::tempdir().unwrap();
    let mut other = Command::new("sleep").arg("30").spawn().unwrap();
    let start = procfs::stat(other.id()).unwrap().start_time;
    let file = dir.path().join("services.json");
    let services = |pid: u32, start_time: u64| {
        serde_json::json!({
            "pid": pid, "startTime": start_time, "region": "eu-west-1", "stream": "s",
            "kinesisEndpoint": "http://127.0.0.1:9", "storeUrl": "http://127.0.0.1:9"
        })
        .to_string()
    };
    std::fs::write(&file, services(other.id(), start + 1)).unwrap();
    let down = || {
        Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
            .args(["local", "down", "--state-dir", path(dir.path())])
            .output()
            .unwrap()
    };

    // WHEN `local down` runs THEN it signals nothing
    assert!(!down().status.success());
    assert!(
        procfs::stat(other.id()).is_some_and(|s| s.is_alive()),
        "`local down` signalled a process that is not the recorded `local up`"
    );
    let _ = other.kill();
    let _ = other.wait();

    // GIVEN a real `local up`
    let mut term = Terminal::run(
        &[
            "local",
            "up",
            "--region",
            "eu-west-1",
            "--set",
            "QueryLanguage=sparql",
            "--kinesis-port",
            "0",
            "--store-port",
            "0",
            "--state-dir",
            path(dir.path()),
        ],
        &[("RUST_LOG", "info,aws=warn,hyper=warn")],
    );
    term.expect("stop with Ctrl-C");
    let services = services_of(term.pid, 2);

    // WHEN edges are driven into it while it logs every invocation on its terminal
    let running: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let edges = edge_file(&dir.path().join("data"), 600);
    let drive = Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args([
            "drive",
            "--no-progress",
            "--rate",
            "1000",
            "--region",
            "eu-west-1",
        ])
        .args(["--stream", running["stream"].as_str().unwrap()])
        .args([
            "--endpoint-url",
            running["kinesisEndpoint"].as_str().unwrap(),
        ])
        .args(["--edges", path(&edges)])
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .output()
        .unwrap();
    assert!(
        drive.status.success(),
        "{}",
        String::from_utf8_lossy(&drive.stderr)
    );

    // THEN it writes them all (it does not stall on its own log lines)
    term.expect("invocation done");
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let status = Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
            .args(["local", "status", "--state-dir", path(dir.path())])
            .output()
            .unwrap();
        let status = String::from_utf8_lossy(&status.stdout).into_owned();
        if status.contains("store: 600 follows edges") {
            break;
        }
        assert!(
            Instant::now() < until,
            "not all edges written in 60 s:\n{status}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // WHEN `local down` runs THEN `local up` stops its services and exits 143 (SIGTERM)
    let down = down();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let (rest, code) = term.finish();
    assert_eq!(code, 143, "{rest}");
    assert!(
        rest.contains("stopped by SIGTERM: local services stopped"),
        "{rest}"
    );
    assert_all_gone(&services, Duration::from_secs(1));
    assert!(!file.exists());
}

#[test]
fn sighup_stops_local_up_in_order_with_129() {
    // GIVEN `local up` with its services running
    let dir = tempfile::tempdir().unwrap();
    let mut term = Terminal::run(
        &[
            "local",
            "up",
            "--region",
            "eu-west-1",
            "--set",
            "QueryLanguage=sparql",
            "--kinesis-port",
            "0",
            "--store-port",
            "0",
            "--state-dir",
            path(dir.path()),
        ],
        &[],
    );
    term.expect("stop with Ctrl-C");
    let services = services_of(term.pid, 2);

    // WHEN its terminal hangs up
    term.signal(libc::SIGHUP);

    // THEN it stops its services and exits 129
    let (rest, code) = term.finish();
    assert_eq!(code, 129, "{rest}");
    assert!(rest.contains("stopped by SIGHUP"), "{rest}");
    assert_all_gone(&services, Duration::from_secs(1));
    assert!(!dir.path().join("services.json").exists());
}

#[test]
fn ctrl_c_stops_dataset_with_130_and_leaves_no_file_half_written() {
    // GIVEN a data set that takes many seconds to write, its bar moving
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let mut term = Terminal::run(
        &[
            "dataset",
            "--people",
            "100000",
            "--follows",
            "50000000",
            "--out",
            path(&out),
        ],
        &[],
    );
    term.expect_regex(r"[1-9][\d,]*/50,000,000 edges written");

    // WHEN Ctrl-C is typed
    let typed = Instant::now();
    term.ctrl_c();

    // THEN it exits 130 within seconds saying nothing was written
    term.expect("stopped by Ctrl-C (SIGINT): no data set was written to");
    let (rest, code) = term.finish();
    assert_eq!(code, 130, "{rest}");
    let took = typed.elapsed();
    assert!(took < Duration::from_secs(5), "stopping took {took:?}");

    // AND no file is left under the output folder, final or temporary
    let mut left = Vec::new();
    for dir in [out.clone(), out.join("vertices")] {
        left.extend(std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()));
    }
    left.retain(|p| p.is_file());
    assert_eq!(left, Vec::<PathBuf>::new());
}

/// Writes `dir/.venv/bin/<name>`, an executable shell `script` standing in for a tool the project runs from there.
fn stand_in_tool(dir: &Path, name: &str, script: &str) {
    let bin = dir.join(".venv/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join(name);
    std::fs::write(&path, script).unwrap();
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&path, permissions).unwrap();
}

/// A workspace whose `.venv/bin/aws` answers like the AWS CLI with a stack to delete, and whose
/// `cloudformation wait` runs until killed (writing its pid to `wait.pid` first).
fn workspace_with_a_slow_aws_cli(dir: &Path) {
    stand_in_tool(
        dir,
        "aws",
        r#"#!/bin/sh
case "$1 $2" in
  "sts get-caller-identity") echo '{"Account":"123456789012","Arn":"arn:aws:iam::123456789012:user/t","UserId":"T"}' ;;
  "cloudformation describe-stacks") echo '{"StackName":"stream2neptune","StackStatus":"CREATE_COMPLETE"}' ;;
  "cloudformation describe-stack-events") echo '{"StackEvents":[]}' ;;
  "cloudformation wait") echo $$ > "$(dirname "$0")/wait.pid"; exec sleep 300 ;;
  *) echo '{}' ;;
esac
"#,
    );
}

/// `destroy` of eu-west-1 with the slow AWS CLI of `dir`, waiting on `cloudformation wait`; returns
/// the terminal and the pid of that wait.
fn destroy_waiting(dir: &Path) -> (Terminal, u32) {
    workspace_with_a_slow_aws_cli(dir);
    let mut term = Terminal::run(
        &["destroy", "--region", "eu-west-1", "--workspace", path(dir)],
        &[],
    );
    term.expect("+ aws cloudformation wait --region eu-west-1 stack-delete-complete");
    let pid_file = dir.join(".venv/bin/wait.pid");
    let started = Instant::now();
    let wait = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
        {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no wait started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    (term, wait)
}

#[test]
fn ctrl_c_and_sigterm_stop_destroy_waiting_on_cloudformation_with_its_cli_and_say_what_goes_on() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        // GIVEN destroy waiting on `aws cloudformation wait` (CloudFormation deleting the stack)
        let dir = tempfile::tempdir().unwrap();
        let (mut term, wait) = destroy_waiting(dir.path());

        // WHEN Ctrl-C is typed (SIGINT to the whole foreground group), or SIGTERM is sent to
        // stream2neptune alone
        let sent = Instant::now();
        term.interrupt_with(signal);

        // THEN it says what goes on in CloudFormation and exits 128 + the signal within seconds
        term.expect(
            "while running `aws cloudformation wait --region eu-west-1 stack-delete-complete",
        );
        let (rest, exit) = term.finish();
        assert_eq!(exit, code, "{rest}");
        assert!(
            rest.contains("goes on in CloudFormation; run the same command again"),
            "{rest}"
        );
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "{:?}",
            sent.elapsed()
        );
        // AND the AWS CLI it ran is gone
        assert_all_gone(&[wait], Duration::from_secs(2));
    }
}

/// A workspace whose `.venv/bin/cargo-lambda` answers `--version` and whose `lambda build` starts a child of its
/// own (as cargo starts rustc), writes both pids to `build.pids` and waits until killed.
fn workspace_with_a_slow_cargo_lambda(dir: &Path) {
    stand_in_tool(
        dir,
        "cargo-lambda",
        r#"#!/bin/sh
case "$1 $2" in
  "lambda --version") echo "cargo-lambda 1.8.6 (stand-in)" ;;
  "lambda build") sleep 300 & echo "$$ $!" > "$(dirname "$0")/build.pids"; echo "Compiling stand-in"; wait ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"#,
    );
}

#[test]
fn ctrl_c_and_sigterm_stop_package_with_its_build_and_package_nothing() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        // GIVEN package building the driver (cargo-lambda and the child it started are running)
        let dir = tempfile::tempdir().unwrap();
        workspace_with_a_slow_cargo_lambda(dir.path());
        let out = dir.path().join("artifacts");
        let mut term = Terminal::run(
            &[
                "package",
                "--only",
                "driver",
                "--workspace",
                path(dir.path()),
                "--out",
                path(&out),
            ],
            &[],
        );
        term.expect("Compiling stand-in");
        let pids: Vec<u32> = std::fs::read_to_string(dir.path().join(".venv/bin/build.pids"))
            .unwrap()
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(pids.len(), 2);

        // WHEN Ctrl-C is typed, or SIGTERM is sent to stream2neptune alone
        let sent = Instant::now();
        term.interrupt_with(signal);

        // THEN it says which build it stopped and exits 128 + the signal within seconds
        term.expect("while running `");
        let (rest, exit) = term.finish();
        assert_eq!(exit, code, "{rest}");
        assert!(
            rest.contains("lambda build") && rest.contains("nothing was packaged from it"),
            "{rest}"
        );
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "{:?}",
            sent.elapsed()
        );
        // AND the build and its child are gone, and no artifact or manifest was written
        assert_all_gone(&pids, Duration::from_secs(2));
        let written: Vec<_> = std::fs::read_dir(&out)
            .map(|entries| entries.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        assert_eq!(written, Vec::<PathBuf>::new());
    }
}

/// A workspace whose `.venv/bin/aws` answers like the AWS CLI for a stack whose writer logged one JSON line just
/// now (every read of the log group answers it again, as filter-log-events does for an unchanged start time).
fn workspace_with_a_logging_writer(dir: &Path) {
    stand_in_tool(
        dir,
        "aws",
        r#"#!/bin/sh
case "$1 $2" in
  "sts get-caller-identity") echo '{"Account":"123456789012","Arn":"arn:aws:iam::123456789012:user/t","UserId":"T"}' ;;
  "cloudformation describe-stacks") echo '{"StackName":"stream2neptune","StackStatus":"CREATE_COMPLETE"}' ;;
  "cloudformation list-stack-resources") echo '{"StackResourceSummaries":[{"LogicalResourceId":"WriterLogGroup","PhysicalResourceId":"writer-logs","ResourceType":"AWS::Logs::LogGroup"}]}' ;;
  "logs filter-log-events")
    [ -f "$(dirname "$0")/at" ] || echo "$(( $(date +%s) * 1000 ))" > "$(dirname "$0")/at"
    echo "{\"events\":[{\"eventId\":\"1\",\"timestamp\":$(cat "$(dirname "$0")/at"),\"message\":\"{\\\"level\\\":\\\"WARN\\\",\\\"fields\\\":{\\\"message\\\":\\\"store slow\\\",\\\"retries\\\":2}}\"}]}" ;;
  *) echo '{}' ;;
esac
"#,
    );
}

#[test]
fn ctrl_c_ends_logs_follow_with_130_after_printing_each_line_once() {
    // GIVEN `logs --follow` printing the writer's line
    let dir = tempfile::tempdir().unwrap();
    workspace_with_a_logging_writer(dir.path());
    let mut term = Terminal::run(
        &[
            "logs",
            "--region",
            "eu-west-1",
            "--follow",
            "--workspace",
            path(dir.path()),
        ],
        &[],
    );
    term.expect("WARN  store slow retries=2");
    // WHEN it has read the log again (every 2 s) and Ctrl-C is typed
    std::thread::sleep(Duration::from_millis(2_500));
    let sent = Instant::now();
    term.ctrl_c();
    // THEN it ends within a second or two with 130 and a one-line note, the line printed once
    let (rest, exit) = term.finish();
    assert_eq!(exit, 130, "{rest}");
    assert!(
        rest.contains("stopped by Ctrl-C (SIGINT): the log was printed up to here"),
        "{rest}"
    );
    assert!(!rest.contains("store slow"), "printed twice: {rest}");
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
}
