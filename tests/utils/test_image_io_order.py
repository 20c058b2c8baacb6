"""imwrite takes srtoolbox's (img, path) and OpenCV's (path, img) order."""
import numpy as np
import pytest

from srtoolbox.utils.image_io import imread, imwrite


def test_both_argument_orders_write_the_same_image(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), np.uint8)
    imwrite(img, tmp_path / 'a.png')
    imwrite(str(tmp_path / 'b.png'), img)  # cv2.imwrite order
    assert np.array_equal(imread(tmp_path / 'a.png'), img)
    assert np.array_equal(imread(tmp_path / 'b.png'), img)


def test_wrong_types_say_the_order(tmp_path):
    with pytest.raises(TypeError, match=r'imwrite\(img, path\)'):
        imwrite([[1, 2]], str(tmp_path / 'c.png'))
