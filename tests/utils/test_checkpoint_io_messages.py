"""#17.7: a refused checkpoint names the refused global and never passes on
torch's advice to retry with weights_only=False."""
import os

import pytest
import torch

from srtoolbox.utils.checkpoint_io import (UnsafeCheckpointError,
                                           load_checkpoint_file)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_checkpoint_is_refused_by_name(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'x': _Evil(marker)},
               path)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_checkpoint_file(path)
    msg = str(err.value)
    assert str(path) in msg
    assert 'Refused: global ' in msg and 'system' in msg  # posix.system
    assert 'weights_only=False' not in msg.replace(' ', '')
    assert '`weights_only` set to `False`' not in msg
    assert 'likely succeed' not in msg
    assert not marker.exists()


class _Plain:
    pass


def test_custom_class_is_refused_by_name(tmp_path):
    path = tmp_path / 'obj.pth'
    torch.save({'cfg': _Plain()}, path)
    with pytest.raises(UnsafeCheckpointError, match=r'global .*_Plain'):
        load_checkpoint_file(path)
