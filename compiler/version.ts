/** The compiler's version, as `nnc --version` prints it and ONNX's `producer_version` records it. */
export const VERSION = "0.1.0";
