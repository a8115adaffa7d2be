"""Take an experiment home: a standalone JAX script (`script.py`) or notebook (`notebook.py`)
that reproduces the app's training of it."""

from __future__ import annotations

FORMATS = ("py", "ipynb")


def export_text(task, epochs: int, fmt: str, params=None) -> str:
    """The experiment as a script (fmt "py") or a notebook ("ipynb").

    Args:
      task: an MLP task (engine.make_task).
      epochs: the file's default number of epochs.
      params: optional start weights, [{"kernel", "bias"}] per layer (already checked).

    Raises:
      ExportError: an experiment this exporter cannot write, named.
    """
    from playground.export import notebook, script

    if fmt not in FORMATS:
        raise script.ExportError(f"format is one of {', '.join(FORMATS)}, got {str(fmt)[:20]!r}")
    sections = script.mlp_sections(task, epochs, params)
    return script.script(sections) if fmt == "py" else notebook.notebook(sections)
