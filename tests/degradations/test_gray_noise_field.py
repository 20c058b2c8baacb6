"""Gray Gaussian noise: one field per batch, scaled per image, as the
released Real-ESRGAN code (BasicSR ``generate_gaussian_noise_pt``), or one
per image as an option."""
import pytest
import torch

from srtoolbox.degradations import (DegradationConfigError,
                                    SecondOrderDegradation,
                                    add_gaussian_noise)


@pytest.mark.parametrize('field', ['batch', 'image'])
def test_gray_field(field):
    torch.manual_seed(0)
    img = torch.full((3, 3, 16, 16), 0.5)
    sigma = torch.tensor([1.0, 2.0, 4.0])  # small: nothing is clipped
    noise = add_gaussian_noise(img, sigma, torch.ones(3, dtype=torch.bool),
                               gray_field=field) - img
    unit = noise / (sigma.view(3, 1, 1, 1) / 255)
    assert torch.allclose(unit[:, 0], unit[:, 2], atol=1e-4)  # gray
    same = torch.allclose(unit[0], unit[1], atol=1e-3) and \
        torch.allclose(unit[0], unit[2], atol=1e-3)
    assert same == (field == 'batch')


def test_default_is_the_released_one_and_others_are_named():
    assert SecondOrderDegradation(gt_size=None).noise1['gray_field'] == \
        'batch'
    with pytest.raises(DegradationConfigError, match='gray_noise_field'):
        SecondOrderDegradation(gray_noise_field='pixel')
