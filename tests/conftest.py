"""Set-up shared by every test module."""

import jax
import pytest


@pytest.fixture(autouse=True, scope="module")
def _fresh_jax_caches():
    """Clear JAX's in-memory caches after each test module. Every compiled program keeps its
    machine code mapped in the process, and the whole suite run in one process would otherwise
    reach the kernel's limit on memory maps (vm.max_map_count, 65,530 by default): LLVM then
    reports "Cannot allocate memory" and the process aborts. A later module that needs a program
    again gets it from the persistent compilation cache on disk."""
    yield
    jax.clear_caches()
