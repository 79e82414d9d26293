"""Runs every code cell of the given notebooks as IPython would, with the magics recorded instead of run, and prints
each magic call as one JSON line: {"notebook", "kind" ("line" or "cell"), "magic", "line", "cell"}.

Usage: notebook_requests.py QUERY_LANGUAGE NOTEBOOK... (run with .venv-notebooks/bin/python). Each cell goes
through IPython's own input transformer, so `%%gremlin` cells, `%load` lines and explicit
`get_ipython().run_cell_magic(...)` / `run_line_magic(...)` calls all arrive as the same calls, with the values
the cell's Python computes (a magic name chosen from the stack's query language included). stream2neptune_settings
is replaced by settings whose QUERY_LANGUAGE is the one given; a magic's `--store-to` variable gets a stand-in
result that answers any item or attribute. A cell that raises fails the run (exit status 1), so no call is missed.
"""

import contextlib
import json
import pathlib
import sys
import types

from IPython.core.inputtransformer2 import TransformerManager


class Result:
    """A stored magic result: any item or attribute is another one; it equals everything."""

    def __getitem__(self, key):
        return Result()

    def __getattr__(self, name):
        return Result()

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __str__(self):
        return "result"


class Shell:
    """Records the magics a cell runs."""

    def __init__(self, notebook, namespace, calls):
        self.notebook = notebook
        self.namespace = namespace
        self.calls = calls

    def _record(self, kind, magic, line, cell):
        self.calls.append(
            {"notebook": self.notebook, "kind": kind, "magic": magic, "line": line, "cell": cell}
        )
        words = line.split()
        if "--store-to" in words:
            self.namespace[words[words.index("--store-to") + 1]] = Result()

    def run_line_magic(self, magic, line, _stack_depth=1):
        self._record("line", magic, line, None)

    def run_cell_magic(self, magic, line, cell):
        self._record("cell", magic, line, cell)


def settings_module(language):
    module = types.ModuleType("stream2neptune_settings")

    class Settings(dict):
        def __missing__(self, name):
            return f"stand-in-{name.lower()}"

    module.read = lambda *args, **kwargs: Settings(QUERY_LANGUAGE=language)
    module.connect = lambda *args, **kwargs: None
    return module


def main(argv):
    language, *notebooks = argv
    sys.modules["stream2neptune_settings"] = settings_module(language)
    transform = TransformerManager().transform_cell
    calls = []
    for path in notebooks:
        name = pathlib.Path(path).name
        notebook = json.loads(pathlib.Path(path).read_text())
        namespace = {}
        shell = Shell(name, namespace, calls)
        namespace["get_ipython"] = lambda: shell
        for index, cell in enumerate(notebook["cells"]):
            if cell["cell_type"] != "code":
                continue
            source = cell["source"]
            source = "".join(source) if isinstance(source, list) else source
            try:
                # What the cell prints is not a call: it goes to stderr.
                with contextlib.redirect_stdout(sys.stderr):
                    exec(compile(transform(source), f"{name}[{index}]", "exec"), namespace)
            except Exception as error:  # noqa: BLE001 - any error means a call may be missed
                print(f"{name} cell {index} raised {error!r}:\n{source}", file=sys.stderr)
                return 1
    for call in calls:
        print(json.dumps(call))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
