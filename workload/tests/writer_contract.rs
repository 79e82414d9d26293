//! The contract between the workload and the writer function: the driver's record bodies parse in the writer.
//! (The people's IRIs and class are the writer's by construction: both take them from `stream2neptune_graph::iri`.)

use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::edges::EdgeReader;

#[test]
fn every_record_body_of_a_data_set_parses_in_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let args = DatasetArgs {
        people: 100,
        follows: 1_000,
        seed: 8,
        out: dir.path().to_owned(),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    };
    let summary = generate(&DatasetConfig::from_args(&args).unwrap()).unwrap();
    for edge in EdgeReader::open(&summary.follows_gz).unwrap() {
        let edge = edge.unwrap();
        let parsed =
            stream2neptune_writer::record::parse_record(edge.record_body().as_bytes(), 1 << 20)
                .unwrap_or_else(|e| panic!("{} rejected: {e}", edge.record_body()));
        assert_eq!(
            (parsed.from.as_str(), parsed.to.as_str()),
            (edge.from.as_str(), edge.to.as_str())
        );
        assert_eq!(parsed.created.text, edge.created);
    }
}
