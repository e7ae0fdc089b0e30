"""Build the photo denoiser's training corpus: real, clean photographs at full resolution from
Debian packages (fetched with apt) and the sample photos inside scikit-image's wheel.

    python scripts/build_photo_corpus.py [--cache DIR] [--split-file PATH]

A photo gets in through two gates. By eye, once: scripts/photo_corpus_selection.json names the
files judged to be real photographs (no renders, drawings, gradients, screenshots, logos, text)
under a licence that allows redistribution, with that licence and the attribution it needs. By
measurement, on every run: at least MIN_PIXELS, an estimated JPEG quality of at least
MIN_JPEG_QUALITY (JPEG files only: lossy WebP and JPEG XL have no such estimate, so those were
judged at 100 % by eye) and an estimated noise of at most MAX_NOISE_SIGMA; a photo that fails is
reported and left out.

A Debian source is fetched with the machine's own apt sources, or, where the selection names a
"suite" (e.g. sid, for photos newer than the machine's release), with an apt configuration private
to the build in `<cache>/apt/<suite>/` (its own sources.list, lists, cache and state, updated once
per build), so the system's apt sources and lists are neither used nor changed.

Nothing is resized. A JPEG in sRGB (no ICC profile, or an sRGB one) is kept byte for byte, so it
is not compressed twice; anything else (PNG, WebP, JPEG XL, a JPEG in Adobe RGB or Display P3) is
converted to 8-bit sRGB RGB and stored as PNG. JPEG XL is decoded with imagecodecs (dev extra),
as this Pillow cannot read it. The cache gets `<source>-<name>.<ext>`, SOURCES.md (size, package
and version, original file, licence, attribution of each), corpus.json (the measurements; a re-run
skips what they show done) and copyright/<source>. The split file gets "test" (the originals of
the benchmark's held-out photos, benchmarks/photo_split.json, never to be trained or validated on)
and "validation" (chosen by the first build as about VALIDATION_FRACTION of the rest, spread over
the sources, then kept: see corpus_split); everything else is training. docs/corpus.md tells how
the choices were made.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.metadata
import io
import json
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import platformdirs
from PIL import Image

from engine.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from engine.data.pixel_modes import converted_to_srgb, is_srgb_profile, to_channels
from engine.denoise.jpeg_compression import jpeg_quality
from engine.denoise.noise_estimate import combined_sigma, estimate_noise_sigma
from engine.paths import APP_NAME

REPO = Path(__file__).resolve().parents[1]
SELECTION_FILE = Path(__file__).with_name("photo_corpus_selection.json")
BENCHMARK_SPLIT_FILE = REPO / "benchmarks" / "photo_split.json"
DEFAULT_SPLIT_FILE = REPO / "benchmarks" / "corpus_split.json"
DEFAULT_CACHE = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "photo-corpus"
MANIFEST_NAME = "corpus.json"

MIN_PIXELS = 500 * 500  # crops of 256 px still fit; libjxl's 500 px photos are small but very clean
MIN_JPEG_QUALITY = 85  # libjpeg scale; below it block edges and ringing show at 100 %, and the
# trainer round-trips its noisy inputs through JPEG 60-98 to teach removing exactly those
MAX_NOISE_SIGMA = 3.0  # 0-255 units; the estimator reads clean but finely textured photos up to ~3
VALIDATION_FRACTION = 0.1

EET_MAGIC = 0x1EE70F42  # Eet, Enlightenment's archive format (.edj), file format 2
JPEG_XL_SIGNATURES = (b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")  # bare codestream, ISOBMFF container
DEBIAN_MIRROR = "http://deb.debian.org/debian"  # where a source's "suite" is fetched from


class CorpusError(Exception):
    """A problem that stops the build; main() prints it as one line."""


class AptUnavailableError(CorpusError):
    """apt-get or dpkg-deb is missing, so no Debian package can be fetched."""


@dataclass(frozen=True)
class Provenance:
    """Where a photo comes from and the terms it is under (its row of SOURCES.md)."""
    package: str
    version: str
    original: str
    licence: str
    attribution: str


@dataclass(frozen=True)
class Record:
    """One measured photo (an entry of corpus.json): `file` is the stored file's name, None when
    the photo failed a measurement; `jpeg_quality` is the original file's, None if not a JPEG."""
    name: str
    file: str | None
    width: int
    height: int
    jpeg_quality: int | None
    noise_sigma: float
    provenance: Provenance


def load_selection(path: Path = SELECTION_FILE) -> dict:
    """The curated allow list: the only sources the script ever fetches or opens."""
    return json.loads(path.read_text("utf-8"))


def selected_photos(selection: dict) -> dict[str, dict]:
    """Every selected photo by name: its source, original file, licence and attribution (the
    photo's own, else its source's)."""
    return {photo["name"]: {"source": source, "original": photo["original"],
                            "licence": photo.get("licence", spec.get("licence")),
                            "attribution": photo.get("attribution", spec.get("attribution"))}
            for kind in ("debian", "python") for source, spec in selection[kind].items() for photo in spec["photos"]}


def rejection(record: Record) -> str | None:
    """Why a measured photo stays out of the corpus, or None if it is in."""
    if record.width * record.height < MIN_PIXELS:
        return f"{record.width}x{record.height} is under {MIN_PIXELS / 1e6:.2f} MP"
    if record.jpeg_quality is not None and record.jpeg_quality < MIN_JPEG_QUALITY:
        return f"JPEG quality {record.jpeg_quality} < {MIN_JPEG_QUALITY}"
    if record.noise_sigma > MAX_NOISE_SIGMA:
        return f"noise sigma {record.noise_sigma:.1f} > {MAX_NOISE_SIGMA}"
    return None


def largest_eet_jpeg(data: bytes) -> bytes:
    """The largest JPEG in an Eet archive. Enlightenment stores each wallpaper as a ladder of
    sizes of one photo, entries 'edje/images/N' holding plain JPEG files. Layout (big-endian):
    magic, entry count, dictionary count, then per entry offset, size, data size, name offset,
    name size, flags. Compressed entries do not start with the JPEG marker and are skipped."""
    magic, count = struct.unpack_from(">II", data)
    if magic != EET_MAGIC:
        raise CorpusError("not an Eet archive (.edj)")
    best, best_pixels = None, 0
    for index in range(count):
        offset, size, _, name_offset, name_size, _ = struct.unpack_from(">6I", data, 12 + 24 * index)
        blob = data[offset:offset + size]
        if data[name_offset:name_offset + name_size].startswith(b"edje/images/") and blob[:2] == b"\xff\xd8":
            width, height = Image.open(io.BytesIO(blob)).size
            if width * height > best_pixels:
                best, best_pixels = blob, width * height
    if best is None:
        raise CorpusError("the Eet archive holds no JPEG image")
    return best


def to_srgb(image: Image.Image) -> Image.Image:
    """8-bit sRGB RGB pixels of a decoded photo. An embedded profile other than sRGB (Adobe RGB,
    Display P3) is converted through, so colours stay as shot; an unreadable one is taken as sRGB,
    as browsers do. Other modes (grey, alpha, CMYK, 16 bit) follow engine.data.pixel_modes."""
    if image.mode in ("RGB", "RGBA") and not is_srgb_profile(image.info.get("icc_profile")):
        image = converted_to_srgb(image.convert("RGB")) or image
    return to_channels(image, 3)


def open_photo(data: bytes) -> Image.Image:
    """The image in file contents `data`. Pillow reads JPEG, PNG and WebP; JPEG XL, which it
    cannot, is decoded by imagecodecs, imported only here: it is a dev-extra package for this
    script alone, and a build with every photo already done does not need it."""
    if not data.startswith(JPEG_XL_SIGNATURES):
        return Image.open(io.BytesIO(data))
    try:
        import imagecodecs
    except ImportError as error:
        raise CorpusError("reading JPEG XL needs imagecodecs (pip install imagecodecs; the dev extra has it)") \
            from error
    return Image.fromarray(imagecodecs.jpegxl_decode(data))


def process(name: str, data: bytes, provenance: Provenance, cache: Path) -> Record:
    """Measure one photo (file contents `data`) and, if it passes, store it in `cache` as the
    module docstring says."""
    image = open_photo(data)
    is_jpeg = image.format == "JPEG"
    keep_bytes = is_jpeg and image.mode in ("RGB", "L") and is_srgb_profile(image.info.get("icc_profile"))
    pixels = to_srgb(image)
    sigma = combined_sigma(estimate_noise_sigma(np.asarray(pixels, dtype=np.float32) / 255))
    record = Record(name, None, pixels.width, pixels.height,
                    jpeg_quality(image), round(sigma, 2), provenance)
    if rejection(record) is not None:
        return record
    file = name + (".jpg" if keep_bytes else ".png")
    if keep_bytes:
        atomic_write_bytes(cache / file, data)
    else:
        with atomic_path(cache / file) as temp:
            pixels.save(temp, "PNG")
    return replace(record, file=file)


def fetch_debian_package(package: str, folder: Path, apt_options: Sequence[str]) -> tuple[str, Path]:
    """`apt-get download` the package into `folder` (with `apt_options`, see private_apt_options)
    and unpack it with `dpkg-deb -x`: (version, root of the unpacked tree)."""
    _run(["apt-get", "download", package], folder, apt_options)
    deb = next(folder.glob("*.deb"))
    version = _run(["dpkg-deb", "-f", str(deb), "Version"], folder).strip()
    _run(["dpkg-deb", "-x", str(deb), "root"], folder)
    deb.unlink()
    return version, folder / "root"


def private_apt_options(cache: Path, suite: str) -> list[str]:
    """apt-get options that read `suite`'s sources.list alone and keep apt's lists, cache and
    state in `<cache>/apt/<suite>/`, after writing that folder and running `apt-get update` in it.
    Fetching from a suite other than the machine's must neither need nor change the system's apt
    configuration (nor root: every folder apt writes to is the user's)."""
    root = cache / "apt" / suite
    for folder in ("lists/partial", "cache/archives/partial", "state"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "state" / "status").touch()  # no installed packages: apt only downloads here
    atomic_write_text(root / "sources.list", f"deb {DEBIAN_MIRROR} {suite} main\n")
    options = [f"Dir::Etc::SourceList={root / 'sources.list'}", "Dir::Etc::SourceParts=/dev/null",
               f"Dir::State={root / 'state'}", f"Dir::State::Lists={root / 'lists'}",
               f"Dir::State::status={root / 'state' / 'status'}", f"Dir::Cache={root / 'cache'}",
               "Acquire::Languages=none"]
    apt_options = [word for option in options for word in ("-o", option)]
    _run(["apt-get", "update"], root, apt_options)
    return apt_options


def _run(command: list[str], folder: Path, apt_options: Sequence[str] = ()) -> str:
    """Run `command` in `folder` (`apt_options` go after the program's name) and return its
    output; a failure raises CorpusError naming the command without its options."""
    result = subprocess.run([command[0], *apt_options, *command[1:]], cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        hint = " (run 'apt-get update' first?)" if "Unable to locate" in message else ""
        raise CorpusError(f"{' '.join(command[:3])} failed: {message}{hint}")
    return result.stdout


def measure_source(photos: dict[str, dict], root: Path, package: str, version: str, eet: bool,
                   manifest: dict[str, Record], cache: Path) -> None:
    """Measure (and store) `photos` (name -> selected_photos entry) of one source unpacked at
    `root`, reporting each. A file missing from this version is skipped: a re-run tries again."""
    for name, photo in photos.items():
        path = root / photo["original"]
        if not path.is_file():
            print(f"  missing {photo['original']} in {package} {version}: skipped")
            continue
        data = largest_eet_jpeg(path.read_bytes()) if eet else path.read_bytes()
        record = process(name, data, Provenance(package, version, photo["original"], photo["licence"],
                                                photo["attribution"]), cache)
        manifest[name] = record
        reason = rejection(record)
        quality = "" if record.jpeg_quality is None else f", JPEG q{record.jpeg_quality}"
        print(f"  {f'left out {name}: {reason}' if reason else f'kept {record.file}'} "
              f"({record.width}x{record.height}{quality}, noise {record.noise_sigma:.1f})")
    save_manifest(cache, manifest)


def load_manifest(cache: Path) -> dict[str, Record]:
    """corpus.json's records; none (so everything is measured again) if it is missing or unreadable."""
    path = cache / MANIFEST_NAME
    try:
        entries = json.loads(path.read_text("utf-8"))["photos"] if path.is_file() else []
        return {entry["name"]: Record(**{**entry, "provenance": Provenance(**entry["provenance"])}) for entry in entries}
    except (ValueError, KeyError, TypeError):
        print(f"note: {path} is unreadable: every photo is measured again")
        return {}


def save_manifest(cache: Path, manifest: dict[str, Record]) -> None:
    entries = [asdict(manifest[name]) for name in sorted(manifest)]
    atomic_write_text(cache / MANIFEST_NAME, json.dumps({"photos": entries}, ensure_ascii=False, indent=1) + "\n")


def is_stored(record: Record | None, cache: Path) -> bool:
    return record is not None and record.file is not None and (cache / record.file).is_file()


def reconcile(manifest: dict[str, Record], photos: dict[str, dict], cache: Path) -> None:
    """Forget what is no longer selected or was selected with other details (so measured again),
    and unstore what no longer passes the thresholds."""
    for name, record in list(manifest.items()):
        photo, provenance = photos.get(name), record.provenance
        stale = photo is None or (provenance.original, provenance.licence, provenance.attribution) != (
            photo["original"], photo["licence"], photo["attribution"])
        if record.file and (stale or rejection(record) is not None):
            (cache / record.file).unlink(missing_ok=True)
            manifest[name] = replace(record, file=None)
        if stale:
            del manifest[name]


def build_corpus(cache: Path, split_file: Path, selection: dict) -> list[Record]:
    """Fetch, measure and store every selected photo not done yet; write SOURCES.md and the split.
    Returns the records of the photos in the corpus."""
    cache.mkdir(parents=True, exist_ok=True)
    manifest, photos = load_manifest(cache), selected_photos(selection)
    reconcile(manifest, photos, cache)
    pending = defaultdict(dict)  # source -> {name: photo} not measured yet, or passing but not stored
    for name, photo in photos.items():
        record = manifest.get(name)
        if record is None or (rejection(record) is None and not is_stored(record, cache)):
            pending[photo["source"]][name] = photo
    if any(source in selection["debian"] for source in pending) and not (
            shutil.which("apt-get") and shutil.which("dpkg-deb")):
        raise AptUnavailableError("apt-get and dpkg-deb not found: the corpus's Debian packages can only be "
                                  "fetched on a Debian or Ubuntu machine")
    sources = {**selection["debian"], **selection["python"]}
    apt_options_of_suite = functools.cache(functools.partial(private_apt_options, cache))  # one update per build
    for number, (source, spec) in enumerate(sources.items(), start=1):
        progress = f"[{number}/{len(sources)}] {source} ({len(spec['photos'])} selected)"
        if not pending[source]:
            print(f"{progress}: all done already")
        elif source in selection["debian"]:
            print(f"{progress}: {len(pending[source])} to do, downloading", flush=True)
            apt_options = apt_options_of_suite(spec["suite"]) if "suite" in spec else []
            update_from_debian_package(source, spec, apt_options, pending[source], manifest, cache)
        else:
            print(f"{progress}: {len(pending[source])} to do, reading the installed wheel", flush=True)
            update_from_python_package(source, spec["folder"], pending[source], manifest, cache)
    kept = [record for record in manifest.values() if rejection(record) is None and is_stored(record, cache)]
    split = corpus_split({record.name: record.provenance.package for record in kept}, benchmark_held_out(),
                         committed_validation(split_file))
    atomic_write_text(split_file, json.dumps(split, indent=2) + "\n")
    atomic_write_text(cache / "SOURCES.md", sources_table(kept, split))
    return kept


def update_from_debian_package(source: str, spec: dict, apt_options: Sequence[str], photos: dict[str, dict],
                               manifest: dict[str, Record], cache: Path) -> None:
    """Fetch the source's package (its "package", else the source's name) into a temporary folder
    in the cache, keep its copyright file as copyright/<source> (one package may be two sources,
    from two suites), and measure `photos` from it."""
    package = spec.get("package", source)
    with tempfile.TemporaryDirectory(prefix="download-", dir=cache) as folder:
        version, root = fetch_debian_package(package, Path(folder), apt_options)
        if version != spec["version"]:
            print(f"  note: chosen on {spec['version']}, apt served {version}: check they are the same photos")
        copyright_file = root / "usr/share/doc" / package / "copyright"
        if copyright_file.is_file():
            atomic_write_bytes(cache / "copyright" / source, copyright_file.read_bytes())
        measure_source(photos, root, package, version, spec.get("container") == "eet", manifest, cache)


def update_from_python_package(distribution: str, folder: str, photos: dict[str, dict], manifest: dict[str, Record],
                               cache: Path) -> None:
    """Measure `photos` from an installed Python package's `folder` (scikit-image's wheel ships its
    sample photos in skimage/data); skipped, with a note, where the package is not installed."""
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        print(f"  {distribution} is not installed: its photos are skipped (pip install {distribution})")
        return
    root = Path(importlib.metadata.distribution(distribution).locate_file(folder))
    measure_source(photos, root, f"{distribution} (PyPI wheel)", version, False, manifest, cache)


def benchmark_held_out() -> set[str]:
    """Names (without extension) of the benchmark's held-out photos; the corpus gives their
    full-resolution originals the same names."""
    return {Path(name).stem for name in json.loads(BENCHMARK_SPLIT_FILE.read_text("utf-8"))["held_out"]}


def committed_validation(split_file: Path) -> list[str] | None:
    """The validation list of an existing split file, or None where there is none yet."""
    if not split_file.is_file():
        return None
    try:
        return json.loads(split_file.read_text("utf-8"))["validation"]
    except (ValueError, KeyError, TypeError) as error:
        raise CorpusError(f"{split_file} is unreadable ({error}): mend it, or delete it to choose a new "
                          "validation set (which changes every validation figure measured on the old one)") from error


def corpus_split(group_of: dict[str, str], held_out: set[str], kept_validation: list[str] | None = None) -> dict:
    """The split file for photos `group_of` (name -> source package): held-out originals are
    "test", everything else training except "validation". A first build (`kept_validation` None)
    chooses validation as a share of the rest; later builds keep `kept_validation` (restricted to
    photos still in the corpus) and send photos added since to training, because validation
    figures are only comparable across training runs while the validation photos stay the same."""
    pool = {name: group for name, group in group_of.items() if name not in held_out}
    validation = (choose_validation(pool, VALIDATION_FRACTION) if kept_validation is None
                  else sorted(name for name in kept_validation if name in pool))
    return {
        "about": "Fixed split of the photo corpus built by scripts/build_photo_corpus.py (names without "
                 "extension; the files are <name>.jpg or <name>.png in the corpus folder). 'test': the "
                 "full-resolution originals of the benchmark's held-out photos (benchmarks/photo_split.json), "
                 "never to be trained or validated on. 'validation': about 10 % of the rest, spread over the "
                 "source packages, chosen by the first build and kept since, so validation figures stay "
                 "comparable: photos added later are training. Every other photo of the corpus is training.",
        "validation": validation,
        "test": sorted(name for name in group_of if name in held_out),
    }


def choose_validation(group_of: dict[str, str], fraction: float) -> list[str]:
    """round(fraction * n) names of `group_of` (name -> group), spread over the groups in
    proportion to their size (largest remainders, ties by group name), each group's taken in the
    order of their names' SHA-256: deterministic, independent of input order, and a photo added
    later leaves the others' order alone."""
    members = defaultdict(list)
    for name, group in group_of.items():
        members[group].append(name)
    share = {group: fraction * len(names) for group, names in members.items()}
    quota = {group: int(value) for group, value in share.items()}
    left = round(fraction * len(group_of)) - sum(quota.values())
    for group in sorted(members, key=lambda group: (quota[group] - share[group], group))[:left]:
        quota[group] += 1
    ranked = {group: sorted(names, key=lambda name: hashlib.sha256(name.encode()).hexdigest())
              for group, names in members.items()}
    return sorted(name for group, names in ranked.items() for name in names[:quota[group]])


def sources_table(kept: list[Record], split: dict) -> str:
    """SOURCES.md: totals by package and by licence, then one row per photo."""
    def megapixels(records):
        return sum(record.width * record.height for record in records) / 1e6

    def summary(heading, key):
        groups = defaultdict(list)
        for record in kept:
            groups[key(record.provenance)].append(record)
        rows = [f"| {_cell(label)} | {len(records)} | {megapixels(records):.1f} |" for label, records in
                sorted(groups.items(), key=lambda item: (-megapixels(item[1]), item[0]))]
        return [f"## By {heading}", "", f"| {heading.capitalize()} | Photos | MP |", "|---|---:|---:|", *rows, ""]

    role = {**{name: "validation" for name in split["validation"]}, **{name: "test" for name in split["test"]}}
    lines = [
        "# Photo corpus: sources and licences", "",
        f"Written by scripts/build_photo_corpus.py; do not edit. {len(kept)} photos, {megapixels(kept):.1f} MP, "
        "at full resolution: JPEG originals in sRGB kept byte for byte (.jpg), everything else converted to "
        "8-bit sRGB RGB PNG (.png). Each photo keeps its own licence; copyright/<source> holds each Debian "
        "source's copyright file (<package>, or <package>@<suite> for one fetched from another suite). The "
        "split is the repository's benchmarks/corpus_split.json: 'test' photos are originals of the "
        "benchmark's held-out photos and must never be trained on.", "",
        *summary("package", lambda source: f"{source.package} {source.version}"),
        *summary("licence", lambda source: source.licence.split(" (")[0]),
        "## Files", "",
        "| File | Size | Split | Package | Original file | Licence | Attribution | Original's JPEG quality | Noise sigma |",
        "|---|---|---|---|---|---|---|---:|---:|",
    ]
    for record in sorted(kept, key=lambda record: record.name):
        source, quality = record.provenance, "" if record.jpeg_quality is None else str(record.jpeg_quality)
        lines.append(f"| {record.file} | {record.width}x{record.height} | {role.get(record.name, 'train')} | "
                     f"{_cell(source.package)} {source.version} | {_cell(source.original)} | {_cell(source.licence)} | "
                     f"{_cell(source.attribution)} | {quality} | {record.noise_sigma:.1f} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"corpus folder (default {DEFAULT_CACHE})")
    parser.add_argument("--split-file", type=Path, default=DEFAULT_SPLIT_FILE,
                        help="where the fixed split goes (default benchmarks/corpus_split.json)")
    args = parser.parse_args()
    try:
        kept = build_corpus(args.cache, args.split_file, load_selection())
    except (CorpusError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    megapixels = sum(record.width * record.height for record in kept) / 1e6
    print(f"{len(kept)} photos, {megapixels:.1f} MP in {args.cache}; split in {args.split_file}")


if __name__ == "__main__":
    main()
