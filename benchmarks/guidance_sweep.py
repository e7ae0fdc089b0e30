"""How classifier-free guidance trades class fidelity against sample quality, for one
class-conditional model: the table of guidance scale against accuracy and FD.

    python benchmarks/guidance_sweep.py fashion -n 500 --guidance 0,1,2,3,5 --out results/fashion-guidance.json

For each guidance scale w, every class is sampled `-n` times (class c from seeds seed + c * n on,
the same for every scale: at w = 0, which ignores the class, the same seeds in every class would
repeat the same n images ten times and collapse the overall FD) and measured as `engine eval` measures (docs/models.md): the frozen classifier's accuracy
for the class asked for, and the Frechet distance in its features, per class (against the
held-out real images of that class) and overall (all classes' samples against all held-out
images). w = 0 is the unconditional model, w = 1 plain conditional sampling.

`--baseline MODEL` adds the row the conditional model must not fall below: an unconditional model
(the bundled one it was fine-tuned from) sampled as many times in all, its images grouped by the
class the classifier gives them, and each group's FD taken against that class's held-out images.
Grouping by the classifier picks each class's most typical samples, which lack the ambiguous images
a real class holds: at 1,000 per class that raised the guided garments' FD (each class's "fd_classified",
the same grouping) well above their FD over all images asked for (docs/models.md, fashion).

The model's class i is the classifier's class i: both are the data's sorted labels (the model's may
carry readable names, e.g. Fashion-MNIST's, where the classifier's are "0"-"9"; the JSON lists both).
The overall FD compares an equal number of samples per class with the real mix of classes: fair
for digits and fashion (balanced), not for emoji, whose per-class FDs are the ones to read. Per-class
FDs from a few hundred samples are biased upward: compare them only at the same -n. The JSON file
is rewritten after every scale, so a run cut short keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from engine.atomic import atomic_write_text
from engine.checkpoints import LoadedModel, ModelStore, load_model
from engine.device import resolve_device, set_threads
from engine.errors import ConfigError
from engine.evaluation import EvaluationReference, open_reference
from engine.generate import GenerationRequest, generate

MIN_GROUP = 10  # images classified into one class, fewest for a per-class FD of the baseline


CARD = "card"  # the --guidance entry of each class's recommended scale (the card's, per class where it says)


def guidance_scales(text: str) -> list[float | None]:
    """"0,1,2.5,card" -> [0.0, 1.0, 2.5, None]: None samples each class at its recommended scale."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        scales = [None if part == CARD else float(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers (or {CARD})") from None
    if not scales or any(scale is not None and scale < 0 for scale in scales):
        raise argparse.ArgumentTypeError(f"give one or more guidance scales >= 0 (or {CARD})")
    return scales


def sweep_row(model: LoadedModel, reference: EvaluationReference, scale: float | None,
              request: GenerationRequest) -> dict:
    """One scale (None: each class at its recommended one): every class sampled with `request`
    (count and seeds), measured per class and overall.
    Each class has two FDs: of all its images ("fd"), and of those the classifier puts in it
    ("fd_classified"), the baseline's grouping, so that the guided and unconditional images of a
    class can also be compared on equal terms."""
    per_class, everything = [], []
    for index, name in enumerate(model.spec.class_names):
        asked = GenerationRequest(**{**asdict(request), "class_label": index, "guidance": scale,
                                     "seed": request.seed + index * request.count})
        generated = generate(model, asked)
        images = generated.images
        accuracy, report = reference.evaluate_class(images, index)
        per_class.append({"class": name, "classifier_class": reference.info.classes[index],
                          "guidance": generated.guidance, "accuracy": accuracy,
                          "fd": report.fd if report else None,
                          "fd_real_split": report.fd_real_split if report else None,
                          "fd_classified": classified_group_fd(reference, images, reference.classified(images), index),
                          "held_out_real": report.real if report else 0})
        everything.append(images)
    overall = reference.evaluate(np.concatenate(everything))
    return {"guidance": CARD if scale is None else scale,
            "accuracy": float(np.mean([row["accuracy"] for row in per_class])),
            "fd": overall.fd, "fd_real_split": overall.fd_real_split,
            "mean_class_fd": mean_fd(per_class, "fd"), "mean_class_fd_classified": mean_fd(per_class, "fd_classified"),
            "classes": per_class}


def classified_group_fd(reference: EvaluationReference, images: np.ndarray, predicted: np.ndarray,
                        index: int) -> float | None:
    """The FD of the images the classifier put in class `index` (`predicted`) against that class's
    real images; None for a group under MIN_GROUP images or a class without enough real ones."""
    group = images[predicted == index]
    if len(group) < MIN_GROUP:
        return None
    report = reference.evaluate_class(group, index)[1]
    return report.fd if report else None


def mean_fd(per_class: list[dict], key: str) -> float | None:
    """The mean of the classes' FDs under `key` that were measured; None if none was."""
    values = [row[key] for row in per_class if row[key] is not None]
    return float(np.mean(values)) if values else None


def baseline_row(model: LoadedModel, reference: EvaluationReference, classes: int, request: GenerationRequest) -> dict:
    """An unconditional model's images (`classes` x the request's count), FD per class they were
    classified as; a class given fewer than MIN_GROUP images gets no FD."""
    images = generate(model, GenerationRequest(**{**asdict(request), "count": request.count * classes})).images
    predicted = reference.classified(images)
    per_class = [{"classifier_class": reference.info.classes[index], "share": float(np.mean(predicted == index)),
                  "fd": classified_group_fd(reference, images, predicted, index)} for index in range(classes)]
    return {"fd": reference.evaluate(images).fd, "mean_class_fd": mean_fd(per_class, "fd"), "classes": per_class}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a class-conditional model: name, model folder or run folder")
    parser.add_argument("--guidance", type=guidance_scales, default=guidance_scales("0,1,1.5,2,3,5"),
                        help=f"guidance scales, comma-separated, {CARD} for each class's recommended one "
                             "(default 0,1,1.5,2,3,5)")
    parser.add_argument("-n", "--count", type=int, default=500, help="images per class and scale (default 500)")
    parser.add_argument("--sampler", default=None, help="default: the model's recommendation")
    parser.add_argument("--steps", type=int, default=None, help="default: the model's recommendation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--classifier", type=Path, default=None, help="default: the card's eval_classifier")
    parser.add_argument("--data", type=Path, default=None, help="labelled .npz (default: the classifier's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--baseline", default=None,
                        help="an unconditional model to measure per class too (e.g. the bundled one fine-tuned from)")
    parser.add_argument("--selection", action="store_true",
                        help="measure against the classifier's training split (to choose the scale), not the "
                             "held-out images (to report it)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file of result rows")
    args = parser.parse_args(argv)

    set_threads(args.threads)
    model = load_model(ModelStore().resolve(args.model), resolve_device(args.device))
    if not model.spec.is_conditional:
        raise SystemExit(f"{args.model} is not a class-conditional model: there is no guidance to sweep")
    reference = open_reference(model, args.model, args.classifier, args.data)
    if args.selection:
        reference = reference.for_selection()
    try:
        reference.check_steering(model, "the model", class_label=None, random_class=True)  # every class is asked for
    except ConfigError as error:
        raise SystemExit(str(error)) from None
    try:
        request = GenerationRequest(count=args.count, seed=args.seed, sampler=args.sampler, steps=args.steps,
                                    batch_size=args.batch)
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None

    results = {"model": args.model, "count_per_class": args.count, "seed": args.seed, "device": str(model.device),
               "compared_with": "training split (selection)" if args.selection else "held-out images", "rows": []}
    print(f"{'guidance':>8}  {'accuracy':>8}  {'FD':>8}  {'class FD':>8}", flush=True)
    for scale in args.guidance:
        row = sweep_row(model, reference, scale, request)
        results["rows"].append(row)
        atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")
        class_fd = "n/a" if row["mean_class_fd"] is None else f"{row['mean_class_fd']:.3f}"
        print(f"{row['guidance']:>8}  {row['accuracy']:>8.3f}  {row['fd']:>8.3f}  {class_fd:>8}", flush=True)
    if args.baseline:
        baseline = load_model(ModelStore().resolve(args.baseline), model.device)
        row = {"model": args.baseline, **baseline_row(baseline, reference, len(model.spec.class_names), request)}
        results["baseline"] = row
        atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")
        class_fd = "n/a" if row["mean_class_fd"] is None else f"{row['mean_class_fd']:.3f}"
        print(f"{'baseline':>8}  {'':>8}  {row['fd']:>8.3f}  {class_fd:>8}  ({args.baseline}, by classified class)",
              flush=True)


if __name__ == "__main__":
    main()
