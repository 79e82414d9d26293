//! What each region offers: its Neptune instance classes, EC2 driver types and SageMaker notebook types, as
//! generated data (plan/src/data/region-offerings.json) taken from cfn-lint's bundled region data, and the per-region
//! defaults chosen from it by the [`sizing`] preference orders.
//!
//! `make region-data` regenerates the file from the installed cfn-lint; tests/region_data.rs fails when the file
//! and the installed cfn-lint disagree.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::sizing;

/// The generated data, as committed.
pub const DATA: &str = include_str!("data/region-offerings.json");

/// The generated file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionData {
    /// The cfn-lint version and files the data was taken from.
    pub source: String,
    /// Offerings by region name.
    pub regions: BTreeMap<String, Offered>,
}

/// What one region offers, each list sorted.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Offered {
    /// Neptune instance classes (`AWS::Neptune::DBInstance` DBInstanceClass), `db.serverless` included.
    pub neptune: Vec<String>,
    /// EC2 instance types of the [`sizing::DRIVER_FAMILIES`].
    pub ec2: Vec<String>,
    /// SageMaker notebook instance types of the [`sizing::NOTEBOOK_FAMILIES`].
    pub notebook: Vec<String>,
}

/// The parsed data (parsed once; a test checks it parses).
pub fn data() -> &'static RegionData {
    static DATA_PARSED: LazyLock<RegionData> = LazyLock::new(|| {
        serde_json::from_str(DATA).expect("plan/src/data/region-offerings.json is valid (tested)")
    });
    &DATA_PARSED
}

/// A kind of instance the stack lets the user choose per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offering {
    /// A Neptune instance class (`DbInstanceType`).
    NeptuneClass,
    /// An EC2 instance type for the workload driver (`EC2ClientInstanceType`).
    DriverInstance,
    /// A SageMaker notebook instance type (`NotebookInstanceType`).
    NotebookInstance,
}

impl Offering {
    /// What it is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Offering::NeptuneClass => "Neptune instance class",
            Offering::DriverInstance => "EC2 instance type",
            Offering::NotebookInstance => "SageMaker notebook instance type",
        }
    }

    /// The preference order a region's default is picked with.
    pub fn preference(self) -> &'static [&'static str] {
        match self {
            Offering::NeptuneClass => sizing::DB_INSTANCE_PREFERENCE,
            Offering::DriverInstance => sizing::DRIVER_PREFERENCE,
            Offering::NotebookInstance => sizing::NOTEBOOK_PREFERENCE,
        }
    }

    fn list(self, offered: &Offered) -> &[String] {
        match self {
            Offering::NeptuneClass => &offered.neptune,
            Offering::DriverInstance => &offered.ec2,
            Offering::NotebookInstance => &offered.notebook,
        }
    }

    /// What `region` offers, sorted; empty for a region the data does not know.
    pub fn offered_in(self, region: &str) -> &'static [String] {
        data()
            .regions
            .get(region)
            .map(|offered| self.list(offered))
            .unwrap_or_default()
    }

    /// Whether `region` offers `name`.
    pub fn is_offered(self, region: &str, name: &str) -> bool {
        self.offered_in(region).iter().any(|n| n == name)
    }

    /// Whether any region offers `name`.
    pub fn is_known(self, name: &str) -> bool {
        data()
            .regions
            .values()
            .any(|offered| self.list(offered).iter().any(|n| n == name))
    }

    /// The default for `region`: the first of [`Offering::preference`] it offers, else the first it offers.
    pub fn default_for(self, region: &str) -> Option<&'static str> {
        let offered = self.offered_in(region);
        self.preference()
            .iter()
            .copied()
            .find(|name| offered.iter().any(|n| n == name))
            .or_else(|| offered.first().map(String::as_str))
    }
}
