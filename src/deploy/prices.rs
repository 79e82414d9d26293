//! The monthly list prices `destroy` quotes for what a stack leaves behind, as dated data with their sources: the
//! one place to update when AWS changes them. They are us-east-1 prices; other regions differ by a few percent.

/// The list price of one kind of stored thing, per unit and month, in US dollars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// What is billed.
    pub what: &'static str,
    /// US dollars per [`Price::unit`] and month.
    pub usd: f64,
    /// `key` or `GB`.
    pub unit: &'static str,
    /// The pricing page it comes from.
    pub source: &'static str,
    /// When it was read on that page (YYYY-MM-DD); `None` for a figure not yet checked against the page, which
    /// `destroy --help` says.
    pub read_on: Option<&'static str>,
}

impl Price {
    /// The monthly cost of `quantity` units.
    pub fn monthly(&self, quantity: f64) -> f64 {
        self.usd * quantity
    }
}

/// A customer managed KMS key: $1 a month (prorated hourly); nothing while it is scheduled for deletion.
pub const KMS_KEY: Price = Price {
    what: "AWS KMS customer managed key (not billed while scheduled for deletion)",
    usd: 1.0,
    unit: "key",
    source: "https://aws.amazon.com/kms/pricing/",
    read_on: Some("2026-12-07"),
};

/// Neptune backup storage, which a snapshot of a deleted cluster is billed as in full (no free allowance is
/// left without the cluster).
pub const NEPTUNE_SNAPSHOT: Price = Price {
    what: "Amazon Neptune backup storage (us-east-1)",
    usd: 0.021,
    unit: "GB",
    source: "https://aws.amazon.com/neptune/pricing/",
    // The page's rates did not come through when this was written: check before quoting it as exact.
    read_on: None,
};

/// S3 Standard storage, the first 50 TB of a month.
pub const S3_STANDARD: Price = Price {
    what: "Amazon S3 Standard storage, first 50 TB (us-east-1)",
    usd: 0.023,
    unit: "GB",
    source: "https://aws.amazon.com/s3/pricing/",
    // The long-standing us-east-1 rate, not re-read from the page when this was written.
    read_on: None,
};

/// Every price, for `destroy --help` and the tests.
pub const ALL: [Price; 3] = [KMS_KEY, NEPTUNE_SNAPSHOT, S3_STANDARD];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_price_is_positive_dated_and_sourced_from_an_aws_pricing_page() {
        for price in ALL {
            assert!(price.usd > 0.0 && price.usd < 10.0, "{price:?}");
            assert!(["key", "GB"].contains(&price.unit), "{price:?}");
            assert!(
                price.source.starts_with("https://aws.amazon.com/")
                    && price.source.ends_with("/pricing/"),
                "{price:?}"
            );
            if let Some(read_on) = price.read_on {
                let date = chrono::NaiveDate::parse_from_str(read_on, "%Y-%m-%d");
                assert!(date.is_ok(), "{price:?}");
            }
        }
    }

    #[test]
    fn the_key_costs_a_dollar_a_month_and_storage_is_per_gb() {
        assert_eq!(KMS_KEY.monthly(1.0), 1.0);
        assert!((S3_STANDARD.monthly(100.0) - 2.3).abs() < 1e-9);
        assert!((NEPTUNE_SNAPSHOT.monthly(10.0) - 0.21).abs() < 1e-9);
    }
}
