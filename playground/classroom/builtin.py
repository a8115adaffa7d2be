"""The built-in lessons: the seed topics in order, each a few Playground steps with a goal. Written
as lesson JSON (the same format a teacher imports) and validated on first use. `SOLUTIONS` holds,
for each step with a goal, a config change and epochs that meet it (tests/test_lessons.py trains
them), so no built-in goal is out of reach."""

from __future__ import annotations

import functools

from playground.classroom import lessons


def _step(title, instructions, config, goal="", hidden=(), locked=(), page="playground"):
    return {"title": title, "page": page, "instructions": instructions, "config": config, "goal": goal} | {
        "hidden": list(hidden),
        "locked": list(locked),
    }


RAW = {
    "neuron": {
        "title": "What a neuron computes",
        "steps": [
            _step(
                "One neuron draws a line",
                "A neuron adds up its inputs, each times a weight, adds a bias, and passes the sum "
                "through an activation: **σ(w₁·x₁ + w₂·x₂ + b)**. With no hidden layer the network "
                "is that one neuron, and the place where its sum is 0 is a straight line.\n\n"
                "Press **Play** and watch the line settle between the two clouds.",
                {"dataset": "gauss", "hidden": [], "learning_rate": 0.1},
                "test_accuracy >= 95% and layers <= 0",
                hidden=("hidden",),
                locked=("dataset",),
            ),
            _step(
                "A line cannot split XOR",
                "Opposite corners share a colour: no single line separates them. Press Play first "
                "and see the neuron fail. Then add a hidden layer (**+ layer**, then neurons): each "
                "hidden neuron draws its own line, and the output neuron combines them.",
                {"dataset": "xor", "hidden": [], "learning_rate": 0.1, "activation": "tanh"},
                "test_accuracy >= 90% and neurons <= 4",
                locked=("dataset",),
            ),
            _step(
                "Lines make a shape",
                "A ring around a disc needs a closed boundary. Each hidden neuron still draws one "
                "straight line; with how few can the output neuron enclose the disc? Two lines "
                "leave a gap, three make a triangle.",
                {"dataset": "circle", "hidden": [], "learning_rate": 0.1, "activation": "tanh"},
                "test_accuracy >= 90% and neurons <= 3",
                locked=("dataset",),
            ),
        ],
    },
    "activations": {
        "title": "Activation functions",
        "steps": [
            _step(
                "Without a bend, layers add nothing",
                "With the **linear** activation a stack of layers is still one weighted sum: it can "
                "only draw a line, however many neurons it has. Press Play and see it fail on the "
                "circle. Then try **tanh**, **relu** or **sigmoid**.",
                {"dataset": "circle", "hidden": [4], "activation": "linear", "learning_rate": 0.1},
                "test_accuracy >= 90% and neurons <= 4",
                locked=("dataset", "hidden"),
            ),
        ],
    },
    "backprop": {
        "title": "Backpropagation in four steps",
        "steps": [
            _step(
                "Forward, error, backward, update",
                "Every step of training does four things: the **forward pass** computes each "
                "neuron's output, the **error** compares the output with the label, the **backward "
                "pass** sends that error back through the weights (the chain rule) to get each "
                "weight's gradient, and the **update** moves each weight a little against its "
                "gradient. The Backprop page shows every number of one step.\n\n"
                "Here: press **Step** a few times and watch the loss fall.",
                {"dataset": "gauss", "hidden": [2], "learning_rate": 0.1},
                "epochs >= 3",
            ),
        ],
    },
    "losses": {
        "title": "Losses",
        "steps": [
            _step(
                "Squared error on numbers",
                "For a number to predict (a regression) the loss is usually the **squared error** "
                "(y − ŷ)²: a miss twice as large costs four times as much. The learning rate here is "
                "too timid: raise it until the test loss falls below 0.005 within 100 epochs.",
                {
                    "dataset": "reg-plane",
                    "hidden": [4],
                    "loss": "mse",
                    "output_activation": "linear",
                    "learning_rate": 0.0003,
                },
                "test_loss <= 0.005 and epochs <= 100",
                locked=("dataset",),
            ),
        ],
    },
    "descent": {
        "title": "Batch, mini-batch and stochastic descent",
        "steps": [
            _step(
                "How many points per update?",
                "**Batch** descent updates once per epoch from all points (smooth, slow), "
                "**stochastic** once per point (noisy, many updates), **mini-batch** once per "
                "batch (in between). Find a setting that learns the two moons within 50 epochs.",
                {"dataset": "moons", "hidden": [8], "gd_variant": "batch", "learning_rate": 0.03},
                "test_accuracy >= 90% and epochs <= 50",
                locked=("dataset", "hidden"),
            ),
        ],
    },
    "optimizers": {
        "title": "Momentum, RMSProp and Adam",
        "steps": [
            _step(
                "Beyond plain SGD",
                "Plain SGD takes the same size of step in every direction. **Momentum** keeps a "
                "running velocity, **RMSProp** divides each step by a running size of its "
                "gradient, **Adam** does both. Learn the spiral within 300 epochs.",
                {"dataset": "spiral", "hidden": [8, 8], "optimizer": "sgd", "learning_rate": 0.03},
                "test_accuracy >= 85% and epochs <= 300",
                locked=("dataset", "hidden"),
            ),
        ],
    },
    "regularization": {
        "title": "Overfitting, L1/L2, dropout and early stopping",
        "steps": [
            _step(
                "Too many neurons for too few points",
                "A big network on a few noisy points learns the noise: the training loss keeps "
                "falling while the test loss rises. Press Play and watch the two curves part. Then "
                "try **L2**, **dropout** or **early stopping**.",
                {
                    "dataset": "circle",
                    "n_samples": 80,
                    "noise": 35,
                    "hidden": [16, 16],
                    "optimizer": "adam",
                    "learning_rate": 0.01,
                },
                "test_loss <= 0.45 and layers >= 2",
                locked=("dataset", "n_samples", "noise"),
            ),
        ],
    },
}

RAW["convolutions"] = {
    "title": "Convolutions on digits",
    "steps": [
        _step(
            "Pixels one by one, or patterns",
            "A dense layer sees each of the 64 pixels on its own: move the digit by one pixel and "
            "it sees something new. A **conv** layer slides small filters over the image and "
            "finds the same stroke wherever it is. This network is dense only: train it, then "
            "put one conv layer (and a pooling layer) before the flatten in the layer builder, "
            "and beat 97 % within 15 epochs.",
            {"dataset": "digits", "layers": ["flatten", "dense units=16 activation=relu"]},
            "test_accuracy >= 97% and conv_layers <= 1 and epochs <= 15",
            locked=("dataset", "n_samples"),
            page="cnn",
        ),
        _step(
            "Back to the plane",
            "Convolutions need images. On points in a plane, a dense network is the right tool: "
            "this last step is the Playground again.",
            {"dataset": "spiral", "hidden": [8, 8], "optimizer": "adam", "learning_rate": 0.03},
        ),
    ],
}

# For each (lesson, step index) with a goal: a config change and epochs that meet the goal.
SOLUTIONS = {
    ("neuron", 0): ({}, 100),
    ("neuron", 1): ({"hidden": [4]}, 300),
    ("neuron", 2): ({"hidden": [3]}, 300),
    ("activations", 0): ({"activation": "tanh"}, 300),
    ("backprop", 0): ({}, 3),
    ("losses", 0): ({"learning_rate": 0.03}, 100),
    ("descent", 0): ({"gd_variant": "minibatch"}, 50),
    ("optimizers", 0): ({"optimizer": "adam", "learning_rate": 0.03}, 300),
    ("regularization", 0): ({"early_stopping_patience": 10}, 300),
    ("convolutions", 0): (
        {
            "layers": [
                "conv filters=8 kernel=3 activation=relu",
                "maxpool window=2",
                "flatten",
                "dense units=32",
            ]
        },
        15,
    ),
}


@functools.lru_cache(maxsize=1)
def lessons_by_id() -> dict[str, lessons.Lesson]:
    """Every built-in lesson, validated, by id (its link is ?lesson=builtin-ID)."""
    return {name: lessons.from_json(raw) for name, raw in RAW.items()}


PREFIX = "builtin-"
