//! AWS CLI invocations built in Rust and either printed (dry run) or run.
//!
//! Every command is printed before it runs, so a real run shows exactly what a dry run announced. Commands whose
//! answer steers the plan (does the bucket exist? is this artifact uploaded?) are "probes": a dry run cannot know
//! their answer and so prints the branch that does the work.

use std::ffi::OsString;
use std::io::{BufRead as _, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use stream2neptune_process::shutdown::{Shutdown, Signal};

use super::error::{Error, Result};

/// How often a long command looks for a signal (Ctrl-C, SIGTERM, SIGHUP).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// One AWS CLI command line, without the leading `aws`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    args: Vec<String>,
}

impl Call {
    /// `aws <service> <operation> --region <region>`.
    pub fn new(service: &str, operation: &str, region: &str) -> Self {
        Call {
            args: vec![
                service.to_owned(),
                operation.to_owned(),
                "--region".to_owned(),
                region.to_owned(),
            ],
        }
    }

    /// Adds `--name value`.
    pub fn arg(mut self, name: &str, value: impl Into<String>) -> Self {
        self.args.push(name.to_owned());
        self.args.push(value.into());
        self
    }

    /// Adds `--name` followed by several values.
    pub fn args<I, S>(mut self, name: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.push(name.to_owned());
        self.args.extend(values.into_iter().map(Into::into));
        self
    }

    /// Adds a bare flag or positional word.
    pub fn word(mut self, word: impl Into<String>) -> Self {
        self.args.push(word.into());
        self
    }

    /// The arguments after `aws`.
    pub fn argv(&self) -> &[String] {
        &self.args
    }
}

impl std::fmt::Display for Call {
    /// The command as a shell would take it: `aws` and each argument quoted where needed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("aws")?;
        for arg in &self.args {
            let quoted = shlex::try_quote(arg).unwrap_or_else(|_| arg.clone().into());
            write!(f, " {quoted}")?;
        }
        Ok(())
    }
}

/// What a long command's watcher does while the command runs: label its output lines, and now and then look at
/// what the command is doing (the stack events).
pub trait Watch {
    /// The prefix of each line printed while the command runs, e.g. `[eu-west-1 +02:13]`.
    fn label(&self) -> String;
    /// How long between two calls of [`Watch::poll`].
    fn every(&self) -> Duration;
    /// Looks and prints what is new; called every [`Watch::every`] and once when the command ends. A failure to
    /// look is the watcher's to report: the command goes on.
    fn poll(&mut self, aws: &mut Aws<'_>);
}

/// Prints, and unless dry-running, runs AWS CLI commands.
pub struct Aws<'o> {
    /// The `aws` executable; `None` in a dry run.
    program: Option<PathBuf>,
    out: &'o mut dyn Write,
    /// A signal stops the command running (SIGTERM to the CLI) and every later one.
    shutdown: Shutdown,
}

impl<'o> Aws<'o> {
    /// A runner that prints every command and runs none.
    pub fn dry_run(out: &'o mut dyn Write) -> Self {
        Aws {
            program: None,
            out,
            shutdown: Shutdown::never(),
        }
    }

    /// A runner that prints each command, then runs it with `program`, until `shutdown` comes.
    pub fn execute(program: PathBuf, out: &'o mut dyn Write, shutdown: Shutdown) -> Self {
        Aws {
            program: Some(program),
            out,
            shutdown,
        }
    }

    /// [`Error::Stopped`] once a signal has come.
    fn check_signal(&self, call: &Call) -> Result<()> {
        self.stopped(call, self.shutdown.received())
    }

    /// [`Error::Stopped`] when the CLI that ended with `status` was stopped by the terminal's signal (the whole
    /// foreground process group gets Ctrl-C, so the CLI can end before this process's handler has noted it).
    fn check_signal_after(&self, call: &Call, status: std::process::ExitStatus) -> Result<()> {
        self.stopped(
            call,
            stream2neptune_process::orphans::stopped_by(status, &self.shutdown),
        )
    }

    fn stopped(&self, call: &Call, received: Option<Signal>) -> Result<()> {
        match received {
            Some(signal) => Err(Error::Stopped {
                signal,
                command: call.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The shutdown request this runner stops on (for work it hands to others, such as a build).
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Whether commands are only printed.
    pub fn is_dry_run(&self) -> bool {
        self.program.is_none()
    }

    /// Prints a `# ` comment line.
    pub fn note(&mut self, text: impl std::fmt::Display) -> Result<()> {
        writeln!(self.out, "# {text}").map_err(Error::Output)
    }

    /// Prints a plain line (results a person reads, such as stack outputs).
    pub fn say(&mut self, text: impl std::fmt::Display) -> Result<()> {
        writeln!(self.out, "{text}").map_err(Error::Output)
    }

    /// Runs a command that changes something; its output is passed on.
    pub fn run(&mut self, call: &Call) -> Result<()> {
        self.run_as(call, true)
    }

    /// [`Aws::run`] even after a signal came: the clean-up of what a stopped command left (a change set). Its
    /// own failure is still an error.
    pub fn run_despite_signal(&mut self, call: &Call) -> Result<()> {
        self.run_as(call, false)
    }

    fn run_as(&mut self, call: &Call, stop_on_signal: bool) -> Result<()> {
        if let Some(stdout) = self.invoke_as(call, true, stop_on_signal)? {
            let text = stdout.trim_end();
            if !text.is_empty() {
                writeln!(self.out, "{text}").map_err(Error::Output)?;
            }
        }
        Ok(())
    }

    /// Runs a long command (a deploy, a wait) and streams its output line by line as it comes, each line
    /// labelled by `watch`, which is polled every [`Watch::every`] while it runs and once at the end.
    pub fn run_watched(&mut self, call: &Call, watch: &mut dyn Watch) -> Result<()> {
        let Some(program) = self.program.clone() else {
            return writeln!(self.out, "{call}").map_err(Error::Output);
        };
        writeln!(self.out, "+ {call}").map_err(Error::Output)?;
        self.out.flush().map_err(Error::Output)?;
        let spawn_error = |source| Error::Spawn {
            command: call.to_string(),
            source,
        };
        let mut child = aws_command(&program, call.argv())
            // The AWS CLI v1 is Python: unbuffered, its lines arrive as it prints them.
            .env("PYTHONUNBUFFERED", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_error)?;
        let (sender, lines) = mpsc::channel::<(bool, String)>();
        let readers: Vec<_> = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .enumerate()
        .filter_map(|(index, stream)| stream.map(|stream| (index == 1, stream)))
        .map(|(is_stderr, stream)| {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(|l| l.ok())
                {
                    if sender.send((is_stderr, line)).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
        drop(sender);
        let mut stderr = Vec::new();
        let mut next_poll = Instant::now() + watch.every();
        loop {
            if self.shutdown.received().is_some() {
                // SAFETY: kill(2) on the pid of a child not yet waited for (it cannot be reused).
                unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
                let _ = child.wait();
                for reader in readers {
                    let _ = reader.join();
                }
                return self.check_signal(call);
            }
            let wait = next_poll
                .saturating_duration_since(Instant::now())
                .min(SIGNAL_CHECK);
            match lines.recv_timeout(wait) {
                Ok((is_stderr, line)) => {
                    if line.trim().is_empty() {
                        continue;
                    }
                    writeln!(self.out, "{} {line}", watch.label()).map_err(Error::Output)?;
                    self.out.flush().map_err(Error::Output)?;
                    if is_stderr {
                        stderr.push(line);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout)
                    if Instant::now() >= next_poll && self.shutdown.received().is_none() =>
                {
                    watch.poll(self);
                    next_poll = Instant::now() + watch.every();
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        for reader in readers {
            let _ = reader.join();
        }
        let status = child.wait().map_err(spawn_error)?;
        // A Ctrl-C in the terminal reaches the CLI too: its end is the signal's.
        self.check_signal_after(call, status)?;
        watch.poll(self);
        if status.success() {
            Ok(())
        } else {
            Err(Error::Aws {
                command: call.to_string(),
                status: status.to_string(),
                stderr: stderr.join("\n").trim().to_owned(),
            })
        }
    }

    /// Runs a command that reads, with `--output json`, and parses its answer; `None` in a dry run.
    pub fn read(&mut self, call: &Call) -> Result<Option<serde_json::Value>> {
        self.read_as(call, true)
    }

    /// [`Aws::read`], its answer parsed as `T`; `None` in a dry run.
    pub fn read_into<T: serde::de::DeserializeOwned>(&mut self, call: &Call) -> Result<Option<T>> {
        self.read(call)?
            .map(|answer| parse_answer(call, answer))
            .transpose()
    }

    /// [`Aws::read`] without printing the command: the watchers' repeated looks (a dry run prints nothing).
    pub fn read_quietly(&mut self, call: &Call) -> Result<Option<serde_json::Value>> {
        if self.is_dry_run() {
            return Ok(None);
        }
        self.read_as(call, false)
    }

    fn read_as(&mut self, call: &Call, echo: bool) -> Result<Option<serde_json::Value>> {
        let call = call.clone().arg("--output", "json");
        let Some(stdout) = self.invoke(&call, echo)? else {
            return Ok(None);
        };
        let text = stdout.trim();
        if text.is_empty() {
            return Ok(Some(serde_json::Value::Null));
        }
        serde_json::from_str(text)
            .map(Some)
            .map_err(|err| Error::AwsOutput {
                command: call.to_string(),
                detail: err.to_string(),
                stdout: text.to_owned(),
            })
    }

    /// Runs a command whose answer is text (such as `aws s3 presign`) and returns it trimmed; `None` in a dry run.
    pub fn read_text(&mut self, call: &Call) -> Result<Option<String>> {
        Ok(self
            .invoke(call, true)?
            .map(|stdout| stdout.trim().to_owned()))
    }

    /// Runs a command that asks whether something exists: `Some(true)` when it succeeds, `Some(false)` when AWS
    /// answers "not found", `None` in a dry run; any other failure is an error.
    pub fn probe(&mut self, call: &Call) -> Result<Option<bool>> {
        match self.read(call) {
            Ok(answer) => Ok(answer.map(|_| true)),
            Err(Error::Aws { stderr, .. }) if is_not_found(&stderr) => Ok(Some(false)),
            Err(err) => Err(err),
        }
    }

    /// Prints the command (when `echo`), then (unless dry-running) runs it and returns its stdout.
    fn invoke(&mut self, call: &Call, echo: bool) -> Result<Option<String>> {
        self.invoke_as(call, echo, true)
    }

    /// [`Aws::invoke`]; when `stop_on_signal` is false, a signal neither stops it from running nor turns its
    /// outcome into [`Error::Stopped`].
    fn invoke_as(
        &mut self,
        call: &Call,
        echo: bool,
        stop_on_signal: bool,
    ) -> Result<Option<String>> {
        let Some(program) = &self.program else {
            writeln!(self.out, "{call}").map_err(Error::Output)?;
            return Ok(None);
        };
        if echo {
            writeln!(self.out, "+ {call}").map_err(Error::Output)?;
            self.out.flush().map_err(Error::Output)?;
        }
        if stop_on_signal {
            self.check_signal(call)?;
        }
        let output = aws_command(program, call.argv())
            .output()
            .map_err(|source| Error::Spawn {
                command: call.to_string(),
                source,
            })?;
        // A Ctrl-C in the terminal reaches the CLI too: its failure is the signal's.
        if stop_on_signal {
            self.check_signal_after(call, output.status)?;
        }
        if output.status.success() {
            Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned()))
        } else {
            Err(Error::Aws {
                command: call.to_string(),
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }
}

/// A `Command` running the AWS CLI with `args`, with the pager off (AWS CLI v2 pages long output otherwise). The
/// CLI gets SIGTERM when this process ends, however it ends (`kill`, `kill -9`): a stack operation it started goes
/// on in CloudFormation, the CLI waiting on it does not.
pub fn aws_command(program: &Path, args: &[String]) -> Command {
    let mut command = Command::new(program);
    command.args(args.iter().map(OsString::from));
    // The AWS CLI v1 sends SQS to its legacy host names (awscli/customizations/overridesslcommonname.py) unless
    // --endpoint-url is given, ignoring AWS_ENDPOINT_URL: pass the configured endpoint on.
    if args.first().is_some_and(|service| service == "sqs")
        && !args.iter().any(|arg| arg == "--endpoint-url")
        && let Some(endpoint) = ["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"]
            .iter()
            .find_map(|name| std::env::var_os(name).filter(|v| !v.is_empty()))
    {
        command.arg("--endpoint-url").arg(endpoint);
    }
    command.env("AWS_PAGER", "").stdin(Stdio::null());
    stream2neptune_process::orphans::die_with_parent(&mut command, libc::SIGTERM);
    command
}

/// Whether the CLI's error text says the thing asked about does not exist.
pub fn is_not_found(stderr: &str) -> bool {
    [
        "(404)",
        "Not Found",
        "NoSuchBucket",
        "NoSuchKey",
        "does not exist",
    ]
    .iter()
    .any(|needle| stderr.contains(needle))
}

/// `answer`, the JSON a command printed, as `T`; [`Error::AwsOutput`] naming the command when it is not one.
pub fn parse_answer<T: serde::de::DeserializeOwned>(
    call: &Call,
    answer: serde_json::Value,
) -> Result<T> {
    serde_json::from_value(answer.clone()).map_err(|err| Error::AwsOutput {
        command: call.to_string(),
        detail: err.to_string(),
        stdout: answer.to_string(),
    })
}
