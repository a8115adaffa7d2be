"""The same experiment as a Jupyter notebook: the script's sections as Markdown and code cells
(built with nbformat), ending with a cell that trains and one that plots nothing but prints
the last epoch, so it runs top to bottom in any kernel with jax, flax, optax and numpy."""

from __future__ import annotations

import nbformat
from nbformat import v4

from playground.export.script import Section


def notebook(sections: list[Section]) -> str:
    """The notebook's JSON text."""
    header, *rest = sections
    nb = v4.new_notebook()
    nb.cells.append(v4.new_markdown_cell(f"# {header.title}\n\n{header.text}"))
    nb.cells.append(v4.new_code_cell(header.code))
    for s in rest:
        nb.cells.append(v4.new_markdown_cell(f"## {s.title}\n\n{s.text}"))
        nb.cells.append(v4.new_code_cell(s.code.strip()))
    nb.cells.append(
        v4.new_markdown_cell("## Train\n\nEvery epoch's train and test loss; `history` holds them all.")
    )
    nb.cells.append(v4.new_code_cell("history = run(EPOCHS)\nhistory[-1] if history else None"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.validate(nb)
    return nbformat.writes(nb)
