"""``tools/gpu_compile.py`` against kernels with one defect each (needs the [gpu-compile] extra)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.gpu_compile import HEADER

ROOT = Path(__file__).resolve().parents[2]

needs_compiler = pytest.mark.skipif(
    not sys.platform.startswith("linux") or importlib.util.find_spec("numba_cuda") is None,
    reason="needs the offline CUDA compiler: `pip install -e '.[gpu-compile]'` (Linux)",
)


def run_tool(*args):
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    return subprocess.run(
        [sys.executable, "-m", "tools.gpu_compile", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@needs_compiler
def test_each_defect_fails_the_check_with_its_kernel_named(tmp_path):
    done = run_tool(
        "--cc", "9.0", "--modules", "tests.tools.bad_kernels_cuda", "--json", str(tmp_path / "r")
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert out.startswith(HEADER)
    failed = out.split("gpu-compile FAILED:")[1]
    assert "bad_kernels_cuda.fused sm_90: 1 fused f64 multiply-adds" in failed
    assert "bad_kernels_cuda.wrong_types sm_90: TypingError" in failed
    assert "bad_kernels_cuda.over_budget sm_90: " in failed and "over its budget of 2" in failed
    assert "bad_kernels_cuda.uses_stack sm_90: uses " in failed and "bytes of stack" in failed
    assert "bad_kernels_cuda.undeclared: declared by 0 LaunchSpec(s)" in failed
    assert failed.count("\n- ") == 5


def test_a_missing_cuda_compiler_is_reported_not_crashed():
    code = (
        "import sys, importlib.metadata as m\n"
        "real = m.version\n"
        "def version(name):\n"
        "    if name == 'numba-cuda': raise m.PackageNotFoundError(name)\n"
        "    return real(name)\n"
        "m.version = version\n"
        "from tools.gpu_compile import main\n"
        "sys.exit(main([]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "numba-cuda is missing; `pip install -e '.[gpu-compile]'`" in done.stdout


# A product and a sum NVVM left apart: ptxas contracts them into one DFMA unless told not to.
CONTRACTIBLE = """.version 8.0
.target sm_90
.address_size 64
.visible .entry k(.param .u64 p)
{
 .reg .f64 %fd<5>;
 .reg .b64 %rd<2>;
 ld.param.u64 %rd1, [p];
 ld.global.f64 %fd1, [%rd1];
 ld.global.f64 %fd2, [%rd1+8];
 mul.f64 %fd3, %fd1, %fd2;
 add.f64 %fd4, %fd3, %fd1;
 st.global.f64 [%rd1+16], %fd4;
 ret;
}
"""


@needs_compiler
def test_products_that_ptxas_would_fuse_are_found():
    from tools.ptxas import assemble

    assert assemble(CONTRACTIBLE, "sm_90").contracts
    assert not assemble(CONTRACTIBLE.replace("mul.f64", "mul.rn.f64"), "sm_90").contracts
