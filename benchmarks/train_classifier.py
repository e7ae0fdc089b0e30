"""Train and freeze the feature classifier that `engine eval` measures a dataset's models with.

    python benchmarks/train_classifier.py --data ../shared/data/mnist-digits-10k.npz --size 28 --channels 1 \
        --out benchmarks/classifiers/digits
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.evaluation import save_classifier, train_classifier
from engine.evaluation.classifier import ClassifierInfo, predict
from engine.evaluation.labelled_data import load_labelled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--channels", type=int, choices=(1, 3), required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    data = load_labelled(args.data, args.size, args.channels)
    model = train_classifier(data.train_images, data.train_labels, len(data.classes), epochs=args.epochs)
    _, predicted, _ = predict(model, data.held_out_images)
    accuracy = float((predicted == data.held_out_labels.numpy()).mean())
    info = ClassifierInfo(args.channels, args.size, data.classes, round(accuracy, 4), args.data.name)
    save_classifier(args.out, model, info)
    print(f"held-out accuracy {accuracy:.4f}; saved to {args.out}")


if __name__ == "__main__":
    main()
