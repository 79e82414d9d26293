//! What each part of the stack calls over the network from inside the VPC: the endpoints an existing cluster's
//! subnets must reach (`UseExistingCluster=true`), through a NAT gateway, VPC endpoints or a proxy. A new-cluster
//! stack provides them itself (a NAT gateway and an S3 gateway endpoint).
//!
//! Calls that AWS services make for a part (the event source mapping reading the stream, Lambda's logs, the
//! on-failure destination, KMS on behalf of Kinesis and SQS) leave from the service, not from the subnets, and are
//! not listed. tests/iam.rs checks the table against every request the parts make; the table in docs/stack.md is
//! generated from it (`make doc-tables`).

/// A part of the stack that runs in the subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// The writer function (Lambda in the VPC).
    Writer,
    /// The SageMaker notebook instance.
    Notebook,
    /// The EC2 workload driver.
    Driver,
    /// The Neptune cluster itself (its bulk loader).
    Cluster,
}

impl Part {
    /// The part's name in docs/stack.md and in test messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Part::Writer => "writer function",
            Part::Notebook => "notebook",
            Part::Driver => "workload driver",
            Part::Cluster => "Neptune cluster",
        }
    }
}

/// One endpoint a part calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The part that calls it.
    pub part: Part,
    /// The host names, as Markdown (`REGION` stands for the stack's region), and the port when not 443.
    pub host: &'static str,
    /// The IAM service prefix of the calls made to it (`sqs`, `neptune-db`), or `None` for a service that takes no
    /// IAM-authorized call (a package index).
    pub iam_service: Option<&'static str>,
    /// How the subnets can reach it besides a NAT gateway.
    pub private_route: &'static str,
    /// What the part sends there.
    pub why: &'static str,
}

/// The cluster's own endpoint, as the parts reach it.
const CLUSTER: &str = "ExistingClusterEndpoint and ExistingClusterReaderEndpoint, port ExistingClusterPort (TLS only)";
/// An interface endpoint's route.
const INTERFACE: &str = "interface VPC endpoint";
/// S3's route.
const S3_GATEWAY: &str = "S3 gateway endpoint";

/// Every endpoint each part calls, by part.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        part: Part::Writer,
        host: CLUSTER,
        iam_service: Some("neptune-db"),
        private_route: "the cluster's VPC (ExistingSecurityGroupId)",
        why: "the batch writes, signed with SigV4 when IamAuth=true",
    },
    Endpoint {
        part: Part::Writer,
        host: "`sqs.REGION.amazonaws.com`",
        iam_service: Some("sqs"),
        private_route: INTERFACE,
        why: "the rejects sink: SendMessage to RejectedQueue",
    },
    Endpoint {
        part: Part::Notebook,
        host: CLUSTER,
        iam_service: Some("neptune-db"),
        private_route: "the cluster's VPC (ExistingSecurityGroupId)",
        why: "the notebooks' queries and their bulk load (graph-notebook)",
    },
    Endpoint {
        part: Part::Notebook,
        host: "`s3.REGION.amazonaws.com`",
        iam_service: Some("s3"),
        private_route: S3_GATEWAY,
        why: "the lifecycle script copies the stack's notebooks (aws s3 sync)",
    },
    Endpoint {
        part: Part::Notebook,
        host: "`pypi.org`, `files.pythonhosted.org`",
        iam_service: None,
        private_route: "none (a NAT gateway or a PyPI mirror)",
        why: "graph-notebook's install at the first start",
    },
    Endpoint {
        part: Part::Notebook,
        host: "`api.sagemaker.REGION.amazonaws.com`, `runtime.sagemaker.REGION.amazonaws.com`",
        iam_service: None,
        private_route: INTERFACE,
        why: "SageMaker training, endpoints and the SageMaker Python SDK from a notebook (DirectInternetAccess is Disabled); the stack's own notebooks make no such call",
    },
    Endpoint {
        part: Part::Driver,
        host: "`kinesis.REGION.amazonaws.com`",
        iam_service: Some("kinesis"),
        private_route: INTERFACE,
        why: "PutRecords and ListShards (`stream2neptune drive`)",
    },
    Endpoint {
        part: Part::Driver,
        host: "`s3.REGION.amazonaws.com`",
        iam_service: Some("s3"),
        private_route: S3_GATEWAY,
        why: "the driver's code and the edge file (aws s3 cp), and Amazon Linux's package repositories (dnf), which S3 serves",
    },
    Endpoint {
        part: Part::Driver,
        host: "`cloudformation.REGION.amazonaws.com`",
        iam_service: Some("cloudformation"),
        private_route: INTERFACE,
        why: "cfn-signal at the end of the first boot; without it the stack fails after the 15-minute CreationPolicy",
    },
    Endpoint {
        part: Part::Driver,
        host: "`ssm.REGION.amazonaws.com`",
        iam_service: Some("ssm"),
        private_route: INTERFACE,
        why: "Session Manager's agent (AmazonSSMManagedInstanceCore), which runs the DriverCommand",
    },
    Endpoint {
        part: Part::Driver,
        host: "`ssmmessages.REGION.amazonaws.com`",
        iam_service: Some("ssmmessages"),
        private_route: INTERFACE,
        why: "Session Manager's session channel",
    },
    Endpoint {
        part: Part::Driver,
        host: "`ec2messages.REGION.amazonaws.com`",
        iam_service: Some("ec2messages"),
        private_route: INTERFACE,
        why: "Session Manager's agent messages",
    },
    Endpoint {
        part: Part::Cluster,
        host: "`s3.REGION.amazonaws.com`",
        iam_service: Some("s3"),
        private_route: S3_GATEWAY,
        why: "the bulk loader reads the vertex file (NeptuneLoaderRole, or the existing cluster's own loader role)",
    },
];

/// The endpoints `part` calls.
pub fn of(part: Part) -> impl Iterator<Item = &'static Endpoint> {
    ENDPOINTS.iter().filter(move |e| e.part == part)
}

/// The table of docs/stack.md: one row per endpoint, in table order.
pub fn markdown_table() -> String {
    let mut table =
        String::from("| part | endpoint | private route | what it is for |\n|---|---|---|---|\n");
    for e in ENDPOINTS {
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            e.part.as_str(),
            e.host,
            e.private_route,
            e.why
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_has_endpoints_and_no_row_is_listed_twice() {
        for part in [Part::Writer, Part::Notebook, Part::Driver, Part::Cluster] {
            assert!(of(part).next().is_some(), "{part:?} lists no endpoint");
        }
        for (i, a) in ENDPOINTS.iter().enumerate() {
            for b in &ENDPOINTS[i + 1..] {
                assert!(
                    !(a.part == b.part && a.host == b.host),
                    "{} lists {} twice",
                    a.part.as_str(),
                    a.host
                );
            }
        }
    }

    #[test]
    fn the_table_has_a_row_per_endpoint() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), ENDPOINTS.len() + 2);
        assert!(table.contains("| workload driver | `ssmmessages.REGION.amazonaws.com` |"));
    }
}
