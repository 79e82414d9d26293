//! Building a binary for Lambda and Amazon Linux 2023 with cargo-lambda, whose zig linker keeps the glibc symbol
//! versions at or below what those systems ship.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use stream2neptune_process::orphans;
use stream2neptune_process::shutdown::Shutdown;
use stream2neptune_process::tools::find_tool;

use super::artifact::{Architecture, BinarySpec, rust_target};
use super::error::{Error, Result};

/// cargo-lambda, found, for one workspace.
#[derive(Debug, Clone)]
pub struct Builder {
    /// The cargo-lambda executable.
    pub cargo_lambda: PathBuf,
    /// The workspace root (holds the root Cargo.toml).
    pub workspace: PathBuf,
    /// cargo's target folder: `CARGO_TARGET_DIR` or `<workspace>/target`.
    pub target_dir: PathBuf,
    /// The cargo profile: `STREAM2NEPTUNE_CARGO_PROFILE` or `release`. The test suite builds with the
    /// `package-test` profile (no LTO, no optimisation) because the layout, determinism and glibc checks do not
    /// depend on optimisation and a release build of both binaries takes many minutes on two cores.
    pub profile: String,
}

impl Builder {
    /// Finds cargo-lambda for `workspace`, or says how to install it.
    pub fn find(workspace: &Path) -> Result<Self> {
        let cargo_lambda =
            find_tool(workspace, "cargo-lambda").ok_or_else(|| Error::CargoLambdaMissing {
                venv: workspace.join(".venv/bin/cargo-lambda"),
            })?;
        let target_dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"));
        let profile = std::env::var("STREAM2NEPTUNE_CARGO_PROFILE")
            .ok()
            .filter(|profile| !profile.is_empty())
            .unwrap_or_else(|| "release".to_owned());
        Ok(Builder {
            cargo_lambda,
            workspace: workspace.to_owned(),
            target_dir,
            profile,
        })
    }

    /// Checks that the Rust standard library for `arch` is installed, so a build for it can start.
    pub fn check_target(&self, arch: Architecture) -> Result<()> {
        let output = Command::new("rustc")
            .args(["--print", "sysroot"])
            .current_dir(&self.workspace)
            .output()
            .map_err(|err| Error::Sysroot(err.to_string()))?;
        if !output.status.success() {
            return Err(Error::Sysroot(
                String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            ));
        }
        let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let sysroot_lib = sysroot
            .join("lib/rustlib")
            .join(rust_target(arch))
            .join("lib");
        if sysroot_lib.is_dir() {
            Ok(())
        } else {
            Err(Error::TargetMissing {
                arch: arch.as_str(),
                triple: rust_target(arch),
                sysroot_lib,
            })
        }
    }

    /// Makes sure the Rust standard library for `arch` is installed: when it is missing and rustup is there,
    /// runs `rustup target add <triple>` (said on `log`) and checks again.
    pub fn ensure_target(
        &self,
        arch: Architecture,
        log: &mut dyn Write,
        shutdown: &Shutdown,
    ) -> Result<()> {
        let missing = match self.check_target(arch) {
            Err(missing @ Error::TargetMissing { .. }) => missing,
            other => return other,
        };
        let Some(rustup) = find_tool(&self.workspace, "rustup") else {
            return Err(missing);
        };
        let mut command = Command::new(rustup);
        command
            .args(["target", "add", rust_target(arch)])
            .current_dir(&self.workspace);
        let line = command_line(&command);
        writeln!(
            log,
            "the Rust target {} for {arch} is not installed; installing it: {line}",
            rust_target(arch)
        )
        .map_err(Error::Log)?;
        let status = run(&mut command, &line, shutdown)?;
        if !status.success() {
            return Err(Error::TargetInstall {
                command: line,
                status,
            });
        }
        self.check_target(arch)
    }

    /// Waits for, then holds until dropped, the builder's lock on its target folder: cargo-lambda moves each built
    /// binary out to `--lambda-dir`, so two packaging runs building at once (two regions deployed side by side, a
    /// deploy during `make package`) would move each other's binary away. Hold it from the build until the binary
    /// is read.
    pub fn lock(&self) -> Result<std::fs::File> {
        let dir = self.target_dir.join("lambda");
        std::fs::create_dir_all(&dir).map_err(Error::io("create", &dir))?;
        let path = dir.join(".build.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Error::io("create", &path))?;
        file.lock().map_err(Error::io("lock", &path))?;
        Ok(file)
    }

    /// Where cargo-lambda puts the built `bootstrap` of `bin`.
    pub fn bootstrap_path(&self, bin: &str) -> PathBuf {
        self.target_dir.join("lambda").join(bin).join("bootstrap")
    }

    /// The cargo-lambda command that builds `spec` for `arch` with the builder's profile.
    pub fn command(&self, spec: BinarySpec, arch: Architecture) -> Command {
        let mut command = Command::new(&self.cargo_lambda);
        command
            .args(["lambda", "build", "--profile", &self.profile])
            .args(["--package", spec.package, "--bin", spec.bin])
            .args(["--target", rust_target(arch)])
            .arg("--lambda-dir")
            .arg(self.target_dir.join("lambda"))
            .current_dir(&self.workspace);
        // cargo-lambda runs zig (the `ziglang` package) from the same folder when it comes from a virtualenv. The
        // folder goes in absolute: build scripts run the C compiler from their own folders (`--workspace .` left
        // `./.venv/bin` there, and ring's build found no zig).
        if let Some(dir) = self.cargo_lambda.parent() {
            let mut paths = vec![std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned())];
            paths.extend(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            ));
            if let Ok(path) = std::env::join_paths(paths) {
                command.env("PATH", path);
            }
        }
        // A `package` stopped by `kill -9` stops its build too.
        orphans::die_with_parent(&mut command, libc::SIGTERM);
        command
    }

    /// Builds `spec` for `arch` and returns the path of the built binary; a signal stops the build.
    pub fn build(
        &self,
        spec: BinarySpec,
        arch: Architecture,
        log: &mut dyn Write,
        shutdown: &Shutdown,
    ) -> Result<PathBuf> {
        self.check_target(arch)?;
        let mut command = self.command(spec, arch);
        let line = command_line(&command);
        writeln!(log, "building {} for {arch}: {line}", spec.bin).map_err(Error::Log)?;
        let status = run(&mut command, &line, shutdown)?;
        if !status.success() {
            return Err(Error::Build {
                command: line,
                status,
            });
        }
        let path = self.bootstrap_path(spec.bin);
        if !path.is_file() {
            return Err(Error::BinaryMissing {
                path,
                bin: spec.bin.to_owned(),
            });
        }
        Ok(path)
    }
}

/// Runs `command` (shown as `line`) to its end, or until a signal stops it and its children: it leads a process
/// group of its own, which gets SIGTERM.
fn run(command: &mut Command, line: &str, shutdown: &Shutdown) -> Result<ExitStatus> {
    let spawn_error = |source| Error::Spawn {
        command: line.to_owned(),
        source,
    };
    let mut child = command.process_group(0).spawn().map_err(spawn_error)?;
    orphans::wait_or_stop(&mut child, shutdown)
        .map_err(spawn_error)?
        .map_err(|signal| Error::Stopped {
            signal,
            command: line.to_owned(),
        })
}

/// A command as one line, for logs and errors.
fn command_line(command: &Command) -> String {
    std::iter::once(command.get_program().to_owned())
        .chain(command.get_args().map(OsString::from))
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
