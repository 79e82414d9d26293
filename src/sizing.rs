//! Sizing tables kept as data: Neptune instance classes and their vCPUs, the serverless capacity assumption, the
//! Kinesis shard limit, and the EC2 driver and SageMaker notebook instance types the stack offers.
//!
//! Validation, `--help`, the parameter catalog's allowed values and the README all read these tables; nothing else
//! in the crate holds instance-type or limit numbers.

/// The instance class name Neptune uses for serverless writers.
pub const SERVERLESS: &str = "db.serverless";

/// Neptune instance classes with a fixed size, and their vCPUs.
///
/// Source: the RDS/Aurora hardware specification table (same EC2 families Neptune uses) and the Neptune T3/T4g
/// pages; r5d sizes are the r5 sizes, large to 24xlarge. Which sizes Neptune offers in a given region varies
/// (`aws neptune describe-orderable-db-instance-options`).
pub static DB_INSTANCE_VCPUS: &[(&str, u32)] = &[
    ("db.r4.large", 2),
    ("db.r4.xlarge", 4),
    ("db.r4.2xlarge", 8),
    ("db.r4.4xlarge", 16),
    ("db.r4.8xlarge", 32),
    ("db.r4.16xlarge", 64),
    ("db.r5.large", 2),
    ("db.r5.xlarge", 4),
    ("db.r5.2xlarge", 8),
    ("db.r5.4xlarge", 16),
    ("db.r5.8xlarge", 32),
    ("db.r5.12xlarge", 48),
    ("db.r5.16xlarge", 64),
    ("db.r5.24xlarge", 96),
    ("db.r5d.large", 2),
    ("db.r5d.xlarge", 4),
    ("db.r5d.2xlarge", 8),
    ("db.r5d.4xlarge", 16),
    ("db.r5d.8xlarge", 32),
    ("db.r5d.12xlarge", 48),
    ("db.r5d.16xlarge", 64),
    ("db.r5d.24xlarge", 96),
    ("db.r6g.large", 2),
    ("db.r6g.xlarge", 4),
    ("db.r6g.2xlarge", 8),
    ("db.r6g.4xlarge", 16),
    ("db.r6g.8xlarge", 32),
    ("db.r6g.12xlarge", 48),
    ("db.r6g.16xlarge", 64),
    ("db.r6i.large", 2),
    ("db.r6i.xlarge", 4),
    ("db.r6i.2xlarge", 8),
    ("db.r6i.4xlarge", 16),
    ("db.r6i.8xlarge", 32),
    ("db.r6i.12xlarge", 48),
    ("db.r6i.16xlarge", 64),
    ("db.r6i.24xlarge", 96),
    ("db.r6i.32xlarge", 128),
    ("db.x2g.large", 2),
    ("db.x2g.xlarge", 4),
    ("db.x2g.2xlarge", 8),
    ("db.x2g.4xlarge", 16),
    ("db.x2g.8xlarge", 32),
    ("db.x2g.12xlarge", 48),
    ("db.x2g.16xlarge", 64),
    ("db.t3.medium", 2),
    ("db.t4g.medium", 2),
];

/// NCUs per vCPU assumed for `db.serverless`.
///
/// Assumption, not an AWS figure: AWS documents one Neptune capacity unit (NCU) as 2 GiB of memory "along with
/// associated virtual processor capacity" but never gives vCPUs per NCU. The r families pair 8 GiB with each vCPU,
/// so by analogy 1 NCU ~ 2 GiB ~ 0.25 vCPU, i.e. 4 NCUs per vCPU, and a serverless writer at its maximum capacity
/// counts as `ceil(DbServerlessMaxCapacity / 4)` vCPUs, at least 1.
pub const SERVERLESS_NCUS_PER_VCPU: f64 = 4.0;

/// Smallest and largest Neptune serverless capacity in NCUs (half-step increments).
pub const SERVERLESS_CAPACITY_RANGE: (f64, f64) = (1.0, 128.0);

/// Smallest maximum capacity Neptune accepts for a serverless cluster, in NCUs.
pub const SERVERLESS_MAX_CAPACITY_FLOOR: f64 = 2.5;

/// vCPUs assumed for the writer of an existing cluster, whose instance class the generator cannot know.
///
/// Two vCPUs is the smallest writer Neptune offers, so the default of 2 x 2 = 4 shards never exceeds the guidance.
pub const EXISTING_CLUSTER_ASSUMED_VCPUS: u32 = 2;

/// Shards recommended per writer vCPU: "no more than 2 x the number of vCPUs on the Neptune writer"
/// (aws-samples/aws-dbs-refarch-graph, writing-from-amazon-kinesis-data-streams).
pub const SHARDS_PER_VCPU: u32 = 2;

/// Largest ShardCount the stack accepts: the sample's range, which is also the default per-account shard quota
/// in the large regions (smaller regions start at 200; raise the quota before going above it).
pub const KINESIS_MAX_SHARDS: u32 = 500;

/// EC2 instance types offered for the workload driver (m5, m6i and c5 sizes).
pub static EC2_CLIENT_INSTANCE_TYPES: &[&str] = &[
    "m5.large",
    "m5.xlarge",
    "m5.2xlarge",
    "m5.4xlarge",
    "m5.8xlarge",
    "m5.12xlarge",
    "m5.16xlarge",
    "m5.24xlarge",
    "m6i.large",
    "m6i.xlarge",
    "m6i.2xlarge",
    "m6i.4xlarge",
    "m6i.8xlarge",
    "m6i.12xlarge",
    "m6i.16xlarge",
    "m6i.24xlarge",
    "m6i.32xlarge",
    "c5.large",
    "c5.xlarge",
    "c5.2xlarge",
    "c5.4xlarge",
    "c5.9xlarge",
    "c5.12xlarge",
    "c5.18xlarge",
    "c5.24xlarge",
];

/// SageMaker notebook instance types offered for the graph notebook (ml.t3 and ml.m5 sizes).
pub static NOTEBOOK_INSTANCE_TYPES: &[&str] = &[
    "ml.t3.medium",
    "ml.t3.large",
    "ml.t3.xlarge",
    "ml.t3.2xlarge",
    "ml.m5.xlarge",
    "ml.m5.2xlarge",
    "ml.m5.4xlarge",
    "ml.m5.12xlarge",
    "ml.m5.24xlarge",
];

/// Every accepted `DbInstanceType`: the fixed-size classes, then `db.serverless`.
pub fn db_instance_types() -> impl Iterator<Item = &'static str> {
    DB_INSTANCE_VCPUS
        .iter()
        .map(|(name, _)| *name)
        .chain(std::iter::once(SERVERLESS))
}

/// vCPUs of a fixed-size Neptune instance class, `None` for unknown classes and for `db.serverless`.
pub fn db_vcpus(instance_type: &str) -> Option<u32> {
    DB_INSTANCE_VCPUS
        .iter()
        .find(|(name, _)| *name == instance_type)
        .map(|(_, vcpus)| *vcpus)
}

/// vCPUs assumed for a serverless writer at `max_capacity` NCUs (see [`SERVERLESS_NCUS_PER_VCPU`]).
pub fn serverless_vcpus(max_capacity: f64) -> u32 {
    // Capacity is at most 128 NCUs, so the cast cannot truncate.
    ((max_capacity / SERVERLESS_NCUS_PER_VCPU).ceil() as u32).max(1)
}

/// The ShardCount the guidance recommends for a writer with `vcpus`, capped at the Kinesis maximum.
pub fn recommended_shards(vcpus: u32) -> u32 {
    (vcpus * SHARDS_PER_VCPU).min(KINESIS_MAX_SHARDS)
}
