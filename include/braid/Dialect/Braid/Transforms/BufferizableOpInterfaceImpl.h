//===- BufferizableOpInterfaceImpl.h - bufferizing braid ops ----*- C++ -*-===//
//
// One-Shot Bufferize models for braid's tensor-level ops: collectives become
// braid.cmd.* on fresh buffers, layer ops become braid.cmd.compute, and the
// values a braid.start yields become buffers the await returns.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_DIALECT_BRAID_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define BRAID_DIALECT_BRAID_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
namespace braid {
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace braid
} // namespace mlir

#endif // BRAID_DIALECT_BRAID_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
