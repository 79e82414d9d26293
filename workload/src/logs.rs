//! Where tracing's log lines go. Without a log file, to the terminal ([`stream2neptune_process::terminal`]): what RUST_LOG names,
//! else the warnings of the project's crates. While a command holds a [`LogFile`] (the demo, `local up`), the
//! project's lines from INFO up are written to that file, and a command that asks for a quiet terminal keeps only
//! ERROR lines there unless RUST_LOG was set; the warnings are counted, with the last one's text, for the
//! command's progress line ([`warnings`]).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt as _;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

/// The open log file, if a command holds one.
static FILE: Mutex<Option<File>> = Mutex::new(None);
/// The holder of the log file wants the terminal to itself (only ERROR lines, unless RUST_LOG was set).
static QUIET: AtomicBool = AtomicBool::new(false);
/// The warnings since the log file was attached.
static WARNINGS: Mutex<Warnings> = Mutex::new(Warnings {
    count: 0,
    last: None,
});

/// The project's crates at `level`: the lines written when RUST_LOG is not set.
fn project(level: &str) -> EnvFilter {
    EnvFilter::new(
        [
            "stream2neptune",
            "stream2neptune_local",
            "stream2neptune_workload",
            "writer",
        ]
        .map(|target| format!("{target}={level}"))
        .join(","),
    )
}

/// Installs the process's log subscriber (once; a second call changes nothing). RUST_LOG, when set and valid,
/// chooses the lines of the terminal and of the log file; otherwise the terminal shows the project's warnings and
/// the log file its lines from INFO up.
pub fn init() {
    let explicit = EnvFilter::try_from_default_env().is_ok();
    let chosen =
        |default: &str| EnvFilter::try_from_default_env().unwrap_or_else(|_| project(default));
    let terminal = tracing_subscriber::fmt::layer()
        .with_ansi(io::stderr().is_terminal())
        .with_writer(
            stream2neptune_process::terminal::stderr.with_filter(move |meta| {
                explicit || !QUIET.load(Ordering::Relaxed) || *meta.level() == Level::ERROR
            }),
        )
        .with_filter(chosen("warn"));
    let file = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(|| FileLine)
        .with_filter(chosen("info"));
    let _ = tracing_subscriber::registry()
        .with(terminal)
        .with(file)
        .with(CountWarnings.with_filter(project("warn")))
        .try_init();
}

/// Whether the terminal keeps its log lines while a [`LogFile`] is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// Only ERROR lines reach the terminal (unless RUST_LOG was set): a progress line owns it.
    Quiet,
    /// The terminal shows what it shows without a log file.
    Unchanged,
}

/// The log file a command writes while it holds this; dropping it closes the file and gives the terminal back.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
}

impl LogFile {
    /// Creates (or empties) `path` and writes the log lines there from now on, the terminal as `terminal` says;
    /// the warning count starts again from zero.
    pub fn attach(path: &Path, terminal: Terminal) -> io::Result<LogFile> {
        let file = File::create(path)?;
        *lock(&WARNINGS) = Warnings::default();
        *lock(&FILE) = Some(file);
        QUIET.store(terminal == Terminal::Quiet, Ordering::Relaxed);
        Ok(LogFile {
            path: path.to_owned(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        QUIET.store(false, Ordering::Relaxed);
        *lock(&FILE) = None;
    }
}

/// The warnings of the project's crates since the last [`LogFile::attach`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings {
    /// How many.
    pub count: u64,
    /// The last one: its message, then its `error` (or `reason`) field if it has one.
    pub last: Option<String>,
}

/// The warnings so far (see [`Warnings`]).
pub fn warnings() -> Warnings {
    lock(&WARNINGS).clone()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while logging leaves nothing half-done worth refusing the next line for.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A formatted line on its way to the log file; dropped when no file is held.
struct FileLine;

impl Write for FileLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(file) = lock(&FILE).as_mut() {
            // A full disk must not fail the command that is logging.
            let _ = file.write_all(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Counts the WARN events and keeps the text of the last.
struct CountWarnings;

impl<S: Subscriber> Layer<S> for CountWarnings {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() != Level::WARN {
            return;
        }
        let mut reason = Reason::default();
        event.record(&mut reason);
        let mut warnings = lock(&WARNINGS);
        warnings.count += 1;
        warnings.last = Some(reason.text());
    }
}

/// The message and the `error` (or `reason`) field of an event.
#[derive(Default)]
struct Reason {
    message: String,
    error: String,
}

impl Reason {
    fn text(self) -> String {
        match (self.message.is_empty(), self.error.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.error,
            (false, false) => format!("{}: {}", self.message, self.error),
        }
    }
}

impl Visit for Reason {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let into = match field.name() {
            "message" => &mut self.message,
            "error" | "reason" => &mut self.error,
            _ => return,
        };
        let _ = write!(into, "{value:?}");
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            "error" | "reason" => self.error.push_str(value),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_counts_with_its_message_and_error_and_lines_go_to_the_file_only_while_it_is_held()
    {
        init();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipeline.log");
        tracing::warn!(target: "writer", "before the file");
        let file = LogFile::attach(&path, Terminal::Quiet).unwrap();
        assert_eq!(warnings(), Warnings::default());

        tracing::info!(target: "stream2neptune_local", "invocation done");
        tracing::warn!(target: "writer", error = %"Conflict: element modified", retry = 1, "write failed, retrying");
        tracing::warn!(target: "hyper", "not the project's");
        tracing::warn!(target: "writer", "no error field");
        tracing::warn!(target: "writer", error = %"Timeout", retry = 2, "write failed, retrying");
        assert_eq!(
            warnings(),
            Warnings {
                count: 3,
                last: Some("write failed, retrying: Timeout".into())
            }
        );
        drop(file);
        tracing::warn!(target: "writer", "after the file");

        let log = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 4, "{log}");
        assert!(
            lines[0].contains("INFO") && lines[0].contains("invocation done"),
            "{log}"
        );
        assert!(
            lines[1].contains("WARN")
                && lines[1]
                    .contains("write failed, retrying error=Conflict: element modified retry=1"),
            "{log}"
        );
        assert!(
            !log.contains("before the file")
                && !log.contains("after the file")
                && !log.contains("not the project's")
        );
    }
}
