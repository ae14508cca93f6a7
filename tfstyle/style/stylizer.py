"""What the feed-forward stylizers (FastStyle, AdaIN) share: one trained network, loss terms computed with a
frozen VGG, the references' Adam, and the `fit` steps around them."""

import keras
import tensorflow as tf

from tfstyle import _compat
from tfstyle.training.kind import ModelKind
from tfstyle.training.optimizers import Adam


class FeedForwardStylizer(ModelKind):
    """Base class: subclasses set `self.trained` (the network `fit` updates) and define `_loss_terms(data, training)`,
    which returns {"loss": total, **parts}."""

    def configure_training(self, optimizer, learning_rate, term_names, **kwargs):
        """The part of `compile` both share: Adam(`learning_rate`) (a rate or a schedule) as the references run it
        (`tfstyle.training.optimizers.Adam`), one tracker per loss term, optimiser slots built now."""
        super().compile(optimizer=optimizer or Adam(learning_rate), **kwargs)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", *term_names)}
        self.build_optimizers()

    @property
    def metrics(self):
        return list(getattr(self, "trackers", {}).values())

    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self._loss_terms(data, training=True)
        self.apply_loss(tape, terms["loss"], self.optimizer, self.trained.trainable_variables)
        return self._track(terms)

    def test_step(self, data):
        return self._track(self._loss_terms(data, training=False))

    def _track(self, terms):
        for name, value in terms.items():
            self.trackers[name].update_state(value)
        return _compat.step_logs(self.trackers)

    def optimizer_variables(self):
        return [(self.optimizer, self.trained.trainable_variables)]

    def get_config(self):
        return {**super().get_config(), **self.config}
