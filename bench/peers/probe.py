"""Which peers this python3 has: numpy (and its BLAS), torch."""
import json
import platform

out = {"python": platform.python_version(), "numpy": None, "torch": None, "blas": None}
try:
    import numpy

    out["numpy"] = numpy.__version__
    from common import blas_info

    out["blas"] = blas_info()
except ImportError:
    pass
try:
    import torch

    out["torch"] = torch.__version__
except ImportError:
    pass
print(json.dumps(out))
