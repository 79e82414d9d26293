//! Dated AWS facts as data: what the stack pins that AWS retires (the notebook platform, the Neptune engine
//! versions, the writer's Lambda runtime, the driver's operating system), each with its dates and the page that
//! states them.
//!
//! The catalog's engine default and floor, the notebook platform and the Lambda runtime the templates name are
//! taken from here or checked against it: a test fails once any of them is past its end of life on the day it
//! runs, and a `NeptuneEngineVersion` past its end of life is refused when the plan is resolved.

use chrono::NaiveDate;

/// The page a fact comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The page's title.
    pub title: &'static str,
    /// The page's address.
    pub url: &'static str,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.title, self.url)
    }
}

/// What a fact is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// A SageMaker notebook instance platform (`PlatformIdentifier`).
    NotebookPlatform,
    /// Neptune engine versions (`NeptuneEngineVersion`).
    NeptuneEngine,
    /// A Lambda runtime (the writer function's `Runtime`).
    LambdaRuntime,
    /// An operating system the stack's EC2 instances boot (the driver's AMI).
    OperatingSystem,
}

impl Product {
    /// The product in words.
    pub fn describe(self) -> &'static str {
        match self {
            Product::NotebookPlatform => "SageMaker notebook platform",
            Product::NeptuneEngine => "Neptune engine",
            Product::LambdaRuntime => "Lambda runtime",
            Product::OperatingSystem => "operating system",
        }
    }
}

/// A milestone of a product's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// Released (available to new resources).
    Released,
    /// The default AWS gives new resources from this date.
    DefaultFrom,
    /// No new resources can be created from this date (existing ones keep running).
    CreateBlocked,
    /// Existing resources can no longer be updated (or, for notebooks, restarted) from this date.
    UpdateBlocked,
    /// End of life, end of support or deprecation: no more fixes, and AWS may retire it.
    EndOfLife,
}

impl Milestone {
    /// The milestone in words.
    pub fn describe(self) -> &'static str {
        match self {
            Milestone::Released => "released",
            Milestone::DefaultFrom => "default from",
            Milestone::CreateBlocked => "no new ones from",
            Milestone::UpdateBlocked => "no updates or restarts from",
            Milestone::EndOfLife => "end of life",
        }
    }
}

/// Which versions a fact covers: one name, or a range of Neptune engine versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers {
    /// Exactly this name (a platform identifier, a runtime identifier).
    Name(&'static str),
    /// Engine versions `first..=last`, compared number by number.
    Engines {
        /// The first version covered.
        first: [u32; 4],
        /// The last version covered.
        last: [u32; 4],
    },
}

/// One dated fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    /// What kind of thing it is about.
    pub product: Product,
    /// The versions it is about, as the source names them (`notebook-al2-v3`, `1.2.x`, `1.4.0.0-1.4.6.1`).
    pub name: &'static str,
    /// Which values it covers.
    pub covers: Covers,
    /// Its milestones, oldest first; a milestone AWS has not announced is absent.
    pub milestones: &'static [(Milestone, NaiveDate)],
    /// Where the dates come from.
    pub source: Source,
}

impl Fact {
    /// The date of `milestone`, if announced.
    pub fn date(&self, milestone: Milestone) -> Option<NaiveDate> {
        self.milestones
            .iter()
            .find(|(m, _)| *m == milestone)
            .map(|(_, date)| *date)
    }

    /// The first day a new stack can no longer rely on it: the earliest of its end of life and the day AWS
    /// stops creating new ones; `None` while neither is announced.
    pub fn retired_from(&self) -> Option<NaiveDate> {
        [Milestone::EndOfLife, Milestone::CreateBlocked]
            .into_iter()
            .filter_map(|m| self.date(m))
            .min()
    }

    /// Whether it is retired on `day`.
    pub fn retired_on(&self, day: NaiveDate) -> bool {
        self.retired_from().is_some_and(|from| day >= from)
    }

    /// Whether it covers `value` (a name, or an engine version `a.b.c.d`).
    pub fn covers(&self, value: &str) -> bool {
        match self.covers {
            Covers::Name(name) => name == value,
            Covers::Engines { first, last } => {
                engine_numbers(value).is_some_and(|v| first <= v && v <= last)
            }
        }
    }
}

/// `a.b.c.d` as numbers, if it is one.
pub fn engine_numbers(version: &str) -> Option<[u32; 4]> {
    let mut numbers = [0; 4];
    let mut parts = version.split('.');
    for number in &mut numbers {
        *number = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(numbers)
}

/// A date the table states (checked at compile time).
const fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("not a date"),
    }
}

const NOTEBOOK_AL2: Source = Source {
    title: "Amazon Linux 2 notebook instances, Amazon SageMaker AI Developer Guide",
    url: "https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-al2.html",
};
const NOTEBOOK_AL2023: Source = Source {
    title: "AL2023 notebook instances, Amazon SageMaker AI Developer Guide",
    url: "https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-al2023.html",
};
const NEPTUNE_ENGINES: Source = Source {
    title: "Engine releases for Amazon Neptune, Neptune User Guide",
    url: "https://docs.aws.amazon.com/neptune/latest/userguide/engine-releases.html",
};
const NEPTUNE_1_4_7_1: Source = Source {
    title: "Engine version 1.4.7.1, Neptune User Guide",
    url: "https://docs.aws.amazon.com/neptune/latest/userguide/engine-releases-1.4.7.1.html",
};
const LAMBDA_OS_ONLY: Source = Source {
    title: "When to use Lambda's OS-only runtimes, AWS Lambda Developer Guide",
    url: "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-provided.html",
};
const AL2023_FAQ: Source = Source {
    title: "Amazon Linux 2023 FAQs",
    url: "https://aws.amazon.com/linux/amazon-linux-2023/faqs/",
};

/// The notebook platform the stack's notebook instance runs on.
pub const NOTEBOOK_PLATFORM: &str = "notebook-al2023-v1";

/// The Lambda runtime of the writer function (an OS-only runtime: the writer is a `bootstrap` binary).
pub const LAMBDA_RUNTIME: &str = "provided.al2023";

/// Every dated fact, by product, oldest first.
pub static FACTS: &[Fact] = &[
    Fact {
        product: Product::NotebookPlatform,
        name: "notebook-al1-v1",
        covers: Covers::Name("notebook-al1-v1"),
        milestones: &[
            (Milestone::CreateBlocked, day(2023, 2, 1)),
            (Milestone::EndOfLife, day(2024, 3, 31)),
        ],
        source: NOTEBOOK_AL2,
    },
    Fact {
        product: Product::NotebookPlatform,
        name: "notebook-al2-v1",
        covers: Covers::Name("notebook-al2-v1"),
        milestones: &[
            (Milestone::Released, day(2021, 8, 18)),
            (Milestone::CreateBlocked, day(2025, 6, 30)),
            (Milestone::EndOfLife, day(2026, 6, 30)),
            (Milestone::UpdateBlocked, day(2026, 7, 1)),
        ],
        source: NOTEBOOK_AL2,
    },
    Fact {
        product: Product::NotebookPlatform,
        name: "notebook-al2-v2",
        covers: Covers::Name("notebook-al2-v2"),
        milestones: &[
            (Milestone::DefaultFrom, day(2022, 10, 31)),
            (Milestone::CreateBlocked, day(2025, 6, 30)),
            (Milestone::EndOfLife, day(2026, 6, 30)),
            (Milestone::UpdateBlocked, day(2026, 7, 1)),
        ],
        source: NOTEBOOK_AL2,
    },
    Fact {
        product: Product::NotebookPlatform,
        name: "notebook-al2-v3",
        covers: Covers::Name("notebook-al2-v3"),
        milestones: &[
            (Milestone::EndOfLife, day(2026, 6, 30)),
            (Milestone::CreateBlocked, day(2026, 7, 1)),
            (Milestone::UpdateBlocked, day(2026, 7, 1)),
        ],
        source: NOTEBOOK_AL2,
    },
    Fact {
        product: Product::NotebookPlatform,
        name: NOTEBOOK_PLATFORM,
        covers: Covers::Name(NOTEBOOK_PLATFORM),
        milestones: &[(Milestone::DefaultFrom, day(2026, 5, 15))],
        source: NOTEBOOK_AL2023,
    },
    Fact {
        product: Product::NeptuneEngine,
        name: "1.2.x",
        covers: Covers::Engines {
            first: [1, 2, 0, 0],
            last: [1, 2, u32::MAX, u32::MAX],
        },
        milestones: &[(Milestone::EndOfLife, day(2026, 3, 6))],
        source: NEPTUNE_ENGINES,
    },
    Fact {
        product: Product::NeptuneEngine,
        name: "1.3.0.0-1.3.4.0",
        covers: Covers::Engines {
            first: [1, 3, 0, 0],
            last: [1, 3, 4, 0],
        },
        milestones: &[(Milestone::EndOfLife, day(2027, 3, 6))],
        source: NEPTUNE_ENGINES,
    },
    Fact {
        product: Product::NeptuneEngine,
        name: "1.4.0.0-1.4.6.1",
        covers: Covers::Engines {
            first: [1, 4, 0, 0],
            last: [1, 4, 6, 1],
        },
        milestones: &[(Milestone::EndOfLife, day(2027, 3, 6))],
        source: NEPTUNE_ENGINES,
    },
    Fact {
        product: Product::NeptuneEngine,
        name: "1.4.6.2-1.4.7.0",
        covers: Covers::Engines {
            first: [1, 4, 6, 2],
            last: [1, 4, 7, 0],
        },
        milestones: &[(Milestone::EndOfLife, day(2027, 6, 3))],
        source: NEPTUNE_ENGINES,
    },
    Fact {
        product: Product::NeptuneEngine,
        name: "1.4.7.1",
        covers: Covers::Engines {
            first: [1, 4, 7, 1],
            last: [1, 4, 7, 1],
        },
        // Its end of life is not announced yet.
        milestones: &[(Milestone::Released, day(2026, 9, 18))],
        source: NEPTUNE_1_4_7_1,
    },
    Fact {
        product: Product::LambdaRuntime,
        name: "provided.al2",
        covers: Covers::Name("provided.al2"),
        milestones: &[
            (Milestone::EndOfLife, day(2026, 6, 30)),
            (Milestone::CreateBlocked, day(2026, 7, 31)),
            (Milestone::UpdateBlocked, day(2026, 8, 31)),
        ],
        source: LAMBDA_OS_ONLY,
    },
    Fact {
        product: Product::LambdaRuntime,
        name: LAMBDA_RUNTIME,
        covers: Covers::Name(LAMBDA_RUNTIME),
        milestones: &[
            (Milestone::EndOfLife, day(2029, 6, 30)),
            (Milestone::CreateBlocked, day(2029, 7, 31)),
            (Milestone::UpdateBlocked, day(2029, 8, 31)),
        ],
        source: LAMBDA_OS_ONLY,
    },
    Fact {
        product: Product::OperatingSystem,
        name: "Amazon Linux 2023",
        covers: Covers::Name("al2023"),
        milestones: &[
            (Milestone::Released, day(2023, 3, 15)),
            (Milestone::EndOfLife, day(2029, 6, 30)),
        ],
        source: AL2023_FAQ,
    },
];

/// The fact about `value` of `product`, if the table has one.
pub fn find(product: Product, value: &str) -> Option<&'static Fact> {
    FACTS
        .iter()
        .find(|fact| fact.product == product && fact.covers(value))
}

/// The fact that retires `value` of `product` on `day`, if it is retired then.
pub fn retired(product: Product, value: &str, day: NaiveDate) -> Option<&'static Fact> {
    find(product, value).filter(|fact| fact.retired_on(day))
}

/// Today's date (UTC), the day retirement is judged on.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as the source states it: the fact's name, its milestones and the page's file name.
    type Row = (
        &'static str,
        &'static [(Milestone, &'static str)],
        &'static str,
    );

    /// Each row as the source states it (graph-writes-facts.md section 6), row by row.
    #[test]
    fn each_row_holds_the_sources_dates() {
        let rows: &[Row] = &[
            (
                "notebook-al1-v1",
                &[
                    (Milestone::CreateBlocked, "2023-02-01"),
                    (Milestone::EndOfLife, "2024-03-31"),
                ],
                "nbi-al2.html",
            ),
            (
                "notebook-al2-v1",
                &[
                    (Milestone::Released, "2021-08-18"),
                    (Milestone::CreateBlocked, "2025-06-30"),
                    (Milestone::EndOfLife, "2026-06-30"),
                    (Milestone::UpdateBlocked, "2026-07-01"),
                ],
                "nbi-al2.html",
            ),
            (
                "notebook-al2-v2",
                &[
                    (Milestone::DefaultFrom, "2022-10-31"),
                    (Milestone::CreateBlocked, "2025-06-30"),
                    (Milestone::EndOfLife, "2026-06-30"),
                    (Milestone::UpdateBlocked, "2026-07-01"),
                ],
                "nbi-al2.html",
            ),
            (
                "notebook-al2-v3",
                &[
                    (Milestone::EndOfLife, "2026-06-30"),
                    (Milestone::CreateBlocked, "2026-07-01"),
                    (Milestone::UpdateBlocked, "2026-07-01"),
                ],
                "nbi-al2.html",
            ),
            (
                "notebook-al2023-v1",
                &[(Milestone::DefaultFrom, "2026-05-15")],
                "nbi-al2023.html",
            ),
            (
                "1.2.x",
                &[(Milestone::EndOfLife, "2026-03-06")],
                "engine-releases.html",
            ),
            (
                "1.3.0.0-1.3.4.0",
                &[(Milestone::EndOfLife, "2027-03-06")],
                "engine-releases.html",
            ),
            (
                "1.4.0.0-1.4.6.1",
                &[(Milestone::EndOfLife, "2027-03-06")],
                "engine-releases.html",
            ),
            (
                "1.4.6.2-1.4.7.0",
                &[(Milestone::EndOfLife, "2027-06-03")],
                "engine-releases.html",
            ),
            (
                "1.4.7.1",
                &[(Milestone::Released, "2026-09-18")],
                "engine-releases-1.4.7.1.html",
            ),
            (
                "provided.al2",
                &[
                    (Milestone::EndOfLife, "2026-06-30"),
                    (Milestone::CreateBlocked, "2026-07-31"),
                    (Milestone::UpdateBlocked, "2026-08-31"),
                ],
                "runtimes-provided.html",
            ),
            (
                "provided.al2023",
                &[
                    (Milestone::EndOfLife, "2029-06-30"),
                    (Milestone::CreateBlocked, "2029-07-31"),
                    (Milestone::UpdateBlocked, "2029-08-31"),
                ],
                "runtimes-provided.html",
            ),
            (
                "Amazon Linux 2023",
                &[
                    (Milestone::Released, "2023-03-15"),
                    (Milestone::EndOfLife, "2029-06-30"),
                ],
                "amazon-linux-2023/faqs/",
            ),
        ];
        assert_eq!(
            FACTS.iter().map(|f| f.name).collect::<Vec<_>>(),
            rows.iter().map(|(name, _, _)| *name).collect::<Vec<_>>(),
            "one expected row per fact, in table order"
        );
        for (fact, (name, milestones, page)) in FACTS.iter().zip(rows) {
            let dates: Vec<(Milestone, String)> = fact
                .milestones
                .iter()
                .map(|(m, d)| (*m, d.to_string()))
                .collect();
            let expected: Vec<(Milestone, String)> = milestones
                .iter()
                .map(|(m, d)| (*m, (*d).to_owned()))
                .collect();
            assert_eq!(dates, expected, "{name}");
            assert!(fact.source.url.ends_with(page), "{name}: {}", fact.source);
            assert!(fact.source.url.starts_with("https://"), "{name}");
        }
    }

    #[test]
    fn engine_ranges_cover_each_version_once_and_in_order() {
        let engines: Vec<&Fact> = FACTS
            .iter()
            .filter(|f| f.product == Product::NeptuneEngine)
            .collect();
        for pair in engines.windows(2) {
            let (Covers::Engines { last, .. }, Covers::Engines { first, .. }) =
                (pair[0].covers, pair[1].covers)
            else {
                panic!("engine facts cover engine ranges");
            };
            assert!(last < first, "{} overlaps {}", pair[0].name, pair[1].name);
        }
        let name_of = |v: &str| find(Product::NeptuneEngine, v).map(|f| f.name);
        assert_eq!(name_of("1.2.1.0"), Some("1.2.x"));
        assert_eq!(name_of("1.2.3.10"), Some("1.2.x"));
        assert_eq!(name_of("1.3.4.0"), Some("1.3.0.0-1.3.4.0"));
        assert_eq!(name_of("1.4.6.1"), Some("1.4.0.0-1.4.6.1"));
        assert_eq!(name_of("1.4.6.2"), Some("1.4.6.2-1.4.7.0"));
        assert_eq!(name_of("1.4.7.0"), Some("1.4.6.2-1.4.7.0"));
        assert_eq!(name_of("1.4.7.1"), Some("1.4.7.1"));
        assert_eq!(name_of("1.4.8.0"), None, "a newer release has no date yet");
        assert_eq!(name_of("1.4"), None, "not a version");
    }

    #[test]
    fn retirement_starts_on_the_earliest_of_end_of_life_and_create_blocked() {
        let al2_v3 = find(Product::NotebookPlatform, "notebook-al2-v3").unwrap();
        assert_eq!(al2_v3.retired_from(), Some(day(2026, 6, 30)));
        assert!(!al2_v3.retired_on(day(2026, 6, 29)));
        assert!(al2_v3.retired_on(day(2026, 6, 30)));
        let al2_v1 = find(Product::NotebookPlatform, "notebook-al2-v1").unwrap();
        assert_eq!(al2_v1.retired_from(), Some(day(2025, 6, 30)));
        let newest = find(Product::NeptuneEngine, "1.4.7.1").unwrap();
        assert_eq!(newest.retired_from(), None, "no end of life announced");
        assert!(retired(Product::NeptuneEngine, "1.3.4.0", day(2027, 3, 5)).is_none());
        assert_eq!(
            retired(Product::NeptuneEngine, "1.3.4.0", day(2027, 3, 6)).map(|f| f.name),
            Some("1.3.0.0-1.3.4.0")
        );
    }

    /// What the stack pins and AWS retires: the catalog's engine default and floor, the notebook platform and the
    /// Lambda runtime the templates take from this table.
    fn pinned() -> Vec<(&'static str, Product, &'static str)> {
        let crate::catalog::BuiltIn::Value(engine_default) =
            crate::catalog::Name::NeptuneEngineVersion.param().default
        else {
            panic!("NeptuneEngineVersion has a fixed default");
        };
        vec![
            (
                "NeptuneEngineVersion's default",
                Product::NeptuneEngine,
                engine_default,
            ),
            (
                "the engine floor (catalog::MIN_ENGINE_VERSION)",
                Product::NeptuneEngine,
                crate::catalog::MIN_ENGINE_VERSION,
            ),
            (
                "the notebook's PlatformIdentifier",
                Product::NotebookPlatform,
                NOTEBOOK_PLATFORM,
            ),
            (
                "the writer function's Runtime",
                Product::LambdaRuntime,
                LAMBDA_RUNTIME,
            ),
        ]
    }

    /// Fails on the day a default or a floor reaches its end of life: move it to a supported value (and add the
    /// new value's dates to [`FACTS`]).
    #[test]
    fn no_default_or_floor_is_past_its_end_of_life_today() {
        let today = today();
        let mut retired = Vec::new();
        for (what, product, value) in pinned() {
            let fact = find(product, value).unwrap_or_else(|| {
                panic!(
                    "{what} `{value}` has no dated fact: add its {} dates to FACTS",
                    product.describe()
                )
            });
            if let Some(from) = fact.retired_from().filter(|from| today >= *from) {
                retired.push(format!(
                    "{what} `{value}` is past its end of life: {} {} retired on {from} ({}); today is {today}",
                    product.describe(),
                    fact.name,
                    fact.source
                ));
            }
        }
        assert!(retired.is_empty(), "{}", retired.join("\n"));
    }

    #[test]
    fn engine_numbers_reads_four_numbers_only() {
        assert_eq!(engine_numbers("1.4.7.1"), Some([1, 4, 7, 1]));
        assert_eq!(engine_numbers("1.4.7"), None);
        assert_eq!(engine_numbers("1.4.7.1.0"), None);
        assert_eq!(engine_numbers("1.4.x.1"), None);
    }
}
