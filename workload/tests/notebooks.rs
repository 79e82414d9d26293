//! The SageMaker notebooks in notebooks/: valid nbformat 4 with the sample's queries, and every
//! SPARQL query cell's query run against a real Oxigraph holding the people (loaded by `load --local`)
//! and edges written by the writer's own SPARQL code, with answers checked against the data set.
//! The notebooks themselves are executed with nbclient and graph-notebook in tests/notebook_boot.rs.

mod support;

use std::collections::HashMap;

use serde_json::Value;
use stream2neptune_graph::iri;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::edges::EdgeReader;
use stream2neptune_workload::loader::load_local;

const NOTEBOOKS: &[&str] = &[
    "01-load-people.ipynb",
    "02-social-queries-gremlin.ipynb",
    "03-social-queries-sparql.ipynb",
];

fn notebook(name: &str) -> Value {
    let path = support::workspace_root().join("notebooks").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

fn source(cell: &Value) -> String {
    match &cell["source"] {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines
            .iter()
            .map(|l| l.as_str().expect("source lines are strings"))
            .collect(),
        other => panic!("source is {other}"),
    }
}

/// The code cells starting with `magic`, without the magic's line (its options included).
fn magic_cells(nb: &Value, magic: &str) -> Vec<String> {
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .map(source)
        .filter(|s| s.starts_with(magic))
        .map(|s| {
            s.split_once('\n')
                .map_or("", |(_, rest)| rest)
                .trim()
                .to_owned()
        })
        .collect()
}

/// The code cells' lines starting with the line magic `magic`.
fn magic_lines(nb: &Value, magic: &str) -> Vec<String> {
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .flat_map(|c| {
            source(c)
                .lines()
                .filter(|l| l.starts_with(magic))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn notebooks_are_valid_nbformat_4_without_outputs() {
    for name in NOTEBOOKS {
        let nb = notebook(name);
        assert_eq!(nb["nbformat"], 4, "{name}");
        assert!(nb["nbformat_minor"].as_u64().is_some(), "{name}");
        assert!(nb["metadata"]["kernelspec"]["name"].is_string(), "{name}");
        let cells = nb["cells"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no cells"));
        assert!(cells.len() >= 5, "{name}");
        assert_eq!(
            cells[0]["cell_type"], "markdown",
            "{name} starts with an explanation"
        );
        for cell in cells {
            assert!(cell["metadata"].is_object(), "{name}");
            let _ = source(cell);
            match cell["cell_type"].as_str() {
                Some("markdown") => assert!(cell.get("outputs").is_none(), "{name}"),
                Some("code") => {
                    assert_eq!(
                        cell["outputs"],
                        Value::Array(vec![]),
                        "{name}: outputs are not committed"
                    );
                    assert!(cell["execution_count"].is_null(), "{name}");
                }
                other => panic!("{name}: cell type {other:?}"),
            }
        }
    }
}

#[test]
fn the_load_notebook_loads_through_the_writer_with_the_stack_s_settings() {
    let nb = notebook("01-load-people.ipynb");
    let all: String = nb["cells"].as_array().unwrap().iter().map(source).collect();
    assert!(all.contains(r#"stream2neptune_settings.connect(settings, endpoint="writer")"#));
    // IPython expands `{name}` in a line magic; `${name}` would reach graph-notebook as `$value`.
    let loads = magic_lines(&nb, "%load ");
    assert_eq!(
        loads,
        [
            "%load -s {people} -f {load_format} -p HIGH -l {loader_role} --run --store-to load_started"
        ]
    );
    assert!(!all.contains("${"), "no IPython-mangled variables");
    assert_eq!(
        magic_lines(&nb, "%load_status"),
        ["%load_status {load_id} --details --errors --store-to load_status"]
    );
    for name in [
        "VERTEX_FILE_S3_LOCATION",
        "LOADER_ROLE_ARN",
        "QUERY_LANGUAGE",
    ] {
        assert!(all.contains(&format!(r#"settings["{name}"]"#)), "{name}");
    }
}

#[test]
fn every_notebook_uses_the_kernel_and_settings_the_lifecycle_sets_up() {
    for name in NOTEBOOKS {
        let nb = notebook(name);
        assert_eq!(
            nb["metadata"]["kernelspec"]["name"], "stream2neptune-graph-notebook",
            "{name}"
        );
        let code: Vec<String> = nb["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["cell_type"] == "code")
            .map(source)
            .collect();
        assert_eq!(code[0], "%load_ext graph_notebook.magics", "{name}");
        assert!(
            code[1].contains("stream2neptune_settings.read()"),
            "{name}: {}",
            code[1]
        );
    }
}

#[test]
fn the_gremlin_notebook_has_the_sample_s_queries() {
    let cells = magic_cells(&notebook("02-social-queries-gremlin.ipynb"), "%%gremlin");
    let has = |needle: &str| cells.iter().any(|c| c.contains(needle));
    for needle in [
        "order().by('creationDate', desc)", // who follows whom
        "by(inE('follows').count())",       // top followed
        "by(outE('follows').count())",      // follows the most
        "where(without('following'))",      // friends of friends
        "values('creationDate').max()",     // growth over time
        "substring(0, 7)",                  // edges per month
    ] {
        assert!(has(needle), "no %%gremlin cell with {needle}");
    }
    for cell in &cells {
        assert_eq!(
            cell.matches('(').count(),
            cell.matches(')').count(),
            "unbalanced: {cell}"
        );
    }
}

#[tokio::test]
async fn sparql_cells_answer_on_a_real_store_with_the_writer_s_edges() {
    // GIVEN a data set, its people loaded locally and its edges written by the writer's SPARQL code
    let dir = tempfile::tempdir().unwrap();
    let args = DatasetArgs {
        people: 200,
        follows: 2_000,
        seed: 12,
        out: dir.path().to_owned(),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    };
    let summary = generate(&DatasetConfig::from_args(&args).unwrap()).unwrap();
    let store = support::Oxigraph::start();
    load_local(&store.url(), &summary.people_nt).await.unwrap();
    let edges: Vec<_> = EdgeReader::open(&summary.follows_gz)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let parsed: Vec<_> = edges
        .iter()
        .map(|e| {
            stream2neptune_writer::record::parse_record(e.record_body().as_bytes(), 1 << 20)
                .unwrap()
                .into_operation()
        })
        .collect();
    let http = reqwest::Client::new();
    for chunk in parsed.chunks(500) {
        let response = http
            .post(format!("{}/update", store.url()))
            .header("content-type", "application/sparql-update")
            .body(stream2neptune_writer::sparql::batch_update(chunk))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap()
        );
    }

    // WHEN every %%sparql cell of the notebooks runs
    let query_nb = magic_cells(&notebook("03-social-queries-sparql.ipynb"), "%%sparql");
    assert!(query_nb.len() >= 5, "{} SPARQL query cells", query_nb.len());
    let mut answers = Vec::new();
    for query in &query_nb {
        assert!(
            query.contains(iri::PERSON_CLASS)
                || query.contains("PREFIX s2n: <http://stream2neptune.example/ontology/>"),
            "{query}"
        );
        answers.push((
            query.clone(),
            support::sparql_select(&store.url(), query).await,
        ));
    }

    // THEN the answers match the data set
    let rows = |needle: &str| -> Vec<HashMap<String, String>> {
        let (_, answer) = answers
            .iter()
            .find(|(q, _)| q.contains(needle))
            .unwrap_or_else(|| panic!("no query with {needle}"));
        answer["results"]["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                b.as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v["value"].as_str().unwrap().to_owned()))
                    .collect()
            })
            .collect()
    };
    let mut followers: HashMap<&str, u64> = HashMap::new();
    let mut following: HashMap<&str, u64> = HashMap::new();
    for e in &edges {
        *followers.entry(&e.to).or_default() += 1;
        *following.entry(&e.from).or_default() += 1;
    }
    let top = rows("AS ?followers");
    assert_eq!(top.len(), 10);
    assert_eq!(
        top[0]["followers"],
        followers.values().max().unwrap().to_string()
    );
    let top_id = top[0]["person"]
        .strip_prefix(iri::person_iri("").as_str())
        .unwrap();
    assert_eq!(followers[top_id].to_string(), top[0]["followers"]);
    assert!(
        top[0].contains_key("name"),
        "bulk-loaded names join the writer's edges"
    );

    let most = rows("AS ?following");
    assert_eq!(
        most[0]["following"],
        following.values().max().unwrap().to_string()
    );

    let newest = rows("?since");
    assert_eq!(newest.len(), 20);
    assert_eq!(newest[0]["since"], edges.last().unwrap().created);

    let recommended = rows("AS ?paths");
    assert!(!recommended.is_empty());

    let months = rows("AS ?month");
    let total: u64 = months
        .iter()
        .map(|m| m["edges"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 2_000);
    assert_eq!(months[0]["month"], "2018-01");
    assert_eq!(months.last().unwrap()["month"], "2019-12");
}
