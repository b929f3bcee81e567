"""The property tests with many examples and fresh randomness (slow lane).

tests/test_property_kernels.py and tests/test_property_ops.py run 25 derandomized examples per property in the
default lane. Here they run again in a subprocess with AXONAL_PROPERTY_EXAMPLES=300 and random seeds, so every
slow-lane run explores new cases; hypothesis prints the failing example (and how to reproduce it) on failure.
"""
import os
import subprocess
import sys

import pytest

import axonal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


@pytest.mark.slow
@pytest.mark.parametrize("module", ["test_property_kernels.py", "test_property_ops.py"])
def test_properties_with_many_random_examples(module):
    env = dict(os.environ, AXONAL_PROPERTY_EXAMPLES=os.environ.get("AXONAL_PROPERTY_EXAMPLES_SLOW", "300"),
               AXONAL_PROPERTY_RANDOM="1")
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(axonal.__file__))) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                           os.path.join(HERE, module)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=3600)
    print(proc.stdout[-3000:])
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
