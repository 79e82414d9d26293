//! Shared by the packaging and deploy tests: the workspace's tools, one packaging run per test binary, and a
//! moto server on a free loopback port that dies with its guard.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use stream2neptune_process::shutdown::Shutdown;
use stream2neptune_testkit::tool;

use stream2neptune::package::{self, ALL_PARTS, Architecture, Artifact, Request};

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// PATH with the workspace's .venv/bin first, as the Makefile sets it.
pub fn path_with_venv() -> std::ffi::OsString {
    let mut dirs = vec![workspace().join(".venv/bin")];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).expect("PATH entries have no separator")
}

/// One real packaging run (a cargo-lambda build, slow) shared by every test of a binary.
pub struct Packaged {
    /// The output folder.
    pub dir: tempfile::TempDir,
    /// What was packaged.
    pub artifacts: Vec<Artifact>,
    /// The progress log.
    pub log: String,
}

/// Packages the writer (x86_64), the driver and the notebooks once per test binary.
pub fn packaged() -> &'static Packaged {
    static PACKAGED: OnceLock<Packaged> = OnceLock::new();
    PACKAGED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let request = Request {
            workspace: workspace(),
            out: dir.path().to_owned(),
            parts: ALL_PARTS.to_vec(),
            writer_archs: vec![Architecture::X86_64],
        };
        let mut log = Vec::new();
        let artifacts =
            package::package(&request, &mut log, &Shutdown::never()).unwrap_or_else(|err| {
                panic!("packaging failed: {err}\n{}", String::from_utf8_lossy(&log))
            });
        Packaged {
            dir,
            artifacts,
            log: String::from_utf8_lossy(&log).into_owned(),
        }
    })
}

pub use stream2neptune_testkit::{Server, free_port};

/// Writes a self-signed certificate (its own CA) for localhost and 127.0.0.1, with `cryptography` (a moto
/// dependency in the venv): argv[1] = certificate, argv[2] = key.
const SELF_SIGNED: &str = r#"
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
    .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .sign(key, hashes.SHA256()))
open(sys.argv[1], "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(sys.argv[2], "wb").write(key.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
"#;

/// A moto server on 127.0.0.1, killed when dropped (also on panic).
pub struct Moto {
    _server: Server,
    /// Its endpoint, e.g. `https://localhost:43123` (moto listens on 127.0.0.1).
    pub endpoint: String,
    /// Holds the certificate, and stands for the (absent) AWS config files so the host's never leak in.
    home: tempfile::TempDir,
}

impl Moto {
    /// Starts moto_server over TLS, as AWS is reached, with a self-signed certificate for localhost, and waits
    /// until it accepts connections. It runs with the behaviours of moto_cloudformation.py (a failing resource fails
    /// the stack with its reason; Neptune offers every class in every zone of the region).
    pub fn start() -> Moto {
        Moto::start_slow(Duration::ZERO)
    }

    /// [`Moto::start`] where executing a change set takes `execute` after its IN_PROGRESS event, so the progress
    /// of a deploy can be seen while the AWS CLI waits.
    pub fn start_slow(execute: Duration) -> Moto {
        Moto::spawn(execute, &serde_json::json!({}))
    }

    /// [`Moto::start`] where Neptune offers each class named in `zones` (`{"<region>": {"<class>": ["<zone name>",
    /// ...]}}`) in those zones only (every other class in every zone of its region).
    pub fn start_with_neptune_zones(zones: &serde_json::Value) -> Moto {
        Moto::spawn(Duration::ZERO, zones)
    }

    fn spawn(execute: Duration, neptune_zones: &serde_json::Value) -> Moto {
        let home = tempfile::tempdir().expect("temp dir");
        let (cert, key) = (home.path().join("cert.pem"), home.path().join("key.pem"));
        let made = Command::new(tool("python"))
            .args([
                "-c",
                SELF_SIGNED,
                cert.to_str().unwrap(),
                key.to_str().unwrap(),
            ])
            .output()
            .expect("run the venv's python");
        assert!(
            made.status.success(),
            "certificate: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let port = free_port();
        let mut command = Command::new(tool("python"));
        command
            .arg(workspace().join("tests/deploy_support/moto_cloudformation.py"))
            .env(
                "STREAM2NEPTUNE_MOTO_EXECUTE_SECONDS",
                execute.as_secs_f64().to_string(),
            )
            .env(
                "STREAM2NEPTUNE_MOTO_NEPTUNE_ZONES",
                neptune_zones.to_string(),
            )
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .arg("--ssl-cert")
            .arg(&cert)
            .arg("--ssl-key")
            .arg(&key)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let server =
            Server::spawn_listening("moto_server", command, port, Duration::from_secs(30), None);
        Moto {
            _server: server,
            // `localhost`, not the address: moto reads a TemplateURL path-style only when it names localhost.
            endpoint: format!("https://localhost:{port}"),
            home,
        }
    }

    /// Points a command at moto: endpoint, fake credentials, region, no host config, no instance metadata.
    pub fn env<'c>(&self, command: &'c mut Command, region: &str) -> &'c mut Command {
        let empty = self.home.path().join("none");
        command
            .env("PATH", path_with_venv())
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("AWS_DEFAULT_REGION", region)
            .env("AWS_CONFIG_FILE", &empty)
            .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CA_BUNDLE", self.home.path().join("cert.pem"))
    }

    /// Runs the real AWS CLI against moto and returns its stdout; a failure fails the test.
    pub fn aws(&self, region: &str, args: &[&str]) -> String {
        let output = self.aws_output(region, args);
        assert!(
            output.status.success(),
            "aws {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// POSTs `body` to moto's own API at `path` (e.g. `/moto-api/config`), with the venv's Python.
    pub fn moto_api(&self, path: &str, body: &serde_json::Value) {
        let script = "import sys, requests\n\
                      r = requests.post(sys.argv[1], data=sys.argv[2], verify=sys.argv[3])\n\
                      assert r.status_code < 300, (r.status_code, r.text)";
        let output = Command::new(tool("python"))
            .args(["-c", script])
            .arg(format!("{}{path}", self.endpoint))
            .arg(body.to_string())
            .arg(self.home.path().join("cert.pem"))
            .output()
            .expect("run the venv's python");
        assert!(
            output.status.success(),
            "POST {path}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Runs the real AWS CLI against moto.
    pub fn aws_output(&self, region: &str, args: &[&str]) -> Output {
        let mut command = Command::new(tool("aws"));
        self.env(&mut command, region)
            .args(args)
            .args(["--region", region])
            .output()
            .expect("run aws")
    }

    /// Runs the stream2neptune binary against moto.
    pub fn stream2neptune(&self, region: &str, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stream2neptune"));
        self.env(&mut command, region)
            .args(args)
            .current_dir(workspace())
            .output()
            .expect("run stream2neptune")
    }
}

/// stdout and stderr of a run, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The fixture folder of the deploy tests.
pub fn fixture(name: &str) -> PathBuf {
    workspace().join("tests/deploy_fixtures").join(name)
}

/// Reads a file a test expects to exist.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}
