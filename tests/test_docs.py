"""Every command shown in README.md and docs/*.md is checked (#25).

The rule, per command of a ```bash block (continuation lines joined,
comments dropped, ``&&``/``|``/``;`` chains split):

* ``python tools/X.py ...`` and ``srt SUB ...``: the tool exists and every
  ``--option`` the page uses is one the tool defines (read from its
  source: an option renamed in the tool fails here until the page follows);
* ``tools/*.sh``: the script exists and is executable, and the options
  after it are ``tools/train.py``'s or ``tools/test.py``'s;
* ``python -m pytest PATH``: the path exists;
* every repository path a command names (``configs/...``, ``tests/...``,
  ``tools/...``, ``data/demo/...``) exists;
* commands of other programs (pip, mkdir, find, tensorboard, ...) are only
  named in ``EXTERNAL``: a new kind of command fails until it gets a rule.

Training, testing and inference commands are not run here (minutes to
days, and data or weights a clean clone does not have: the demos' figures
come with the date and machine they were measured on); their tools are
tested by the tests of the tools. The two cheap ones are run:
``srt --help`` and ``srt list generators``. ``docs/extending.md``'s Python
examples run in ``tests/test_extending_docs.py``.
"""
import glob
import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest

from srtoolbox.cli import COMMANDS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAGES = [osp.join(REPO, 'README.md')] + sorted(
    glob.glob(osp.join(REPO, 'docs', '*.md')))
EXTERNAL = {'pip', 'mkdir', 'find', 'shuf', 'xargs', 'tensorboard', 'cd',
            'export'}
PATH_PREFIXES = ('configs/', 'tests/', 'tools/', 'data/demo/', 'docs/')


def commands(page):
    """``(line, command)`` of each simple command in the page's bash blocks."""
    text = open(page, encoding='utf-8').read()
    out = []
    for block in re.finditer(r'```bash\n(.*?)```', text, re.S):
        first = text[:block.start()].count('\n') + 2
        joined, start = '', None
        for offset, line in enumerate(block.group(1).splitlines()):
            line = re.sub(r'(^|\s)#.*$', '', line).rstrip()
            if not line:
                continue
            start = first + offset if start is None else start
            if line.endswith('\\'):
                joined += line[:-1] + ' '
                continue
            for part in re.split(r'&&|\|\s|;', joined + line):
                if part.strip():
                    out.append((start, part.strip()))
            joined, start = '', None
    return out


def _words(command):
    try:
        words = shlex.split(command.replace('<(yes)', 'YES'))
    except ValueError:
        words = command.split()
    while words and re.match(r'^[A-Z_]+=', words[0]):  # NNODES=2 ...
        words = words[1:]
    return words


def _source(script):
    with open(osp.join(REPO, 'tools', script), encoding='utf-8') as f:
        return f.read()


def problems(command):
    """What is wrong with one documented command (empty: nothing)."""
    words = _words(command)
    if not words:
        return []
    found = []
    for word in words:
        path = word.split('=', 1)[-1]
        if path.startswith(PATH_PREFIXES) and not re.search(
                r'[A-Z]{3,}|\*|\[', path) and not osp.exists(
                    osp.join(REPO, path)):
            found.append(f'{path} does not exist')
    head, rest = words[0], words[1:]
    if head in ('python', 'python3') and rest[:2] == ['-m', 'pytest']:
        return found
    if head in ('python', 'python3') and rest and rest[0].startswith(
            'tools/'):
        scripts, options = [osp.basename(rest[0])], rest[1:]
    elif head == 'srt':
        if not rest or rest[0].startswith('-'):
            return found
        if rest[0] not in COMMANDS:
            return found + [f'srt has no sub-command {rest[0]!r}']
        scripts, options = [COMMANDS[rest[0]][0]], rest[1:]
    elif head.startswith('tools/') and head.endswith('.sh'):
        script = osp.join(REPO, head)
        if not (osp.isfile(script) and os.access(script, os.X_OK)):
            return found + [f'{head} is not an executable script']
        scripts = ['test.py'] if 'test' in head else ['train.py']
        options = rest
    elif head in EXTERNAL or head.startswith(('S=', './')):
        return found
    else:
        return found + [f'no rule for commands of {head!r} (add one to '
                        'tests/test_docs.py)']
    for script in scripts:
        if not osp.isfile(osp.join(REPO, 'tools', script)):
            return found + [f'tools/{script} does not exist']
    source = ''.join(_source(s) for s in scripts)
    for option in options:
        flag = option.split('=', 1)[0].strip('[]')
        if flag.startswith('--') and f"'{flag}'" not in source:
            found.append(f'{flag} is not an option of '
                         f'tools/{", ".join(scripts)}')
    return found


CASES = [(osp.relpath(page, REPO), line, cmd) for page in PAGES
         for line, cmd in commands(page)]


def test_the_pages_show_commands():
    pages = {page for page, _, _ in CASES}
    assert len(CASES) >= 40 and {'README.md', 'docs/srgan.md',
                                 'docs/data-and-lmdb.md'} <= pages


@pytest.mark.parametrize('page,line,command', CASES,
                         ids=[f'{p}:{n}' for p, n, _ in CASES])
def test_documented_command(page, line, command):
    assert not problems(command), f'{page}:{line}: {command}'


def test_the_checks_can_fail():
    assert problems('python tools/train.py configs/nope.py') == [
        'configs/nope.py does not exist']
    assert problems('srt infer --no-such-option 1') == [
        '--no-such-option is not an option of tools/infer.py']
    assert 'no rule' in problems('rm -rf work_dirs')[0]
    assert 'no sub-command' in problems('srt frobnicate')[0]
    assert problems('python tools/infer.py --tile 256 --input x/') == []


def test_the_cheap_commands_run():
    for argv in (['--help'], ['list', 'generators']):
        proc = subprocess.run([sys.executable, '-m', 'srtoolbox.cli'] + argv,
                              capture_output=True, text=True, cwd=REPO,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'MSRResNet' in proc.stdout
