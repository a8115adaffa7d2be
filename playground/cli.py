"""Command line: `python -m playground train|trace|bench ...`."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from playground.core.config import Config, ConfigError, from_dict, from_json, set_items
from playground.data.points import DataError


class CliError(Exception):
    """A user mistake: printed as one line, exit status 2."""


def _read(path: str, what: str, binary: bool = False):
    try:
        with open(path, "rb" if binary else "r", encoding=None if binary else "utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise CliError(f"cannot read {what} {path!r}: {e}") from None


NETS = ("mlp", "cnn", "rnn", "lstm", "gru", "transformer", "autoencoder", "vae", "gan")
SEQUENCE_NETS = ("rnn", "lstm", "gru", "transformer")


def config_class(net: str):
    if net == "cnn":
        from playground.zoo.cnn.config import CnnConfig

        return CnnConfig
    if net in SEQUENCE_NETS:
        from playground.zoo.sequence.config import SeqConfig

        return SeqConfig
    if net in ("autoencoder", "vae"):  # vae: the autoencoder with variant=vae
        from playground.zoo.autoencoder.config import AeConfig

        return AeConfig
    if net == "gan":
        from playground.zoo.gan.config import GanConfig

        return GanConfig
    return Config


def load_config(args):
    net = getattr(args, "net", "mlp")
    cls = config_class(net)
    config = from_json(_read(args.config, "config file"), cls) if args.config else cls()
    config = set_items(args.set or [], config)
    if net in SEQUENCE_NETS and config.net != net:
        config = config.replace(net=net)  # --net names the network; a config file's "net" yields to it
    if net == "vae" and config.variant != "vae":
        config = config.replace(variant="vae")
    return config


def load_params_json(path: str) -> list:
    try:
        doc = json.loads(_read(path, "params file"))
    except (json.JSONDecodeError, RecursionError) as e:
        raise CliError(f"params file {path!r} is not valid JSON: {e}") from None
    if isinstance(doc, dict) and "params" in doc:  # a whole `train --out` file
        doc = doc["params"]
    if (
        isinstance(doc, dict)
        and isinstance(doc.get("encoder"), list)
        and isinstance(doc.get("decoder"), list)
    ):
        return [*doc["encoder"], *doc["decoder"]]  # an autoencoder's halves, in order
    if not isinstance(doc, dict) or not isinstance(doc.get("layers"), list):
        raise CliError(f'params file {path!r} must hold {{"layers": [{{"type": ..., ...}}, ...]}}')
    return doc["layers"]


def final_outputs(task, params) -> list:
    """The network's outputs after its output activation, one row per test input."""
    from playground.core import engine
    from playground.core.activations import OUTPUT_ACTIVATIONS

    z = engine._forward(task.arch, engine.graph_of(task.arch), params, task.x_test)
    return np.asarray(OUTPUT_ACTIVATIONS[task.arch.output_activation].fn(z), dtype=float).tolist()


def export(task, state, history, stop_reason) -> dict:
    """The documented `--out` object: config, data, params, history, stop_reason, outputs."""
    from playground.core import models

    def rows(a):
        return np.asarray(a, dtype=float).tolist()

    names = [k for k in history if k != "epoch"]
    if task.arch.stack:
        from playground.core import params_format

        params = params_format.to_json(task.arch.specs, task.arch.in_shape, state.params)
    else:
        acts = [*task.config.layer_activations(), task.arch.output_activation]
        params = {"layers": models.layers_json(state.params, acts)}
    out = {
        "config": task.config.to_dict(),
        "data": {
            "train": {"inputs": rows(task.x_train), "targets": rows(task.y_train)},
            "test": {"inputs": rows(task.x_test), "targets": rows(task.y_test)},
        },
        "params": params,
        "history": [
            {"epoch": e, **{k: history[k][i] for k in names}} for i, e in enumerate(history["epoch"])
        ],
        "stop_reason": stop_reason,
        "outputs": {"test": final_outputs(task, state.params)},
    }
    if hasattr(task.data, "labels_test"):  # an autoencoder: its halves, codes and classes
        from playground.zoo.autoencoder import task as ae

        out["params"] = ae.params_json(task, state.params)
        out["outputs"]["latent"] = rows(ae.encode(task, state.params, task.x_test))
        out["data"]["train"]["labels"] = np.asarray(task.data.labels_train).tolist()
        out["data"]["test"]["labels"] = np.asarray(task.data.labels_test).tolist()
    return out


def _progress(total: int, start: int, quiet: bool):
    def show(state, history):
        if quiet or not history["epoch"]:
            return
        done = history["epoch"][-1] - start
        bar = "#" * int(30 * done / max(total, 1))
        sys.stderr.write(
            f"\repoch {history['epoch'][-1]:>7} [{bar:<30}] "
            f"train {history['train_loss'][-1]:.4f}  test {history['test_loss'][-1]:.4f}"
        )
        sys.stderr.flush()

    return show


def summary(state, history, stop_reason) -> str:
    epoch = int(state.epoch)
    if not history["epoch"]:
        return f"epoch {epoch}: no training (initial parameters)"
    parts = [
        f"epoch {epoch}",
        f"train loss {history['train_loss'][-1]:.5f}",
        f"test loss {history['test_loss'][-1]:.5f}",
    ]
    if "train_kl" in history:  # a VAE: the losses above are its reconstruction error
        parts += [f"train KL {history['train_kl'][-1]:.4f}", f"test KL {history['test_kl'][-1]:.4f}"]
    if "train_accuracy" in history:
        parts += [
            f"train accuracy {100 * history['train_accuracy'][-1]:.1f}%",
            f"test accuracy {100 * history['test_accuracy'][-1]:.1f}%",
        ]
    line = ", ".join(parts)
    return f"{line} ({stop_reason})" if stop_reason else line


def cmd_train(args) -> int:
    from playground.core import engine, models

    if args.epochs is None:
        args.epochs = {"mlp": 500, "cnn": 10, "autoencoder": 100, "vae": 100, "gan": 200}.get(args.net, 50)
    if args.epochs < 0 or args.epochs > 1_000_000:
        raise CliError(f"--epochs must be between 0 and 1000000, got {args.epochs}")
    config = load_config(args)
    engine.enable_compile_cache()
    if args.net == "gan":
        return train_gan(args, config)
    if args.net in SEQUENCE_NETS:
        from playground.zoo.sequence import task as seq

        if args.csv:
            raise CliError("--csv is for --net mlp (2-D points); sequence networks train on a task")
        text = _read(args.text, "text file") if args.text else None
        task = seq.make_task(config, text=text)
    elif args.net in ("autoencoder", "vae"):
        from playground.zoo.autoencoder import task as ae

        if args.csv:
            raise CliError("--csv is for --net mlp; the autoencoder trains on digits, shapes or a 2-D set")
        task = ae.make_task(config)
    elif args.net == "cnn":
        from playground.zoo.cnn import task as cnn

        if args.csv:
            raise CliError(
                "--csv is for --net mlp (2-D points); the cnn trains on dataset mnist, digits or shapes"
            )
        task = cnn.make_task(config)
    else:
        csv = _read(args.csv, "CSV file", binary=True) if args.csv else None
        if csv is not None and config.dataset != "csv":
            config = config.replace(dataset="csv")
        task = engine.make_task(config, engine.load_data(config, csv))
    params = None
    if args.params_in:
        layers = load_params_json(args.params_in)
        try:
            if task.arch.stack:
                from playground.core import params_format

                template = engine.build(task.arch, "glorot", 0)[1]
                params = params_format.from_json(task.arch.specs, template, {"layers": layers})
            else:
                params = models.layers_to_params(engine.init_state(task).params, layers)
        except ValueError as e:
            raise CliError(str(e)) from None
    state = engine.init_state(task, params)
    history = {"epoch": [], **{k: [] for k in engine.metric_names(task)}}
    stop_reason = None
    if args.epochs:
        state, history, stop_reason = engine.advance(
            task, state, args.epochs, on_chunk=_progress(args.epochs, 0, args.quiet)
        )
        if not args.quiet:
            sys.stderr.write("\n")
    print(summary(state, history, stop_reason))
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as f:
                json.dump(export(task, state, history, stop_reason), f)
        except OSError as e:
            raise CliError(f"cannot write {args.out!r}: {e}") from None
    return 0


def train_gan(args, config) -> int:
    from playground.zoo.gan import headless

    if args.csv or args.params_in or args.text:
        raise CliError(
            "--csv, --params-in and --text are not for --net gan (draw a target: --set dataset=drawn)"
        )
    task, state, history, reason = headless.run(config, args.epochs, args.quiet)
    doc = headless.export(task, state, history, reason)
    print(headless.summary(state, history, doc["outputs"]["quality"], reason))
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as f:
                json.dump(doc, f)
        except OSError as e:
            raise CliError(f"cannot write {args.out!r}: {e}") from None
    return 0


def cmd_export(args) -> int:
    from playground.core import engine
    from playground.export import export_text, start_weights
    from playground.export.script import ExportError

    if not 0 <= args.epochs <= 1_000_000:
        raise CliError(f"--epochs must be between 0 and 1000000, got {args.epochs}")
    config = load_config(args)
    if args.net != "mlp":
        if args.csv:
            raise CliError(f"--csv is for --net mlp; --net {args.net} makes its own data")
        if args.net == "gan":
            from playground.zoo.gan.train import make_task

            task = make_task(config)
        elif args.net in SEQUENCE_NETS:
            from playground.zoo.sequence import task as seq

            task = seq.make_task(config, text=_read(args.text, "text file") if args.text else None)
        elif args.net == "cnn":
            from playground.zoo.cnn.task import make_task

            task = make_task(config)
        else:
            from playground.zoo.autoencoder.task import make_task

            task = make_task(config)
    else:
        csv = _read(args.csv, "CSV file", binary=True) if args.csv else None
        if csv is not None and config.dataset != "csv":
            config = config.replace(dataset="csv")
        task = engine.make_task(config, engine.load_data(config, csv))
    params = None
    if args.params_in and args.net == "gan":
        raise CliError("--params-in is not for --net gan: a GAN's script starts from the seed's weights")
    if args.params_in:
        try:  # checked against the network, then written as plain lists
            params = start_weights(task, load_params_json(args.params_in))
        except ValueError as e:
            raise CliError(str(e)) from None
    try:
        text = export_text(task, args.epochs, args.format, params)
    except ExportError as e:
        raise CliError(str(e)) from None
    try:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CliError(f"cannot write {args.out!r}: {e}") from None
    print(
        f"wrote {args.out} ({args.format}, {len(text):,} characters): run it with python {args.out}"
        if args.format == "py"
        else f"wrote {args.out} (a notebook, {len(text):,} characters)"
    )
    return 0


def _floats(text: str, flag: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CliError(f"{flag}: expected comma-separated numbers, got {text[:40]!r}") from None


def cmd_trace(args) -> int:
    from playground.backprop import trace as backprop

    config = load_config(args)
    layers = load_params_json(args.params_in)
    t = backprop.trace(config, layers, _floats(args.x, "--x"), _floats(args.y, "--y"))
    print(json.dumps(backprop.trace_json(t)) if args.json else backprop.trace_text(t))
    return 0


def cmd_bench(args) -> int:
    from playground import bench

    result = bench.run(quick=args.quick, progress=None if args.json else sys.stderr)
    print(json.dumps(result, indent=2) if args.json else bench.format_table(result))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m playground", description="Neural Network Playground engine")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train headless and optionally write everything to JSON")
    t.add_argument(
        "--net",
        choices=NETS,
        default="mlp",
        help="mlp: dense network on 2-D points (default); cnn: convolutional network on images; "
        "rnn, lstm, gru, transformer: on a sequence task (--set task=...); "
        "autoencoder (--set variant=plain|denoising|vae); vae: the variational autoencoder; "
        "gan: a generator and a discriminator on a 2-D target or the digits",
    )
    t.add_argument("--config", help="config JSON file (fields as in Config, or CnnConfig with --net cnn)")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field; tuples as a,b,c")
    t.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs to train (default 500 for mlp, 10 for cnn, 50 for sequences)",
    )
    t.add_argument("--params-in", help="start from these parameters (a params object or a train --out file)")
    t.add_argument("--csv", help="CSV data file with columns x1,x2,label (sets dataset=csv)")
    t.add_argument("--text", help="UTF-8 text for --set task=text (at most 20,000 characters)")
    t.add_argument("--out", help="write config, data, params, history and stop_reason as JSON")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)
    r = sub.add_parser("trace", help="every number of one training step on one example (backprop)")
    r.add_argument("--config", help="config JSON file (fields as in Config)")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field; tuples as a,b,c")
    r.add_argument("--params-in", required=True, help="parameters (a params object or a train --out file)")
    r.add_argument("--x", required=True, help="network inputs, one per feature: V1,V2 (negative: --x=-1,2)")
    r.add_argument("--y", required=True, help="targets, one per output: T1,T2")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=cmd_trace)
    x = sub.add_parser("export", help="write the experiment as a standalone JAX script or notebook")
    x.add_argument("--net", choices=NETS, default="mlp", help="the network type")
    x.add_argument("--config", help="config JSON file")
    x.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field; tuples as a,b,c")
    x.add_argument("--params-in", help="start from these weights (a params object or a train --out file)")
    x.add_argument("--csv", help="CSV data file with columns x1,x2,label (embedded in the file)")
    x.add_argument("--text", help="UTF-8 text for --set task=text (embedded as token ids)")
    x.add_argument("--epochs", type=int, default=500, help="the file's default epochs (500)")
    x.add_argument("--format", choices=("py", "ipynb"), required=True, help="a Python script or a notebook")
    x.add_argument("--out", required=True, help="the file to write")
    x.set_defaults(func=cmd_export)
    b = sub.add_parser("bench", help="measure the engine (see README)")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.add_argument("--quick", action="store_true", help="fewer repetitions (for tests)")
    b.set_defaults(func=cmd_bench)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, ConfigError, DataError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


__all__ = ["main", "export", "from_dict"]
