//===- braid-compile.cpp - a Braid program to a shared library ------------===//
//
// braid-compile IN.mlir -o OUT.so [--target=cpu] [--overlap] [--profile NAME]
//               [--memory-budget B] [--emit-cpp FILE] [--runtime-dir DIR]
//
// Calls inlined, the pipeline (the program as written, or the overlap
// pipeline first), the buffer level, EmitC and its C++, then the host
// compiler against the runtime (docs/Lowering.md, "The artifact"). Prints
// each function's arena beside the scheduler's estimate of it. Errors are
// located in the input; OUT appears only when everything succeeded.
//
//===----------------------------------------------------------------------===//

#include "braid/Conversion/Passes.h"
#include "braid/Dialect/Braid/IR/BraidDialect.h"
#include "braid/Dialect/Braid/Transforms/BufferizableOpInterfaceImpl.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Pipelines.h"
#include "braid/Dialect/Braid/Transforms/Transforms.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::Required);
static cl::opt<std::string> outputFile("o", cl::desc("The shared library"),
                                       cl::value_desc("OUT.so"), cl::Required);
enum class Target { Cpu, Cuda };
static cl::opt<Target> target(
    "target", cl::desc("What the program runs on"), cl::init(Target::Cpu),
    cl::values(clEnumValN(Target::Cpu, "cpu", "host C++ on MPI ranks"),
               clEnumValN(Target::Cuda, "cuda",
                          "CUDA kernels and NCCL (not available yet)")));
static cl::opt<bool> overlap("overlap",
                             cl::desc("Run the overlap pipeline first"));
static cl::opt<bool> forceDecompose(
    "force-decompose",
    cl::desc("With --overlap: cut every collective matmul into ring steps, "
             "whatever the cost model says"));
static cl::opt<std::string>
    profile("profile", cl::desc("Hardware profile for --overlap"),
            cl::init(""));
static cl::opt<int64_t> memoryBudget(
    "memory-budget", cl::desc("Largest arena in bytes (0: no limit)"),
    cl::init(0));
enum class KeepOnly { All, Compute, Communication };
static cl::opt<KeepOnly> keepOnly(
    "keep-only",
    cl::desc("Build a timing variant (results are meaningless)"),
    cl::init(KeepOnly::All),
    cl::values(clEnumValN(KeepOnly::Compute, "compute",
                          "collectives dropped (braid-keep-only)"),
               clEnumValN(KeepOnly::Communication, "communication",
                          "computations dropped (braid-keep-only)")));
static cl::opt<std::string> emitCpp("emit-cpp",
                                    cl::desc("Also write the C++ to FILE"),
                                    cl::value_desc("FILE"), cl::init(""));
static cl::opt<std::string> emitBuffers(
    "emit-buffers", cl::desc("Also write the buffer-level IR to FILE"),
    cl::value_desc("FILE"), cl::init(""));
static cl::opt<std::string> runtimeDir(
    "runtime-dir",
    cl::desc("Runtime build or install tree (default: $BRAID_RUNTIME_DIR, "
             "beside the tool, then the build tree's)"),
    cl::init(""));
static cl::opt<std::string> compiler("cxx", cl::desc("Host C++ compiler"),
                                     cl::init(""));

/// The runtime's link fragment (braid_rt_link.txt), from the first tree
/// that has one.
static FailureOr<std::string> findLinkFragment(const char *argv0) {
  // A runtime named by the user is the only place looked at.
  SmallVector<std::string> candidates;
  std::optional<std::string> env =
      llvm::sys::Process::GetEnv("BRAID_RUNTIME_DIR");
  if (!runtimeDir.empty()) {
    candidates.push_back(runtimeDir);
  } else if (env && !env->empty()) {
    candidates.push_back(*env);
  } else {
    std::string self = llvm::sys::fs::getMainExecutable(argv0, nullptr);
    SmallString<256> beside(llvm::sys::path::parent_path(
        llvm::sys::path::parent_path(self)));
    llvm::sys::path::append(beside, "lib", "braid_rt");
    candidates.push_back(std::string(beside));
    candidates.push_back(BRAID_RUNTIME_BUILD_DIR);
  }
  for (const std::string &dir : candidates) {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, "braid_rt_link.txt");
    if (auto buffer = llvm::MemoryBuffer::getFile(path))
      return (*buffer)->getBuffer().trim().str();
  }
  llvm::errs() << "braid-compile: error: no runtime found (looked for "
                  "braid_rt_link.txt in";
  for (const std::string &dir : candidates)
    llvm::errs() << " " << dir;
  llvm::errs() << "); build it with scripts/build.sh or pass --runtime-dir\n";
  return failure();
}

static LogicalResult runPipeline(ModuleOp module, MLIRContext &context) {
  // One function per step: callees inlined first, so the scheduler sees the
  // whole step and the arena estimate its temporaries.
  PassManager pm(&context);
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  if (overlap) {
    braid::OverlapPipelineOptions options;
    if (!profile.empty())
      options.profile = profile;
    options.memoryBudget = memoryBudget;
    options.forceDecompose = forceDecompose;
    braid::buildOverlapPipeline(pm, options);
  }
  if (failed(pm.run(module)))
    return failure();
  // The estimate the scheduler budgets with, for the order that is compiled.
  llvm::StringMap<std::string> estimates;
  for (auto function : module.getOps<func::FuncOp>()) {
    if (function.isExternal())
      continue;
    std::string whyNot;
    FailureOr<braid::ArenaSummary> estimate =
        braid::estimateArena(function, {}, whyNot);
    estimates[function.getSymName()] =
        succeeded(estimate) ? std::to_string(estimate->arenaBytes) + " bytes"
                            : "unavailable (" + whyNot + ")";
  }
  pm.clear();
  braid::BufferPipelineOptions buffers;
  buffers.memoryBudget = memoryBudget;
  braid::buildBufferPipeline(pm, buffers);
  if (keepOnly != KeepOnly::All) {
    braid::BraidKeepOnlyOptions variant;
    variant.work = keepOnly == KeepOnly::Compute
                       ? braid::TimedWork::Compute
                       : braid::TimedWork::Communication;
    pm.addNestedPass<func::FuncOp>(braid::createBraidKeepOnly(variant));
  }
  if (failed(pm.run(module)))
    return failure();
  for (auto function : module.getOps<func::FuncOp>())
    if (auto arena = function->getAttrOfType<IntegerAttr>(
            braid::BraidDialect::kArenaBytesAttrName))
      llvm::errs() << "braid-compile: @" << function.getSymName() << ": arena "
                   << arena.getInt() << " bytes; scheduler's estimate "
                   << estimates.lookup(function.getSymName()) << "\n";
  if (!emitBuffers.empty()) {
    std::string error;
    auto file = openOutputFile(emitBuffers, &error);
    if (!file) {
      llvm::errs() << "braid-compile: error: " << error << "\n";
      return failure();
    }
    module.print(file->os());
    file->keep();
  }
  PassManager lower(&context);
  lower.addPass(braid::createConvertBraidToEmitC());
  return lower.run(module);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv,
                              "Braid compiler: a program to a shared "
                              "library that runs on MPI ranks\n");
  if (target == Target::Cuda) {
    llvm::errs() << "braid-compile: error: --target=cuda is not available "
                    "yet; use --target=cpu\n";
    return 1;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  braid::registerBraidDialect(registry);
  braid::registerBufferizableOpInterfaceExternalModels(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);

  std::string error;
  auto input = openInputFile(inputFile, &error);
  if (!input) {
    llvm::errs() << "braid-compile: error: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  if (failed(runPipeline(*module, context)))
    return 1;

  std::string cpp;
  llvm::raw_string_ostream cppStream(cpp);
  if (failed(braid::translateBraidToCpp(*module, cppStream)))
    return 1;
  if (!emitCpp.empty()) {
    auto file = openOutputFile(emitCpp, &error);
    if (!file) {
      llvm::errs() << "braid-compile: error: " << error << "\n";
      return 1;
    }
    file->os() << cpp;
    file->keep();
  }

  FailureOr<std::string> link = findLinkFragment(argv[0]);
  if (failed(link))
    return 1;
  // Sources and the partial library go to temporaries next to OUT, renamed
  // only when the compiler succeeded.
  SmallString<256> source, partial;
  if (llvm::sys::fs::createUniqueFile(outputFile + ".%%%%%%.cpp", source) ||
      llvm::sys::fs::createUniqueFile(outputFile + ".%%%%%%.tmp", partial)) {
    llvm::errs() << "braid-compile: error: cannot create files next to "
                 << outputFile << "\n";
    return 1;
  }
  auto cleanup = [&] {
    llvm::sys::fs::remove(source);
    llvm::sys::fs::remove(partial);
  };
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(source, ec);
    if (ec) {
      llvm::errs() << "braid-compile: error: " << ec.message() << "\n";
      cleanup();
      return 1;
    }
    os << cpp;
  }
  std::string cxx = compiler;
  if (cxx.empty()) {
    if (std::optional<std::string> env = llvm::sys::Process::GetEnv("CXX"))
      cxx = *env;
    else
      cxx = "c++";
  }
  llvm::ErrorOr<std::string> cxxPath = llvm::sys::findProgramByName(cxx);
  if (!cxxPath) {
    llvm::errs() << "braid-compile: error: host compiler '" << cxx
                 << "' not found\n";
    cleanup();
    return 1;
  }
  SmallVector<std::string> args{*cxxPath, std::string(source)};
  SmallVector<StringRef> fragments;
  StringRef(*link).split(fragments, ' ', -1, /*KeepEmpty=*/false);
  for (StringRef fragment : fragments)
    args.push_back(fragment.trim().str());
  args.push_back("-o");
  args.push_back(std::string(partial));
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*cxxPath, argRefs, std::nullopt, {},
                                         0, 0, &message);
  if (status != 0) {
    llvm::errs() << "braid-compile: error: the host compiler failed on the "
                    "emitted C++ (a Braid defect: please report it with "
                 << inputFile << ")" << (message.empty() ? "" : ": ")
                 << message << "\n";
    cleanup();
    return 1;
  }
  if (std::error_code ec = llvm::sys::fs::rename(partial, outputFile)) {
    llvm::errs() << "braid-compile: error: " << outputFile << ": "
                 << ec.message() << "\n";
    cleanup();
    return 1;
  }
  llvm::sys::fs::remove(source);
  return 0;
}
