// The ONNX message types and enums of the generated onnx-proto bindings, on their own so that
// modules proto.ts uses (external.ts) can name them without importing proto.ts back.
// onnx-proto is CommonJS; the default import gives its `onnx` namespace.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export const AttributeType = onnxProto.onnx.AttributeProto.AttributeType;
export const TensorDataType = onnxProto.onnx.TensorProto.DataType;
