"""What the recurrent and transformer pages need besides the view: their default configs, the
widgets' fields and choices, a window length that fits a task, and the view's clicks checked.
No Streamlit.
"""

from __future__ import annotations

from playground.core.config import from_query
from playground.core.models import INITS as _INITS
from playground.core.optimizers import OPTIMIZERS as _OPTIMIZERS
from playground.data.sequences import SEQUENCE_TASKS
from playground.live.ui import LEARNING_RATES, REG_RATES
from playground.zoo.sequence.config import SeqConfig

# Each page's starting point: the memory task for the recurrent page (the lesson of its views),
# reverse for the transformer (its attention learns the anti-diagonal in seconds).
RECURRENT = SeqConfig(net="lstm", task="first", length=20, hidden=32, learning_rate=0.01)
TRANSFORMER = SeqConfig(net="transformer", task="reverse", length=8, learning_rate=0.003)
CELLS = ("rnn", "lstm", "gru")
DATA_FIELDS = ("task", "n_samples", "length", "noise", "vocab", "train_ratio", "seed")
TRAINING_FIELDS = ("optimizer", "gd_variant", "batch_size", "l2", "clip", "init", "early_stopping_patience")
FIELDS = {
    "recurrent": (
        *DATA_FIELDS,
        "net",
        "hidden",
        "rnn_layers",
        "activation",
        *TRAINING_FIELDS,
        "learning_rate",
    ),
    "transformer": (*DATA_FIELDS, "blocks", "heads", "width", "positions", "causal", *TRAINING_FIELDS)
    + ("learning_rate",),
}
CHOICES = {"learning_rate": LEARNING_RATES, "l2": REG_RATES, "clip": (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)}
OPTIMIZERS = tuple(_OPTIMIZERS)
INITS = tuple(_INITS)
TEMPERATURES = (0.0, 0.2, 0.5, 0.8, 1.0, 1.5, 2.0)
VIEW_EVENTS = ("pick",)
MEMORY_TASKS = ("first", "cumsum")


def start(page: str, query) -> tuple[SeqConfig, list[str]]:
    """A page's first config from its URL query (lenient: a bad value is named and dropped). The
    recurrent page takes the rnn cells only; the transformer page is always a transformer."""
    base = RECURRENT if page == "recurrent" else TRANSFORMER
    query, warnings = dict(query), []
    net = query.get("net")
    net = net[-1] if isinstance(net, (list, tuple)) and net else net
    if page == "recurrent" and net is not None and net not in CELLS:
        warnings.append(f"net: this page trains {', '.join(CELLS)}, got {str(net)[:20]}; using lstm")
        del query["net"]
    if page == "transformer" and net is not None:
        if net != "transformer":
            warnings.append(f"net: this page trains a transformer, got {str(net)[:20]}")
        del query["net"]
    config, more = from_query(query, SeqConfig, base)
    return config, warnings + more


def fit_length(task: str, length: int) -> int:
    """`length` made valid for `task` (capped at its longest, even where it must be)."""
    t = SEQUENCE_TASKS[task]
    length = max(2, min(int(length), t.max_length))
    return length - length % t.length_step


def task_changes(task: str, config: SeqConfig) -> dict:
    """What else changes with a new task: a window length the task takes; a transformer on the
    text task becomes causal (an encoder would read the very character it must predict)."""
    out = {"task": task, "length": fit_length(task, config.length)}
    if config.net == "transformer" and task == "text":
        out["causal"] = "true"
    return out


def task_label(task: str) -> str:
    return f"{task} · {SEQUENCE_TASKS[task].description}"


def on_view(session, state, prefix: str, event: str, value) -> None:
    """A click in the live view (untrusted input), checked before use: `pick` ({index}: a test
    sequence)."""
    n_test = len(session.task.data.x_test)
    try:
        if event != "pick":
            return
        i = value["index"] if isinstance(value, dict) else None
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n_test:
            raise ValueError(f"expected a test sequence from 0 to {n_test - 1}, got {str(i)[:20]}")
        state[prefix + "choice"] = i
        state.pop(prefix + "error", None)
    except (ValueError, KeyError, TypeError) as e:
        state[prefix + "error"] = f"ignored a {event} from the view: {e}"
