//! The two Availability Zones of a new cluster's private subnets (`AvailabilityZoneId1` and `AvailabilityZoneId2`),
//! chosen by AZ ID among the zones that offer every instance class the stack places in each subnet.
//!
//! AZ names map to different physical zones in each account, and not every zone offers every class, so the
//! template's fallback (the region's first two zones by name) can fail with "not supported in the requested
//! Availability Zone". A new stack gets the first zones, in name order, that offer what [`PLACED`] puts there: EC2
//! says which zone IDs offer the driver's type (`describe-instance-type-offerings`), Neptune which zone names offer
//! the class at the engine version (`describe-orderable-db-instance-options`), mapped to IDs with
//! `describe-availability-zones`. SageMaker lists no notebook instance types per zone, so the notebook's is not
//! checked. A deployed stack keeps its zones: moving a subnet replaces it, and the Neptune instances in it.

use std::collections::BTreeSet;

use serde::Deserialize;
use stream2neptune_plan::{Name, Origin, Plan};

use super::aws::{Aws, Call};
use super::error::{Error, Result};
use super::stack::{self, Lookup};

/// One of the two private subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subnet {
    /// `PrivateSubnet1`, in `AvailabilityZoneId1`.
    First,
    /// `PrivateSubnet2`, in `AvailabilityZoneId2`.
    Second,
}

/// Where AWS says which zones offer a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Neptune's `describe-orderable-db-instance-options` (zone names, at the cluster's engine version).
    Neptune,
    /// EC2's `describe-instance-type-offerings` by AZ ID.
    Ec2,
    /// No API lists it per zone: not checked.
    Unlisted,
}

/// An instance the stack places in a private subnet: the parameter naming its class, what it is, the subnets it
/// is in and where its offerings are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// The parameter holding its class.
    pub parameter: Name,
    /// What it is, in words.
    pub what: &'static str,
    /// The subnets it is in.
    pub subnets: &'static [Subnet],
    /// Where its offerings are listed.
    pub source: Source,
}

/// What the new-cluster stack places in its private subnets (templates/partials: the Neptune instances take their
/// subnet's zone, the notebook and the driver sit in the first subnet; a test reads the templates). The writer
/// function runs in both, on Lambda, which every zone offers.
pub static PLACED: &[Placed] = &[
    Placed {
        parameter: Name::DbInstanceType,
        what: "the Neptune writer and read replica",
        subnets: &[Subnet::First, Subnet::Second],
        source: Source::Neptune,
    },
    Placed {
        parameter: Name::EC2ClientInstanceType,
        what: "the EC2 driver",
        subnets: &[Subnet::First],
        source: Source::Ec2,
    },
    Placed {
        parameter: Name::NotebookInstanceType,
        what: "the SageMaker notebook",
        subnets: &[Subnet::First],
        source: Source::Unlisted,
    },
];

/// An Availability Zone of the region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Zone {
    /// Its name in this account, e.g. `us-east-1a`.
    pub name: String,
    /// Its id, the same in every account, e.g. `use1-az4`.
    pub id: String,
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.id, self.name)
    }
}

/// A class and the zone IDs that offer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    /// The placed instance.
    pub placed: &'static Placed,
    /// Its class, e.g. `db.r6g.large`.
    pub class: String,
    /// The IDs of the zones offering it.
    pub zone_ids: BTreeSet<String>,
}

/// Why no two zones will do, for [`Error::NoZones`]: each checked class and where it is offered.
fn offered_where(zones: &[Zone], offered: &[Offered]) -> String {
    offered
        .iter()
        .map(|o| {
            let at: Vec<String> = zones
                .iter()
                .filter(|z| o.zone_ids.contains(&z.id))
                .map(Zone::to_string)
                .collect();
            let at = if at.is_empty() {
                "no zone".to_owned()
            } else {
                at.join(", ")
            };
            format!(
                "{} {} ({}, {}): {at}",
                o.parameter_name(),
                o.class,
                o.placed.what,
                subnets_in_words(o.placed.subnets)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn subnets_in_words(subnets: &[Subnet]) -> &'static str {
    match subnets {
        [Subnet::First] => "needed in the first zone",
        [Subnet::Second] => "needed in the second zone",
        _ => "needed in both zones",
    }
}

impl Offered {
    fn parameter_name(&self) -> &'static str {
        self.placed.parameter.as_str()
    }

    fn needed_in(&self, subnet: Subnet) -> bool {
        self.placed.subnets.contains(&subnet)
    }
}

/// Whether `zone` offers every class placed in `subnet`.
fn fits(zone: &Zone, subnet: Subnet, offered: &[Offered]) -> bool {
    offered
        .iter()
        .filter(|o| o.needed_in(subnet))
        .all(|o| o.zone_ids.contains(&zone.id))
}

/// The first pair of different zones, in `zones`' order, whose first offers every class placed in the first subnet
/// and whose second every class placed in the second; `None` when no pair does.
pub fn choose(zones: &[Zone], offered: &[Offered]) -> Option<[Zone; 2]> {
    zones
        .iter()
        .filter(|first| fits(first, Subnet::First, offered))
        .find_map(|first| {
            zones
                .iter()
                .find(|second| second.id != first.id && fits(second, Subnet::Second, offered))
                .map(|second| [first.clone(), second.clone()])
        })
}

/// The classes [`PLACED`] in `subnet` that `zone_id` does not offer.
pub fn missing_in(zone_id: &str, subnet: Subnet, offered: &[Offered]) -> Vec<String> {
    offered
        .iter()
        .filter(|o| o.needed_in(subnet) && !o.zone_ids.contains(zone_id))
        .map(|o| format!("{} {}", o.parameter_name(), o.class))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Zones {
    availability_zones: Vec<DescribedZone>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribedZone {
    zone_name: String,
    zone_id: String,
    state: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Offerings {
    instance_type_offerings: Vec<Offering>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Offering {
    location: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Orderable {
    orderable_d_b_instance_options: Vec<OrderableOption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OrderableOption {
    #[serde(default)]
    availability_zones: Vec<NamedZone>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NamedZone {
    name: String,
}

/// The region's available zones, sorted by name (the order `Fn::GetAZs` lists them in); `None` in a dry run.
fn zones(aws: &mut Aws<'_>, region: &str) -> Result<Option<Vec<Zone>>> {
    let call = Call::new("ec2", "describe-availability-zones", region)
        .arg("--filters", "Name=zone-type,Values=availability-zone");
    Ok(aws.read_into::<Zones>(&call)?.map(|answer| {
        let mut zones: Vec<Zone> = answer
            .availability_zones
            .into_iter()
            .filter(|z| z.state == "available")
            .map(|z| Zone {
                name: z.zone_name,
                id: z.zone_id,
            })
            .collect();
        zones.sort();
        zones
    }))
}

/// The IDs of the zones offering `placed`'s `class`, from its [`Source`]; `None` in a dry run or for a class no
/// API lists.
fn offering(
    aws: &mut Aws<'_>,
    plan: &Plan,
    placed: &Placed,
    class: &str,
    zones: Option<&[Zone]>,
) -> Result<Option<BTreeSet<String>>> {
    let region = plan.region.as_str();
    match placed.source {
        Source::Ec2 => {
            let call = Call::new("ec2", "describe-instance-type-offerings", region)
                .arg("--location-type", "availability-zone-id")
                .arg("--filters", format!("Name=instance-type,Values={class}"));
            Ok(aws.read_into::<Offerings>(&call)?.map(|answer| {
                answer
                    .instance_type_offerings
                    .into_iter()
                    .map(|o| o.location)
                    .collect()
            }))
        }
        Source::Neptune => {
            let call = Call::new("neptune", "describe-orderable-db-instance-options", region)
                .arg("--engine", "neptune")
                .arg(
                    "--engine-version",
                    plan.get(Name::NeptuneEngineVersion).value.to_string(),
                )
                .arg("--db-instance-class", class);
            let Some(answer) = aws.read_into::<Orderable>(&call)? else {
                return Ok(None);
            };
            let names: BTreeSet<String> = answer
                .orderable_d_b_instance_options
                .into_iter()
                .flat_map(|o| o.availability_zones)
                .map(|z| z.name)
                .collect();
            Ok(Some(
                zones
                    .unwrap_or_default()
                    .iter()
                    .filter(|z| names.contains(&z.name))
                    .map(|z| z.id.clone())
                    .collect(),
            ))
        }
        Source::Unlisted => Ok(None),
    }
}

/// Sets `plan`'s `AvailabilityZoneId1` and `AvailabilityZoneId2` for the stack `stack` (new-cluster mode only):
/// a deployed stack's own; else the IDs given in the config, checked; else the first pair that offers every
/// class [`PLACED`]. A dry run prints the commands and leaves the plan as it is.
pub fn place(aws: &mut Aws<'_>, plan: &mut Plan, stack: &str) -> Result<()> {
    let region = plan.region.clone();
    let given = [Name::AvailabilityZoneId1, Name::AvailabilityZoneId2]
        .map(|name| plan.get(name))
        .map(|p| (p.origin != Origin::BuiltIn).then(|| p.value.to_string()));
    aws.note(
        "availability zones: a deployed stack keeps its subnets' zones; a new one gets, by AZ ID, zones that offer each class placed in its private subnets",
    )?;
    // A stack in REVIEW_IN_PROGRESS was never created (a CREATE change set not executed): it has no subnets yet.
    if let Lookup::Found(info) = stack::describe(aws, stack, &region)?
        && info.status != "REVIEW_IN_PROGRESS"
    {
        let deployed = [Name::AvailabilityZoneId1, Name::AvailabilityZoneId2].map(|name| {
            info.parameters
                .get(name.as_str())
                .cloned()
                .unwrap_or_default()
        });
        if let [Some(first), Some(second)] = &given
            && [first, second] != [&deployed[0], &deployed[1]]
        {
            return Err(Error::ZonesOfDeployedStack {
                stack: stack.to_owned(),
                region,
                deployed: in_words(&deployed),
                given: in_words(&[first.clone(), second.clone()]),
            });
        }
        aws.note(format!(
            "stack {stack} exists: its subnets stay in {} (moving a subnet replaces it and the Neptune instance in it)",
            in_words(&deployed)
        ))?;
        return Ok(plan
            .set_availability_zones([&deployed[0], &deployed[1]])
            .map_err(crate::error::Error::from)?);
    }
    let zones = zones(aws, &region)?;
    let mut offered = Vec::new();
    for placed in PLACED {
        let class = plan.get(placed.parameter).value.to_string();
        match offering(aws, plan, placed, &class, zones.as_deref())? {
            Some(zone_ids) => offered.push(Offered {
                placed,
                class,
                zone_ids,
            }),
            None if placed.source == Source::Unlisted => aws.note(format!(
                "{} {class} ({}) is not checked: SageMaker lists no instance types per Availability Zone",
                placed.parameter, placed.what
            ))?,
            None => {}
        }
    }
    let Some(zones) = zones else {
        return aws.note(if given.iter().all(Option::is_some) {
            "a real run checks that the configured AvailabilityZoneId1 and AvailabilityZoneId2 offer these"
        } else {
            "a real run sets AvailabilityZoneId1 and AvailabilityZoneId2 to the first two zones, by name, that offer these (the first what the first subnet holds, the second the Neptune class)"
        });
    };
    if let [Some(first), Some(second)] = given {
        let missing: Vec<String> = [
            (first.as_str(), Subnet::First),
            (second.as_str(), Subnet::Second),
        ]
        .into_iter()
        .filter(|(id, _)| !id.is_empty())
        .flat_map(|(id, subnet)| {
            if !zones.iter().any(|zone| zone.id == id) {
                return vec![format!("{id} is not an available zone of {region}")];
            }
            missing_in(id, subnet, &offered)
                .into_iter()
                .map(|class| format!("{id} does not offer {class}"))
                .collect()
        })
        .collect();
        if !missing.is_empty() {
            return Err(Error::ZonesNotOffering {
                region,
                missing: missing.join("; "),
                offered: offered_where(&zones, &offered),
            });
        }
        return aws.note(format!(
            "AvailabilityZoneId1 and AvailabilityZoneId2 as configured: {}",
            in_words(&[first, second])
        ));
    }
    let Some([first, second]) = choose(&zones, &offered) else {
        return Err(Error::NoZones {
            region,
            offered: offered_where(&zones, &offered),
        });
    };
    aws.note(format!(
        "chosen: AvailabilityZoneId1={} and AvailabilityZoneId2={}",
        first, second
    ))?;
    Ok(plan
        .set_availability_zones([&first.id, &second.id])
        .map_err(crate::error::Error::from)?)
}

/// Two AZ ID values in words; empty ones are the template's fallback.
fn in_words(ids: &[String; 2]) -> String {
    if ids.iter().all(String::is_empty) {
        "the region's first two zones by name (AvailabilityZoneId1 and AvailabilityZoneId2 empty)"
            .to_owned()
    } else {
        format!("{} and {}", ids[0], ids[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones(ids: &[&str]) -> Vec<Zone> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| Zone {
                name: format!("xx-test-1{}", (b'a' + i as u8) as char),
                id: (*id).to_owned(),
            })
            .collect()
    }

    fn offered(placed: usize, class: &str, ids: &[&str]) -> Offered {
        Offered {
            placed: &PLACED[placed],
            class: class.to_owned(),
            zone_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    fn ids(pair: Option<[Zone; 2]>) -> Option<[String; 2]> {
        pair.map(|[a, b]| [a.id, b.id])
    }

    #[test]
    fn each_subnet_gets_the_first_zone_by_name_that_offers_what_it_holds() {
        let zones = zones(&["x-az1", "x-az2", "x-az3"]);
        let pair = |o: &[Offered]| ids(choose(&zones, o));
        // (Neptune class zones, driver type zones, expected pair): every row is a case the first two zones by name
        // would get wrong, or the plain case that keeps them.
        type Row<'r> = (&'r [&'r str], &'r [&'r str], Option<[&'r str; 2]>);
        let rows: &[Row] = &[
            // everything everywhere: the first two by name, as the template's fallback
            (
                &["x-az1", "x-az2", "x-az3"],
                &["x-az1", "x-az2", "x-az3"],
                Some(["x-az1", "x-az2"]),
            ),
            // Neptune not in the first: the writer moves to the second, the replica to the third
            (
                &["x-az2", "x-az3"],
                &["x-az1", "x-az2", "x-az3"],
                Some(["x-az2", "x-az3"]),
            ),
            // Neptune not in the second: the replica skips it
            (
                &["x-az1", "x-az3"],
                &["x-az1", "x-az2", "x-az3"],
                Some(["x-az1", "x-az3"]),
            ),
            // the driver only where Neptune is not, but one zone has both: that is the first, the replica another
            (
                &["x-az2", "x-az3"],
                &["x-az1", "x-az3"],
                Some(["x-az3", "x-az2"]),
            ),
            // the driver is needed in the first zone only: its absence from the second does not matter
            (&["x-az1", "x-az2"], &["x-az1"], Some(["x-az1", "x-az2"])),
            // Neptune in one zone only: no pair
            (&["x-az2"], &["x-az1", "x-az2", "x-az3"], None),
            // the driver nowhere Neptune is
            (&["x-az1", "x-az2"], &["x-az3"], None),
        ];
        for (neptune, driver, expected) in rows {
            let offered = [
                offered(0, "db.r6g.large", neptune),
                offered(1, "m6i.large", driver),
            ];
            assert_eq!(
                pair(&offered),
                expected.map(|ids| ids.map(str::to_owned)),
                "neptune {neptune:?}, driver {driver:?}"
            );
        }
    }

    #[test]
    fn the_reason_names_each_class_and_where_it_is_offered() {
        let zones = zones(&["x-az1", "x-az2"]);
        let offered = [
            offered(0, "db.r6g.large", &["x-az2"]),
            offered(1, "m6i.large", &[]),
        ];
        assert_eq!(
            offered_where(&zones, &offered),
            "DbInstanceType db.r6g.large (the Neptune writer and read replica, needed in both zones): x-az2 (xx-test-1b); EC2ClientInstanceType m6i.large (the EC2 driver, needed in the first zone): no zone"
        );
        assert_eq!(
            missing_in("x-az1", Subnet::First, &offered),
            [
                "DbInstanceType db.r6g.large",
                "EC2ClientInstanceType m6i.large"
            ]
        );
        assert!(missing_in("x-az2", Subnet::Second, &offered).is_empty());
    }

    #[test]
    fn the_table_is_where_the_templates_place_each_instance() {
        let read = |file: &str| {
            std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("templates/partials")
                    .join(file),
            )
            .unwrap()
        };
        // the Neptune instances are in their subnets' zones, the writer the first, the replica the second
        let neptune = read("neptune.yaml.j2");
        for subnet in ["PrivateSubnet1", "PrivateSubnet2"] {
            assert!(
                neptune.contains(&format!(
                    "AvailabilityZone: !GetAtt {subnet}.AvailabilityZone"
                )),
                "{subnet}"
            );
        }
        assert_eq!(
            PLACED[0].subnets,
            [Subnet::First, Subnet::Second],
            "{:?}",
            PLACED[0]
        );
        // the notebook and the driver are in the first subnet
        for (file, placed) in [
            ("notebook.yaml.j2", &PLACED[2]),
            ("driver.yaml.j2", &PLACED[1]),
        ] {
            assert!(
                read(file).contains("SubnetId: {{ first_subnet }}"),
                "{file}"
            );
            assert_eq!(placed.subnets, [Subnet::First], "{file}");
        }
        assert_eq!(PLACED[1].parameter, Name::EC2ClientInstanceType);
        assert_eq!(PLACED[2].parameter, Name::NotebookInstanceType);
    }
}
