"""Executes a notebook top to bottom with nbclient, in its own kernel, and prints the variables it names as JSON.

Usage: execute_notebook.py NOTEBOOK OUT.ipynb VARIABLE... (run with .venv-notebooks/bin/python). The kernel is the
one the notebook's metadata names, found through the Jupyter paths of the environment (HOME, JUPYTER_PATH), so the
kernelspec the lifecycle script registered is the one that runs. The working directory is the notebook's folder,
as in Jupyter. A cell error fails the run (exit status 1, the error printed); the executed notebook is written to
OUT.ipynb either way. On success the last line of stdout is a JSON object of each VARIABLE's value in the kernel.

nbclient mimics ipywidgets' Output widget for the outputs captured inside one: it keeps them in the widget's
state and syncs that state back to the kernel with comm messages on the shell channel. graph-notebook writes
every result inside Output widgets and clears them, and with those syncs (measured with ipykernel 6.29 and
nbclient 0.11) the cell's execute_reply is not seen until the cell timeout runs out: each graph-notebook cell
takes the whole timeout, and a short timeout ends in an interrupt (reported as a timeout or a dead kernel). The
mimic is turned off here, so those outputs land in the cell's own outputs, where they can be read.

After a cell's execute_reply nbclient waits `iopub_timeout` (4 s by default) for the cell's outputs and then, by
default, drops what has not come: on a CI machine busy with other tests the last cell's printed line was lost
that way. The wait here is 60 s, and a timeout fails the run naming the cell instead of dropping its output.
"""

import json
import pathlib
import sys

import nbclient
import nbformat


class Client(nbclient.NotebookClient):
    """nbclient without the Output widget mimic (see above)."""

    def register_output_hook(self, msg_id, hook):
        pass

    def remove_output_hook(self, msg_id, hook):
        pass


def main(argv):
    notebook_path, out_path, *variables = argv
    notebook_path = pathlib.Path(notebook_path).resolve()
    nb = nbformat.read(notebook_path, as_version=4)
    client = Client(
        nb,
        timeout=120,
        startup_timeout=120,
        iopub_timeout=60,
        raise_on_iopub_timeout=True,
        kernel_name=nb.metadata["kernelspec"]["name"],
        resources={"metadata": {"path": str(notebook_path.parent)}},
    )
    failed = None
    with client.setup_kernel():
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            dump = nbformat.v4.new_code_cell(
                "import json as _json\n"
                f"print(_json.dumps({{name: globals()[name] for name in {variables!r}}}, default=str))"
            )
            nb.cells.append(dump)
            client.execute_cell(dump, len(nb.cells) - 1)
        except nbclient.exceptions.CellExecutionError as error:
            failed = error
    nbformat.write(nb, out_path)
    if failed is not None:
        # What each cell printed, for the failure message (graph-notebook prints a magic's errors, not raises).
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                printed = output.get("text") or output.get("data", {}).get("text/plain", "")
                print(f"[cell {index}] {printed}".rstrip(), file=sys.stderr)
        print(failed, file=sys.stderr)
        return 1
    print(nb.cells[-1].outputs[-1]["text"].strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
