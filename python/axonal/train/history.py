"""History: per-epoch metrics returned by fit(), with a plot of the curves."""


class History:
    def __init__(self):
        self.history = {}
        self.epochs = []

    def append(self, epoch, logs):
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def last(self, key, default=None):
        values = self.history.get(key)
        return values[-1] if values else default

    def __repr__(self):
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epochs)}, keys=[{keys}])"

    def plot(self, path, val_label="validation"):
        """Writes a PNG with one panel per metric (loss, accuracy, ...), train and validation curves together.

        Args:
            path: the PNG file to write.
            val_label: what the ``val_`` curves are called in the legend; "test" when fit's ``val_loader`` was
                the test set (as in the demo).

        Returns:
            ``path``.
        """
        fig = self.figure(val_label)
        import matplotlib.pyplot as plt

        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path

    def figure(self, val_label="validation"):
        """The matplotlib Figure that ``plot`` saves (epochs on the x axis, ticks at whole epochs only)."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            raise ImportError(
                "[History.plot] matplotlib is needed for plots: pip install 'axonal[plot]' (or pip install matplotlib)"
            ) from None
        names = [k for k in self.history if not k.startswith("val_") and k not in ("lr", "epoch_time", "images_per_s")]
        fig, axes = plt.subplots(1, max(len(names), 1), figsize=(5 * max(len(names), 1), 4), squeeze=False)
        for ax, name in zip(axes[0], names):
            ax.plot(self.epochs, self.history[name], marker="o", label=f"train {name}")
            if f"val_{name}" in self.history:
                ax.plot(self.epochs, self.history[f"val_{name}"], marker="o", label=f"{val_label} {name}")
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epoch 1, 2, 3: never 1.5
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        return fig
