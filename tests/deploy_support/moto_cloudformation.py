"""moto_server with behaviours of real CloudFormation (and Neptune) that moto lacks, for the deploy tests.

- A resource that fails to create or update fails the stack as CloudFormation does: a CREATE_FAILED (or
  UPDATE_FAILED) event carrying the resource's error as its reason, then ROLLBACK_COMPLETE (or
  UPDATE_ROLLBACK_COMPLETE), while ExecuteChangeSet itself succeeds. moto instead fails the ExecuteChangeSet call
  and records no resource event.
- A change set lists as modified the resources whose properties refer to a parameter whose value changes, as
  CloudFormation does (moto's change set compares the template alone, so a parameter-only change showed none).
- Executing a change set takes STREAM2NEPTUNE_MOTO_EXECUTE_SECONDS (default 0) after its IN_PROGRESS event, so a
  deploy's progress can be watched while the AWS CLI waits.
- Neptune's DescribeOrderableDBInstanceOptions answers the class asked for, at the engine version asked for, in
  the region's own zones: every zone, or those STREAM2NEPTUNE_MOTO_NEPTUNE_ZONES names for the class
  ({"<region>": {"<class>": ["<zone name>", ...]}}). moto answers every class whatever is asked, with us-east-1's
  zone names in every region and engines up to 1.2.0.2 only.

- A KMS key's Tags are taken in CloudFormation's form (Key, Value); moto's KMS reads only its API's (TagKey,
  TagValue) and fails the key otherwise.

Arguments are moto_server's. What it cannot stand in for: per-resource progress events, real durations,
rollbacks that delete what was created, and which zones Neptune really offers a class in (the test says).
"""

import json
import os
import sys
import time

from moto import server
from moto.cloudformation import models, parsing
from moto.core.responses import PaginatedResult
from moto.ec2.models import ec2_backends
from moto.rds import responses as rds_responses

EXECUTE_SECONDS = float(os.environ.get("STREAM2NEPTUNE_MOTO_EXECUTE_SECONDS", "0"))


class ResourceFailed(Exception):
    """A resource of the stack could not be created or updated."""

    def __init__(self, logical_id, resource_type, reason):
        super().__init__(reason)
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.reason = reason
        self.stack = None


_create = parsing.parse_and_create_resource


def kms_tags_as_moto_reads_them(resource_json):
    """A key's Tags in CloudFormation's form (Key, Value) as moto's KMS reads them (TagKey, TagValue)."""
    properties = resource_json.get("Properties") or {}
    tags = properties.get("Tags")
    if resource_json.get("Type") != "AWS::KMS::Key" or not tags:
        return resource_json
    renamed = [
        {"TagKey": tag["Key"], "TagValue": tag["Value"]} if "Key" in tag else tag for tag in tags
    ]
    return {**resource_json, "Properties": {**properties, "Tags": renamed}}


def parse_and_create_resource(logical_id, resource_json, *args, **kwargs):
    resource_json = kms_tags_as_moto_reads_them(resource_json)
    try:
        return _create(logical_id, resource_json, *args, **kwargs)
    except ResourceFailed:
        raise
    except Exception as error:  # whatever moto's resource raised is the reason CloudFormation reports
        raise ResourceFailed(logical_id, resource_json.get("Type", ""), str(error)) from error


parsing.parse_and_create_resource = parse_and_create_resource

_apply = models.ChangeSet.apply


def apply(self):
    time.sleep(EXECUTE_SECONDS)
    try:
        _apply(self)
    except ResourceFailed as failed:
        failed.stack = self.stack
        failed.change_set_type = self.change_set_type
        raise


models.ChangeSet.apply = apply

_diff = models.ChangeSet.diff


def diff(self):
    resource_map = self.stack.resource_map
    compare = resource_map.build_resource_diff
    # build_change_set_actions asks for the template's diff alone: give it this change set's parameters too.
    resource_map.build_resource_diff = lambda template, parameters=None: compare(template, self.parameters)
    try:
        return _diff(self)
    finally:
        del resource_map.build_resource_diff


models.ChangeSet.diff = diff

_execute = models.CloudFormationBackend.execute_change_set


def event(stack, logical_id, resource_type, status, reason):
    return models.Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id="",
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )


def execute_change_set(self, change_set_name, stack_name=None):
    try:
        _execute(self, change_set_name, stack_name)
    except ResourceFailed as failed:
        stack = failed.stack
        create = failed.change_set_type == "CREATE"
        verb = "create" if create else "update"
        rollback = "ROLLBACK" if create else "UPDATE_ROLLBACK"
        stack.events.append(
            event(stack, failed.logical_id, failed.resource_type, f"{verb.upper()}_FAILED", failed.reason)
        )
        stack.events.append(
            event(
                stack,
                stack.name,
                "AWS::CloudFormation::Stack",
                f"{rollback}_IN_PROGRESS",
                f"The following resource(s) failed to {verb}: [{failed.logical_id}]. Rollback requested by user.",
            )
        )
        stack.events.append(event(stack, stack.name, "AWS::CloudFormation::Stack", f"{rollback}_COMPLETE", None))
        stack.status = f"{rollback}_COMPLETE"


models.CloudFormationBackend.execute_change_set = execute_change_set

NEPTUNE_ZONES = json.loads(os.environ.get("STREAM2NEPTUNE_MOTO_NEPTUNE_ZONES", "{}"))

_orderable = rds_responses.RDSResponse.describe_orderable_db_instance_options


def describe_orderable_db_instance_options(self):
    instance_class = self.params.get("DBInstanceClass")
    if self.params.get("Engine") != "neptune" or not instance_class:
        return _orderable(self)
    zones = NEPTUNE_ZONES.get(self.region, {}).get(instance_class)
    if zones is None:
        region_zones = ec2_backends[self.current_account][self.region].describe_availability_zones()
        zones = [zone.name for zone in region_zones]
    option = {
        "Engine": "neptune",
        "EngineVersion": self.params.get("EngineVersion"),
        "DBInstanceClass": instance_class,
        "LicenseModel": "amazon-license",
        "AvailabilityZones": [{"Name": zone} for zone in zones],
        "Vpc": True,
        "SupportsStorageEncryption": True,
        "SupportsIAMDatabaseAuthentication": True,
    }
    return PaginatedResult({"OrderableDBInstanceOptions": [option]})


rds_responses.RDSResponse.describe_orderable_db_instance_options = describe_orderable_db_instance_options

if __name__ == "__main__":
    server.main(sys.argv[1:])
