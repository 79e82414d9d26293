//! The writer's environment as one table: each variable's name, default, what is allowed, what it
//! means, and who sets it in the stack and in local mode.
//!
//! The writer's `Config::from_lookup` (function/src/config.rs) parses every variable through its
//! row; the render context hands the template the variables the stack sets ([`Set::stack`]: the
//! writer's `Environment` block is a loop over them) and local mode builds the writer's environment
//! from [`Set::local`], so a row added here reaches both. The plan checks FunctionTimeout against
//! the defaults and the stack parameters handed to the writer against the ranges, and the Environment
//! table of docs/writer.md is generated from [`VARIABLES`] ([`markdown_table`]; `make doc-tables`
//! rewrites it). A crate of its own, with no dependency beyond `thiserror` and `serde`, so the plan
//! can read it without the writer's runtime (tokio, reqwest, the Lambda runtime). The word-valued
//! settings' types are declared here too ([`choices`]), for the writer and the plan alike.

pub mod choices;

pub use choices::{GremlinBatchForm, GremlinUpsertStyle, QueryLanguage, RecordFormat, Words};

/// Lambda's limit on a function's environment: every variable's name and value together, in bytes (Lambda quotas,
/// "Environment variables": 4 KB in aggregate).
pub const LAMBDA_ENVIRONMENT_LIMIT_BYTES: usize = 4096;

// The `choices!` macro's serde impls name serde through this crate, so a crate using the macro needs no serde
// of its own.
#[doc(hidden)]
pub use serde as __serde;

/// A value outside what its variable allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}={value:?}: expected {allowed}")]
pub struct Invalid {
    /// The variable.
    pub var: &'static str,
    /// The value found.
    pub value: String,
    /// What is allowed.
    pub allowed: String,
}

/// A whole-number variable.
#[derive(Debug)]
pub struct Integer {
    /// The variable's name.
    pub name: &'static str,
    /// Its value when unset.
    pub default: u64,
    /// The smallest value allowed.
    pub min: u64,
    /// The largest value allowed.
    pub max: u64,
    /// What it does.
    pub meaning: &'static str,
    /// Who sets it in the stack and in local mode.
    pub set: Set,
}

/// A `true`/`false` variable.
#[derive(Debug)]
pub struct Flag {
    /// The variable's name.
    pub name: &'static str,
    /// Its value when unset.
    pub default: bool,
    /// What it does.
    pub meaning: &'static str,
    /// Who sets it in the stack and in local mode.
    pub set: Set,
}

/// A variable that takes one of a few words (case-insensitive).
#[derive(Debug)]
pub struct Choice {
    /// The variable's name.
    pub name: &'static str,
    /// The allowed words, lower case; the first is the default.
    pub choices: &'static [&'static str],
    /// What it does.
    pub meaning: &'static str,
    /// Who sets it in the stack and in local mode.
    pub set: Set,
}

/// A free-text variable, checked where it is used (the writer's `Config::from_lookup`).
#[derive(Debug)]
pub struct Text {
    /// The variable's name.
    pub name: &'static str,
    /// What applies when it is unset, as the documentation shows it.
    pub default: &'static str,
    /// What is allowed.
    pub allowed: &'static str,
    /// What it does.
    pub meaning: &'static str,
    /// Who sets it in the stack and in local mode.
    pub set: Set,
}

/// Who gives a variable its value, in the stack's function and in local mode's writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Set {
    /// In the stack: the template's `Environment` block (templates/partials/writer.yaml.j2).
    pub stack: Source,
    /// In local mode (local/src/settings.rs).
    pub local: Source,
}

/// Where one deployment takes a variable's value from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The region's value of this stack parameter: the template writes `VAR: !Ref <parameter>`, local mode
    /// passes the value the region's plan resolves it to.
    Parameter(&'static str),
    /// A value of the deployment itself (the store's address, where rejects go, local mode's region): the
    /// template and local mode each keep theirs by the variable's name, and fail on a variable they have none for.
    Deployment,
    /// Not set: the writer's default applies, or the Lambda runtime sets it.
    Unset,
}

impl Set {
    /// Set by nobody in either place.
    pub const UNSET: Set = Set {
        stack: Source::Unset,
        local: Source::Unset,
    };
    /// Set by each deployment to a value of its own.
    pub const BY_DEPLOYMENT: Set = Set {
        stack: Source::Deployment,
        local: Source::Deployment,
    };

    /// The stack parameter `name`'s value, in the stack and in local mode.
    pub const fn parameter(name: &'static str) -> Set {
        Set {
            stack: Source::Parameter(name),
            local: Source::Parameter(name),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub enum Variable {
    /// A whole number in a range.
    Integer(&'static Integer),
    /// `true` or `false`.
    Flag(&'static Flag),
    /// One of a few words.
    Choice(&'static Choice),
    /// Free text.
    Text(&'static Text),
}

/// NEPTUNE_ENDPOINT, the only required variable.
pub const NEPTUNE_ENDPOINT: Text = Text {
    name: "NEPTUNE_ENDPOINT",
    default: "(required)",
    allowed: "a bare host (then `https://HOST:NEPTUNE_PORT`) or a full `http(s)://` URL, used as is",
    meaning: "the graph store: the cluster endpoint, or a local store's URL",
    set: Set::BY_DEPLOYMENT,
};
/// NEPTUNE_PORT.
pub const NEPTUNE_PORT: Integer = Integer {
    name: "NEPTUNE_PORT",
    default: 8182,
    min: 1,
    max: 65535,
    meaning: "port used with a bare host",
    set: Set {
        stack: Source::Deployment,
        local: Source::Unset,
    },
};
/// QUERY_LANGUAGE.
pub const QUERY_LANGUAGE: Choice = Choice {
    name: "QUERY_LANGUAGE",
    choices: QueryLanguage::NAMES,
    meaning: "language of the writes: `POST /gremlin`, `POST /sparql` (`update=`) or `POST /openCypher`",
    set: Set::parameter("QueryLanguage"),
};
/// CONDITIONAL_CREATE.
pub const CONDITIONAL_CREATE: Flag = Flag {
    name: "CONDITIONAL_CREATE",
    default: true,
    meaning: "Gremlin and openCypher edge ids derived from (from, creationDate, to) and upserted; `false`: a random id and a plain add (the sample's non-idempotent mode)",
    set: Set::parameter("ConditionalCreate"),
};
/// GREMLIN_UPSERT_STYLE.
pub const GREMLIN_UPSERT_STYLE: Choice = Choice {
    name: "GREMLIN_UPSERT_STYLE",
    choices: GremlinUpsertStyle::NAMES,
    meaning: "`merge`: mergeV/mergeE (engine ≥ 1.2.1.0); `coalesce`: `fold().coalesce(unfold(), ...)` for older engines",
    set: Set::parameter("GremlinUpsertStyle"),
};
/// GREMLIN_BATCH_FORM.
pub const GREMLIN_BATCH_FORM: Choice = Choice {
    name: "GREMLIN_BATCH_FORM",
    choices: GremlinBatchForm::NAMES,
    meaning: "layout of a mergeV/mergeE batch with `CONDITIONAL_CREATE`: `chained`: one mergeV/mergeE step per vertex and edge, in `;`-separated traversals of 10 records in one request (the form Neptune documents as native); `rows`: the batch's rows in one `inject()` unfolded into one mergeV and one mergeE (faster on Gremlin Server; Neptune lists `inject()` as never native); `coalesce` and `CONDITIONAL_CREATE=false` are always chained",
    set: Set::parameter("GremlinBatchForm"),
};
/// RECORD_FORMAT.
pub const RECORD_FORMAT: Choice = Choice {
    name: "RECORD_FORMAT",
    choices: RecordFormat::NAMES,
    meaning: "`auto`: a graph-operation document or the sample's `follows` edge, by shape; `mapping`: each record is an application's JSON event, written through `MAPPINGS`",
    set: Set::parameter("RecordFormat"),
};
/// MAPPINGS.
pub const MAPPINGS: Text = Text {
    name: "MAPPINGS",
    default: "unset",
    allowed: "a JSON array of mappings (`name`, `pattern`, optional `when`, `delete`, `ids`, `types`; see Mappings); required with `RECORD_FORMAT=mapping`, compiled once at init",
    meaning: "how events become vertices and edges: the first mapping whose `when` holds applies",
    set: Set::parameter("Mappings"),
};
/// IAM_AUTH.
pub const IAM_AUTH: Flag = Flag {
    name: "IAM_AUTH",
    default: true,
    meaning: "sign store requests with SigV4, service `neptune-db` (needs `AWS_REGION` and the credentials below)",
    set: Set {
        stack: Source::Parameter("IamAuth"),
        local: Source::Deployment,
    },
};
/// BATCH_WRITE_SIZE.
pub const BATCH_WRITE_SIZE: Integer = Integer {
    name: "BATCH_WRITE_SIZE",
    default: 100,
    min: 1,
    max: 10_000,
    meaning: "records per write request (one request = one transaction); fewer while the store refuses writes of this size",
    set: Set::parameter("BatchWriteSize"),
};
/// WRITE_CONCURRENCY.
pub const WRITE_CONCURRENCY: Integer = Integer {
    name: "WRITE_CONCURRENCY",
    default: 1,
    min: 1,
    max: 64,
    meaning: "ordered lanes written at the same time; a partition key always maps to one lane",
    set: Set::parameter("WriteConcurrency"),
};
/// REJECTED_QUEUE_URL.
pub const REJECTED_QUEUE_URL: Text = Text {
    name: "REJECTED_QUEUE_URL",
    default: "unset",
    allowed: "an `http(s)://` SQS queue URL",
    meaning: "SQS queue receiving malformed records (needs `sqs:SendMessage`)",
    set: Set {
        stack: Source::Deployment,
        local: Source::Unset,
    },
};
/// REJECTED_RECORDS_FILE.
pub const REJECTED_RECORDS_FILE: Text = Text {
    name: "REJECTED_RECORDS_FILE",
    default: "unset",
    allowed: "a file path; not together with `REJECTED_QUEUE_URL`",
    meaning: "JSON Lines file receiving malformed records (local mode)",
    set: Set {
        stack: Source::Unset,
        local: Source::Deployment,
    },
};
/// METRICS_NAMESPACE.
pub const METRICS_NAMESPACE: Text = Text {
    name: "METRICS_NAMESPACE",
    default: "`stream2neptune`",
    allowed: "1–255 characters",
    meaning: "CloudWatch namespace of the EMF metrics",
    set: Set::parameter("MetricsNamespace"),
};
/// CLUSTER_ID.
pub const CLUSTER_ID: Text = Text {
    name: "CLUSTER_ID",
    default: "the endpoint's host",
    allowed: "any text",
    meaning: "value of the `ClusterId` metric dimension",
    set: Set::BY_DEPLOYMENT,
};
/// MAX_RECORD_BYTES.
pub const MAX_RECORD_BYTES: Integer = Integer {
    name: "MAX_RECORD_BYTES",
    default: 65_536,
    min: 64,
    max: 10_485_760,
    meaning: "larger records are rejected as `Oversize`",
    set: Set::UNSET,
};
/// RETRY_MAX_ATTEMPTS.
pub const RETRY_MAX_ATTEMPTS: Integer = Integer {
    name: "RETRY_MAX_ATTEMPTS",
    default: 10,
    min: 1,
    max: 100,
    meaning: "attempts per request, the first one included",
    set: Set::UNSET,
};
/// RETRY_BASE_DELAY_MS.
pub const RETRY_BASE_DELAY_MS: Integer = Integer {
    name: "RETRY_BASE_DELAY_MS",
    default: 50,
    min: 1,
    max: 60_000,
    meaning: "first back-off ceiling in ms; doubles per retry (full jitter); a conflict has its own, `RETRY_CONFLICT_DELAY_MS`",
    set: Set::UNSET,
};
/// RETRY_MAX_DELAY_MS.
pub const RETRY_MAX_DELAY_MS: Integer = Integer {
    name: "RETRY_MAX_DELAY_MS",
    default: 5_000,
    min: 1,
    max: 300_000,
    meaning: "largest back-off ceiling in ms; at least `RETRY_BASE_DELAY_MS`",
    set: Set::UNSET,
};
/// RETRY_CONFLICT_DELAY_MS.
pub const RETRY_CONFLICT_DELAY_MS: Integer = Integer {
    name: "RETRY_CONFLICT_DELAY_MS",
    default: 5,
    min: 1,
    max: 60_000,
    meaning: "first pause ceiling in ms after a transaction conflict (`ConcurrentModificationException`); doubles per conflict of the same write, up to `RETRY_MAX_DELAY_MS` (equal jitter)",
    set: Set::UNSET,
};
/// REQUEST_TIMEOUT_MS.
pub const REQUEST_TIMEOUT_MS: Integer = Integer {
    name: "REQUEST_TIMEOUT_MS",
    default: 30_000,
    min: 100,
    max: 900_000,
    meaning: "timeout of one store request in ms, also cut to the time left",
    set: Set::UNSET,
};
/// DEADLINE_MARGIN_MS.
pub const DEADLINE_MARGIN_MS: Integer = Integer {
    name: "DEADLINE_MARGIN_MS",
    default: 1_000,
    min: 0,
    max: 60_000,
    meaning: "time in ms kept before the invocation deadline to answer Lambda",
    set: Set::UNSET,
};
/// STOP_WAIT_MS.
pub const STOP_WAIT_MS: Integer = Integer {
    name: "STOP_WAIT_MS",
    default: 30_000,
    min: 0,
    max: 900_000,
    meaning: "wait in ms before answering after an error of the environment (see below), cut to the time left",
    set: Set::UNSET,
};
/// AWS_REGION.
pub const AWS_REGION: Text = Text {
    name: "AWS_REGION",
    default: "set by Lambda",
    allowed: "a region name",
    meaning: "region of the SigV4 signatures, required with `IAM_AUTH` or `REJECTED_QUEUE_URL`",
    set: Set {
        stack: Source::Unset,
        local: Source::Deployment,
    },
};
/// AWS_DEFAULT_REGION.
pub const AWS_DEFAULT_REGION: Text = Text {
    name: "AWS_DEFAULT_REGION",
    default: "unset",
    allowed: "a region name",
    meaning: "read when `AWS_REGION` is unset",
    set: Set::UNSET,
};
/// AWS_ACCESS_KEY_ID.
pub const AWS_ACCESS_KEY_ID: Text = Text {
    name: "AWS_ACCESS_KEY_ID",
    default: "set by Lambda",
    allowed: "an access key id",
    meaning: "credentials of the SigV4 signatures (the function role's session), with `AWS_SECRET_ACCESS_KEY`",
    set: Set::UNSET,
};
/// AWS_SECRET_ACCESS_KEY.
pub const AWS_SECRET_ACCESS_KEY: Text = Text {
    name: "AWS_SECRET_ACCESS_KEY",
    default: "set by Lambda",
    allowed: "a secret access key",
    meaning: "see `AWS_ACCESS_KEY_ID`; never logged",
    set: Set::UNSET,
};
/// AWS_SESSION_TOKEN.
pub const AWS_SESSION_TOKEN: Text = Text {
    name: "AWS_SESSION_TOKEN",
    default: "set by Lambda",
    allowed: "a session token",
    meaning: "token of temporary credentials; never logged",
    set: Set::UNSET,
};
/// SSL_CERT_FILE (OpenSSL's name; the AWS SDK reads it too).
pub const SSL_CERT_FILE: Text = Text {
    name: "SSL_CERT_FILE",
    default: "unset",
    allowed: "a PEM file of CA certificates",
    meaning: "CA certificates trusted besides Mozilla's roots (which hold Amazon's, to which Neptune's and SQS's certificates chain), for a TLS proxy or a private CA; read once at init",
    set: Set::UNSET,
};
/// SSL_CERT_DIR (OpenSSL's name; the AWS SDK reads it too).
pub const SSL_CERT_DIR: Text = Text {
    name: "SSL_CERT_DIR",
    default: "unset",
    allowed: "directories of PEM files, `:`-separated",
    meaning: "like `SSL_CERT_FILE`, every certificate in these directories",
    set: Set::UNSET,
};

/// Every variable the writer reads, in the documentation's order.
pub const VARIABLES: &[Variable] = &[
    Variable::Text(&NEPTUNE_ENDPOINT),
    Variable::Integer(&NEPTUNE_PORT),
    Variable::Choice(&QUERY_LANGUAGE),
    Variable::Flag(&CONDITIONAL_CREATE),
    Variable::Choice(&GREMLIN_UPSERT_STYLE),
    Variable::Choice(&GREMLIN_BATCH_FORM),
    Variable::Choice(&RECORD_FORMAT),
    Variable::Text(&MAPPINGS),
    Variable::Flag(&IAM_AUTH),
    Variable::Integer(&BATCH_WRITE_SIZE),
    Variable::Integer(&WRITE_CONCURRENCY),
    Variable::Text(&REJECTED_QUEUE_URL),
    Variable::Text(&REJECTED_RECORDS_FILE),
    Variable::Text(&METRICS_NAMESPACE),
    Variable::Text(&CLUSTER_ID),
    Variable::Integer(&MAX_RECORD_BYTES),
    Variable::Integer(&RETRY_MAX_ATTEMPTS),
    Variable::Integer(&RETRY_BASE_DELAY_MS),
    Variable::Integer(&RETRY_MAX_DELAY_MS),
    Variable::Integer(&RETRY_CONFLICT_DELAY_MS),
    Variable::Integer(&REQUEST_TIMEOUT_MS),
    Variable::Integer(&DEADLINE_MARGIN_MS),
    Variable::Integer(&STOP_WAIT_MS),
    Variable::Text(&AWS_REGION),
    Variable::Text(&AWS_DEFAULT_REGION),
    Variable::Text(&AWS_ACCESS_KEY_ID),
    Variable::Text(&AWS_SECRET_ACCESS_KEY),
    Variable::Text(&AWS_SESSION_TOKEN),
    Variable::Text(&SSL_CERT_FILE),
    Variable::Text(&SSL_CERT_DIR),
];

/// The row of `name`, if the writer reads it.
pub fn variable(name: &str) -> Option<Variable> {
    VARIABLES.iter().copied().find(|v| v.name() == name)
}

impl Variable {
    /// The variable's name.
    pub fn name(&self) -> &'static str {
        match self {
            Variable::Integer(v) => v.name,
            Variable::Flag(v) => v.name,
            Variable::Choice(v) => v.name,
            Variable::Text(v) => v.name,
        }
    }

    /// The default as the documentation shows it.
    pub fn default_text(&self) -> String {
        match self {
            Variable::Integer(v) => format!("`{}`", v.default),
            Variable::Flag(v) => format!("`{}`", v.default),
            Variable::Choice(v) => format!("`{}`", v.choices[0]),
            Variable::Text(v) => v.default.to_owned(),
        }
    }

    /// What is allowed, as the documentation shows it.
    pub fn allowed_text(&self) -> String {
        match self {
            Variable::Integer(v) => format!("{}–{}", v.min, v.max),
            Variable::Flag(_) => "`true`, `false`".to_owned(),
            Variable::Choice(v) => v
                .choices
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            Variable::Text(v) => v.allowed.to_owned(),
        }
    }

    /// Who sets the variable in the stack and in local mode.
    pub fn set(&self) -> Set {
        match self {
            Variable::Integer(v) => v.set,
            Variable::Flag(v) => v.set,
            Variable::Choice(v) => v.set,
            Variable::Text(v) => v.set,
        }
    }

    /// What the variable does.
    pub fn meaning(&self) -> &'static str {
        match self {
            Variable::Integer(v) => v.meaning,
            Variable::Flag(v) => v.meaning,
            Variable::Choice(v) => v.meaning,
            Variable::Text(v) => v.meaning,
        }
    }
}

/// The Environment table of docs/writer.md (Markdown, one row per variable, with a trailing newline).
pub fn markdown_table() -> String {
    let mut table = String::from("| Variable | Default | Allowed | Meaning |\n|---|---|---|---|\n");
    for v in VARIABLES {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            v.name(),
            v.default_text(),
            v.allowed_text(),
            v.meaning()
        ));
    }
    table
}

/// A variable lookup that treats blank values as unset.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Integer {
    /// The value from `get`, or the default; out of range or not a whole number is an error
    /// naming the variable, the value and the range.
    pub fn parse(&self, get: Lookup<'_>) -> Result<u64, Invalid> {
        let Some(value) = get(self.name) else {
            return Ok(self.default);
        };
        match value.trim().parse::<u64>() {
            Ok(n) if (self.min..=self.max).contains(&n) => Ok(n),
            _ => Err(Invalid {
                var: self.name,
                value,
                allowed: format!("an integer from {} to {}", self.min, self.max),
            }),
        }
    }
}

impl Flag {
    /// The value from `get` (`true` or `false`, any case), or the default.
    pub fn parse(&self, get: Lookup<'_>) -> Result<bool, Invalid> {
        let Some(value) = get(self.name) else {
            return Ok(self.default);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(Invalid {
                var: self.name,
                value,
                allowed: "true or false".to_owned(),
            }),
        }
    }
}

impl Choice {
    /// The word from `get` (any case), or the default (the first choice).
    pub fn parse(&self, get: Lookup<'_>) -> Result<&'static str, Invalid> {
        let Some(value) = get(self.name) else {
            return Ok(self.choices[0]);
        };
        let word = value.trim().to_ascii_lowercase();
        self.choices
            .iter()
            .copied()
            .find(|c| *c == word)
            .ok_or_else(|| Invalid {
                var: self.name,
                value,
                allowed: self.allowed(),
            })
    }

    /// The value of type `T` (whose words are this row's choices) from `get`, or the default.
    pub fn parse_as<T: Words>(&self, get: Lookup<'_>) -> Result<T, Invalid> {
        let word = self.parse(get)?;
        T::ALL
            .iter()
            .copied()
            .find(|value| value.word() == word)
            .ok_or_else(|| Invalid {
                var: self.name,
                value: word.to_owned(),
                allowed: T::ALL
                    .iter()
                    .map(|value| value.word())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// "a, b or c".
    fn allowed(&self) -> String {
        match self.choices {
            [] => String::new(),
            [only] => (*only).to_owned(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        }
    }
}

impl Text {
    /// The trimmed value from `get`, if set.
    pub fn get(&self, get: Lookup<'_>) -> Option<String> {
        get(self.name).map(|v| v.trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_upper_snake_case() {
        let mut seen = HashSet::new();
        for v in VARIABLES {
            let name = v.name();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn every_row_is_complete_and_its_default_allowed() {
        for v in VARIABLES {
            assert!(!v.meaning().is_empty(), "{}", v.name());
            assert!(!v.allowed_text().is_empty(), "{}", v.name());
            assert!(!v.default_text().is_empty(), "{}", v.name());
            // A row's cells must not break the Markdown table.
            for cell in [v.default_text(), v.allowed_text(), v.meaning().to_owned()] {
                assert!(!cell.contains('|') && !cell.contains('\n'), "{}", v.name());
            }
            match v {
                Variable::Integer(i) => {
                    assert!(i.min <= i.max, "{}", i.name);
                    assert!((i.min..=i.max).contains(&i.default), "{}", i.name);
                }
                Variable::Choice(c) => {
                    assert!(!c.choices.is_empty(), "{}", c.name);
                    assert!(
                        c.choices.iter().all(|w| *w == w.to_ascii_lowercase()),
                        "{}",
                        c.name
                    );
                }
                Variable::Flag(_) | Variable::Text(_) => {}
            }
        }
    }

    #[test]
    fn unset_and_blank_give_the_default() {
        let none = |_: &str| None;
        assert_eq!(BATCH_WRITE_SIZE.parse(&none), Ok(100));
        assert_eq!(WRITE_CONCURRENCY.parse(&none), Ok(1));
        assert_eq!(IAM_AUTH.parse(&none), Ok(true));
        assert_eq!(QUERY_LANGUAGE.parse(&none), Ok("gremlin"));
        assert_eq!(REJECTED_QUEUE_URL.get(&none), None);
    }

    #[test]
    fn the_range_bounds_are_inclusive() {
        let lookup = |value: &'static str| move |_: &str| Some(value.to_owned());
        assert_eq!(WRITE_CONCURRENCY.parse(&lookup("64")), Ok(64));
        assert_eq!(WRITE_CONCURRENCY.parse(&lookup(" 1 ")), Ok(1));
        assert!(WRITE_CONCURRENCY.parse(&lookup("0")).is_err());
        assert!(WRITE_CONCURRENCY.parse(&lookup("65")).is_err());
        assert_eq!(
            GREMLIN_UPSERT_STYLE.parse(&lookup("COALESCE")),
            Ok("coalesce")
        );
        assert_eq!(IAM_AUTH.parse(&lookup("False")), Ok(false));
    }

    #[test]
    fn a_choice_reads_as_its_type() {
        let lookup = |value: &'static str| move |_: &str| Some(value.to_owned());
        assert_eq!(
            QUERY_LANGUAGE.parse_as(&lookup(" SPARQL ")),
            Ok(QueryLanguage::Sparql)
        );
        assert_eq!(
            GREMLIN_BATCH_FORM.parse_as(&|_: &str| None),
            Ok(GremlinBatchForm::Chained)
        );
        // A row read as a type whose words differ is refused, naming the type's words.
        let err = GREMLIN_BATCH_FORM
            .parse_as::<QueryLanguage>(&lookup("rows"))
            .unwrap_err();
        assert_eq!(err.allowed, "gremlin, sparql, opencypher");
    }

    #[test]
    fn a_choice_lists_its_words() {
        assert_eq!(QUERY_LANGUAGE.allowed(), "gremlin, sparql or opencypher");
        assert_eq!(GREMLIN_UPSERT_STYLE.allowed(), "merge or coalesce");
        assert_eq!(GREMLIN_BATCH_FORM.allowed(), "chained or rows");
    }

    #[test]
    fn the_markdown_table_has_a_row_per_variable() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), VARIABLES.len() + 2);
        assert!(table.contains("| `WRITE_CONCURRENCY` | `1` | 1–64 | ordered lanes"));
        assert!(
            table.contains("| `QUERY_LANGUAGE` | `gremlin` | `gremlin`, `sparql`, `opencypher` |")
        );
    }

    #[test]
    fn the_stack_leaves_the_lambda_set_variables_to_lambda() {
        for v in VARIABLES {
            if let Variable::Text(t) = v
                && t.default == "set by Lambda"
            {
                assert_eq!(
                    t.set.stack,
                    Source::Unset,
                    "the stack must not set {}: Lambda does",
                    t.name
                );
            }
        }
    }

    #[test]
    fn the_variables_set_by_a_parameter_are_those_of_a_deployment_too() {
        // A stack parameter's variable is set in the stack and, at the region's value, in local mode (IAM_AUTH
        // aside: local stores take unsigned requests), so the two run the writer alike.
        for v in VARIABLES {
            if let Source::Parameter(parameter) = v.set().stack
                && v.name() != IAM_AUTH.name
            {
                assert_eq!(v.set().local, Source::Parameter(parameter), "{}", v.name());
            }
        }
        assert_eq!(
            NEPTUNE_ENDPOINT.set,
            Set::BY_DEPLOYMENT,
            "the one required variable"
        );
    }

    #[test]
    fn lookup_by_name() {
        assert_eq!(
            variable("STOP_WAIT_MS").map(|v| v.name()),
            Some("STOP_WAIT_MS")
        );
        assert!(variable("STOP_WAIT").is_none());
    }
}
