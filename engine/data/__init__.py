"""Training data: image folders and .npz arrays as square tensors in [-1, 1], plus the train /
validation split. The trainer uses `open_training_images` and `split_train_validation` and
relies only on the `TrainingImages` protocol.
"""

from engine.data.image_folder import ImageFolderDataset
from engine.data.npz_file import NpzImageDataset
from engine.data.opening import open_training_images
from engine.data.split import ImageSubset, split_train_validation
from engine.data.training_images import TrainingImages
from engine.errors import ConfigError, DatasetError, ImageLoadError

__all__ = [
    "ConfigError",
    "DatasetError",
    "ImageFolderDataset",
    "ImageLoadError",
    "ImageSubset",
    "NpzImageDataset",
    "TrainingImages",
    "open_training_images",
    "split_train_validation",
]
