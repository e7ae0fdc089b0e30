"""`engine eval`: FD / classifier accuracy / mode coverage of a model's samples (see docs)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from engine.checkpoints import LoadedModel
from engine.cli.common import (
    add_class_arguments,
    add_device_arguments,
    add_solver_arguments,
    class_from_args,
    open_model,
    solver_from_args,
)
from engine.errors import ConfigError
from engine.evaluation import DATA_ENV, open_reference, reference_warnings
from engine.evaluation.image_parts import joined_result, load_part, part_of, run_settings, save_part
from engine.generate import GenerationRequest, GenerationResult, generate
from engine.guidance import guidance_words, scales_by_class
from engine.output_folder import check_output_folder
from engine.sampling import SAMPLERS


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="sample quality: Frechet distance in a classifier's feature space")
    p.add_argument("--model", required=True)
    p.add_argument("-n", "--count", type=int, default=5000, help="generated images (>= 5000 for reported numbers)")
    p.add_argument("--classifier", type=Path, default=None,
                   help="classifier folder (default: benchmarks/classifiers/<model card 'eval_classifier'>)")
    p.add_argument("--data", type=Path, default=None,
                   help=f"labelled .npz (default: the classifier's dataset file, looked up in ${DATA_ENV}, "
                        "else ../shared/data beside the repository)")
    p.add_argument("--sampler", choices=list(SAMPLERS), default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    parts = p.add_mutually_exclusive_group()
    parts.add_argument("--save-images", type=Path, default=None, metavar="PART",
                       help="also keep the images and how they were made in PART (.npz): runs of other seeds "
                            "measure together as one run with --from-images")
    parts.add_argument("--from-images", type=Path, nargs="+", default=None, metavar="PART",
                       help="measure these parts (--save-images) as the one run of -n images from --seed, "
                            "instead of sampling; give the options they were made with")
    add_class_arguments(p)
    add_solver_arguments(p)
    add_device_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.count < 2:
        raise ConfigError("-n must be at least 2: FD compares covariances (reported numbers use >= 5,000 images)")
    model = open_model(args.model, args)
    class_label, random_class = class_from_args(args, model)  # refuses a class of an unconditional model
    reference = open_reference(model, args.model, args.classifier, args.data)
    warnings = reference_warnings(reference, args.data, args.count)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    reference.check_steering(model, args.model, class_label, random_class)  # said before sampling, not after
    request = GenerationRequest(count=args.count, seed=args.seed, sampler=args.sampler, steps=args.steps,
                                batch_size=args.batch, solver=solver_from_args(args), class_label=class_label,
                                random_class=random_class, guidance=args.guidance)
    settings = run_settings(model, request)
    if args.from_images:
        result = joined_result([(path, load_part(path)) for path in args.from_images], settings, args.seed, args.count)
    else:
        result = sampled(model, request, args.save_images)
        if args.save_images is not None:
            save_part(args.save_images, part_of(result, settings, args.seed))
    report, in_class = reference.evaluate_generation(result.images, class_label, result.class_labels)
    output = {"model": args.model, **asdict(report), "sampler": result.sampler, "steps": result.steps,
              "solver": settings["solver"], "class": args.class_choice, "guidance": result.guidance,
              "in_asked_class": in_class, "warnings": warnings}
    if result.guidance is None and result.class_labels is not None:  # each class at its own scale
        output["guidance_by_class"] = scales_by_class(model.spec.class_names, result.class_labels,
                                                      result.guidance_scales)
    if args.json:
        print(json.dumps(output))
    else:
        print(f"FD {report.fd:.3f} (real-vs-real floor {report.fd_real_split:.3f}); classifier accuracy "
              f"{report.classifier_accuracy:.4f}; {report.generated} generated vs {report.real} held-out images")
        if in_class is not None:
            print(f"in the class asked for: {in_class:.4f} ({guidance_words(result.guidance)})")
        print(f"clearly one class (p >= 0.9): generated {report.generated_confident:.3f}, "
              f"real {report.real_confident:.3f}")
        for name, gen, real in zip(report.classes, report.generated_histogram, report.real_histogram):
            print(f"  {name:<24} generated {gen:6.3f}  real {real:6.3f}")
    return 0


def sampled(model: LoadedModel, request: GenerationRequest, part: Path | None) -> GenerationResult:
    """`request`'s images, with a progress bar; a folder that cannot take the `part` file they
    will be kept in is refused before the sampling, not after."""
    if part is not None:
        size = request.count * model.spec.image_size ** 2 * model.spec.channels
        check_output_folder(part.expanduser().parent, needed_bytes=size)
    with tqdm(total=None, unit="step", desc="sampling", leave=False) as bar:
        def on_progress(p) -> None:
            bar.total = p.total
            bar.update(p.done - bar.n)

        return generate(model, request, progress=on_progress)
