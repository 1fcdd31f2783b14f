//===- DependenceGraphTest.cpp - reachability queries against a closure ---===//
//
// The graph answers dependsOn and independentOf by walking its edges; these
// tests compare every answer with the transitive closure of the same edges
// computed the straightforward way, on programs with fan-in, fan-out, values
// read inside regions, collectives on two communicators and streams.
//
//===----------------------------------------------------------------------===//

#include "../Dialect/Braid/TestUtils.h"

#include "braid/Analysis/DependenceGraph.h"

#include "llvm/ADT/BitVector.h"

#include <string>

using namespace mlir;
using namespace mlir::braid;

namespace {

/// A deterministic program of `count` ops on tensor<4xf32> values, each
/// reading one or two earlier values picked by a linear congruential
/// sequence: adds, collectives on @g axes [0] or [1], a map whose region
/// reads a scalar extracted earlier, starts on streams 1 and 2 and their
/// awaits.
std::string randomProgram(unsigned count, uint64_t seed) {
  std::string body;
  unsigned values = 1; // %v0 is the argument.
  uint64_t state = seed;
  auto next = [&](unsigned bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<unsigned>((state >> 33) % bound);
  };
  // Pick recent values more often: long chains and local fan-in both occur.
  auto pick = [&]() {
    unsigned back = next(4) == 0 ? next(values) : next(std::min(values, 5u));
    return "%v" + std::to_string(values - 1 - back);
  };
  const std::string type = "tensor<4xf32>";
  body += "  %c0 = arith.constant 0 : index\n";
  body += "  %empty = tensor.empty() : " + type + "\n";
  for (unsigned i = 0; i < count; ++i) {
    std::string result = "%v" + std::to_string(values);
    switch (next(6)) {
    case 0:
    case 1:
      body += "  " + result + " = arith.addf " + pick() + ", " + pick() +
              " : " + type + "\n";
      break;
    case 2:
      body += "  " + result + " = braid.all_reduce " + pick() +
              " on @g axes = [" + std::to_string(next(2)) +
              "] reduction = sum : " + type + "\n";
      break;
    case 3: {
      std::string scalar = "%s" + std::to_string(i);
      body += "  " + scalar + " = tensor.extract " + pick() +
              "[%c0] : " + type + "\n";
      body += "  " + result + " = linalg.map ins(" + pick() + " : " + type +
              ") outs(%empty : " + type + ") (%in: f32, %init: f32) {\n" +
              "    %sum = arith.addf %in, " + scalar + " : f32\n" +
              "    linalg.yield %sum : f32\n  }\n";
      break;
    }
    case 4: {
      std::string future = "%f" + std::to_string(i);
      body += "  " + future +
              " = braid.start stream = " + std::to_string(1 + next(2)) +
              " {\n" + "    %r = braid.all_reduce " + pick() +
              " on @g axes = [0] reduction = sum : " + type + "\n" +
              "    braid.yield %r : " + type + "\n  } : !braid.future<" + type +
              ">\n";
      body += "  " + result + " = braid.await " + future + " : !braid.future<" +
              type + ">\n";
      break;
    }
    default:
      body += "  " + result + " = arith.mulf " + pick() + ", " + pick() +
              " : " + type + "\n";
      break;
    }
    ++values;
  }
  return "shard.grid @g(shape = 2x2)\nfunc.func @f(%v0: " + type + ") -> " +
         type + " {\n" + body + "  return %v" + std::to_string(values - 1) +
         " : " + type + "\n}\n";
}

/// Every node each node transitively depends on, from the direct edges.
SmallVector<llvm::BitVector> closureOf(const DependenceGraph &graph) {
  SmallVector<llvm::BitVector> reach(graph.size(),
                                     llvm::BitVector(graph.size()));
  for (unsigned node = 0; node < graph.size(); ++node)
    for (unsigned pred : graph.predecessors(node)) {
      EXPECT_LT(pred, node) << "edges follow block order";
      reach[node].set(pred);
      reach[node] |= reach[pred];
    }
  return reach;
}

class DependenceGraphTest : public ::testing::Test {
protected:
  void SetUp() override { context = test::makeContext(); }

  Block &parse(StringRef text) {
    module = parseSourceString<ModuleOp>(text, context.get());
    EXPECT_TRUE(module) << text.str();
    auto function = cast<func::FuncOp>(test::findFirst(*module, "func.func"));
    return function.getBody().front();
  }

  /// Compares every query with the closure; returns how many ordered pairs
  /// depend on each other, so a test can check the program is not trivial.
  unsigned checkAgainstClosure(const DependenceGraph &graph) {
    SmallVector<llvm::BitVector> reach = closureOf(graph);
    unsigned related = 0;
    for (unsigned a = 0; a < graph.size(); ++a) {
      SmallVector<unsigned> expected;
      for (unsigned b = 0; b < graph.size(); ++b) {
        EXPECT_EQ(graph.dependsOn(a, b), reach[a].test(b))
            << "dependsOn(" << a << ", " << b << ")";
        related += reach[a].test(b);
        if (a != b && !reach[a].test(b) && !reach[b].test(a))
          expected.push_back(b);
      }
      EXPECT_EQ(graph.independentOf(a), expected)
          << "independentOf(" << a << ")";
    }
    return related;
  }

  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(DependenceGraphTest, QueriesMatchTheTransitiveClosure) {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    Block &block = parse(randomProgram(120, seed));
    for (bool keepOrders : {true, false}) {
      DependenceGraph graph(block,
                            DependenceGraph::Options{keepOrders, keepOrders});
      unsigned pairs = graph.size() * (graph.size() - 1);
      unsigned related = checkAgainstClosure(graph);
      // Neither everything nor nothing ordered: the queries are exercised
      // on both answers.
      EXPECT_GT(related, pairs / 10) << "seed " << seed;
      EXPECT_LT(related, pairs / 2) << "seed " << seed;
    }
  }
}

TEST_F(DependenceGraphTest, SuccessorsMirrorPredecessors) {
  Block &block = parse(randomProgram(60, 7));
  DependenceGraph graph(block);
  unsigned edges = 0;
  for (unsigned node = 0; node < graph.size(); ++node)
    for (unsigned succ : graph.successors(node)) {
      EXPECT_TRUE(llvm::is_contained(graph.predecessors(succ), node));
      ++edges;
    }
  unsigned predEdges = 0;
  for (unsigned node = 0; node < graph.size(); ++node)
    predEdges += graph.predecessors(node).size();
  EXPECT_EQ(edges, predEdges);
  EXPECT_GT(edges, 0u);
}

TEST_F(DependenceGraphTest, OutOfOrderAndSelfQueriesAreFalse) {
  Block &block = parse(randomProgram(20, 11));
  DependenceGraph graph(block);
  for (unsigned node = 0; node < graph.size(); ++node) {
    EXPECT_FALSE(graph.dependsOn(node, node));
    for (unsigned later = node + 1; later < graph.size(); ++later)
      EXPECT_FALSE(graph.dependsOn(node, later));
  }
}

} // namespace
