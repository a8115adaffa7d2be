"""Home page: what this is and where to go."""

import streamlit as st

st.set_page_config(page_title="Neural Network Playground", page_icon="🧠", layout="wide")
st.title("Neural Network Playground")
st.markdown(
    """
Build a neural network in the browser, train it live on a real JAX engine (CPU or GPU),
and watch every number move: the loss, every weight, every neuron's output over the plane.

- **Playground**: TensorFlow Playground's one-screen lab — data, network, output — with
  optimizers (SGD, momentum, Nesterov, Adagrad, RMSProp, Adam, AdamW), batch / stochastic /
  mini-batch descent, L1/L2, dropout and early stopping, at thousands of epochs per second.
  Click on the output plane to add points.
- **Backprop**: one training step as it is taught — forward pass, error, backward pass by the
  chain rule, weight update — neuron by neuron, with every formula filled in with the real numbers.
- **Optimizer lab**: race up to 8 optimizers, batch sizes and learning rates on the same data and
  the same initial weights in one compiled call; trajectories on classic loss landscapes.

Every experiment lives in the URL: copy the link to share it.
"""
)
st.page_link("pages/1_Playground.py", label="Open the Playground", icon="▶️")
st.page_link("pages/2_Backprop.py", label="Backprop, step by step", icon="🔍")
st.page_link("pages/3_Optimizer_lab.py", label="Optimizer lab", icon="🏁")
