"""Dynamic int8 quantisation whose results do not depend on the CPU.

``quantize_dynamic`` stores weights as signed int8; onnxruntime multiplies them with the uint8
activations with the AVX2 instruction ``vpmaddubsw``, which saturates its 16-bit sums, so on a
CPU without VNNI (an AVX2-only AMD EPYC, for one) every score moved: a test document's
PROMPT_ATTACK read 0.39 instead of 0.31 and crossed the default threshold, and the red-team
benchmark's attack success rate read 24.4% instead of 24.5%. Stored as uint8 with a zero point
of 128 (each weight plus 128: the same numbers), the weights go through onnxruntime's u8u8
kernels, which do not saturate, so every CPU gives the scores a VNNI CPU gives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

__all__ = ["quantize_exact", "weights_as_uint8"]


def weights_as_uint8(path: Path) -> int:
    """Rewrite the int8 weights (and their zero points) of ``path``'s MatMulInteger nodes as
    uint8 plus 128, in place; how many initializers changed."""
    model = onnx.load(str(path))
    inits = {i.name: i for i in model.graph.initializer}
    changed: set[str] = set()
    for node in model.graph.node:
        if node.op_type != "MatMulInteger":
            continue
        for name in node.input[1::2]:  # B and its zero point (inputs 1 and 3)
            tensor = inits.get(name)
            if tensor is None or name in changed or tensor.data_type != onnx.TensorProto.INT8:
                continue
            shifted = numpy_helper.to_array(tensor).astype(np.int16) + 128
            tensor.CopyFrom(numpy_helper.from_array(shifted.astype(np.uint8), name))
            changed.add(name)
    onnx.save(model, str(path))
    return len(changed)


def quantize_exact(fp32: Path, int8: Path) -> None:
    """Per-channel dynamic int8 quantisation of ``fp32`` into ``int8``, weights stored as uint8."""
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    weights_as_uint8(int8)
