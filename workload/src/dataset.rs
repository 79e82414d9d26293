//! The `dataset` subcommand: a synthetic social graph shaped like the sample's
//! "social-super-connector" data set.
//!
//! People follow others chosen from a Zipf (power-law) distribution over a shuffled popularity
//! ranking, so a few super-connectors gather a large share of all followers while most people
//! have a handful. Followers are drawn uniformly. There are no self-follows and no duplicate
//! pairs; creation dates grow through the time range in file order, so replaying the file in
//! order grows the network over time.
//!
//! Randomness comes only from ChaCha8 (`rand_chacha`, a stable algorithm) through our own
//! bounded sampling, so a seed gives the same files with any `rand` release.

use std::collections::HashSet;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use stream2neptune_graph::follows::{FOLLOWS, PERSON};
use tempfile::NamedTempFile;

use crate::edges::EDGE_FILE_HEADER;
use crate::error::DatasetError;
use crate::mixed::{MixedConfig, ValueKinds, write_records};
use crate::partial::partial;
use crate::rdf::person_triples;
use crate::sampling::{below, unit, zipf_cdf, zipf_rank};
use stream2neptune_process::shutdown::{Interrupted, Shutdown};

/// The header of the people CSV (Neptune bulk-load format for property graphs).
pub const PEOPLE_CSV_HEADER: &str = "~id,~label,name:String,firstName:String,lastName:String";

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hugo", "Iris", "Jon", "Kira", "Leo",
    "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wen", "Yusuf",
];
const LAST_NAMES: &[&str] = &[
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jones",
    "Kowalski", "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Rossi", "Silva", "Tanaka",
    "Weber",
];

/// What `stream2neptune dataset` generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// People and `follows` edges, the sample's data set: vertices/people.csv, vertices/people.nt, follows.csv.gz.
    Follows,
    /// Graph operations on customers, devices and orders (several labels, property updates, multi-valued adds,
    /// removals and deletes on Zipf-skewed keys): operations.jsonl.gz, one record a line with its partition key.
    Mixed,
}

/// Value kinds of the mixed workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Values {
    /// Every kind: strings, numbers, booleans, dates, date-times, multi-valued properties (Gremlin, SPARQL).
    All,
    /// Strings, numbers and booleans only, what Neptune's openCypher stores.
    Scalars,
}

/// Flags of `stream2neptune dataset`: the workload, the flags of the follows data set, those of the mixed one.
#[derive(Debug, Clone, clap::Args)]
pub struct DatasetCommand {
    /// What to generate.
    #[arg(long, value_enum, default_value_t = Workload::Follows)]
    pub workload: Workload,
    /// Records of the mixed workload (each one to three graph operations).
    #[arg(long, default_value_t = 100_000)]
    pub records: u64,
    /// Customers of the mixed workload: its keys, Zipf-distributed by --zipf-exponent.
    #[arg(long, default_value_t = 1_000)]
    pub customers: u32,
    /// Value kinds of the mixed workload.
    #[arg(long, value_enum, default_value_t = Values::All)]
    pub values: Values,
    /// The follows data set's flags (--out, --seed, --zipf-exponent and --gzip-level serve both workloads).
    #[command(flatten)]
    pub args: DatasetArgs,
}

/// Flags of the follows data set (and the ones the mixed workload shares).
#[derive(Debug, Clone, clap::Args)]
pub struct DatasetArgs {
    /// Number of people (vertices).
    #[arg(long, default_value_t = 100_000)]
    pub people: u32,
    /// Number of `follows` edges.
    #[arg(long, default_value_t = 2_000_000)]
    pub follows: u64,
    /// Seed of the random generator: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output directory (created if missing): vertices/people.csv, vertices/people.nt, follows.csv.gz (follows), or
    /// operations.jsonl.gz (mixed).
    #[arg(long)]
    pub out: PathBuf,
    /// Exponent of the Zipf distribution of followed people (mixed: of customers); higher means hotter keys.
    #[arg(long, default_value_t = 1.0)]
    pub zipf_exponent: f64,
    /// First creation date (YYYY-MM-DD, UTC).
    #[arg(long, default_value = "2018-01-01")]
    pub start: String,
    /// Last creation date (YYYY-MM-DD, UTC, inclusive).
    #[arg(long, default_value = "2019-12-31")]
    pub end: String,
    /// gzip level of follows.csv.gz (0-9; 1 is fastest, about 10 % bigger than 6).
    #[arg(long, default_value_t = 1)]
    pub gzip_level: u32,
}

/// A validated data set request.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetConfig {
    /// Number of people.
    pub people: u32,
    /// Number of edges.
    pub follows: u64,
    /// PRNG seed.
    pub seed: u64,
    /// Output directory.
    pub out: PathBuf,
    /// Zipf exponent of the followed person.
    pub zipf_exponent: f64,
    /// First creation time, seconds since the epoch.
    pub start_secs: i64,
    /// Last creation time (exclusive), seconds since the epoch.
    pub end_secs: i64,
    /// gzip level 0-9.
    pub gzip_level: u32,
}

/// A flag outside what the generator can make.
fn invalid(field: &'static str, value: String, allowed: &str) -> DatasetError {
    DatasetError::InvalidParameter {
        field,
        value,
        allowed: allowed.to_owned(),
    }
}

/// Checks the flags both workloads use: --zipf-exponent and --gzip-level.
fn check_shared(args: &DatasetArgs) -> Result<(), DatasetError> {
    if !(args.zipf_exponent > 0.0 && args.zipf_exponent <= 3.0) {
        return Err(invalid(
            "--zipf-exponent",
            args.zipf_exponent.to_string(),
            "a number in (0, 3]",
        ));
    }
    if args.gzip_level > 9 {
        return Err(invalid(
            "--gzip-level",
            args.gzip_level.to_string(),
            "0 to 9",
        ));
    }
    Ok(())
}

impl DatasetConfig {
    /// Validates the flags.
    pub fn from_args(args: &DatasetArgs) -> Result<Self, DatasetError> {
        if args.people < 2 {
            return Err(invalid(
                "--people",
                args.people.to_string(),
                "at least 2 people are needed for a follows edge",
            ));
        }
        // Half of all possible pairs keeps rejection sampling of duplicates cheap.
        let max_follows = u64::from(args.people) * (u64::from(args.people) - 1) / 2;
        if args.follows == 0 || args.follows > max_follows {
            return Err(invalid(
                "--follows",
                args.follows.to_string(),
                &format!(
                    "1 to {max_follows} (half of all ordered pairs of {} people)",
                    args.people
                ),
            ));
        }
        check_shared(args)?;
        let day = |field, value: &str| {
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|d| {
                    d.and_hms_opt(0, 0, 0)
                        .unwrap_or_default()
                        .and_utc()
                        .timestamp()
                })
                .map_err(|e| invalid(field, value.to_owned(), &format!("a date YYYY-MM-DD ({e})")))
        };
        let start_secs = day("--start", &args.start)?;
        let end_secs = day("--end", &args.end)? + 86_400;
        if end_secs <= start_secs {
            return Err(invalid(
                "--end",
                args.end.clone(),
                &format!("a date on or after --start {}", args.start),
            ));
        }
        Ok(Self {
            people: args.people,
            follows: args.follows,
            seed: args.seed,
            out: args.out.clone(),
            zipf_exponent: args.zipf_exponent,
            start_secs,
            end_secs,
            gzip_level: args.gzip_level,
        })
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSummary {
    /// vertices/people.csv
    pub people_csv: PathBuf,
    /// vertices/people.nt
    pub people_nt: PathBuf,
    /// follows.csv.gz
    pub follows_gz: PathBuf,
    /// Number of people written.
    pub people: u32,
    /// Number of edges written.
    pub follows: u64,
    /// Largest number of followers of one person.
    pub max_followers: u64,
    /// Seconds spent.
    pub elapsed_secs: f64,
}

/// The person id of person number `n` (0-based).
pub fn person_id(n: u32) -> String {
    format!("p{}", u64::from(n) + 1)
}

/// Writes the data set described by `config`.
pub fn generate(config: &DatasetConfig) -> Result<DatasetSummary, DatasetError> {
    generate_with_progress(config, &ProgressBar::hidden(), &AtomicBool::new(false))
}

/// [`generate`], moving `bar` to the number of edges written so far and giving up with
/// [`DatasetError::Stopped`] soon after `stop` is set. Each file is written to a temporary file
/// beside it and renamed into place only when all three are complete, so an interrupted or
/// failed run leaves no half-written file under a final name.
pub fn generate_with_progress(
    config: &DatasetConfig,
    bar: &ProgressBar,
    stop: &AtomicBool,
) -> Result<DatasetSummary, DatasetError> {
    let started = Instant::now();
    let vertices = config.out.join("vertices");
    fs::create_dir_all(&vertices).map_err(|source| DatasetError::Write {
        path: vertices.clone(),
        source,
    })?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let people_csv = vertices.join("people.csv");
    let people_nt = vertices.join("people.nt");
    let (csv_part, nt_part) = write_people(config, &mut rng, &people_csv, &people_nt)?;
    let follows_gz = config.out.join("follows.csv.gz");
    let (follows_part, max_followers) = write_follows(config, &mut rng, &follows_gz, bar, stop)?;
    for (part, path) in [
        (csv_part, &people_csv),
        (nt_part, &people_nt),
        (follows_part, &follows_gz),
    ] {
        part.persist(path).map_err(|err| DatasetError::Write {
            path: path.clone(),
            source: err.error,
        })?;
    }
    bar.finish_and_clear();
    Ok(DatasetSummary {
        people_csv,
        people_nt,
        follows_gz,
        people: config.people,
        follows: config.follows,
        max_followers,
        elapsed_secs: started.elapsed().as_secs_f64(),
    })
}

/// `dataset --workload mixed`: validates its flags, writes operations.jsonl.gz and says what the graph will hold.
fn run_mixed(command: &DatasetCommand) -> anyhow::Result<()> {
    let args = &command.args;
    if command.records == 0 {
        return Err(invalid("--records", "0".into(), "at least 1 record").into());
    }
    if command.customers == 0 {
        return Err(invalid("--customers", "0".into(), "at least 1 customer").into());
    }
    check_shared(args)?;
    let config = MixedConfig {
        records: command.records,
        customers: command.customers,
        zipf_exponent: args.zipf_exponent,
        seed: args.seed,
        values: match command.values {
            Values::All => ValueKinds::ALL,
            Values::Scalars => ValueKinds::SCALARS,
        },
    };
    let summary = write_records(&config, &args.out, args.gzip_level)?;
    println!(
        "wrote {} records ({} graph operations on {} customers) to {}; applied in order they leave {} vertices, {} edges, {} properties",
        summary.records,
        summary.operations,
        command.customers,
        summary.path.display(),
        summary.vertices,
        summary.edges,
        summary.properties
    );
    Ok(())
}

/// Writes the people CSV and N-Triples into temporary files beside their paths.
fn write_people(
    config: &DatasetConfig,
    rng: &mut ChaCha8Rng,
    csv_path: &Path,
    nt_path: &Path,
) -> Result<(NamedTempFile, NamedTempFile), DatasetError> {
    let mut csv = BufWriter::with_capacity(1 << 16, partial(csv_path)?);
    let mut nt = BufWriter::with_capacity(1 << 16, partial(nt_path)?);
    let csv_err = |source| DatasetError::Write {
        path: csv_path.to_owned(),
        source,
    };
    let nt_err = |source| DatasetError::Write {
        path: nt_path.to_owned(),
        source,
    };
    writeln!(csv, "{PEOPLE_CSV_HEADER}").map_err(csv_err)?;
    for n in 0..config.people {
        let first = FIRST_NAMES[below(rng, FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[below(rng, LAST_NAMES.len() as u64) as usize];
        let id = person_id(n);
        writeln!(csv, "{id},{PERSON},{first} {last},{first},{last}").map_err(csv_err)?;
        nt.write_all(person_triples(&id, &format!("{first} {last}")).as_bytes())
            .map_err(nt_err)?;
    }
    let csv = csv.into_inner().map_err(|err| csv_err(err.into_error()))?;
    let nt = nt.into_inner().map_err(|err| nt_err(err.into_error()))?;
    Ok((csv, nt))
}

/// Writes follows.csv.gz into a temporary file beside `path`; returns it and the largest
/// follower count. Text is produced on this thread and compressed on another, so both cores work.
fn write_follows(
    config: &DatasetConfig,
    rng: &mut ChaCha8Rng,
    path: &Path,
    bar: &ProgressBar,
    stop: &AtomicBool,
) -> Result<(NamedTempFile, u64), DatasetError> {
    let write_err = |source| DatasetError::Write {
        path: path.to_owned(),
        source,
    };
    let file = partial(path)?;
    let level = Compression::new(config.gzip_level);
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(8);
    let compressor = std::thread::spawn(move || -> std::io::Result<NamedTempFile> {
        let mut gz = GzEncoder::new(BufWriter::with_capacity(1 << 20, file), level);
        for chunk in rx {
            gz.write_all(&chunk)?;
        }
        gz.finish()?.into_inner().map_err(|err| err.into_error())
    });

    let people = u64::from(config.people);
    // Popularity rank -> person: shuffled so super-connectors are spread over the id range.
    let mut by_rank: Vec<u32> = (0..config.people).collect();
    for i in (1..by_rank.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        by_rank.swap(i, j);
    }
    let cdf = zipf_cdf(config.people, config.zipf_exponent);
    let mut followers = vec![0u64; config.people as usize];
    let mut pairs: HashSet<u64> = HashSet::with_capacity(config.follows as usize);
    let span = (config.end_secs - config.start_secs) as f64;
    let step = span / config.follows as f64;

    let mut chunk = Vec::with_capacity(1 << 20);
    chunk.extend_from_slice(EDGE_FILE_HEADER.as_bytes());
    chunk.push(b'\n');
    let mut sent = Ok(());
    for i in 0..config.follows {
        let (from, to) = loop {
            let from = below(rng, people);
            let rank = zipf_rank(&cdf, rng);
            let to = u64::from(by_rank[rank.min(cdf.len() - 1)]);
            if from != to && pairs.insert(from * people + to) {
                break (from, to);
            }
        };
        followers[to as usize] += 1;
        let secs = config.start_secs + (i as f64 * step + unit(rng) * step) as i64;
        let date = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
        // Writing to a Vec cannot fail.
        let _ = writeln!(
            chunk,
            "e{},{FOLLOWS},p{},p{},{}",
            i + 1,
            from + 1,
            to + 1,
            date.format("%Y-%m-%dT%H:%M:%SZ")
        );
        if chunk.len() >= (1 << 20) - 256 {
            if stop.load(Ordering::Relaxed) {
                // The compressor thread owns the temporary file: wait for it to drop (and so remove) the file
                // before saying the run stopped.
                drop(tx);
                let _ = compressor.join();
                return Err(DatasetError::Stopped);
            }
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(1 << 20));
            bar.set_position(i + 1);
            if tx.send(full).is_err() {
                sent = Err(());
                break;
            }
        }
    }
    if sent.is_ok() {
        let _ = tx.send(chunk);
    }
    drop(tx);
    let file = match compressor.join() {
        Ok(result) => result.map_err(write_err)?,
        Err(_) => {
            return Err(write_err(std::io::Error::other("the gzip thread panicked")));
        }
    };
    Ok((file, followers.into_iter().max().unwrap_or(0)))
}

/// Runs `stream2neptune dataset`. On a signal it stops within a chunk of edges, removes its
/// temporary files and returns [`Interrupted`]: no file under the output names is half-written.
pub async fn run_dataset(command: DatasetCommand, shutdown: Shutdown) -> anyhow::Result<()> {
    if command.workload == Workload::Mixed {
        return run_mixed(&command);
    }
    let args = command.args;
    let config = DatasetConfig::from_args(&args)?;
    let bar = ProgressBar::new(config.follows).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:30}] {human_pos}/{human_len} edges written ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let bar = stream2neptune_process::terminal::show(bar);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let stop = Arc::new(AtomicBool::new(false));
    let mut work = tokio::task::spawn_blocking({
        let (config, bar, stop) = (config.clone(), bar.clone(), stop.clone());
        move || generate_with_progress(&config, &bar, &stop)
    });
    let (result, signal) = tokio::select! {
        done = &mut work => (done, None),
        signal = shutdown.wait() => {
            stop.store(true, Ordering::Relaxed);
            (work.await, Some(signal))
        }
    };
    bar.finish_and_clear();
    // A signal that came after the last file was complete changes nothing: the data set is there.
    let summary = match (result?, signal) {
        (Err(DatasetError::Stopped), Some(signal)) => {
            return Err(Interrupted {
                signal,
                message: format!(
                    "no data set was written to {} (its temporary files were removed); run the same command again",
                    config.out.display()
                ),
            }
            .into());
        }
        (result, _) => result?,
    };
    println!(
        "wrote {} people to {} and {}",
        summary.people,
        summary.people_csv.display(),
        summary.people_nt.display()
    );
    println!(
        "wrote {} follows edges to {} (most followed person: {} followers) in {:.1} s",
        summary.follows,
        summary.follows_gz.display(),
        summary.max_followers,
        summary.elapsed_secs
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(people: u32, follows: u64) -> DatasetArgs {
        DatasetArgs {
            people,
            follows,
            seed: 1,
            out: PathBuf::from("/tmp/x"),
            zipf_exponent: 1.0,
            start: "2018-01-01".into(),
            end: "2019-12-31".into(),
            gzip_level: 1,
        }
    }

    #[test]
    fn bad_parameters_name_the_flag_value_and_range() {
        let cases: &[(DatasetArgs, &str)] = &[
            (args(1, 1), "invalid --people = 1"),
            (args(10, 46), "invalid --follows = 46: 1 to 45"),
            (args(10, 0), "invalid --follows = 0"),
            (
                DatasetArgs {
                    zipf_exponent: 0.0,
                    ..args(10, 5)
                },
                "invalid --zipf-exponent = 0",
            ),
            (
                DatasetArgs {
                    gzip_level: 10,
                    ..args(10, 5)
                },
                "invalid --gzip-level = 10: 0 to 9",
            ),
            (
                DatasetArgs {
                    start: "2019-13-01".into(),
                    ..args(10, 5)
                },
                "invalid --start = 2019-13-01: a date YYYY-MM-DD",
            ),
            (
                DatasetArgs {
                    end: "2017-01-01".into(),
                    ..args(10, 5)
                },
                "invalid --end = 2017-01-01: a date on or after --start",
            ),
        ];
        for (a, expected) in cases {
            let err = DatasetConfig::from_args(a).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn bounded_sampling_stays_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in [1u64, 2, 3, 1000] {
            for _ in 0..1000 {
                assert!(below(&mut rng, n) < n);
            }
        }
        for _ in 0..1000 {
            let u = unit(&mut rng);
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn zipf_weights_fall_with_rank() {
        let cdf = zipf_cdf(4, 1.0);
        assert_eq!(cdf.len(), 4);
        assert!((cdf[3] - (1.0 + 0.5 + 1.0 / 3.0 + 0.25)).abs() < 1e-12);
    }
}
