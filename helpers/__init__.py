"""Thin shared code for the softmax-regression course: data, device, reproducibility, plots.

What a lesson is about is written in its notebook; this package only holds the plumbing that
several notebooks share.
"""
from .data import TEXT_LABELS, DataError, FashionMNIST, load_fashion_mnist, text_labels
from .batches import Minibatches  # generated from notebook 00 (tools/export_lessons.py)
from .plotting import LivePlot, plot_confusion_matrix, show_images
from .reproducibility import choose_device, seed_everything, setup

__all__ = ["TEXT_LABELS", "DataError", "FashionMNIST", "Minibatches", "load_fashion_mnist",
           "text_labels", "LivePlot", "plot_confusion_matrix", "show_images", "choose_device",
           "seed_everything", "setup"]
