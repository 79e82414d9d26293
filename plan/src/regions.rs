//! Known AWS regions and the partition each belongs to, kept as data.
//!
//! The partition goes into ARNs (`arn:<partition>:...`); templates can also use `${AWS::Partition}`, but IAM
//! condition values and outputs rendered as plain strings need it at render time.

/// Every region the generator renders for, with its partition: the regions where every resource type of the stack
/// exists.
///
/// Left out because the stack cannot be created there (cfn-lint 1.58's per-region data): ap-east-2, ap-southeast-7,
/// eu-south-1 and mx-central-1 have no `AWS::Neptune::*` types; me-central-1 and us-gov-east-1 have no
/// `AWS::SageMaker::NotebookInstance`. tests/region_data.rs checks that this list is exactly the regions of
/// plan/src/data/region-offerings.json that offer a Neptune class, an EC2 driver type and a notebook type.
pub static REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "aws"),
    ("ap-east-1", "aws"),
    ("ap-northeast-1", "aws"),
    ("ap-northeast-2", "aws"),
    ("ap-northeast-3", "aws"),
    ("ap-south-1", "aws"),
    ("ap-south-2", "aws"),
    ("ap-southeast-1", "aws"),
    ("ap-southeast-2", "aws"),
    ("ap-southeast-3", "aws"),
    ("ap-southeast-4", "aws"),
    ("ap-southeast-5", "aws"),
    ("ca-central-1", "aws"),
    ("ca-west-1", "aws"),
    ("eu-central-1", "aws"),
    ("eu-central-2", "aws"),
    ("eu-north-1", "aws"),
    ("eu-south-2", "aws"),
    ("eu-west-1", "aws"),
    ("eu-west-2", "aws"),
    ("eu-west-3", "aws"),
    ("il-central-1", "aws"),
    ("me-south-1", "aws"),
    ("sa-east-1", "aws"),
    ("us-east-1", "aws"),
    ("us-east-2", "aws"),
    ("us-west-1", "aws"),
    ("us-west-2", "aws"),
    ("cn-north-1", "aws-cn"),
    ("cn-northwest-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"),
];

/// The partition of a known region, `None` for an unknown one.
pub fn partition(region: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|(name, _)| *name == region)
        .map(|(_, partition)| *partition)
}

/// The names of every known region, in table order.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|(name, _)| *name)
}
