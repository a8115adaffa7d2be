"""Entry point: the navigation (named pages with Material icons) and the home page."""

import streamlit as st
from PIL import Image

from playground.live import ui


def home():
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
- **CNN**: assemble conv, pooling and dense layers and train them live on real handwritten
  digits (MNIST), 8×8 digits or drawn shapes; watch every feature map and filter, see one
  convolution computed with the real numbers, draw a digit and get its prediction.
- **Recurrent**: RNN, LSTM and GRU on sequences (remember, sum, reverse, sort,
  balanced parentheses, a character model of your own text): the network unrolled over time,
  its hidden state and gates, and the gradient vanishing (or not) as it reaches back in time.
- **Transformer**: a tiny transformer learns to reverse and sort digits or write text; watch every
  attention weight of every head, the positional encodings and the token embeddings as it learns.
- **Autoencoder**: squeeze digits, shapes or 2-D points through a code of 1 to 16 numbers and
  rebuild them; watch the digits sort themselves into clusters in the code plane, click anywhere
  in it to decode that point, and walk from one image to another through the code space.
- **GAN**: two networks play a game — a generator makes points (or digits) from noise, a
  discriminator tells them from real ones; GAN Lab's views (the discriminator over the plane, the
  push on every sample, the noise space bent into the data) with Step D / Step G, four losses,
  your own drawn target, and the numbers: modes covered, energy distance, digits recognized.

- **Classroom**: lessons in steps with instructions and goals ("test loss ≤ 0.05 with at most
  8 neurons"), seven built-in ones on the basics, an editor that turns the Playground's current
  setup into a step, a student link and a secret teacher link, and a live leaderboard whose
  scores the server recomputes.

Every experiment lives in the URL: copy the link to share it.
"""
    )
    st.page_link(PAGES[1], label="Open the Playground", icon=":material/play_circle:")
    st.page_link(PAGES[2], label="Backprop, step by step", icon=":material/account_tree:")
    st.page_link(PAGES[3], label="Optimizer lab", icon=":material/speed:")
    st.page_link(PAGES[4], label="CNN on handwritten digits", icon=":material/grid_on:")
    st.page_link(PAGES[5], label="Recurrent networks on sequences", icon=":material/replay:")
    st.page_link(PAGES[6], label="A transformer's attention", icon=":material/center_focus_weak:")
    st.page_link(PAGES[7], label="An autoencoder's code space", icon=":material/compress:")
    st.page_link(PAGES[8], label="A GAN's game, step by step", icon=":material/sports_kabaddi:")
    st.page_link(PAGES[9], label="Classroom: lessons, goals, leaderboards", icon=":material/school:")


PAGES = [
    st.Page(home, title="Home", icon=":material/home:", default=True),
    st.Page("pages/1_Playground.py", title="Playground", icon=":material/hub:"),
    st.Page("pages/2_Backprop.py", title="Backprop", icon=":material/account_tree:"),
    st.Page("pages/3_Optimizer_lab.py", title="Optimizer lab", icon=":material/speed:"),
    st.Page("pages/4_CNN.py", title="CNN", icon=":material/grid_on:"),
    st.Page("pages/5_Recurrent.py", title="Recurrent", icon=":material/replay:"),
    st.Page("pages/6_Transformer.py", title="Transformer", icon=":material/center_focus_weak:"),
    st.Page("pages/7_Autoencoder.py", title="Autoencoder", icon=":material/compress:"),
    st.Page("pages/8_GAN.py", title="GAN", icon=":material/sports_kabaddi:"),
    st.Page("pages/9_Classroom.py", title="Classroom", icon=":material/school:"),
]
# The tab icon is the circle dataset's thumbnail, made here: an icon font or emoji would be
# fetched from the internet or depend on the viewer's fonts.
ICON = Image.fromarray(ui.thumbnails()["circle"])
st.set_page_config(page_title="Neural Network Playground", page_icon=ICON, layout="wide")
st.session_state["nav.ready"] = True  # the pages know they were reached through this navigation
st.navigation(PAGES).run()
