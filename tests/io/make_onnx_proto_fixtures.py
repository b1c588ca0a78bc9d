#!/usr/bin/env python3
# Generates the small .onnx / .pb files in tests/fixtures/onnx_proto/ that
# tests/io/test_onnx_proto.cpp parses with dlcam's own protobuf reader. They are written by
# Debian's python3-onnx (protobuf's official serializer), so the reader is checked against an
# implementation written by other people. The expected values are hard-coded in the C++ test;
# keep the two in step.
#
# Rerun, only to regenerate the committed fixtures (the C++ tests need no Python):
#
#     /usr/bin/python3 tests/io/make_onnx_proto_fixtures.py
#
# Also checks a model that dlcam wrote with ONNX's own checker and loader:
#
#     /usr/bin/python3 tests/io/make_onnx_proto_fixtures.py --check model.onnx
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "onnx_proto")


def save(model_or_tensor, name):
    with open(os.path.join(OUT_DIR, name), "wb") as f:
        f.write(model_or_tensor.SerializeToString())


def two_node_model():
    """Gemm + Reshape: initializers in raw_data, float_data and int64_data; symbolic dims."""
    w = numpy_helper.from_array(np.array([[-1.0, -0.5], [0.0, 0.5], [1.0, 1.5]], np.float32), "W")  # raw_data
    b = helper.make_tensor("B", TensorProto.FLOAT, [2], [0.25, -0.75])                            # float_data
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 2])                          # int64_data
    gemm = helper.make_node("Gemm", ["X", "W", "B"], ["H"], name="gemm", alpha=2.0, transB=0)
    reshape = helper.make_node("Reshape", ["H", "shape"], ["Y"], name="reshape")
    graph = helper.make_graph(
        [gemm, reshape], "two_node",
        inputs=[helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 3])],
        outputs=[helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", None])],
        initializer=[w, b, shape],
        doc_string="graph doc",
        value_info=[helper.make_tensor_value_info("H", TensorProto.FLOAT, ["N", 2])])
    model = helper.make_model(
        graph, producer_name="dlcam-test", producer_version="0.1", domain="org.dlcam",
        model_version=7, doc_string="two nodes",
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def attributes_model():
    """A node with an attribute of every type, one with old-style untyped attributes."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["b"])], "body",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])])
    every = helper.make_node(
        "Every", ["A", "", "C"], ["Z"], name="every", domain="com.example",
        f=1.5, i=-3, s="hello", t=helper.make_tensor("tv", TensorProto.INT32, [2], [7, -8]), g=body,
        floats=[0.5, -1.0], ints=[1, -2, 300], strings=["x", "yz"],
        tensors=[helper.make_tensor("t0", TensorProto.FLOAT, [1], [2.5]),
                 helper.make_tensor("t1", TensorProto.DOUBLE, [], [-4.0])],
        graphs=[body, body])
    old = helper.make_node("Old", ["Z"], ["W"], name="old", domain="com.example")
    for name, field, value in [("alpha", "f", 0.5), ("axes", "ints", [0, 2]), ("mode", "s", b"nearest")]:
        attr = onnx.AttributeProto()
        attr.name = name
        if isinstance(value, list):
            getattr(attr, field).extend(value)
        else:
            setattr(attr, field, value)
        old.attribute.append(attr)   # no `type`, as files from before ONNX 1.0 were written
    graph = helper.make_graph([every, old], "attributes", [], [])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("com.example", 1)])


# Values every data type can hold exactly (unsigned types and bool get their own).
SIGNED = [1, -2, 100]
UNSIGNED = [1, 2, 250]
FLOATS = [1.5, -2.0, 0.25]
DTYPES = [
    ("float", TensorProto.FLOAT, np.float32, FLOATS),
    ("double", TensorProto.DOUBLE, np.float64, FLOATS),
    ("float16", TensorProto.FLOAT16, np.float16, FLOATS),
    ("bfloat16", TensorProto.BFLOAT16, None, FLOATS),
    ("int8", TensorProto.INT8, np.int8, SIGNED),
    ("uint8", TensorProto.UINT8, np.uint8, UNSIGNED),
    ("int16", TensorProto.INT16, np.int16, SIGNED),
    ("uint16", TensorProto.UINT16, np.uint16, UNSIGNED),
    ("int32", TensorProto.INT32, np.int32, SIGNED),
    ("uint32", TensorProto.UINT32, np.uint32, UNSIGNED),
    ("int64", TensorProto.INT64, np.int64, SIGNED),
    ("uint64", TensorProto.UINT64, np.uint64, [1, 2, 2**40]),
    ("bool", TensorProto.BOOL, np.bool_, [True, False, True]),
]


def dtypes_model():
    """Each data type twice: in its typed field (int32_data for small ints...) and raw_data."""
    inits = []
    for name, dtype, np_type, values in DTYPES:
        inits.append(helper.make_tensor(name + "_typed", dtype, [3], values))
        if np_type is not None:
            inits.append(numpy_helper.from_array(np.array(values, np_type), name + "_raw"))
    inits.append(helper.make_tensor("complex64_typed", TensorProto.COMPLEX64, [2], [1 + 2j, -3 + 0.5j]))
    inits.append(helper.make_tensor("string_typed", TensorProto.STRING, [2], [b"ab", b"c"]))
    graph = helper.make_graph([], "dtypes", [], [], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def bad_models():
    """An initializer whose dims promise more values than it holds, and external data."""
    w = TensorProto()
    w.name, w.data_type = "w", TensorProto.FLOAT
    w.dims.extend([2, 2])
    w.float_data.extend([1.0, 2.0, 3.0])
    mismatch = helper.make_model(helper.make_graph([], "mismatch", [], [], initializer=[w]))

    e = TensorProto()
    e.name, e.data_type = "big", TensorProto.FLOAT
    e.dims.extend([1000])
    e.data_location = TensorProto.EXTERNAL
    for key, value in [("location", "weights.bin"), ("offset", "0"), ("length", "4000")]:
        entry = e.external_data.add()
        entry.key, entry.value = key, value
    external = helper.make_model(helper.make_graph([], "external", [], [], initializer=[e]))
    return mismatch, external


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print(f"{path}: passes onnx.checker.check_model (full_check), ir_version {model.ir_version}, "
          f"{len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers")
    for init in model.graph.initializer:
        print(f"  {init.name}: {list(init.dims)} {numpy_helper.to_array(init).ravel().tolist()}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    save(two_node_model(), "two_node.onnx")
    save(attributes_model(), "attributes.onnx")
    save(dtypes_model(), "dtypes.onnx")
    mismatch, external = bad_models()
    save(mismatch, "size_mismatch.onnx")
    save(external, "external_data.onnx")
    save(numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5, "t"), "tensor.pb")
    for name in sorted(os.listdir(OUT_DIR)):
        print(f"{name}: {os.path.getsize(os.path.join(OUT_DIR, name))} bytes")


if __name__ == "__main__":
    main()
