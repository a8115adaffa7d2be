"""The built-in lessons: the seed topics in order, each a few Playground steps with a goal, then
one lesson per network of the zoo on its page. Written as lesson JSON (the same format a teacher
imports) and validated on first use. `SOLUTIONS` holds, for each step with a goal, a config change
and epochs that meet it (tests/test_lessons.py trains them), so no built-in goal is out of reach."""

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
                "gradient.\n\nThis tiny network has 2 inputs, 2 hidden neurons and 2 outputs. Press "
                "**Autoplay** to walk through one training step, every number with its formula, or go "
                "sub-step by sub-step with **Previous** and **Next** beside the phase bar (the Next at "
                "the very top moves on to the lesson's next step). At the update, **Repeat** runs 100 "
                "more steps on the same example.",
                {},
                locked=("source",),
                page="backprop",
            ),
            _step(
                "Many steps make training",
                "The Playground runs those four steps for every batch, thousands of times a second. "
                "Press **Step** a few times and watch the loss fall.",
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
            _step(
                "A race",
                "The Optimizer lab trains several optimizers on the same data from the same weights. "
                "Press **Play** and compare the loss curves; then open **Loss landscape** to see the "
                "paths they take on a surface.",
                {"preset": "SGD vs momentum vs Adam"},
                locked=("preset",),
                page="lab",
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

RAW["recurrent"] = {
    "title": "Recurrent networks: memory through time",
    "steps": [
        _step(
            "Remember the first number",
            "Each sequence is 40 numbers; the network must answer with the **first** one after reading "
            "all 40. A plain **rnn** cell rewrites its whole state at every step, and the gradient that "
            "should teach it to keep the first number fades on its way back through 40 steps: press "
            "**Play** and watch the test loss stall.\n\nThen change the **Cell** to **lstm** or "
            "**gru**: their gates let the state pass through unchanged, and the gradient with it.",
            {"net": "rnn", "task": "first", "length": 40},
            "test_loss <= 0.01 and epochs <= 60",
            locked=("task", "length", "n_samples"),
            page="recurrent",
        ),
        _step(
            "How far back does the gradient reach?",
            "Open **Compare the cells** below the view and train all three on this 64-step task. The "
            "chart shows ‖∂L/∂hₜ‖, how much the loss depends on the state at each step: the rnn's "
            "falls to nothing toward the first steps, the lstm's and gru's do not.",
            {"net": "lstm", "task": "first", "length": 64},
            page="recurrent",
        ),
    ],
}

RAW["transformer"] = {
    "title": "Transformers: attention",
    "steps": [
        _step(
            "Reverse a sequence",
            "The task: write the digits in reverse order. The first output is the last input, so each "
            "position must look at the far end of the sequence. This transformer's attention is "
            "**causal**: each position sees only itself and what came before. Press **Play**: it "
            "cannot get past about half right.\n\nSwitch **Attention** to **bidirectional** in the "
            "sidebar and train again.",
            {"causal": "true"},
            "test_accuracy >= 95% and epochs <= 15",
            locked=("task", "length"),
            page="transformer",
        ),
        _step(
            "Where does each position look?",
            "Train for a few seconds, then click a word in the view: its row of attention weights "
            "lights up. One head of the second block learns the anti-diagonal: position 1 looks at "
            "position 8, position 2 at 7, and so on.",
            {},
            page="transformer",
        ),
    ],
}

RAW["autoencoder"] = {
    "title": "Autoencoders: a code of a few numbers",
    "steps": [
        _step(
            "The bottleneck",
            "An autoencoder squeezes each 8×8 digit (64 numbers) through a **code** of a few numbers and "
            "rebuilds the digit from the code alone. With 2 numbers a lot is lost. How many does it take "
            "to rebuild the digits with a test error below 0.025? Move **Code size (bottleneck)**.",
            {"dataset": "digits"},
            "test_loss <= 0.025 and code_size <= 4 and epochs <= 100",
            locked=("dataset", "n_samples"),
            page="autoencoder",
        ),
        _step(
            "Codes that sort the digits",
            "Nobody tells the autoencoder which digit is which, yet similar digits get similar codes: "
            "the score is how often a test digit's 5 nearest training codes have its class. Keep the "
            "code at 2 numbers and reach 85 %: convolutions, which see strokes instead of single "
            "pixels, help (the **Layers** menu).",
            {"dataset": "digits"},
            "code_accuracy >= 85% and code_size <= 2 and epochs <= 60",
            locked=("dataset", "n_samples", "latent"),
            page="autoencoder",
        ),
        _step(
            "A smooth code space",
            "A **variational** autoencoder gives each input a small cloud of codes instead of one point, "
            "and pulls the clouds toward the middle (β weighs that pull). Click anywhere in the code "
            "plane to decode it, and compare with the plain autoencoder: the VAE leaves fewer holes "
            "between the digits that decode to nothing like a digit.",
            {"dataset": "digits", "variant": "vae", "beta": 0.003},
            page="autoencoder",
        ),
    ],
}

RAW["gan"] = {
    "title": "GANs: a game of two networks",
    "steps": [
        _step(
            "Mode collapse",
            "The generator turns noise into points; the discriminator tells them from the real ones, 8 "
            "clusters on a ring. Here the discriminator learns ten times slower than the generator, "
            "so the generator settles on the few clusters that fool it: press **Play** and count the "
            "clusters it covers.\n\nBalance the game with the two learning rates and cover all 8.",
            {"d_learning_rate": 0.0001},
            "modes_covered >= 8 and epochs <= 300",
            locked=("dataset", "n_samples", "spread", "generator", "discriminator"),
            page="gan",
        ),
        _step(
            "Twenty-five clusters",
            "A 5×5 grid is harder. Step the players by hand (**Step D**, **Step G**), try the four "
            "losses and more discriminator steps per generator step (k), and watch the arrows: each "
            "shows where the generator's next update pushes a sample.",
            {"dataset": "grid25"},
            page="gan",
        ),
    ],
}

# For each (lesson, step index) with a goal: a config change and epochs that meet the goal.
SOLUTIONS = {
    ("neuron", 0): ({}, 100),
    ("neuron", 1): ({"hidden": [4]}, 300),
    ("neuron", 2): ({"hidden": [3]}, 300),
    ("activations", 0): ({"activation": "tanh"}, 300),
    ("backprop", 1): ({}, 3),
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
    ("recurrent", 0): ({"net": "lstm"}, 60),
    ("transformer", 0): ({"causal": "false"}, 15),
    ("autoencoder", 0): ({"latent": 4}, 100),
    ("autoencoder", 1): (
        {
            "encoder": [
                "conv filters=16 kernel=3 stride=2 activation=relu",
                "conv filters=32 kernel=3 stride=2 activation=relu",
            ],
            "decoder": [
                "dense units=128 activation=relu",
                "reshape height=2 width=2",
                "convtranspose filters=16 kernel=3 stride=2 activation=relu",
                "convtranspose filters=8 kernel=3 stride=2 activation=relu",
            ],
        },
        40,
    ),
    ("gan", 0): ({"d_learning_rate": 0.001}, 100),
}


@functools.lru_cache(maxsize=1)
def lessons_by_id() -> dict[str, lessons.Lesson]:
    """Every built-in lesson, validated, by id (its link is ?lesson=builtin-ID)."""
    return {name: lessons.from_json(raw) for name, raw in RAW.items()}


PREFIX = "builtin-"
