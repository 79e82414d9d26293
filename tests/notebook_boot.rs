//! The notebook instance as it starts on AWS, then the notebooks as a user runs them:
//! 1. the lifecycle script, taken from the rendered template with every Fn::Sub value filled in, runs with bash in
//!    a sandbox standing for `/` laid out as a notebook-al2023-v1 instance (ec2-user's home with the Jupyter
//!    server's environment in ~/anaconda3/envs/JupyterSystemEnv, the persistent ~/SageMaker, no AWS CLI on PATH),
//!    fetching the packaged notebooks from moto's S3 with graph-notebook's boto3; sudo, chown and systemctl are
//!    recording stubs, `aws` a stub that fails, and graph-notebook's venv is the project's .venv-notebooks (the same
//!    pinned versions; the script's install branch, which needs PyPI, is not run here). The server's environment
//!    is a venv of its own (sys.prefix in the sandbox) that imports JupyterLab from .venv-notebooks, so
//!    `jupyter labextension list` run there shows what the server would load;
//! 2. every notebook runs top to bottom with nbclient in the kernel the script registered, reading the stack.env it
//!    wrote, against one endpoint standing for Neptune's, as Neptune serves all of them on one port: a loader
//!    playback server that answers `POST /loader` and `GET /loader/{id}` as Neptune does, passes `/gremlin`
//!    (HTTP, and WebSocket upgrades, then the bytes both ways) on to TinkerPop's Gremlin Server and every other
//!    request (SPARQL) on to a real Oxigraph. Both stores hold one generated data set: in Oxigraph its people through
//!    the local N-Triples load and its edges written by the writer's SPARQL code; in Gremlin Server its people as
//!    the bulk loader loads people.csv and its edges written by the writer's Gremlin. Notebooks 01 (load the people)
//!    and 03 (SPARQL queries) run against Oxigraph, 02 (Gremlin queries) through graph-notebook's `%%gremlin`
//!    over a WebSocket, as on the instance. A cell error fails the test, and the results the cells stored are
//!    checked against the data set; each Gremlin cell is also run through `gremlin-lang`, the grammar Neptune
//!    parses with (the server evaluates a WebSocket request naming no language with Groovy), with the same answer.
//!
//! The stand-ins speak plain HTTP, so the test fills in `Tls` (a literal "true" in the template) with false; the
//! writer endpoint is 127.0.0.1 and the reader endpoint `localhost`, so the server can tell which one a request
//! went to.

mod boot_support;
mod common;
mod deploy_support;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stream2neptune_process::shutdown::Shutdown as Signals;

use boot_support::{Sandbox, SubScript, rendered_stack, text};
use deploy_support::{Moto, describe, workspace};
use serde_json::{Value, json};
use stream2neptune::package::{self, Part, Request};
use stream2neptune_testkit::GremlinServer;
use stream2neptune_workload::edges::{Edge, EdgeReader};
use stream2neptune_writer::gremlin::{GremlinStyle, batch_query, push_literal};

const REGION: &str = "eu-west-1";
const BUCKET: &str = "s2n-notebook-boot";
const LOADER_ROLE: &str = "arn:aws:iam::123456789012:role/s2n-loader";
const VERTICES: &str = "s3://s2n-notebook-boot/data/vertices/";
const PEOPLE: u64 = 200;
const FOLLOWS: u64 = 2_000;

/// The notebooks' own environment, made by `make notebook-tools`.
fn notebook_venv() -> PathBuf {
    let venv = workspace().join(".venv-notebooks");
    assert!(
        venv.join("bin/python").exists(),
        "{} is missing: run `make notebook-tools`",
        venv.display()
    );
    venv
}

/// `NAME==version` pins of requirements-notebooks.txt.
fn pins() -> HashMap<String, String> {
    text(&workspace().join("requirements-notebooks.txt"))
        .lines()
        .filter_map(|line| line.split_once("=="))
        .map(|(name, version)| (name.trim().to_owned(), version.trim().to_owned()))
        .collect()
}

/// The stand-in for the Jupyter server's environment at `dir`: a venv (its own sys.prefix, so its own data path)
/// that imports JupyterLab from .venv-notebooks without holding any of its lab extensions.
fn server_environment(dir: &Path) {
    let made = Command::new(notebook_venv().join("bin/python"))
        .args(["-m", "venv", "--without-pip"])
        .arg(dir)
        .output()
        .expect("make the server's venv");
    assert!(made.status.success(), "{}", describe(&made));
    let site = |venv: &Path| {
        let lib = venv.join("lib");
        let python = std::fs::read_dir(&lib)
            .expect("lib/")
            .map(|e| e.expect("entry").path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("python"))
            })
            .expect("lib/pythonX.Y");
        python.join("site-packages")
    };
    std::fs::write(
        site(dir).join("jupyterlab-from-notebooks.pth"),
        format!("{}\n", site(&notebook_venv()).display()),
    )
    .expect("write .pth");
}

/// The lab extensions the Jupyter server running from `server` as the user whose home is `home` would load:
/// `jupyter labextension list` in that environment, as (folder, name) of each enabled and OK extension.
fn server_labextensions(server: &Path, home: &Path) -> Vec<(String, String)> {
    let listed = Command::new(server.join("bin/python"))
        .args(["-m", "jupyterlab.labextensions", "list"])
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .output()
        .expect("run jupyter labextension list");
    assert!(listed.status.success(), "{}", describe(&listed));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&listed.stdout),
        String::from_utf8_lossy(&listed.stderr)
    );
    let colour = regex::Regex::new("\x1b\\[[0-9;]*m").expect("regex");
    let text = colour.replace_all(&text, "");
    let mut folder = String::new();
    let mut found = Vec::new();
    for line in text.lines() {
        if line.starts_with('/') {
            folder = line.trim().to_owned();
        } else if line.contains(" enabled") && line.contains(" OK") {
            let name = line.split_whitespace().next().unwrap_or_default();
            found.push((folder.clone(), name.to_owned()));
        }
    }
    found
}

/// A request the playback server received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

/// Neptune's loader API played back (a load completes at once), `/gremlin` passed on to a Gremlin store (a
/// WebSocket upgrade tunnelled), everything else to a SPARQL store. Its thread ends with the test process.
struct Playback {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Playback {
    fn start(sparql: &str, gremlin: &str) -> Playback {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let sparql = sparql.trim_start_matches("http://").to_owned();
        let gremlin = gremlin.trim_start_matches("http://").to_owned();
        std::thread::spawn(move || {
            let loads: Mutex<Vec<Value>> = Mutex::new(Vec::new());
            for stream in listener.incoming().flatten() {
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                log.lock().unwrap().push(request.clone());
                let gremlin_path =
                    request.path == "/gremlin" || request.path.starts_with("/gremlin?");
                let answer = if request.path.starts_with("/loader") {
                    loader(&request, &loads)
                } else if gremlin_path && request.headers.contains_key("upgrade") {
                    let gremlin = gremlin.clone();
                    std::thread::spawn(move || tunnel(stream, &request, &gremlin));
                    continue;
                } else if gremlin_path {
                    forward(&request, &gremlin)
                } else {
                    forward(&request, &sparql)
                };
                let _ = (&stream).write_all(&answer);
            }
        });
        Playback { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request(stream: &TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_owned(), words.next()?.to_owned());
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn response(status: &str, body: &Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json;charset=UTF-8\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The load id of a status request: Neptune takes it in the path (GET /loader/{id}) or as a parameter
/// (GET /loader?loadId={id}).
fn load_id_of(path: &str) -> &str {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    match path.strip_prefix("/loader/") {
        Some(id) => id,
        None => query
            .split('&')
            .find_map(|pair| pair.strip_prefix("loadId="))
            .unwrap_or_default(),
    }
}

/// POST /loader starts a load; GET /loader/{id} or /loader?loadId={id} reports it LOAD_COMPLETED (Neptune's answer
/// shapes); anything else is refused as Neptune refuses it.
fn loader(request: &Seen, loads: &Mutex<Vec<Value>>) -> Vec<u8> {
    let mut loads = loads.lock().unwrap();
    if request.method == "POST" && request.path == "/loader" {
        let body: Value = serde_json::from_str(&request.body).unwrap_or(Value::Null);
        loads.push(body);
        let id = format!("s2n-load-{}", loads.len());
        return response(
            "200 OK",
            &json!({"status": "200 OK", "payload": {"loadId": id}}),
        );
    }
    let id = load_id_of(&request.path);
    let found = id
        .strip_prefix("s2n-load-")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| loads.get(n.wrapping_sub(1)));
    match (request.method.as_str(), found) {
        ("GET", Some(load)) => response(
            "200 OK",
            &json!({"status": "200 OK", "payload": {
                "feedCount": [{"LOAD_COMPLETED": 1}],
                "overallStatus": {
                    "fullUri": load["source"], "runNumber": 1, "retryNumber": 0,
                    "status": "LOAD_COMPLETED", "totalTimeSpent": 1, "startTime": 1_700_000_000,
                    "totalRecords": PEOPLE * 2, "totalDuplicates": 0, "parsingErrors": 0,
                    "datatypeMismatchErrors": 0, "insertErrors": 0
                },
                "errors": {"startIndex": 0, "endIndex": 0, "loadId": id, "errorLogs": []}
            }}),
        ),
        _ => response(
            "400 Bad Request",
            &json!({"code": "InvalidParameterException", "requestId": "r1",
                    "detailedMessage": format!("{} {} is not a loader request this playback knows", request.method, request.path)}),
        ),
    }
}

/// Passes a request on to the store and returns its answer as it came.
fn forward(request: &Seen, store: &str) -> Vec<u8> {
    let mut upstream = TcpStream::connect(store).expect("reach the store");
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {store}\r\nconnection: close\r\ncontent-length: {}\r\n",
        request.method,
        request.path,
        request.body.len()
    );
    for name in ["content-type", "accept"] {
        if let Some(value) = request.headers.get(name) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    upstream
        .write_all(head.as_bytes())
        .expect("send to the store");
    upstream
        .write_all(request.body.as_bytes())
        .expect("send to the store");
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).expect("read the store");
    answer
}

/// Passes a WebSocket upgrade request on to the store as it came, then the bytes both ways until either side
/// closes. (A client sends no frame before the store's 101 answer, so nothing was read past the request's head.)
fn tunnel(client: TcpStream, request: &Seen, store: &str) {
    let Ok(mut upstream) = TcpStream::connect(store) else {
        return;
    };
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if upstream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let (Ok(mut from_client), Ok(mut to_store)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_store);
        let _ = to_store.shutdown(Shutdown::Write);
    });
    let mut to_client = client;
    let _ = std::io::copy(&mut upstream, &mut to_client);
    let _ = to_client.shutdown(Shutdown::Both);
    let _ = up.join();
}

/// A generated data set in `dir` (vertices/people.csv and people.nt, follows.csv.gz); its edges in file order.
fn generate(dir: &Path) -> Vec<Edge> {
    let generated = Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args(["dataset", "--seed", "12", "--people", &PEOPLE.to_string()])
        .args(["--follows", &FOLLOWS.to_string(), "--out"])
        .arg(dir)
        .output()
        .expect("run stream2neptune dataset");
    assert!(generated.status.success(), "{}", describe(&generated));
    EdgeReader::open(&dir.join("follows.csv.gz"))
        .expect("open the edge file")
        .map(Result::unwrap)
        .collect()
}

/// The writer's parsed records of `edges`.
fn records(edges: &[Edge]) -> Vec<stream2neptune_graph::Operation> {
    edges
        .iter()
        .map(|e| {
            stream2neptune_writer::record::parse_record(e.record_body().as_bytes(), 1 << 20)
                .unwrap()
                .into_operation()
        })
        .collect()
}

/// The data set in a SPARQL store: its people loaded locally, its edges written by the writer's SPARQL code.
fn fill_sparql_store(store: &str, dir: &Path, edges: &[Edge]) {
    let s2n = env!("CARGO_BIN_EXE_stream2neptune");
    let loaded = Command::new(s2n)
        .args(["load", "--local", store, "--people"])
        .arg(dir)
        .output()
        .expect("run stream2neptune load --local");
    assert!(loaded.status.success(), "{}", describe(&loaded));
    for chunk in records(edges).chunks(500) {
        let update = stream2neptune_writer::sparql::batch_update(chunk);
        let answer = forward(
            &Seen {
                method: "POST".into(),
                path: "/update".into(),
                headers: HashMap::from([(
                    "content-type".to_owned(),
                    "application/sparql-update".to_owned(),
                )]),
                body: update,
            },
            store.trim_start_matches("http://"),
        );
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 2"), "{answer}");
    }
}

/// `result.data` of a traversal posted to Gremlin Server in `gremlin-lang`, the grammar Neptune parses with;
/// panics with the server's answer on an error.
fn gremlin_lang(server: &str, traversal: &str) -> Value {
    let answer = forward(
        &Seen {
            method: "POST".into(),
            path: "/gremlin".into(),
            headers: HashMap::from([("content-type".to_owned(), "application/json".to_owned())]),
            body: json!({"gremlin": traversal, "language": "gremlin-lang"}).to_string(),
        },
        server.trim_start_matches("http://"),
    );
    let answer = String::from_utf8_lossy(&answer);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    assert!(answer.starts_with("HTTP/1.1 200"), "{traversal}\n{answer}");
    let body: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    body["result"]["data"].clone()
}

/// The data set in Gremlin Server as Neptune holds it for a Gremlin stack: the people as the bulk loader loads
/// people.csv (a vertex per row with the row's `~id`, `~label` and String columns), the edges written by the
/// writer's own Gremlin in its default style (mergeV/mergeE, derived edge ids). Returns each person's name.
fn fill_gremlin_store(server: &str, dir: &Path, edges: &[Edge]) -> HashMap<String, String> {
    let csv = text(&dir.join("vertices/people.csv"));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    assert_eq!(
        header[..2],
        ["~id", "~label"],
        "people.csv is in Neptune's Gremlin load format"
    );
    let mut names = HashMap::new();
    let mut people = String::from("g");
    for line in lines {
        let row: Vec<&str> = line.split(',').collect();
        people.push_str(".addV(");
        push_literal(&mut people, row[1]);
        people.push_str(").property(T.id,");
        push_literal(&mut people, row[0]);
        people.push(')');
        for (column, value) in header[2..].iter().zip(&row[2..]) {
            let (property, kind) = column.split_once(':').unwrap_or((column, "String"));
            assert_eq!(
                kind, "String",
                "{column}: this test adds String columns only"
            );
            people.push_str(".property(");
            push_literal(&mut people, property);
            people.push(',');
            push_literal(&mut people, value);
            people.push(')');
            if property == "name" {
                names.insert(row[0].to_owned(), (*value).to_owned());
            }
        }
    }
    gremlin_lang(server, &people);
    let style = GremlinStyle {
        upsert: stream2neptune_plan::GremlinUpsertStyle::Merge,
        conditional_create: true,
        form: stream2neptune_plan::GremlinBatchForm::Chained,
    };
    for chunk in records(edges).chunks(250) {
        gremlin_lang(
            server,
            &batch_query(chunk, style, || unreachable!("derived ids")),
        );
    }
    names
}

/// Once the server listens (its JVM starts meanwhile), in a thread of its own so that it runs while other parts
/// of the test do: each of `cells` in `gremlin-lang` on the empty graph (a new stack's, before any load), then
/// [`fill_gremlin_store`]. Returns the empty graph's answers by name, and the people's names. If the server never
/// listens, the test's own wait for it fails first.
fn fill_gremlin_store_when_up(
    server: String,
    cells: Vec<(String, String)>,
    dir: PathBuf,
    edges: Vec<Edge>,
) -> std::thread::JoinHandle<(HashMap<String, Value>, HashMap<String, String>)> {
    std::thread::spawn(move || {
        let address = server.trim_start_matches("http://").to_owned();
        while TcpStream::connect(&address).is_err() {
            std::thread::sleep(Duration::from_millis(100));
        }
        let empty = cells
            .iter()
            .map(|(name, traversal)| (name.clone(), gremlin_lang(&server, traversal)))
            .collect();
        (empty, fill_gremlin_store(&server, &dir, &edges))
    })
}

/// The `%%gremlin` cells of a notebook: the name each stores its result to (`--store-to`) and its traversal.
fn gremlin_cells(notebook: &Path) -> Vec<(String, String)> {
    let nb: Value = serde_json::from_str(&text(notebook)).unwrap();
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .map(|c| {
            c["source"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect::<String>()
        })
        .filter_map(|source| {
            let (magic, traversal) = source.split_once('\n')?;
            let mut words = magic.split_whitespace();
            (words.next() == Some("%%gremlin")).then_some(())?;
            let name = words
                .skip_while(|w| *w != "--store-to")
                .nth(1)
                .unwrap_or_else(|| panic!("{magic}: every %%gremlin cell stores its result"));
            Some((name.to_owned(), traversal.to_owned()))
        })
        .collect()
}

/// Packages the notebooks (no build) and uploads them under their key prefix; returns the prefix.
fn upload_notebooks(moto: &Moto, out: &Path) -> String {
    let request = Request {
        workspace: workspace(),
        out: out.to_owned(),
        parts: vec![Part::Notebooks],
        writer_archs: vec![],
    };
    let artifact = package::package(&request, &mut Vec::new(), &Signals::never())
        .expect("package the notebooks")
        .remove(0);
    let files = out.join(Part::Notebooks.files_dir(&artifact.sha256));
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            "--recursive",
            files.to_str().unwrap(),
            &format!("s3://{BUCKET}/{}", artifact.key),
        ],
    );
    artifact.key
}

/// The lifecycle script with this test's values for every placeholder.
fn lifecycle(port: u16, notebooks_prefix: &str) -> String {
    let stack = rendered_stack(REGION, &["QueryLanguage=sparql"]);
    let script = SubScript::from(
        &stack["Resources"]["NotebookLifecycle"]["Properties"]["OnStart"][0]["Content"],
    );
    let pins = pins();
    assert_eq!(
        script.literals["GraphNotebookVersion"], pins["graph-notebook"],
        "the lifecycle installs the graph-notebook the tests run"
    );
    assert_eq!(script.literals["IpykernelVersion"], pins["ipykernel"]);
    let values: BTreeMap<&str, String> = [
        ("WriterEndpoint", "127.0.0.1".to_owned()),
        ("ReaderEndpoint", "localhost".to_owned()),
        ("Port", port.to_string()),
        ("Tls", "false".to_owned()),
        ("IamAuth", "true".to_owned()),
        ("QueryLanguage", "sparql".to_owned()),
        ("AWS::Region", REGION.to_owned()),
        ("Stream", "s2n-edges".to_owned()),
        ("LoaderRoleArn", LOADER_ROLE.to_owned()),
        ("VertexFile", VERTICES.to_owned()),
        ("Bucket", BUCKET.to_owned()),
        ("NotebooksKeyPrefix", notebooks_prefix.to_owned()),
        ("GraphNotebookVersion", pins["graph-notebook"].clone()),
        ("IpykernelVersion", pins["ipykernel"].clone()),
    ]
    .into_iter()
    .collect();
    let mut expected: Vec<&str> = values.keys().copied().collect();
    let mut placeholders = script.placeholders();
    expected.sort_unstable();
    placeholders.sort_unstable();
    assert_eq!(
        placeholders, expected,
        "the lifecycle script's Fn::Sub placeholders changed: fill the new ones in here"
    );
    script.fill(&values)
}

/// Runs one notebook with nbclient in the sandbox's kernel; returns the variables it stored.
fn execute(sandbox: &Sandbox, notebook: &Path, variables: &[&str]) -> Value {
    let out = notebook.with_extension("executed.ipynb");
    let home = sandbox.path("home/ec2-user");
    let output = Command::new(notebook_venv().join("bin/python"))
        .arg(workspace().join("tests/notebook_support/execute_notebook.py"))
        .arg(notebook)
        .arg(&out)
        .args(variables)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        // IAM auth signs with these (graph-notebook uses boto3's credential chain); nothing reaches AWS.
        .env("AWS_ACCESS_KEY_ID", "AKIDNOTEBOOK")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(notebook.parent().unwrap())
        .output()
        .expect("run the notebook");
    assert!(
        output.status.success(),
        "{} failed\n{}",
        notebook.display(),
        describe(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `?var` values of each row of a stored SPARQL SELECT result.
fn rows(result: &Value) -> Vec<HashMap<String, String>> {
    result["results"]["bindings"]
        .as_array()
        .unwrap_or_else(|| panic!("not a SELECT result: {result}"))
        .iter()
        .map(|b| {
            b.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v["value"].as_str().unwrap().to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn the_lifecycle_sets_up_what_the_notebooks_read_and_every_notebook_runs() {
    // GIVEN moto's S3 holding the packaged notebooks, a SPARQL and a Gremlin store holding a generated data set
    // behind a loader playback server, and a sandbox whose graph-notebook venv is the project's
    let venv = notebook_venv();
    // Its JVM starts while the rest is set up; it is filled before the Gremlin notebook runs.
    let mut gremlin = GremlinServer::spawn();
    let moto = Moto::start();
    moto.aws(REGION, &["s3", "mb", &format!("s3://{BUCKET}")]);
    let work = tempfile::tempdir().expect("temp dir");
    let prefix = upload_notebooks(&moto, &work.path().join("artifacts"));
    let data = work.path().join("data");
    let edges = generate(&data);
    let store = stream2neptune_testkit::Oxigraph::start();
    fill_sparql_store(&store.url(), &data, &edges);
    let neptune = Playback::start(&store.url(), &gremlin.url());
    let sandbox = Sandbox::new(&[
        (
            "sudo",
            // sudo -u USER -i CMD...: a login shell of USER, whose home is in the sandbox.
            r#"user=root; if [ "$1" = -u ]; then user=$2; shift 2; fi; [ "$1" = -i ] && shift
export HOME=$S2N_ROOT/home/$user; cd "$HOME"; exec "$@""#,
        ),
        ("chown", "exit 0"),
        ("systemctl", "exit 0"),
        // No AWS CLI is assumed on the instance's PATH.
        ("aws", "echo 'aws: command not found' >&2; exit 127"),
    ]);
    let home = sandbox.path("home/ec2-user");
    let server = home.join("anaconda3/envs/JupyterSystemEnv");
    server_environment(&server);
    assert!(
        !server_labextensions(&server, &home)
            .iter()
            .any(|(_, name)| name == "graph_notebook_widgets"),
        "the stand-in server must not find graph-notebook's widgets before the script runs"
    );
    let pins = pins();
    let env_dir = sandbox.path(&format!(
        "home/ec2-user/SageMaker/.stream2neptune/graph-notebook-{}",
        pins["graph-notebook"]
    ));
    std::fs::create_dir_all(env_dir.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&venv, &env_dir).unwrap();

    // WHEN the notebook instance starts
    let start = sandbox.run(&moto, REGION, &lifecycle(neptune.port, &prefix));
    assert!(start.status.success(), "lifecycle\n{}", describe(&start));
    let dir = sandbox.path("home/ec2-user/SageMaker/stream2neptune");
    let log = dir.join("setup.log");
    let deadline = Instant::now() + Duration::from_secs(180);
    while !sandbox
        .calls()
        .contains(&"systemctl restart jupyter-server".to_owned())
    {
        let so_far = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(!so_far.contains("setup failed"), "setup failed:\n{so_far}");
        assert!(
            Instant::now() < deadline,
            "setup did not finish in 180 s:\n{so_far}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // THEN stack.env holds the stack's settings under the names the notebooks read
    assert_eq!(
        text(&dir.join("stack.env")),
        format!(
            "NEPTUNE_ENDPOINT=127.0.0.1\nNEPTUNE_READER_ENDPOINT=localhost\nNEPTUNE_PORT={port}\nNEPTUNE_TLS=false\n\
             IAM_AUTH=true\nQUERY_LANGUAGE=sparql\nAWS_REGION={REGION}\nSTREAM_NAME=s2n-edges\n\
             LOADER_ROLE_ARN={LOADER_ROLE}\nVERTEX_FILE_S3_LOCATION={VERTICES}\n",
            port = neptune.port
        )
    );
    // AND the kernel the notebooks name runs graph-notebook's venv, not Jupyter's environment
    let kernel: Value = serde_json::from_str(&text(&sandbox.path(
        "home/ec2-user/.local/share/jupyter/kernels/stream2neptune-graph-notebook/kernel.json",
    )))
    .unwrap();
    assert_eq!(kernel["argv"][0], json!(env_dir.join("bin/python")));
    // AND the server finds graph-notebook's widgets and the widget manager in the user's data path
    let user_extensions = home.join(".local/share/jupyter/labextensions");
    let loaded = server_labextensions(&server, &home);
    for name in [
        "graph_notebook_widgets",
        "@jupyter-widgets/jupyterlab-manager",
    ] {
        assert!(
            loaded.contains(&(user_extensions.display().to_string(), name.to_owned())),
            "{name} is not in the server's labextension list: {loaded:?}"
        );
    }
    // AND the packaged notebooks and the settings reader are in the folder, and the script ran as ec2-user
    for name in [
        "01-load-people.ipynb",
        "02-social-queries-gremlin.ipynb",
        "03-social-queries-sparql.ipynb",
        "stream2neptune_settings.py",
    ] {
        assert!(dir.join(name).is_file(), "{name} not synced");
    }
    assert!(
        sandbox
            .calls()
            .iter()
            .any(|c| c.starts_with("sudo -u ec2-user -i bash ")),
        "{:?}",
        sandbox.calls()
    );

    // Gremlin Server is filled with the same data set while the load and SPARQL notebooks run.
    let notebook = dir.join("02-social-queries-gremlin.ipynb");
    let cells = gremlin_cells(&notebook);
    let filling =
        fill_gremlin_store_when_up(gremlin.url(), cells.clone(), data.clone(), edges.clone());

    // WHEN the load notebook runs
    let load = execute(
        &sandbox,
        &dir.join("01-load-people.ipynb"),
        &["load_id", "load_status", "people_count"],
    );

    // THEN it started one N-Triples load on the writer endpoint, signed, and read its status by its id
    let seen = neptune.seen();
    let loader: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.path.starts_with("/loader"))
        .collect();
    assert_eq!(loader[0].method, "POST");
    let body: Value = serde_json::from_str(&loader[0].body).unwrap();
    assert_eq!(body["source"], format!("{VERTICES}people.nt"));
    assert_eq!(body["format"], "ntriples");
    assert_eq!(body["iamRoleArn"], LOADER_ROLE);
    assert_eq!(body["region"], REGION);
    assert_eq!(load["load_id"], "s2n-load-1");
    assert!(
        loader[1..]
            .iter()
            .all(|s| s.method == "GET" && load_id_of(&s.path) == "s2n-load-1"),
        "{loader:?}"
    );
    for request in &loader {
        assert_eq!(
            request.headers["host"],
            format!("127.0.0.1:{}", neptune.port)
        );
        let auth = &request.headers["authorization"];
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDNOTEBOOK/")
                && auth.contains(&format!("/{REGION}/neptune-db/aws4_request")),
            "{auth}"
        );
    }
    assert_eq!(
        load["load_status"]["payload"]["overallStatus"]["status"],
        "LOAD_COMPLETED"
    );
    assert_eq!(rows(&load["people_count"])[0]["people"], PEOPLE.to_string());

    // WHEN the SPARQL notebook runs
    let before = neptune.seen().len();
    let answers = execute(
        &sandbox,
        &dir.join("03-social-queries-sparql.ipynb"),
        &[
            "newest",
            "top_followed",
            "most_following",
            "recommended",
            "per_month",
        ],
    );

    // THEN it queried the reader endpoint and its answers match the data set
    let queries = &neptune.seen()[before..];
    assert!(queries.len() >= 5, "{queries:?}");
    assert!(
        queries
            .iter()
            .all(|q| q.headers["host"] == format!("localhost:{}", neptune.port)),
        "{queries:?}"
    );
    let mut followers: HashMap<&str, u64> = HashMap::new();
    let mut following: HashMap<&str, u64> = HashMap::new();
    for e in &edges {
        *followers.entry(&e.to).or_default() += 1;
        *following.entry(&e.from).or_default() += 1;
    }
    let newest = rows(&answers["newest"]);
    assert_eq!(newest.len(), 20);
    assert_eq!(newest[0]["since"], edges.last().unwrap().created);
    let top = rows(&answers["top_followed"]);
    assert_eq!(
        top[0]["followers"],
        followers.values().max().unwrap().to_string()
    );
    assert!(
        top[0].contains_key("name"),
        "bulk-loaded names join the writer's edges"
    );
    let most = rows(&answers["most_following"]);
    assert_eq!(
        most[0]["following"],
        following.values().max().unwrap().to_string()
    );
    assert!(!rows(&answers["recommended"]).is_empty());
    let total: u64 = rows(&answers["per_month"])
        .iter()
        .map(|m| m["edges"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, FOLLOWS);

    // WHEN the Gremlin notebook runs, on Gremlin Server holding the same data set
    gremlin.wait_listening();
    let (empty, names) = filling
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let stored: Vec<&str> = cells.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        stored,
        [
            "newest",
            "top_followed",
            "most_following",
            "recommended",
            "growth",
            "per_month"
        ]
    );
    let before = neptune.seen().len();
    let answers = execute(&sandbox, &notebook, &stored);

    // THEN each cell opened a WebSocket to the reader endpoint's /gremlin, signed for neptune-db
    let handshakes = &neptune.seen()[before..];
    assert_eq!(handshakes.len(), cells.len(), "{handshakes:?}");
    for handshake in handshakes {
        assert_eq!(
            (handshake.method.as_str(), handshake.path.as_str()),
            ("GET", "/gremlin")
        );
        assert_eq!(
            handshake.headers["upgrade"].to_ascii_lowercase(),
            "websocket"
        );
        assert_eq!(
            handshake.headers["host"],
            format!("localhost:{}", neptune.port)
        );
        let auth = &handshake.headers["authorization"];
        assert!(
            auth.contains(&format!("/{REGION}/neptune-db/aws4_request")),
            "{auth}"
        );
    }
    // AND Neptune's grammar takes each cell's traversal and gives the answer the notebook got
    for (name, traversal) in &cells {
        assert_eq!(
            gremlin_lang(&gremlin.url(), traversal),
            answers[name.as_str()],
            "{name}: gremlin-lang and the notebook differ"
        );
    }
    // AND on a new stack's empty graph every cell answers, with nothing (the growth cell with 0 edges)
    for (name, answer) in &empty {
        let expected = match name.as_str() {
            "recommended" | "per_month" => json!([{}]),
            "growth" => json!([{"edges": 0}]),
            _ => json!([]),
        };
        assert_eq!(answer, &expected, "{name} on the empty graph");
    }
    // AND the answers match the data set
    let people: Vec<&String> = names.keys().collect();
    let newest = answers["newest"].as_array().unwrap();
    let mut dates: Vec<&str> = edges.iter().map(|e| e.created.as_str()).collect();
    dates.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(
        newest
            .iter()
            .map(|r| r["since"].as_str().unwrap())
            .collect::<Vec<_>>(),
        dates[..20]
    );
    for row in newest {
        assert!(
            edges.iter().any(|e| row["follower"] == e.from.as_str()
                && row["follows"] == e.to.as_str()
                && row["since"] == e.created.as_str()),
            "{row} is not an edge of the data set"
        );
    }
    let degree = |of: fn(&Edge) -> &str| {
        let mut counts: HashMap<&str, u64> = people.iter().map(|p| (p.as_str(), 0)).collect();
        for e in &edges {
            *counts.get_mut(of(e)).expect("edges join people") += 1;
        }
        counts
    };
    let (followers, following) = (degree(|e| &e.to), degree(|e| &e.from));
    let top = |counts: &HashMap<&str, u64>| {
        let mut values: Vec<u64> = counts.values().copied().collect();
        values.sort_unstable_by(|a, b| b.cmp(a));
        values[..10].to_vec()
    };
    let top_followed = answers["top_followed"].as_array().unwrap();
    assert_eq!(
        top_followed
            .iter()
            .map(|r| r["followers"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        top(&followers)
    );
    for row in top_followed {
        let person = row["person"].as_str().unwrap();
        assert_eq!(row["followers"], followers[person]);
        assert_eq!(
            row["name"], names[person],
            "bulk-loaded names join the writer's edges"
        );
    }
    let most_following = answers["most_following"].as_array().unwrap();
    assert_eq!(
        most_following
            .iter()
            .map(|r| r["following"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        top(&following)
    );
    for row in most_following {
        assert_eq!(row["following"], following[row["person"].as_str().unwrap()]);
    }
    // Friends of friends of a person who follows the most (the query takes the first of a tie): paths through
    // their followees to people they do not follow yet, themselves excluded.
    let recommended = answers["recommended"][0].as_object().unwrap();
    let most = *following.values().max().unwrap();
    let candidates = |user: &str| {
        let follows = |p: &str| -> Vec<&str> {
            edges
                .iter()
                .filter(|e| e.from == p)
                .map(|e| e.to.as_str())
                .collect()
        };
        let followed = follows(user);
        let mut paths: HashMap<String, u64> = HashMap::new();
        for friend in &followed {
            for candidate in follows(friend) {
                if candidate != user && !followed.contains(&candidate) {
                    *paths.entry(candidate.to_owned()).or_default() += 1;
                }
            }
        }
        paths
    };
    assert!(
        following
            .iter()
            .filter(|(_, n)| **n == most)
            .any(|(user, _)| {
                let paths = candidates(user);
                let mut counts: Vec<u64> = paths.values().copied().collect();
                counts.sort_unstable_by(|a, b| b.cmp(a));
                counts.truncate(10);
                let mut got: Vec<u64> = recommended.values().map(|n| n.as_u64().unwrap()).collect();
                got.sort_unstable_by(|a, b| b.cmp(a));
                got == counts
                    && recommended
                        .iter()
                        .all(|(c, n)| paths.get(c) == n.as_u64().as_ref())
            }),
        "{recommended:?} are not the friends of friends of a person who follows the most"
    );
    assert!(!recommended.is_empty());
    assert_eq!(
        answers["growth"],
        json!([{"edges": FOLLOWS, "newest": dates[0]}])
    );
    let mut per_month: BTreeMap<String, u64> = BTreeMap::new();
    for e in &edges {
        *per_month.entry(e.created[..7].to_owned()).or_default() += 1;
    }
    assert_eq!(answers["per_month"], json!([per_month]));
}
