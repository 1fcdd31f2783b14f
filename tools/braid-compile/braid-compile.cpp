//===- braid-compile.cpp - a Braid program to a shared library ------------===//
//
// braid-compile IN.mlir -o OUT.so [--target=cpu|cuda] [--overlap]
//               [--profile NAME] [--memory-budget B] [--emit-cpp FILE]
//               [--emit-sources DIR] [--runtime-dir DIR]
//
// Calls inlined, the pipeline (the program as written, or the overlap
// pipeline first), the buffer level, EmitC and its C++, then the host
// compiler against the runtime (docs/Lowering.md, "The artifact"). Prints
// each function's arena beside the scheduler's estimate of it. Errors are
// located in the input; OUT appears only when everything succeeded.
//
// --target=cuda writes CUDA C++ (kernels and host code, docs/GPU.md) and
// builds it with nvcc (`$NVCC`) against a CUDA-enabled runtime
// (braid_rt_link_cuda.txt). --emit-sources DIR writes the emitted source,
// its metadata and a CMake project that builds it with only CMake, the
// compiler and the runtime's sources (the GPU machine has no LLVM).
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
                                       cl::value_desc("OUT.so"), cl::init(""));
enum class Target { Cpu, Cuda };
static cl::opt<Target> target(
    "target", cl::desc("What the program runs on"), cl::init(Target::Cpu),
    cl::values(clEnumValN(Target::Cpu, "cpu", "host C++ on MPI ranks"),
               clEnumValN(Target::Cuda, "cuda",
                          "CUDA kernels, cuBLASLt and NCCL (nvcc)")));
static cl::opt<bool> overlap("overlap",
                             cl::desc("Run the overlap pipeline first"));
static cl::opt<bool> forceDecompose(
    "force-decompose",
    cl::desc("With --overlap: cut every collective matmul into ring steps, "
             "whatever the cost model says"));
static cl::opt<braid::FusionChoice> fuse(
    "fuse",
    cl::desc("With --overlap: fuse GEMM producers with the collectives they "
             "feed (T3 triggers, braid-fuse-producer-collective)"),
    cl::init(braid::FusionChoice::Never),
    cl::values(
        clEnumValN(braid::FusionChoice::Never, "never", "no fusion"),
        clEnumValN(braid::FusionChoice::Auto, "auto",
                   "where the cost model says it pays"),
        clEnumValN(braid::FusionChoice::Chunk, "chunk",
                   "the chunk trigger wherever it fits"),
        clEnumValN(braid::FusionChoice::Tile, "tile",
                   "the tile trigger wherever it fits")));
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
static cl::opt<std::string> emitSources(
    "emit-sources",
    cl::desc("Write the emitted source, metadata.json and a CMake project "
             "that builds it against the runtime's sources to DIR"),
    cl::value_desc("DIR"), cl::init(""));
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

/// The runtime's link fragment (`fileName`: braid_rt_link.txt, or
/// braid_rt_link_cuda.txt for CUDA programs), from the first tree that has
/// one.
static FailureOr<std::string> findLinkFragment(const char *argv0,
                                               StringRef fileName) {
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
    llvm::sys::path::append(path, fileName);
    if (auto buffer = llvm::MemoryBuffer::getFile(path))
      return (*buffer)->getBuffer().trim().str();
  }
  llvm::errs() << "braid-compile: error: no runtime found (looked for "
               << fileName << " in";
  for (const std::string &dir : candidates)
    llvm::errs() << " " << dir;
  llvm::errs() << "); build it with scripts/build.sh"
               << (fileName.contains("cuda") ? " with CUDA and NCCL" : "")
               << " or pass --runtime-dir\n";
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
    options.fuse = fuse;
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
  braid::ConvertBraidToEmitCOptions lowering;
  // --target given: it decides; otherwise the module's braid.device does.
  if (target.getNumOccurrences() > 0)
    lowering.target = target == Target::Cuda ? "cuda" : "cpu";
  lower.addPass(braid::createConvertBraidToEmitC(lowering));
  return lower.run(module);
}

/// `path` relative to `base` (both made absolute), with "/" separators.
static std::string relativePath(StringRef path, StringRef base) {
  SmallString<256> absolutePath(path), absoluteBase(base);
  llvm::sys::fs::make_absolute(absolutePath);
  llvm::sys::fs::make_absolute(absoluteBase);
  llvm::sys::path::remove_dots(absolutePath, /*remove_dot_dot=*/true);
  llvm::sys::path::remove_dots(absoluteBase, /*remove_dot_dot=*/true);
  SmallVector<StringRef> to(llvm::sys::path::begin(absolutePath),
                            llvm::sys::path::end(absolutePath));
  SmallVector<StringRef> from(llvm::sys::path::begin(absoluteBase),
                              llvm::sys::path::end(absoluteBase));
  size_t common = 0;
  while (common < to.size() && common < from.size() &&
         to[common] == from[common])
    ++common;
  std::string result;
  for (size_t i = common; i < from.size(); ++i)
    result += result.empty() ? ".." : "/..";
  for (size_t i = common; i < to.size(); ++i)
    result += (result.empty() ? "" : "/") + to[i].str();
  return result.empty() ? "." : result;
}

/// --emit-sources: DIR/program.cu (or .cpp), DIR/metadata.json and a
/// CMakeLists.txt that builds the artifact (a shared library braid-run
/// loads) and a checker linked with it (braid-check: one rank, no
/// launcher; docs/GPU.md) through the runtime's cmake/BraidProgram.cmake.
static LogicalResult writeSourceProject(StringRef dir, StringRef source,
                                        StringRef metadata, bool cuda) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    llvm::errs() << "braid-compile: error: " << dir << ": " << ec.message()
                 << "\n";
    return failure();
  }
  std::string name = cuda ? "program.cu" : "program.cpp";
  // The runtime's sources relative to DIR, so that a committed project
  // builds wherever the tree is checked out.
  std::string runtime = relativePath(BRAID_RUNTIME_SOURCE_DIR, dir);
  std::string cmake =
      "# Generated by braid-compile --emit-sources. Builds the program with "
      "CMake and\n# " +
      std::string(cuda ? "the CUDA toolkit and NCCL" : "a C++ compiler") +
      " against Braid's runtime (no LLVM, no MPI needed):\n"
      "#   cmake -S . -B build && cmake --build build\n"
      "# BRAID_RUNTIME_SOURCE_DIR names the runtime/ sources; "
      "BRAID_RUNTIME_BUILD_DIR,\n# if set, a runtime build tree to link "
      "instead of building the sources.\n"
      "cmake_minimum_required(VERSION 3.20)\n" +
      std::string(cuda ? "# A100 (sm_80) and H100/H200 (sm_90) unless told.\n"
                         "if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)\n"
                         "  set(CMAKE_CUDA_ARCHITECTURES 80 90)\n"
                         "endif()\n"
                       : "") +
      "project(braid_emitted_program LANGUAGES C CXX" +
      std::string(cuda ? " CUDA" : "") +
      ")\n"
      "set(BRAID_RUNTIME_SOURCE_DIR \"${CMAKE_CURRENT_SOURCE_DIR}/" +
      runtime +
      "\" CACHE PATH\n    \"Braid's runtime/ sources\")\n"
      "include(${BRAID_RUNTIME_SOURCE_DIR}/cmake/BraidProgram.cmake)\n"
      "braid_add_program(program " +
      name + ")\n";
  for (auto [file, text] :
       {std::pair<std::string, std::string>{name, source.str()},
        {"metadata.json", metadata.str() + "\n"},
        {"CMakeLists.txt", cmake}}) {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, file);
    std::string error;
    auto output = openOutputFile(path, &error);
    if (!output) {
      llvm::errs() << "braid-compile: error: " << error << "\n";
      return failure();
    }
    output->os() << text;
    output->keep();
  }
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  // --help lists braid-compile's own options, not the hundreds LLVM
  // registers for its backends (--help-hidden still shows them all; MLIR's
  // --mlir-* options stay accepted).
  static cl::OptionCategory braidCompileOptions("braid-compile options");
  for (cl::Option *option : std::initializer_list<cl::Option *>{
           &inputFile, &outputFile, &target, &overlap, &forceDecompose, &fuse,
           &profile, &memoryBudget, &keepOnly, &emitCpp, &emitSources,
           &emitBuffers, &runtimeDir, &compiler})
    option->addCategory(braidCompileOptions);
  cl::HideUnrelatedOptions(braidCompileOptions);
  cl::ParseCommandLineOptions(argc, argv,
                              "Braid compiler: a program to a shared "
                              "library that runs on MPI ranks\n");
  if (outputFile.empty() && emitSources.empty()) {
    llvm::errs() << "braid-compile: error: nothing to produce: give -o "
                    "OUT.so or --emit-sources DIR\n";
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
  bool cuda = false;
  std::string metadata;
  if (auto json = (*module)->getAttrOfType<StringAttr>(
          braid::BraidDialect::kProgramMetadataAttrName)) {
    metadata = json.getValue().str();
    cuda = StringRef(metadata).contains("\"device\": \"cuda\"");
    (*module)->removeAttr(braid::BraidDialect::kProgramMetadataAttrName);
  }

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
  if (!emitSources.empty() &&
      failed(writeSourceProject(emitSources, cpp, metadata, cuda)))
    return 1;
  if (outputFile.empty())
    return 0;
  FailureOr<std::string> link = findLinkFragment(
      argv[0], cuda ? "braid_rt_link_cuda.txt" : "braid_rt_link.txt");
  if (failed(link))
    return 1;
  // Sources and the partial library go to temporaries next to OUT, renamed
  // only when the compiler succeeded.
  SmallString<256> source, partial;
  if (llvm::sys::fs::createUniqueFile(
          outputFile + (cuda ? ".%%%%%%.cu" : ".%%%%%%.cpp"), source) ||
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
    const char *variable = cuda ? "NVCC" : "CXX";
    if (std::optional<std::string> env = llvm::sys::Process::GetEnv(variable))
      cxx = *env;
    else
      cxx = cuda ? "nvcc" : "c++";
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
