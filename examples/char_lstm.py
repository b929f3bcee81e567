"""A character-level language model: an Embedding and an LSTM learn to predict the next character of English
text, then write some of their own.

    python examples/char_lstm.py [--steps 2000] [--sample] [--text FILE] [--out out/char_lstm]

The text ships with Python itself: the reference documentation that `help()` shows (pydoc_data/topics.py,
~460 000 characters), or any UTF-8 file given with --text. Each training batch is 32 random windows of 128
characters; the model reads a window and at every position predicts the next character (cross-entropy over
the vocabulary), so one batch teaches 32 x 128 predictions. After training it prints the validation loss in
bits per character (on the last 5% of the text, never trained on) and samples text from a prompt, one
character at a time, feeding its own output back in with the LSTM's state carried along.

Writes the checkpoint, the loss curve and the sampled text under --out.
"""
import argparse
import math
import os
import time

import numpy as np

import axonal as ax
import axonal.nn.functional as F
from axonal import nn, optim


def load_text(path=None):
    """(text, where it came from)."""
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    try:
        from pydoc_data import topics

        return "\n\n".join(topics.topics[k] for k in sorted(topics.topics)), topics.__file__
    except ImportError:  # a Python built without its documentation topics: any stdlib source file will do
        import argparse as module

        with open(module.__file__, encoding="utf-8") as f:
            return f.read(), module.__file__


class CharLSTM(nn.Module):
    def __init__(self, vocab, embed=64, hidden=256, layers=1):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, codes, state=None):
        """codes (B, T) int64 -> logits (B, T, vocab) and the LSTM state after the last step."""
        out, state = self.lstm(self.embed(codes), state)
        return self.head(out), state


def batches(codes, batch, length, rng):
    """Random windows: inputs codes[i:i+length] and targets codes[i+1:i+length+1]."""
    starts = rng.integers(0, len(codes) - length - 1, batch)
    idx = starts[:, None] + np.arange(length + 1)
    window = codes[idx]
    return window[:, :-1], window[:, 1:]


def mean_loss(model, codes, length, batch=64):
    """Cross-entropy per character (nats) over consecutive windows of ``codes``."""
    model.eval()
    total, count = 0.0, 0
    n = (len(codes) - 1) // length
    with ax.no_grad():
        for start in range(0, n, batch):
            rows = np.arange(start, min(start + batch, n))
            idx = rows[:, None] * length + np.arange(length + 1)
            window = codes[idx]
            logits, _ = model(ax.tensor(window[:, :-1]))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ax.tensor(window[:, 1:].reshape(-1)),
                                   reduction="sum")
            total += loss.item()
            count += window[:, 1:].size
    model.train()
    return total / count


def sample(model, chars, prompt, length, temperature, rng):
    """Text that continues ``prompt``: one character at a time, the LSTM state carried from step to step."""
    lookup = {c: i for i, c in enumerate(chars)}
    codes = [lookup[c] for c in prompt if c in lookup] or [0]
    model.eval()
    out = []
    with ax.no_grad():
        logits, state = model(ax.tensor(np.array([codes], dtype=np.int64)))
        for _ in range(length):
            z = logits.numpy()[0, -1].astype(np.float64) / temperature
            p = np.exp(z - z.max())
            code = int(rng.choice(len(chars), p=p / p.sum()))
            out.append(chars[code])
            logits, state = model(ax.tensor(np.array([[code]], dtype=np.int64)), state)
    model.train()
    return prompt + "".join(out)


def save_curve(steps, losses, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'axonal[plot]')")
        return False
    fig, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(steps, [v / math.log(2) for v in losses])
    axis.set(xlabel="training step", ylabel="bits per character", title="training loss (running mean)")
    axis.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="character-level LSTM language model")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--sample", action="store_true", help="a quick run: 40 steps on the first 40 000 characters")
    parser.add_argument("--text", default=None, help="a UTF-8 text file (default: Python's pydoc topics)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--prompt", default="The ")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--out", default=os.path.join("out", "char_lstm"))
    args = parser.parse_args(argv)
    if args.sample:
        args.steps, args.seq_len, args.batch_size = min(args.steps, 40), 64, 32
    os.makedirs(args.out, exist_ok=True)

    text, source = load_text(args.text)
    if args.sample:
        text = text[:40000]
    chars = sorted(set(text))
    lookup = {c: i for i, c in enumerate(chars)}
    codes = np.array([lookup[c] for c in text], dtype=np.int64)
    split = int(len(codes) * 0.95)
    train_codes, val_codes = codes[:split], codes[split:]
    print(f"text: {len(text)} characters from {source}, {len(chars)} distinct")

    ax.manual_seed(0)
    rng = np.random.default_rng(0)
    model = CharLSTM(len(chars), hidden=args.hidden, layers=args.layers)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(args.steps, 1))
    running, curve_steps, curve = None, [], []
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = batches(train_codes, args.batch_size, args.seq_len, rng)
        optimizer.zero_grad()
        logits, _ = model(ax.tensor(x))
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), ax.tensor(y.reshape(-1)))
        loss.backward()
        optimizer.step()
        scheduler.step()
        value = loss.item()
        running = value if running is None else 0.95 * running + 0.05 * value
        curve_steps.append(step)
        curve.append(running)
        if step % max(args.steps // 10, 1) == 0 or step == args.steps:
            print(f"step {step}/{args.steps}: loss {running / math.log(2):.3f} bits/char, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    seconds = time.perf_counter() - start
    val = mean_loss(model, val_codes, args.seq_len)
    first = curve[0]
    print(f"validation loss: {val / math.log(2):.3f} bits/char (the first batch: {first / math.log(2):.3f}; "
          f"uniform guessing: {math.log2(len(chars)):.3f}); {args.steps} steps in {seconds:.0f} s")
    text_out = sample(model, chars, args.prompt, 400, args.temperature, rng)
    print("sample:\n" + text_out)
    ax.save({"model": model.state_dict(), "chars": "".join(chars)}, os.path.join(args.out, "char_lstm.safetensors"))
    with open(os.path.join(args.out, "sample.txt"), "w", encoding="utf-8") as f:
        f.write(text_out + "\n")
    save_curve(curve_steps, curve, os.path.join(args.out, "char_lstm_loss.png"))
    print(f"wrote the checkpoint, sample.txt and char_lstm_loss.png to {args.out}")
    return {"val_bits": val / math.log(2), "first_bits": first / math.log(2), "sample": text_out}


if __name__ == "__main__":
    main()
