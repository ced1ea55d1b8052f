#!/usr/bin/env python3
"""Reference vectors for the LSTM tests (Tests/StockHubTests/Forecasting/LSTMTests.swift).

Regenerate from the repository root (this pin reproduces the committed file byte for byte):
    python3 -m venv /tmp/lstm-venv
    /tmp/lstm-venv/bin/pip install numpy==2.4.6
    /tmp/lstm-venv/bin/python Tests/Vectors/lstm/generate.py

Writes Tests/Vectors/lstm/vectors.json. NumPy only, fixed seeds: every case is a one-layer
LSTM with random weights and inputs, run forward from h0 = c0 = 0 and read out by a linear
layer from the last hidden state.

Conventions recorded in the JSON (PyTorch's torch.nn.LSTM, gate order i, f, g, o):
    z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        (4*hidden values)
    i = sigmoid(z[0:H]), f = sigmoid(z[H:2H]), g = tanh(z[2H:3H]), o = sigmoid(z[3H:4H])
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)
    y = W_out h_T + b_out
    loss = mean over batch and outputs of (y - target)^2
weight_ih is (4*hidden, input) and weight_hh is (4*hidden, hidden), row blocks in gate order,
as PyTorch's weight_ih_l0 and weight_hh_l0; bias_ih and bias_hh as bias_ih_l0 and bias_hh_l0
(only their sum matters). inputs[b][t] is sequence b's input at step t; hidden[b][t] and
cell[b][t] are h and c after step t.
"""
import json
import os
import platform

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def run(weight_ih, weight_hh, bias_ih, bias_hh, output_weight, output_bias, inputs):
    batch, steps, _ = inputs.shape
    hidden_size = weight_hh.shape[1]
    h = np.zeros((batch, hidden_size))
    c = np.zeros((batch, hidden_size))
    hs, cs = [], []
    for t in range(steps):
        z = inputs[:, t, :] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
        i = sigmoid(z[:, 0:hidden_size])
        f = sigmoid(z[:, hidden_size:2 * hidden_size])
        g = np.tanh(z[:, 2 * hidden_size:3 * hidden_size])
        o = sigmoid(z[:, 3 * hidden_size:4 * hidden_size])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    outputs = h @ output_weight.T + output_bias
    return np.stack(hs, axis=1), np.stack(cs, axis=1), outputs


def case(name, seed, input_size, hidden_size, output_size, steps, batch, scale):
    """Weights U(-scale, scale): larger than PyTorch's 1/sqrt(hidden) so gates saturate too."""
    rng = np.random.default_rng(seed)
    weight_ih = rng.uniform(-scale, scale, (4 * hidden_size, input_size))
    weight_hh = rng.uniform(-scale, scale, (4 * hidden_size, hidden_size))
    bias_ih = rng.uniform(-scale, scale, 4 * hidden_size)
    bias_hh = rng.uniform(-scale, scale, 4 * hidden_size)
    output_weight = rng.uniform(-scale, scale, (output_size, hidden_size))
    output_bias = rng.uniform(-scale, scale, output_size)
    inputs = rng.standard_normal((batch, steps, input_size))
    targets = rng.standard_normal((batch, output_size))
    hidden, cell, outputs = run(weight_ih, weight_hh, bias_ih, bias_hh, output_weight, output_bias, inputs)
    loss = float(np.mean((outputs - targets) ** 2))
    return {
        "name": name,
        "input_size": input_size, "hidden_size": hidden_size, "output_size": output_size,
        "steps": steps, "batch": batch,
        "weight_ih": weight_ih.tolist(), "weight_hh": weight_hh.tolist(),
        "bias_ih": bias_ih.tolist(), "bias_hh": bias_hh.tolist(),
        "output_weight": output_weight.tolist(), "output_bias": output_bias.tolist(),
        "inputs": inputs.tolist(), "targets": targets.tolist(),
        "hidden": hidden.tolist(), "cell": cell.tolist(),
        "outputs": outputs.tolist(), "loss": loss,
    }


def main():
    document = {
        "source": "Tests/Vectors/lstm/generate.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__},
        "gate_order": ["i", "f", "g", "o"],
        "equations": [
            "z = weight_ih x_t + bias_ih + weight_hh h_{t-1} + bias_hh",
            "i = sigmoid(z_i), f = sigmoid(z_f), g = tanh(z_g), o = sigmoid(z_o)",
            "c_t = f * c_{t-1} + i * g",
            "h_t = o * tanh(c_t)",
            "outputs = output_weight h_T + output_bias",
            "loss = mean((outputs - targets)^2)",
        ],
        "cases": [
            case("small, saturating", 11, input_size=2, hidden_size=3, output_size=2, steps=5, batch=3, scale=1.5),
            case("forecaster shape", 12, input_size=1, hidden_size=16, output_size=5, steps=20, batch=4, scale=0.25),
            case("wide inputs", 13, input_size=4, hidden_size=7, output_size=3, steps=9, batch=2, scale=0.6),
        ],
    }
    with open(os.path.join(HERE, "vectors.json"), "w") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")


if __name__ == "__main__":
    main()
