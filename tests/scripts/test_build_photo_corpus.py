"""scripts/build_photo_corpus.py without apt or network: its filters, the Eet reader, how photos
are stored, the private apt configuration for other suites (commands mocked), and the split."""

import importlib.util
import io
import json
import random
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_photo_corpus.py"


def load_script():
    """The script as a module (scripts/ holds scripts, not a package); registered in sys.modules
    first, as its dataclasses need."""
    spec = importlib.util.spec_from_file_location("build_photo_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = load_script()


def photo_bytes(size=(600, 500), fmt="JPEG", mode="RGB", **save_args) -> bytes:
    """A smooth photo-like gradient with light texture, encoded as `fmt`."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], axis=-1)
    pixels += np.random.default_rng(0).normal(0, 0.5, pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_args)
    return buffer.getvalue()


def provenance(name="test-package"):
    return corpus.Provenance(name, "1.0", "usr/share/photo.jpg", "CC0-1.0", "someone")


def record(width=1000, height=800, jpeg_quality=95, noise_sigma=0.5):
    return corpus.Record("test-photo", None, width, height, jpeg_quality, noise_sigma, provenance())


def test_filters_leave_out_small_compressed_and_noisy_photos():
    assert corpus.rejection(record()) is None
    assert corpus.rejection(record(jpeg_quality=None)) is None  # a PNG has no JPEG quality
    assert "MP" in corpus.rejection(record(width=499, height=500))
    assert "JPEG quality 84" in corpus.rejection(record(jpeg_quality=84))
    assert "noise" in corpus.rejection(record(noise_sigma=3.5))


def test_committed_selection_is_allowed_and_names_each_photo_once():
    selection = corpus.load_selection()
    entries = [photo["name"] for kind in ("debian", "python") for spec in selection[kind].values()
               for photo in spec["photos"]]
    assert len(entries) == len(set(entries)) == len(corpus.selected_photos(selection))
    assert all(photo["licence"] and photo["attribution"] for photo in corpus.selected_photos(selection).values())
    for source, spec in selection["debian"].items():  # keyed <package>@<suite> where fetched from a suite
        assert source == (f"{spec['package']}@{spec['suite']}" if "suite" in spec else source) and spec["version"]


def eet_archive(entries: dict[bytes, bytes]) -> bytes:
    """An Eet file (format 2) with uncompressed `entries` (name -> data)."""
    header_size = 12 + 24 * len(entries)
    names = b"".join(name + b"\0" for name in entries)
    directory, blobs = b"", b""
    name_offset, data_offset = header_size, header_size + len(names)
    for name, data in entries.items():
        directory += struct.pack(">6I", data_offset + len(blobs), len(data), len(data), name_offset, len(name) + 1, 0)
        blobs += data
        name_offset += len(name) + 1
    return struct.pack(">III", corpus.EET_MAGIC, len(entries), 0) + directory + names + blobs


def test_largest_eet_jpeg_picks_the_biggest_of_the_size_ladder():
    small, large = photo_bytes(size=(64, 36)), photo_bytes(size=(128, 72))
    archive = eet_archive({b"edje/images/1": small, b"edje/file": b"\xff\xd8 not an image",
                           b"edje/images/0": large})
    assert corpus.largest_eet_jpeg(archive) == large
    with pytest.raises(corpus.CorpusError):
        corpus.largest_eet_jpeg(b"\0" * 16)


def test_srgb_jpeg_is_kept_byte_for_byte(tmp_path):
    data = photo_bytes(quality=95)
    stored = corpus.process("test-photo", data, provenance(), tmp_path)
    assert stored.file == "test-photo.jpg" and stored.jpeg_quality == 95
    assert (tmp_path / stored.file).read_bytes() == data


def test_png_is_stored_as_rgb_png_and_a_rejected_photo_not_at_all(tmp_path):
    stored = corpus.process("test-photo", photo_bytes(fmt="PNG", mode="RGBA"), provenance(), tmp_path)
    assert stored.file == "test-photo.png" and stored.jpeg_quality is None
    assert Image.open(tmp_path / stored.file).mode == "RGB"
    rejected = corpus.process("compressed", photo_bytes(quality=60), provenance(), tmp_path)
    assert rejected.file is None and not list(tmp_path.glob("compressed.*"))


def test_webp_and_jpeg_xl_are_stored_as_png_without_a_jpeg_quality(tmp_path):
    imagecodecs = pytest.importorskip("imagecodecs")
    pixels = np.asarray(Image.open(io.BytesIO(photo_bytes(fmt="PNG"))))
    for name, data in (("webp-photo", photo_bytes(fmt="WEBP", quality=90)),
                       ("jxl-photo", imagecodecs.jpegxl_encode(pixels, distance=1.0))):
        stored = corpus.process(name, data, provenance(), tmp_path)
        assert stored.file == f"{name}.png" and stored.jpeg_quality is None
        assert Image.open(tmp_path / stored.file).size == (600, 500)


def test_validation_is_deterministic_spread_and_about_a_tenth():
    group_of = {f"{group}-{index}": group for group, count in (("a", 14), ("b", 11), ("c", 6), ("d", 2))
                for index in range(count)}
    shuffled = list(group_of.items())
    random.Random(1).shuffle(shuffled)
    validation = corpus.choose_validation(group_of, 0.1)
    assert validation == corpus.choose_validation(dict(shuffled), 0.1)
    assert len(validation) == round(0.1 * len(group_of))
    assert {name.split("-")[0] for name in validation} == {"a", "b", "c"}  # shares 1.4, 1.1, 0.6 (d: 0.2)


def test_held_out_originals_are_test_never_validation():
    held_out = {"b-1", "c-0"}
    group_of = {f"{group}-{index}": group for group in "abc" for index in range(10)}
    split = corpus.corpus_split(group_of, held_out | {"not-in-corpus"})
    assert split["test"] == ["b-1", "c-0"]
    assert not held_out & set(split["validation"]) and len(split["validation"]) == 3


def test_a_first_build_chooses_about_a_tenth_of_each_package():
    group_of = {f"{group}-{index}": group for group, count in (("a", 20), ("b", 30), ("c", 10))
                for index in range(count)}
    validation = corpus.corpus_split(group_of, set())["validation"]
    assert [sum(name.startswith(group) for name in validation) for group in "abc"] == [2, 3, 1]


def test_adding_photos_keeps_validation_and_test_as_committed():
    held_out = {"a-0"}
    before = {f"{group}-{index}": group for group in "ab" for index in range(10)}
    first = corpus.corpus_split(before, held_out)
    added = {**before, **{f"{group}-{index}": group for group in "abc" for index in range(10, 40)}}
    later = corpus.corpus_split(added, held_out, first["validation"])
    assert later["validation"] == first["validation"] and later["test"] == first["test"] == ["a-0"]
    removed = first["validation"][0]
    assert removed not in corpus.corpus_split({name: group for name, group in added.items() if name != removed},
                                              held_out, first["validation"])["validation"]


def test_a_split_file_gives_its_validation_list_and_none_is_a_first_build(tmp_path):
    split_file = tmp_path / "split.json"
    assert corpus.committed_validation(split_file) is None
    split_file.write_text(json.dumps({"validation": ["a-1"], "test": []}))
    assert corpus.committed_validation(split_file) == ["a-1"]
    split_file.write_text("{")
    with pytest.raises(corpus.CorpusError, match="delete it"):
        corpus.committed_validation(split_file)


def test_committed_split_keeps_the_benchmark_photos_out_of_validation():
    split = json.loads(corpus.DEFAULT_SPLIT_FILE.read_text("utf-8"))
    held_out, selected = corpus.benchmark_held_out(), corpus.selected_photos(corpus.load_selection())
    assert set(split["test"]) <= held_out and not held_out & set(split["validation"])
    assert set(split["test"]) | set(split["validation"]) <= set(selected)


def test_without_apt_the_build_stops_with_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus.shutil, "which", lambda name: None)
    selection = {"debian": {"mate-backgrounds": {"version": "1", "photos": [
        {"name": "mate-aqua", "original": "Aqua.jpg", "licence": "GPL-2.0-or-later", "attribution": "someone"}]}},
        "python": {}}
    with pytest.raises(corpus.AptUnavailableError, match="apt-get"):
        corpus.build_corpus(tmp_path / "cache", tmp_path / "split.json", selection)


def test_build_from_an_installed_wheel_then_skip_it_when_done(tmp_path, capsys):
    pytest.importorskip("skimage")
    selection = {"debian": {}, "python": {"scikit-image": {"folder": "skimage/data", "photos": [
        {"name": "skimage-astronaut", "original": "astronaut.png", "licence": "Public domain", "attribution": "NASA"},
        {"name": "skimage-chelsea", "original": "chelsea.png", "licence": "CC0-1.0", "attribution": "S. van der Walt"}]}}}
    cache, split_file = tmp_path / "cache", tmp_path / "split.json"
    kept = corpus.build_corpus(cache, split_file, selection)
    assert [record.file for record in kept] == ["skimage-astronaut.png"]  # chelsea is under the size limit
    assert json.loads(split_file.read_text())["test"] == ["skimage-astronaut"]  # a benchmark held-out photo
    assert "skimage-astronaut.png" in (cache / "SOURCES.md").read_text()
    corpus.build_corpus(cache, split_file, selection)
    assert "all done already" in capsys.readouterr().out


def fake_apt(commands: list[list[str]]):
    """A stand-in for subprocess.run that records each command and acts as apt-get and dpkg-deb
    would: `download` leaves a .deb, `dpkg-deb -f` prints version 1.0, `dpkg-deb -x` unpacks a
    tree holding usr/share/photo.jpg."""
    def run(command, cwd, **kwargs):
        commands.append(command)
        if "download" in command:
            (Path(cwd) / f"{command[-1]}.deb").write_bytes(b"")
        if command[:2] == ["dpkg-deb", "-x"]:
            photo = Path(cwd) / command[-1] / "usr/share/photo.jpg"
            photo.parent.mkdir(parents=True)
            photo.write_bytes(photo_bytes(quality=95))
        return subprocess.CompletedProcess(command, 0, "1.0\n" if command[:2] == ["dpkg-deb", "-f"] else "", "")
    return run


def test_a_suite_is_fetched_with_an_apt_configuration_private_to_the_cache(tmp_path, monkeypatch):
    commands = []
    monkeypatch.setattr(corpus.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(corpus.subprocess, "run", fake_apt(commands))
    photo = {"original": "usr/share/photo.jpg", "licence": "CC0-1.0", "attribution": "someone"}
    selection = {"debian": {
        "mate-backgrounds": {"version": "1.0", "photos": [{"name": "machine-photo", **photo}]},
        "lxqt-themes@sid": {"package": "lxqt-themes", "suite": "sid", "version": "1.0",
                            "photos": [{"name": "sid-photo", **photo}]},
        "tuxpaint-data@sid": {"package": "tuxpaint-data", "suite": "sid", "version": "1.0",
                              "photos": [{"name": "other-sid-photo", **photo}]}}, "python": {}}
    cache = tmp_path / "cache"
    kept = corpus.build_corpus(cache, tmp_path / "split.json", selection)
    assert sorted(record.provenance.package for record in kept) == ["lxqt-themes", "mate-backgrounds", "tuxpaint-data"]
    apt_commands = [command for command in commands if command[0] == "apt-get"]
    updates = [command for command in apt_commands if "update" in command]
    assert len(updates) == 1  # once per build and suite
    private = updates[0][1:-1]
    settings = dict(option.split("=", 1) for option in private if option != "-o")
    assert settings["Dir::Etc::SourceList"] == str(cache / "apt/sid/sources.list")
    assert settings.pop("Dir::Etc::SourceParts") == "/dev/null"  # not /etc/apt/sources.list.d
    assert all(Path(value).is_relative_to(cache) for key, value in settings.items() if key.startswith("Dir::"))
    assert (cache / "apt/sid/sources.list").read_text() == "deb http://deb.debian.org/debian sid main\n"
    downloads = [command for command in apt_commands if "download" in command]
    assert downloads == [["apt-get", "download", "mate-backgrounds"], ["apt-get", *private, "download", "lxqt-themes"],
                         ["apt-get", *private, "download", "tuxpaint-data"]]
