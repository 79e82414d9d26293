"""The stack's settings for the notebooks.

The notebook instance's lifecycle script writes them at every start to ``stack.env`` (NAME=value lines) next to
these notebooks, in ``~/SageMaker/stream2neptune/``; a terminal can ``source`` the same file. ``connect`` points
graph-notebook at one of the stack's Neptune endpoints with them.
"""

import json
import pathlib

from IPython import get_ipython

#: The settings file, relative to the notebooks' folder (a notebook's working directory).
SETTINGS_FILE = "stack.env"

#: Every name the lifecycle script writes (templates/partials/notebook.yaml.j2).
NAMES = (
    "NEPTUNE_ENDPOINT",
    "NEPTUNE_READER_ENDPOINT",
    "NEPTUNE_PORT",
    "NEPTUNE_TLS",
    "IAM_AUTH",
    "QUERY_LANGUAGE",
    "AWS_REGION",
    "STREAM_NAME",
    "LOADER_ROLE_ARN",
    "VERTEX_FILE_S3_LOCATION",
)


def read(path=SETTINGS_FILE):
    """The settings as a dict; a missing file, a malformed line or a missing name is an error saying what to do."""
    path = pathlib.Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path.resolve()} not found: the notebook instance's lifecycle script writes it at start; "
            "open this notebook from ~/SageMaker/stream2neptune/ or restart the instance"
        ) from None
    settings = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals:
            raise ValueError(f"{path}:{number}: expected NAME=value, got {line!r}")
        settings[name] = value
    missing = [name for name in NAMES if name not in settings]
    if missing:
        raise KeyError(f"{path} lacks {', '.join(missing)}: restart the notebook instance to rewrite it")
    return settings


def connect(settings, endpoint="writer"):
    """Configures graph-notebook (``%load_ext graph_notebook.magics`` first) for the writer or reader endpoint.

    The bulk loader answers on the writer (cluster) endpoint only; read replicas refuse loader requests. The
    stack's endpoint is a Neptune endpoint whatever its name (a proxy or a custom DNS name too), so it is added
    to graph-notebook's Neptune host list: IAM signing and the loader magics apply to it.
    """
    if endpoint not in ("writer", "reader"):
        raise ValueError(f"endpoint is {endpoint!r}; expected 'writer' or 'reader'")
    host = settings["NEPTUNE_ENDPOINT" if endpoint == "writer" else "NEPTUNE_READER_ENDPOINT"]
    config = {
        "host": host,
        "port": int(settings["NEPTUNE_PORT"]),
        "ssl": settings["NEPTUNE_TLS"] == "true",
        "auth_mode": "IAM" if settings["IAM_AUTH"] == "true" else "DEFAULT",
        "aws_region": settings["AWS_REGION"],
        "load_from_s3_arn": settings["LOADER_ROLE_ARN"],
        "neptune_service": "neptune-db",
        "sparql": {"path": "sparql"},
    }
    shell = get_ipython()
    shell.run_cell_magic("neptune_config_allowlist", "add", host)
    shell.run_cell_magic("graph_notebook_config", "", json.dumps(config))
    return config
