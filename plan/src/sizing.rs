//! Sizing tables kept as data: Neptune instance classes and their vCPUs, the serverless capacity assumption, the
//! Kinesis shard limit and the Lambda concurrency rule, the instance families the stack offers for the driver and
//! the notebook, and the preference order that picks each region's defaults from what it offers
//! ([`crate::offerings`]).
//!
//! Validation, `--help`, the parameter catalog's allowed values and the documentation's config reference all read
//! these tables; nothing else in the crate holds instance-type or limit numbers.

/// The instance class name Neptune uses for serverless writers.
pub const SERVERLESS: &str = "db.serverless";

/// Neptune instance classes with a fixed size, and their vCPUs: every class cfn-lint's region data lists for some
/// region (plan/src/data/region-offerings.json), minus the retired [`RETIRED_DB_FAMILIES`]; a test keeps the two in step.
///
/// Source of the vCPUs: the EC2 sizes of each family (large 2, xlarge 4, ... 48xlarge 192; t3/t4g.medium 2), as in the
/// RDS/Aurora hardware specification table and the Neptune T3/T4g pages.
pub static DB_INSTANCE_VCPUS: &[(&str, u32)] = &[
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
    ("db.r6gd.large", 2),
    ("db.r6gd.xlarge", 4),
    ("db.r6gd.2xlarge", 8),
    ("db.r6gd.4xlarge", 16),
    ("db.r6gd.8xlarge", 32),
    ("db.r6gd.12xlarge", 48),
    ("db.r6gd.16xlarge", 64),
    ("db.r6i.large", 2),
    ("db.r6i.xlarge", 4),
    ("db.r6i.2xlarge", 8),
    ("db.r6i.4xlarge", 16),
    ("db.r6i.8xlarge", 32),
    ("db.r6i.12xlarge", 48),
    ("db.r6i.16xlarge", 64),
    ("db.r6i.24xlarge", 96),
    ("db.r6i.32xlarge", 128),
    ("db.r7g.large", 2),
    ("db.r7g.xlarge", 4),
    ("db.r7g.2xlarge", 8),
    ("db.r7g.4xlarge", 16),
    ("db.r7g.8xlarge", 32),
    ("db.r7g.12xlarge", 48),
    ("db.r7g.16xlarge", 64),
    ("db.r7i.large", 2),
    ("db.r7i.xlarge", 4),
    ("db.r7i.2xlarge", 8),
    ("db.r7i.4xlarge", 16),
    ("db.r7i.8xlarge", 32),
    ("db.r7i.12xlarge", 48),
    ("db.r7i.16xlarge", 64),
    ("db.r7i.24xlarge", 96),
    ("db.r7i.48xlarge", 192),
    ("db.r8g.large", 2),
    ("db.r8g.xlarge", 4),
    ("db.r8g.2xlarge", 8),
    ("db.r8g.4xlarge", 16),
    ("db.r8g.8xlarge", 32),
    ("db.r8g.12xlarge", 48),
    ("db.r8g.16xlarge", 64),
    ("db.r8g.24xlarge", 96),
    ("db.r8g.48xlarge", 192),
    ("db.x2g.large", 2),
    ("db.x2g.xlarge", 4),
    ("db.x2g.2xlarge", 8),
    ("db.x2g.4xlarge", 16),
    ("db.x2g.8xlarge", 32),
    ("db.x2g.12xlarge", 48),
    ("db.x2g.16xlarge", 64),
    ("db.x2gd.large", 2),
    ("db.x2gd.xlarge", 4),
    ("db.x2gd.2xlarge", 8),
    ("db.x2gd.4xlarge", 16),
    ("db.x2gd.8xlarge", 32),
    ("db.x2gd.12xlarge", 48),
    ("db.x2gd.16xlarge", 64),
    ("db.x2iedn.xlarge", 4),
    ("db.x2iedn.2xlarge", 8),
    ("db.x2iedn.4xlarge", 16),
    ("db.x2iedn.8xlarge", 32),
    ("db.x2iedn.16xlarge", 64),
    ("db.x2iedn.24xlarge", 96),
    ("db.x2iedn.32xlarge", 128),
    ("db.t3.medium", 2),
    ("db.t4g.medium", 2),
];

/// Neptune instance families that no current engine (1.2.1.0 or later) runs on: left out of the region data.
pub static RETIRED_DB_FAMILIES: &[&str] = &["db.r4"];

/// The `DbInstanceType` default of a region: the first of these the region offers. Two vCPUs, the smallest writer
/// the shard guidance sizes for: Graviton r6g first (the lowest price of the 2-vCPU memory-optimized classes), then
/// the Intel r6i and r5 for regions without Graviton, then the newer r7g/r8g/r7i, and the burstable classes last.
pub static DB_INSTANCE_PREFERENCE: &[&str] = &[
    "db.r6g.large",
    "db.r6i.large",
    "db.r5.large",
    "db.r7g.large",
    "db.r8g.large",
    "db.r7i.large",
    "db.t4g.medium",
    "db.t3.medium",
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

/// EC2 families offered for the workload driver: x86_64 (its AMI and binary), general purpose and compute
/// optimized, without `.metal` sizes. The region data keeps the sizes of these families each region offers.
pub static DRIVER_FAMILIES: &[&str] = &["m6i", "m5", "m7i", "c6i", "c5", "c7i"];

/// The `EC2ClientInstanceType` default of a region: the first of these the region offers. The driver only reads a
/// file and calls PutRecords, so two vCPUs do; m6i before the older m5, then the others.
pub static DRIVER_PREFERENCE: &[&str] = &[
    "m6i.large",
    "m5.large",
    "m7i.large",
    "c6i.large",
    "c5.large",
    "c7i.large",
];

/// SageMaker notebook families offered for the graph notebook (x86_64 burstable and general purpose).
pub static NOTEBOOK_FAMILIES: &[&str] = &["ml.t3", "ml.m5", "ml.m6i", "ml.m7i"];

/// The `NotebookInstanceType` default of a region: the first of these the region offers (the notebook runs
/// queries and plots results, a burstable instance does).
pub static NOTEBOOK_PREFERENCE: &[&str] = &[
    "ml.t3.medium",
    "ml.t3.large",
    "ml.m5.xlarge",
    "ml.m6i.large",
    "ml.m7i.large",
];

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

/// Concurrent executions Lambda keeps unreserved in every account: a function may reserve at most the account's
/// concurrency quota minus this.
pub const LAMBDA_UNRESERVED_MINIMUM: u32 = 100;

/// The largest reservation an account with concurrency `quota` allows (0 when the quota leaves nothing).
pub fn max_reserved_concurrency(quota: u32) -> u32 {
    quota.saturating_sub(LAMBDA_UNRESERVED_MINIMUM)
}
