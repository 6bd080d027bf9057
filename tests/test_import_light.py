import subprocess
import sys


def test_import_l2gpu_loads_no_gpu_or_ml_library():
    code = (
        "import sys, l2gpu, l2gpu.data, l2gpu.features, l2gpu.backend, l2gpu.kernels.top_of_book\n"
        "heavy = sorted(m for m in ('cupy', 'cudf', 'torch') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
