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

Every experiment lives in the URL: copy the link to share it.
"""
)
st.page_link("pages/1_Playground.py", label="Open the Playground", icon="▶️")
