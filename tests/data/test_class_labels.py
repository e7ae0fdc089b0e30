"""Class labels of training data: an array file's label array, a folder's class subfolders, kept
through the train / validation split, with one rule for which classes there are."""

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import ImageFolderDataset, NpzImageDataset, split_train_validation
from engine.data.training_images import image_classes
from engine.errors import DatasetError


def flat_png(path, level):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8), level, np.uint8)).save(path)


@pytest.mark.parametrize("labels, names, indices", [
    (np.array([7, 3, 7, 12]), ("3", "7", "12"), [1, 0, 1, 2]),  # numbers by value, not as text
    (np.array(["Flags", "Animals", "Flags"]), ("Animals", "Flags"), [1, 0, 1]),
    (np.array([b"b", b"a"]), ("a", "b"), [1, 0]),
])
def test_classes_are_the_sorted_distinct_labels(labels, names, indices):
    found_names, found_indices = image_classes(labels)
    assert found_names == names and found_indices.tolist() == indices


@pytest.mark.parametrize("labels", [None, np.array([0.5, 1.0]), np.zeros((2, 3), np.int64)])
def test_labels_that_are_not_one_whole_number_or_text_per_image_give_no_classes(labels):
    assert image_classes(labels) == ((), None)


@pytest.mark.parametrize("arrays, names", [
    ({"images": np.zeros((3, 4, 4), np.uint8), "labels": np.array([2, 0, 2], np.uint8)}, ("0", "2")),
    ({"train_images": np.zeros((3, 4, 4), np.uint8), "train_labels": np.array([1, 0, 1])}, ("0", "1")),
    ({"images": np.zeros((3, 4, 4), np.uint8), "categories": np.array(["Food", "Flags", "Food"])}, ("Flags", "Food")),
])
def test_an_array_files_labels_become_classes(tmp_path, arrays, names):
    np.savez(tmp_path / "data.npz", **arrays)
    dataset = NpzImageDataset(tmp_path / "data.npz", 4, 1)
    assert dataset.class_names == names
    assert [dataset.label(i) for i in range(3)] == [1, 0, 1]


def test_an_array_file_without_labels_has_no_classes(tmp_path):
    np.savez(tmp_path / "data.npz", images=np.zeros((2, 4, 4), np.uint8))
    dataset = NpzImageDataset(tmp_path / "data.npz", 4, 1)
    assert dataset.class_names == ()
    with pytest.raises(DatasetError, match="no class labels"):
        dataset.label(0)


def test_class_subfolders_are_the_classes_and_the_split_keeps_them(tmp_path):
    for name, level in (("cats/a.png", 10), ("cats/deeper/b.png", 20), ("dogs/c.png", 200), ("dogs/d.png", 210)):
        flat_png(tmp_path / "pets" / name, level)
    dataset = ImageFolderDataset(tmp_path / "pets", 8, 1)
    assert dataset.class_names == ("cats", "dogs")
    assert [dataset.label(i) for i in range(4)] == [0, 0, 1, 1]
    assert dataset.describe().endswith("4 images in 2 class folders")
    training, validation = split_train_validation(dataset, 0.5, seed=0)
    assert training.class_names == validation.class_names == ("cats", "dogs")
    for subset in (training, validation):
        for i in range(len(subset)):
            dark = subset.load(i, None).mean() < 0
            assert subset.label(i) == (0 if dark else 1)


def test_a_folder_with_images_outside_subfolders_has_no_classes(tmp_path):
    flat_png(tmp_path / "cats" / "a.png", 10)
    flat_png(tmp_path / "loose.png", 10)
    assert ImageFolderDataset(tmp_path, 8, 1).class_names == ()


def test_an_unreadable_image_is_replaced_by_one_of_its_class(tmp_path):
    for name, level in (("a/1.png", 10), ("b/2.png", 200), ("a/3.png", 30)):
        flat_png(tmp_path / name, level)
    dataset = ImageFolderDataset(tmp_path, 8, 1, cache_bytes=0)  # a/1.png, a/3.png, b/2.png
    (tmp_path / "a" / "3.png").unlink()
    assert torch.equal(dataset.load(1, None), dataset.load(0, None))  # a/1.png, not the next one, b/2.png
    assert dataset.label(1) == 0
    (tmp_path / "a" / "1.png").unlink()
    with pytest.raises(DatasetError, match="None of the images of class 'a'"):
        dataset.load(1, None)
