"""A traced step as the sub-steps a teacher walks through, each with its formula.

Forward neuron by neuron, the loss, backward neuron by neuron from the output,
then the update neuron by neuron. Each sub-step carries the formula in symbols and
with the trace's numbers substituted (LaTeX), what to highlight on the diagram, and
the values it computes (for the page's running table). Notation: layer l = 1..L,
neurons and inputs numbered from 1; a^{(0)} = x; w^{(l)}_{ij} joins neuron i of
column l-1 to neuron j of layer l (kernel[i-1, j-1]).
"""

from __future__ import annotations

import dataclasses

from playground.backprop.trace import Trace
from playground.core.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from playground.core.losses import LOSSES

PHASES = ("forward", "error", "backward", "update")
MAX_TERMS = 8  # terms written out in one sum; longer sums elide the middle
MAX_LINES = 9  # parameter lines written out in one update or gradient block

# How f(z) reads with a number in it.
_APPLY = {
    "relu": r"\max(0,\,{z})", "leaky_relu": r"\mathrm{leaky}({z})", "elu": r"\mathrm{elu}({z})",
    "gelu": r"\mathrm{gelu}({z})", "silu": r"\mathrm{silu}({z})", "softplus": r"\mathrm{softplus}({z})",
    "tanh": r"\tanh({z})", "sigmoid": r"\sigma({z})", "linear": r"{z}",
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Substep:
    """One sub-step of the walk-through.

    Attributes:
      phase: one of PHASES.
      layer: the layer it is about (1..L); the output layer for "error".
      neuron: 0-based neuron index in that layer, or None ("error").
      title: one line of words.
      symbolic, numeric: LaTeX, the formula with symbols and with the numbers.
      nodes: (column, index) to highlight; column 0 is the inputs, column l layer l.
      edges: (layer, i, j) edges whose weights this step reads (kernel[i, j] of layer-1 in
        0-based layer order would be layers[layer - 1]["kernel"][i, j]).
      grad_edges: edges whose gradient or update this step computes.
      values: (name, value) pairs it computes, in plain text.
    """

    phase: str
    layer: int
    neuron: int | None
    title: str
    symbolic: str
    numeric: str
    nodes: tuple[tuple[int, int], ...]
    edges: tuple[tuple[int, int, int], ...]
    grad_edges: tuple[tuple[int, int, int], ...]
    values: tuple[tuple[str, float], ...]


def num(v: float) -> str:
    """A number for a formula: up to 4 decimals, scientific where that would show 0."""
    v = float(v)
    if v != 0 and abs(v) < 1e-3 or abs(v) >= 1e5:
        mant, exp = f"{v:.3e}".split("e")
        return rf"{mant}\times10^{{{int(exp)}}}"
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def par(v: float) -> str:
    """`num`, in parentheses when negative or scientific (it is being multiplied)."""
    s = num(v)
    return f"({s})" if s.startswith("-") or "times" in s else s


def _sum(terms: list[str]) -> str:
    if len(terms) > MAX_TERMS:
        hidden = len(terms) - MAX_TERMS + 1
        terms = [*terms[: MAX_TERMS - 2], rf"\cdots_{{({hidden}\text{{ more}})}}", terms[-1]]
    return " + ".join(terms)


def _lines(lines: list[str]) -> str:
    """Lines of formulas, aligned on their first equals sign (or arrow)."""
    if len(lines) > MAX_LINES:
        more = len(lines) - MAX_LINES + 1
        lines = [*lines[: MAX_LINES - 1], rf"&\vdots\quad\text{{({more} more in the table)}}"]
    aligned = []
    for line in lines:
        at = min((i for i in (line.find(" = "), line.find(r" \leftarrow ")) if i >= 0), default=-1)
        aligned.append(line if "&" in line or at < 0 else f"{line[:at]} &{line[at:]}")
    return r"\begin{aligned}" + r"\\ ".join(aligned) + r"\end{aligned}"


def plain(v: float) -> str:
    """`num` as plain text (for figures): 4 decimals, or e-notation where that would show 0."""
    v = float(v)
    if v != 0 and abs(v) < 1e-3 or abs(v) >= 1e5:
        return f"{v:.3e}"
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _sym(name: str, layer: int, j: int | str) -> str:
    return f"{name}^{{({layer})}}_{{{j}}}"


def _delta(layer: int, j: int) -> str:
    return _sym(r"\delta", layer, j)


def _de(x: str) -> str:
    """dE/dx in LaTeX."""
    return rf"\frac{{\partial E}}{{\partial {x}}}"


def _act_formula(act: str) -> str:
    return (OUTPUT_ACTIVATIONS.get(act) or ACTIVATIONS[act]).formula


def _derivative(act: str) -> str:
    return (OUTPUT_ACTIVATIONS.get(act) or ACTIVATIONS[act]).derivative


# ---- forward ----------------------------------------------------------------------------------
def _forward_step(t: Trace, layer: int, j: int) -> Substep:
    la = t.layers[layer - 1]
    a_in = t.x[0] if layer == 1 else t.a[layer - 2][0]
    z, a = t.z[layer - 1][0, j], t.a[layer - 1][0, j]
    act = t.activations[layer - 1]
    prev = "x" if layer == 1 else f"a^{{({layer - 1})}}"
    terms = [f"{par(la['kernel'][i, j])}\\cdot{par(a_in[i])}" for i in range(len(a_in))]
    numeric_z = f"{_sym('z', layer, j + 1)} = {_sum(terms)} + {par(la['bias'][j])} = {num(z)}"
    if act == "softmax":
        zs = t.z[layer - 1][0]
        denom = " + ".join(f"e^{{{num(v)}}}" for v in zs)
        numeric_a = rf"{_sym('a', layer, j + 1)} = \frac{{e^{{{num(z)}}}}}{{{denom}}} = {num(a)}"
    else:
        applied = _APPLY[act].replace("{z}", num(z))
        numeric_a = f"{_sym('a', layer, j + 1)} = {applied} = {num(a)}"
    symbolic = _lines([
        rf"{_sym('z', layer, j + 1)} = \sum_i w^{{({layer})}}_{{i{j + 1}}}\,{prev}_i"
        rf" + {_sym('b', layer, j + 1)}",
        rf"{_sym('a', layer, j + 1)} = f({_sym('z', layer, j + 1)}),\quad f(z) = {_act_formula(act)}",
    ])  # fmt: skip
    where = "output" if layer == len(t.layers) else f"layer {layer}"
    return Substep(
        "forward", layer, j, f"Forward: {where}, neuron {j + 1} ({act})", symbolic,
        _lines([numeric_z, numeric_a]),
        nodes=((layer, j), *((layer - 1, i) for i in range(len(a_in)))),
        edges=tuple((layer, i, j) for i in range(len(a_in))), grad_edges=(),
        values=((f"z({layer})_{j + 1}", z), (f"a({layer})_{j + 1}", a)),
    )  # fmt: skip


# ---- error ------------------------------------------------------------------------------------
def _loss_terms(t: Trace) -> tuple[str, str]:
    """(prefix, sum of numbers) of the loss of example 1, as implemented."""
    loss, k = t.config.loss, t.y.shape[1]
    z, a, y = t.z[-1][0], t.a[-1][0], t.y[0]
    pre = "" if loss == "ce" or k == 1 else rf"\frac{{1}}{{{k}}}"
    if loss == "mse":
        terms = [f"({num(a[i])} - {par(y[i])})^2" for i in range(k)]
    elif loss == "huber":
        terms = [rf"h({num(a[i])} - {par(y[i])})" for i in range(k)]
    elif loss == "hinge":
        terms = [rf"\max(0,\,1 - {par(y[i])}\cdot{par(a[i])})" for i in range(k)]
    elif loss == "bce":
        terms = [
            rf"-[{par(y[i])}\log\sigma({num(z[i])}) + (1-{par(y[i])})\log(1-\sigma({num(z[i])}))]"
            for i in range(k)
        ]
    else:  # ce
        terms = [rf"-{par(y[i])}\log {num(a[i])}" for i in range(k)]
    body = _sum(terms)
    return pre, (f"[{body}]" if pre and k > 1 else body)


def _error_step(t: Trace) -> Substep:
    big_l, k = len(t.layers), t.y.shape[1]
    pre, body = _loss_terms(t)
    symbolic = [f"E = {LOSSES[t.config.loss].formula}"]
    numeric = [f"E = {pre}{body} = {num(t.loss)}"]
    if t.config.loss == "huber":
        symbolic.append(r"h(d) = \tfrac12 d^2 \text{ if } |d|\le1 \text{ else } |d|-\tfrac12")
    shares = " + ".join(num(c) for c in t.contributions[0])
    if k > 1:
        numeric.append(f"E = {shares}" + r"\quad\text{(one share per output)}")
    values = [(f"E share of output {i + 1}", c) for i, c in enumerate(t.contributions[0])]
    values.append(("E (loss)", t.loss))
    if t.config.l1 or t.config.l2:
        symbolic.append(r"E_{\text{total}} = E + \lambda_1\sum|w| + \lambda_2\sum w^2")
        numeric.append(rf"E_{{\text{{total}}}} = {num(t.loss)} + {num(t.penalty)} = {num(t.objective)}")
        values += [("penalty", t.penalty), ("E total", t.objective)]
    return Substep(
        "error", big_l, None, f"Error: the {t.config.loss} loss on this example", _lines(symbolic),
        _lines(numeric), nodes=tuple((big_l, i) for i in range(k)), edges=(), grad_edges=(),
        values=tuple(values),
    )  # fmt: skip


# ---- backward ---------------------------------------------------------------------------------
def _output_delta_lines(t: Trace, j: int) -> tuple[list[str], list[str], list[tuple[str, float]]]:
    big_l, k = len(t.layers), t.y.shape[1]
    act, loss = t.activations[-1], t.config.loss
    z, a, y = t.z[-1][0], t.a[-1][0], t.y[0]
    d = t.deltas[-1][0, j]
    dj, aj, yj, zj = _sym(r"\delta", big_l, j + 1), f"a_{{{j + 1}}}", f"y_{{{j + 1}}}", f"z_{{{j + 1}}}"
    frac = rf"\frac{{1}}{{{k}}}"
    if loss == "bce":
        return (
            [rf"{dj} = {_de(zj)} = {frac}(\sigma({zj}) - {yj})\quad\text{{(from z)}}"],
            [rf"{dj} = {frac}({num(a[j])} - {par(y[j])}) = {num(d)}"],
            [(f"δ({big_l})_{j + 1}", d)],
        )
    if loss == "ce":
        return (
            [rf"{dj} = {_de(zj)} = {aj}\textstyle\sum_k y_k - {yj}\quad\text{{(from z)}}"],
            [rf"{dj} = {num(a[j])}\cdot{par(y.sum())} - {par(y[j])} = {num(d)}"],
            [(f"δ({big_l})_{j + 1}", d)],
        )
    g = t.dloss_da[0]
    dedaj = rf"\frac{{\partial E}}{{\partial {aj}}}"
    if loss == "mse":
        sym_g, num_g = rf"\frac{{2}}{{{k}}}({aj} - {yj})", rf"\frac{{2}}{{{k}}}({num(a[j])} - {par(y[j])})"
    elif loss == "huber":
        sym_g = rf"{frac}\,\mathrm{{clip}}({aj} - {yj}, -1, 1)"
        num_g = rf"{frac}\,\mathrm{{clip}}({num(a[j] - y[j])}, -1, 1)"
    else:  # hinge
        sym_g = rf"{frac}\cdot(-{yj} \text{{ if }} 1 - {yj}{aj} > 0 \text{{ else }} 0)"
        num_g = rf"{frac}\cdot(-{par(y[j])} \text{{ if }} {num(1 - y[j] * a[j])} > 0 \text{{ else }} 0)"
    sym = [rf"{dedaj} = {sym_g}"]
    numeric = [rf"{dedaj} = {num_g} = {num(g[j])}"]
    values = [(f"∂E/∂a({big_l})_{j + 1}", g[j])]
    if act == "softmax":
        sym.append(
            rf"{dj} = \sum_k {_de('a_k')}\,a_k([k={j + 1}] - a_{{{j + 1}}})"
            rf" = {aj}\Big({_de(aj)} - \sum_k {_de('a_k')} a_k\Big)"
        )
        inner = _sum([f"{par(g[i])}\\cdot{par(a[i])}" for i in range(k)])
        numeric.append(rf"{dj} = {num(a[j])}\big({par(g[j])} - ({inner})\big) = {num(d)}")
    else:
        fp = t.fprime[-1][0, j]
        sym.append(rf"{dj} = {dedaj}\,f'({zj}),\quad f'(z) = {_derivative(act)}")
        numeric.append(rf"f'({num(z[j])}) = {num(fp)},\quad {dj} = {par(g[j])}\cdot{par(fp)} = {num(d)}")
        values.append((f"f'(z({big_l})_{j + 1})", fp))
    values.append((f"δ({big_l})_{j + 1}", d))
    return sym, numeric, values  # fmt: skip


def _hidden_delta_lines(t: Trace, layer: int, j: int):
    act = t.activations[layer - 1]
    w = t.layers[layer]["kernel"]
    down = t.deltas[layer][0]
    fp, z, d = t.fprime[layer - 1][0, j], t.z[layer - 1][0, j], t.deltas[layer - 1][0, j]
    dj = _sym(r"\delta", layer, j + 1)
    sym = [
        rf"{dj} = \Big(\sum_k \delta^{{({layer + 1})}}_k\,w^{{({layer + 1})}}_{{{j + 1}k}}\Big)\,"
        rf"f'({_sym('z', layer, j + 1)})",
        rf"f'(z) = {_derivative(act)}",
    ]
    terms = [f"{par(down[k])}\\cdot{par(w[j, k])}" for k in range(len(down))]
    numeric = [
        rf"f'({num(z)}) = {num(fp)}",
        rf"{dj} = ({_sum(terms)})\cdot{par(fp)} = {num(d)}",
    ]
    return sym, numeric, [(f"f'(z({layer})_{j + 1})", fp), (f"δ({layer})_{j + 1}", d)]


def _backward_step(t: Trace, layer: int, j: int) -> Substep:
    big_l = len(t.layers)
    if layer == big_l:
        sym, numeric, values = _output_delta_lines(t, j)
    else:
        sym, numeric, values = _hidden_delta_lines(t, layer, j)
    a_in = t.x[0] if layer == 1 else t.a[layer - 2][0]
    prev = "x" if layer == 1 else f"a^{{({layer - 1})}}"
    d = t.deltas[layer - 1][0, j]
    la, pg, g = t.layers[layer - 1], t.penalty_grads[layer - 1], t.grads[layer - 1]
    pen = bool(t.config.l1 or t.config.l2)
    dj = _delta(layer, j + 1)
    wsym = rf"{_de(f'w^{{({layer})}}_{{i{j + 1}}}')} = {dj}\,{prev}_i"
    if pen:
        wsym += r" + \lambda_1\,\mathrm{sign}(w) + 2\lambda_2 w"
    sym += [
        wsym,
        rf"{_de(_sym('b', layer, j + 1))} = {dj}",
    ]
    grads = []
    for i in range(len(a_in)):
        extra = f" + {par(pg['kernel'][i, j])}" if pen else ""
        grads.append(
            rf"{_de(f'w^{{({layer})}}_{{{i + 1}{j + 1}}}')} = {par(d)}\cdot{par(a_in[i])}"
            rf"{extra} = {num(g['kernel'][i, j])}"
        )
        values.append((f"∂E/∂w({layer})_{i + 1},{j + 1}", g["kernel"][i, j]))
    grads.append(rf"\frac{{\partial E}}{{\partial {_sym('b', layer, j + 1)}}} = {num(g['bias'][j])}")
    values.append((f"∂E/∂b({layer})_{j + 1}", g["bias"][j]))
    n_down = t.layers[layer]["kernel"].shape[1] if layer < big_l else 0
    n_in = len(a_in)
    where = "output" if layer == big_l else f"layer {layer}"
    return Substep(
        "backward", layer, j, f"Backward: {where}, neuron {j + 1} (δ and its incoming gradients)",
        _lines(sym), _lines(numeric + grads),
        nodes=((layer, j), *((layer + 1, k) for k in range(n_down)), *((layer - 1, i) for i in range(n_in))),
        edges=tuple((layer + 1, j, k) for k in range(n_down)),
        grad_edges=tuple((layer, i, j) for i in range(len(la["kernel"]))),
        values=tuple(values),
    )  # fmt: skip


# ---- update -----------------------------------------------------------------------------------
def _update_rule(optimizer: str) -> list[str]:
    return {
        "sgd": [r"w \leftarrow w - \eta\,g"],
        "momentum": [r"v \leftarrow \mu v + g", r"w \leftarrow w - \eta\,v"],
        "nesterov": [r"v \leftarrow \mu v + g", r"w \leftarrow w - \eta\,(g + \mu v)"],
        "adagrad": [r"s \leftarrow s + g^2", r"w \leftarrow w - \eta\,g/\sqrt{s + \epsilon}"],
        "rmsprop": [
            r"\nu \leftarrow \rho\nu + (1-\rho)g^2",
            r"w \leftarrow w - \eta\,g/\sqrt{\nu + \epsilon}",
        ],
        "adam": [r"m \leftarrow \beta_1 m + (1-\beta_1)g,\quad v \leftarrow \beta_2 v + (1-\beta_2)g^2",
                 r"w \leftarrow w - \eta\,\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}"],
        "adamw": [r"m \leftarrow \beta_1 m + (1-\beta_1)g,\quad v \leftarrow \beta_2 v + (1-\beta_2)g^2",
                  r"w \leftarrow w - \eta\Big(\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}"
                  r" + \lambda w\Big)"],
    }[optimizer]  # fmt: skip


_HYPER_TEX = {
    "learning_rate": r"\eta", "momentum": r"\mu", "beta1": r"\beta_1", "beta2": r"\beta_2", "rho": r"\rho",
    "eps": r"\epsilon", "weight_decay": r"\lambda",
}  # fmt: skip
_SLOT_NAME = {"trace": "velocity", "sum_of_squares": "sum g²", "mu": "m (1st moment)", "nu": "v (2nd moment)"}
_SLOT_SYMBOL = {"trace": "v", "sum_of_squares": "s", "mu": "m", "nu": "v"}


def _param_line(t: Trace, layer: int, name: str, idx, label: str, tex: str):
    """The update of one parameter: (LaTeX line, values). `label` plain, `tex` LaTeX."""
    c = t.config
    w, g = t.layers[layer - 1][name][idx], t.grads[layer - 1][name][idx]
    new = t.layers_after[layer - 1][name][idx]
    symbols = {**_SLOT_SYMBOL, "nu": r"\nu" if c.optimizer == "rmsprop" else "v"}
    parts, values = [], []
    for slot in ("trace", "sum_of_squares", "mu", "nu"):
        if slot in t.opt_after:
            before, after = t.opt_before[slot][layer - 1][name][idx], t.opt_after[slot][layer - 1][name][idx]
            parts.append(rf"{symbols[slot]}: {num(before)}\to{num(after)}")
            values.append((f"{_SLOT_NAME[slot]} {label}", after))
    if c.optimizer == "sgd":
        rhs = rf"{num(w)} - {num(c.learning_rate)}\cdot{par(g)}"
    else:  # the step optax computed from the state above
        rhs = rf"{num(w)} + {par(t.updates[layer - 1][name][idx])}"
    line = rf"{tex} \leftarrow {rhs} = {num(new)}"
    if parts:
        line = ",\\;".join(parts) + rf",\quad {line}"
    values.append((f"{label} new", new))
    return line, values


def _update_step(t: Trace, layer: int, j: int) -> Substep:
    c = t.config
    n_in = t.layers[layer - 1]["kernel"].shape[0]
    lines, values = [], []
    for i in range(n_in):
        tex = f"w^{{({layer})}}_{{{i + 1}{j + 1}}}"
        line, v = _param_line(t, layer, "kernel", (i, j), f"w({layer})_{i + 1},{j + 1}", tex)
        lines.append(line)
        values += v
    line, v = _param_line(t, layer, "bias", j, f"b({layer})_{j + 1}", _sym("b", layer, j + 1))
    lines.append(line)
    values += v
    rule = _update_rule(c.optimizer)
    hypers = r",\ ".join(
        f"{_HYPER_TEX[f]}={getattr(c, f):g}" for f in _HYPER_TEX if f in _OPT_FIELDS[c.optimizer]
    )
    symbolic = _lines([*rule, rf"\text{{{c.optimizer}: }} {hypers},\quad g = \partial E/\partial w"])
    where = "output" if layer == len(t.layers) else f"layer {layer}"
    return Substep(
        "update", layer, j, f"Update: {where}, neuron {j + 1}'s weights and bias ({c.optimizer})",
        symbolic, _lines(lines), nodes=((layer, j),), edges=(),
        grad_edges=tuple((layer, i, j) for i in range(n_in)), values=tuple(values),
    )  # fmt: skip


def _opt_fields() -> dict:
    from playground.core.optimizers import OPTIMIZERS

    return {name: spec.fields for name, spec in OPTIMIZERS.items()}


_OPT_FIELDS = _opt_fields()


# ---- the list ---------------------------------------------------------------------------------
def substeps(t: Trace) -> list[Substep]:
    """Every sub-step of the trace of one example, in teaching order.

    Raises:
      ValueError: if the trace holds more than one example.
    """
    if len(t.x) != 1:
        raise ValueError(f"sub-steps explain one example; the trace has {len(t.x)}")
    widths = t.widths[1:]
    big_l = len(widths)
    out = [_forward_step(t, layer, j) for layer in range(1, big_l + 1) for j in range(widths[layer - 1])]
    out.append(_error_step(t))
    out += [_backward_step(t, layer, j) for layer in range(big_l, 0, -1) for j in range(widths[layer - 1])]
    out += [_update_step(t, layer, j) for layer in range(1, big_l + 1) for j in range(widths[layer - 1])]
    return out


def first_of_phase(steps: list[Substep], phase: str) -> int:
    return next(i for i, s in enumerate(steps) if s.phase == phase)


def table(steps: list[Substep], upto: int) -> list[dict]:
    """Every value computed by sub-steps 0..upto, as rows for a table."""
    return [
        {"step": i + 1, "phase": s.phase, "quantity": name, "value": float(v)}
        for i, s in enumerate(steps[: upto + 1])
        for name, v in s.values
    ]
