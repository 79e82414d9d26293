//! Data set generator end to end: the files on disk, their layout, the graph's shape and
//! determinism per seed. Separate from the unit tests because it writes real files.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use std::sync::atomic::AtomicBool;

use stream2neptune_workload::dataset::{
    DatasetArgs, DatasetConfig, generate, generate_with_progress,
};
use stream2neptune_workload::edges::{EDGE_FILE_HEADER, EdgeReader};
use stream2neptune_workload::error::DatasetError;

fn make(out: &Path, people: u32, follows: u64, seed: u64) {
    let args = DatasetArgs {
        people,
        follows,
        seed,
        out: out.to_owned(),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    };
    let summary = generate(&DatasetConfig::from_args(&args).unwrap()).unwrap();
    assert_eq!(summary.follows, follows);
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn files_have_the_bulk_load_and_sample_layouts() {
    // GIVEN a small data set
    let dir = tempfile::tempdir().unwrap();
    make(dir.path(), 50, 200, 3);

    // THEN people.csv is a Neptune property-graph vertex CSV
    let csv = std::fs::read_to_string(dir.path().join("vertices/people.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "~id,~label,name:String,firstName:String,lastName:String"
    );
    assert_eq!(lines.len(), 51);
    for (i, line) in lines[1..].iter().enumerate() {
        let cols: Vec<&str> = line.split(',').collect();
        assert_eq!(cols.len(), 5, "{line}");
        assert_eq!(cols[0], format!("p{}", i + 1));
        assert_eq!(cols[1], "person");
        assert_eq!(cols[2], format!("{} {}", cols[3], cols[4]));
    }

    // AND people.nt has a type and a name triple per person, with the writer's IRI scheme
    let nt = std::fs::read_to_string(dir.path().join("vertices/people.nt")).unwrap();
    assert_eq!(nt.lines().count(), 100);
    assert!(nt.starts_with(
        "<http://stream2neptune.example/person/p1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://stream2neptune.example/ontology/Person> .\n<http://stream2neptune.example/person/p1> <http://stream2neptune.example/ontology/name> \""
    ));

    // AND follows.csv.gz has a header and columns 3, 4, 5 = from, to, creationDate
    let text = gunzip(&dir.path().join("follows.csv.gz"));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(EDGE_FILE_HEADER));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[0], "e1");
    assert_eq!(first[1], "follows");
    assert!(first[2].starts_with('p') && first[3].starts_with('p'));
    assert_eq!(first[4].len(), "2018-01-01T00:00:00Z".len());
    assert!(
        first[4].starts_with("2018-01-0") && first[4].ends_with('Z'),
        "{}",
        first[4]
    );
    assert_eq!(lines.count(), 199);
}

#[test]
fn graph_is_heavy_tailed_without_self_or_duplicate_follows() {
    // GIVEN 2,000 people and 20,000 follows
    let dir = tempfile::tempdir().unwrap();
    make(dir.path(), 2_000, 20_000, 11);
    let edges: Vec<_> = EdgeReader::open(&dir.path().join("follows.csv.gz"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(edges.len(), 20_000);
    let ids: HashSet<String> = (1..=2000).map(|i| format!("p{i}")).collect();
    let mut pairs = HashSet::new();
    let mut followers: HashMap<&str, usize> = HashMap::new();
    let mut last_date = String::new();
    for e in &edges {
        // THEN no self-follows, no duplicates, only known people
        assert_ne!(e.from, e.to, "self-follow {e:?}");
        assert!(pairs.insert((&e.from, &e.to)), "duplicate {e:?}");
        assert!(ids.contains(&e.from) && ids.contains(&e.to), "{e:?}");
        // AND creation dates grow through 2018-2019 in file order
        assert!(e.created >= last_date, "{} before {last_date}", e.created);
        assert!(e.created.as_str() >= "2018-01-01" && e.created.as_str() < "2020-01-01");
        last_date.clone_from(&e.created);
        *followers.entry(&e.to).or_default() += 1;
    }
    assert!(
        last_date.as_str() > "2019-12",
        "dates spread to the end: {last_date}"
    );
    // AND the follower distribution is heavy-tailed: a few super-connectors, many ordinary people
    let mean = 20_000.0 / 2_000.0;
    let mut counts: Vec<usize> = (1..=2000)
        .map(|i| {
            followers
                .get(format!("p{i}").as_str())
                .copied()
                .unwrap_or(0)
        })
        .collect();
    counts.sort_unstable();
    let max = counts[counts.len() - 1] as f64;
    let median = counts[counts.len() / 2] as f64;
    let top_1_percent: usize = counts[counts.len() - 20..].iter().sum();
    assert!(max > 50.0 * mean, "max {max} vs mean {mean}");
    assert!(median < mean, "median {median} vs mean {mean}");
    // The top 1 % get over ten times their even share of 1 %.
    assert!(
        top_1_percent > 20_000 / 10,
        "top 1 % have {top_1_percent} followers"
    );
}

#[test]
fn same_seed_same_files_other_seed_other_edges() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    make(a.path(), 300, 3_000, 5);
    make(b.path(), 300, 3_000, 5);
    make(c.path(), 300, 3_000, 6);
    for file in [
        "vertices/people.csv",
        "vertices/people.nt",
        "follows.csv.gz",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(file)).unwrap(),
            std::fs::read(b.path().join(file)).unwrap(),
            "{file} differs for one seed"
        );
    }
    assert_ne!(
        gunzip(&a.path().join("follows.csv.gz")),
        gunzip(&c.path().join("follows.csv.gz"))
    );
}

#[test]
fn a_stopped_generation_leaves_no_file_and_a_later_run_replaces_an_old_data_set_whole() {
    // GIVEN an old data set in the folder
    let dir = tempfile::tempdir().unwrap();
    make(dir.path(), 50, 300, 1);
    let old = gunzip(&dir.path().join("follows.csv.gz"));
    let config = |follows| {
        DatasetConfig::from_args(&DatasetArgs {
            people: 1_000,
            follows,
            seed: 2,
            out: dir.path().to_owned(),
            zipf_exponent: 1.0,
            start: "2018-01-01".into(),
            end: "2019-12-31".into(),
            gzip_level: 1,
        })
        .unwrap()
    };

    // WHEN a run is stopped (the flag a signal sets) before its files are complete
    let stopped = generate_with_progress(
        &config(400_000),
        &indicatif::ProgressBar::hidden(),
        &AtomicBool::new(true),
    );

    // THEN it says so, the old files are untouched and no temporary file is left
    assert!(matches!(stopped, Err(DatasetError::Stopped)), "{stopped:?}");
    assert_eq!(gunzip(&dir.path().join("follows.csv.gz")), old);
    let mut names: Vec<String> = ["", "vertices"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.path().join(sub)).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["follows.csv.gz", "people.csv", "people.nt", "vertices"]
    );

    // AND a complete run replaces the old data set
    generate(&config(2_000)).unwrap();
    let new = gunzip(&dir.path().join("follows.csv.gz"));
    assert_eq!(new.lines().count(), 2_001);
}
