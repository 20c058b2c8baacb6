"""srtoolbox: a registry-based super-resolution toolbox on mmengine."""
import os.path as osp

from setuptools import find_packages, setup


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'srtoolbox', 'version.py'),
              encoding='utf-8') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='srtoolbox',
    version=read_version(),
    description='Super-resolution toolbox: SRResNet/SRGAN, ESRGAN, MSRN, '
    'RCAN, EDSR on mmengine',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(include=['srtoolbox', 'srtoolbox.*']),
    package_data={'srtoolbox.evaluation': ['*.npz', '*.LICENSE', 'README.md'],
                  'srtoolbox.apis.report': ['assets/*.js', 'assets/*.css'],
                  'srtoolbox': ['py.typed']},
    entry_points={'console_scripts': ['srt = srtoolbox.cli:main']},
    install_requires=[
        'torch>=2.1',
        'torchvision>=0.16',
        'mmengine>=0.10.4,<0.11',
        'mmcv-lite>=2.0',
        'opencv-python>=4.5',
        'numpy>=1.22',
        'lmdb>=1.4',
        'pyyaml>=5.4',
        'tqdm>=4.60',
        'spandrel>=0.4',
        'safetensors>=0.4',
        'einops>=0.6',
        # optimizers by name in configs (srtoolbox/engine/optimizers.py)
        'schedulefree>=1.4',
        'pytorch-optimizer>=3.1',
    ],
    extras_require={
        # playwright drives the system Chromium in the report's browser
        # tests (apt-get install chromium; no browser download)
        'tests': ['pytest>=7', 'lpips>=0.1.4', 'tensorboard>=2.10',
                  'mypy>=1.8', 'playwright>=1.40'],
        # pip install -e '.[tensorboard]', then train with --tensorboard
        'tensorboard': ['tensorboard>=2.10'],
        # LPIPS metric/loss: the calibrated linear layers ship in this package
        'lpips': ['lpips>=0.1.4'],
        'plot': ['matplotlib>=3.5'],
        'onnx': ['onnx>=1.23', 'onnxruntime>=1.31'],
    },
    license='Apache-2.0',
)
