"""Developer tools that are not part of the installed package.

- :mod:`tools.gpu_compile`: ``make gpu-compile``, every CUDA kernel compiled offline for sm_90 and
  sm_80 with ``ptxas -v`` (registers, spills, occupancy, fused multiply-adds), no driver needed.
- :mod:`tools.gpu_check`: ``make gpu-check``, the checks that need a real NVIDIA GPU, in one call.

See ``docs/gpu.md``.
"""
