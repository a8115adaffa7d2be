"""Take an experiment home: a standalone JAX script (`script.py`) or notebook (`notebook.py`)
that reproduces the app's training of it."""

from __future__ import annotations

FORMATS = ("py", "ipynb")


def export_text(task, epochs: int, fmt: str, params=None) -> str:
    """The experiment as a script (fmt "py") or a notebook ("ipynb").

    Args:
      task: an MLP task (engine.make_task) or a CNN's (zoo.cnn.task.make_task).
      epochs: the file's default number of epochs.
      params: optional start weights, [{"kernel", "bias"}] per layer (already checked).

    Raises:
      ExportError: an experiment this exporter cannot write, named.
    """
    from playground.core.layers import SEQUENCE_KINDS
    from playground.export import notebook, script

    stacked = not _is_gan(task) and task.arch.stack
    if params is not None and stacked and any(s.kind in SEQUENCE_KINDS for s in task.arch.specs):
        raise script.ExportError("starting weights are written for dense and conv networks only, so far")
    if fmt not in FORMATS:
        raise script.ExportError(f"format is one of {', '.join(FORMATS)}, got {str(fmt)[:20]!r}")
    if _is_gan(task):
        from playground.export import gan

        if params is not None:
            raise script.ExportError("a GAN's script starts from the seed's weights")
        sections = gan.sections(task, epochs)
    else:
        sections = script.sections(task, epochs, params)
    return script.script(sections) if fmt == "py" else notebook.notebook(sections)


def start_weights(task, layers: list) -> list[dict]:
    """Weights in the params format (a list of layers), checked against the task's network, as
    [{"kernel", "bias"}] for each layer that has them.

    Raises:
      ValueError: naming a layer that does not match.
    """
    from playground.core import engine, models, params_format

    if not task.arch.stack:
        return models.params_to_layers(models.layers_to_params(engine.init_state(task).params, layers))
    template = engine.build(task.arch, "glorot", 0)[1]
    loaded = params_format.from_json(task.arch.specs, template, {"layers": layers})
    doc = params_format.to_json(task.arch.specs, task.arch.in_shape, loaded)["layers"]
    return [{"kernel": la["kernel"], "bias": la["bias"]} for la in doc if "kernel" in la]


def check(task) -> None:
    """Raises ExportError (naming why) for an experiment the exporter cannot write; cheap."""
    from playground.export import script

    if not _is_gan(task):
        script.check(task)


def _is_gan(task) -> bool:
    return hasattr(task, "fixed_noise")
