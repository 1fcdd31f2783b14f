//===- ScalarOps.cpp - element semantics of arith and math ops ------------===//

#include "braid/Interpreter/ScalarOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::braid::interp;

namespace {

using FloatUnary = double (*)(double);

ScalarFn floatUnary(FloatUnary fn) {
  return [fn](Operation *, ArrayRef<Scalar> in, ElemKind kind, bool f64) {
    return FailureOr<Scalar>(
        Scalar::ofFloat(kind, roundFloat(fn(in[0].f), kind, f64)));
  };
}

template <typename Fn>
ScalarFn floatBinary(Fn fn) {
  return [fn](Operation *, ArrayRef<Scalar> in, ElemKind kind, bool f64) {
    return FailureOr<Scalar>(
        Scalar::ofFloat(kind, roundFloat(fn(in[0].f, in[1].f), kind, f64)));
  };
}

template <typename Fn>
ScalarFn intBinary(Fn fn) {
  return [fn](Operation *op, ArrayRef<Scalar> in, ElemKind kind,
              bool) -> FailureOr<Scalar> {
    FailureOr<int64_t> value = fn(op, in[0].i, in[1].i, kind);
    if (failed(value))
      return failure();
    return Scalar::ofInt(kind, wrapInt(*value, kind));
  };
}

/// Unsigned view of a signless integer of `kind`.
uint64_t asUnsigned(int64_t value, ElemKind kind) {
  unsigned bits = bitWidth(kind);
  if (bits == 64)
    return static_cast<uint64_t>(value);
  return static_cast<uint64_t>(value) & ((uint64_t(1) << bits) - 1);
}

FailureOr<int64_t> divisionByZero(Operation *op) {
  op->emitError("integer division by zero");
  return failure();
}

bool compareFloat(arith::CmpFPredicate predicate, double a, double b) {
  bool unordered = std::isnan(a) || std::isnan(b);
  switch (predicate) {
  case arith::CmpFPredicate::AlwaysFalse:
    return false;
  case arith::CmpFPredicate::OEQ:
    return !unordered && a == b;
  case arith::CmpFPredicate::OGT:
    return !unordered && a > b;
  case arith::CmpFPredicate::OGE:
    return !unordered && a >= b;
  case arith::CmpFPredicate::OLT:
    return !unordered && a < b;
  case arith::CmpFPredicate::OLE:
    return !unordered && a <= b;
  case arith::CmpFPredicate::ONE:
    return !unordered && a != b;
  case arith::CmpFPredicate::ORD:
    return !unordered;
  case arith::CmpFPredicate::UEQ:
    return unordered || a == b;
  case arith::CmpFPredicate::UGT:
    return unordered || a > b;
  case arith::CmpFPredicate::UGE:
    return unordered || a >= b;
  case arith::CmpFPredicate::ULT:
    return unordered || a < b;
  case arith::CmpFPredicate::ULE:
    return unordered || a <= b;
  case arith::CmpFPredicate::UNE:
    return unordered || a != b;
  case arith::CmpFPredicate::UNO:
    return unordered;
  case arith::CmpFPredicate::AlwaysTrue:
    return true;
  }
  llvm_unreachable("unknown predicate");
}

bool compareInt(arith::CmpIPredicate predicate, int64_t a, int64_t b,
                ElemKind kind) {
  uint64_t ua = asUnsigned(a, kind), ub = asUnsigned(b, kind);
  switch (predicate) {
  case arith::CmpIPredicate::eq:
    return a == b;
  case arith::CmpIPredicate::ne:
    return a != b;
  case arith::CmpIPredicate::slt:
    return a < b;
  case arith::CmpIPredicate::sle:
    return a <= b;
  case arith::CmpIPredicate::sgt:
    return a > b;
  case arith::CmpIPredicate::sge:
    return a >= b;
  case arith::CmpIPredicate::ult:
    return ua < ub;
  case arith::CmpIPredicate::ule:
    return ua <= ub;
  case arith::CmpIPredicate::ugt:
    return ua > ub;
  case arith::CmpIPredicate::uge:
    return ua >= ub;
  }
  llvm_unreachable("unknown predicate");
}

/// IEEE maximum/minimum propagate NaN; maxnum/minnum prefer the number.
double ieeeMaximum(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == 0 && b == 0)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double ieeeMinimum(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == 0 && b == 0)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

double rsqrt(double x) { return 1.0 / std::sqrt(x); }
double negate(double x) { return -x; }
double absolute(double x) { return std::fabs(x); }
double exp2d(double x) { return std::exp2(x); }
double roundHalfAway(double x) { return std::round(x); }
double roundHalfEven(double x) { return std::nearbyint(x); }

} // namespace

ScalarOpRegistry::ScalarOpRegistry() {
  // Floating-point arithmetic.
  add<arith::AddFOp>(floatBinary([](double a, double b) { return a + b; }));
  add<arith::SubFOp>(floatBinary([](double a, double b) { return a - b; }));
  add<arith::MulFOp>(floatBinary([](double a, double b) { return a * b; }));
  add<arith::DivFOp>(floatBinary([](double a, double b) { return a / b; }));
  add<arith::RemFOp>(
      floatBinary([](double a, double b) { return std::fmod(a, b); }));
  add<arith::MaximumFOp>(floatBinary(ieeeMaximum));
  add<arith::MinimumFOp>(floatBinary(ieeeMinimum));
  add<arith::MaxNumFOp>(
      floatBinary([](double a, double b) { return std::fmax(a, b); }));
  add<arith::MinNumFOp>(
      floatBinary([](double a, double b) { return std::fmin(a, b); }));
  add<arith::NegFOp>(floatUnary(negate));

  // Integer arithmetic on signless integers of the result's width.
  add<arith::AddIOp>(intBinary([](Operation *, int64_t a, int64_t b, ElemKind)
                                   -> FailureOr<int64_t> {
    return static_cast<int64_t>(static_cast<uint64_t>(a) +
                                static_cast<uint64_t>(b));
  }));
  add<arith::SubIOp>(intBinary([](Operation *, int64_t a, int64_t b, ElemKind)
                                   -> FailureOr<int64_t> {
    return static_cast<int64_t>(static_cast<uint64_t>(a) -
                                static_cast<uint64_t>(b));
  }));
  add<arith::MulIOp>(intBinary([](Operation *, int64_t a, int64_t b, ElemKind)
                                   -> FailureOr<int64_t> {
    return static_cast<int64_t>(static_cast<uint64_t>(a) *
                                static_cast<uint64_t>(b));
  }));
  add<arith::DivSIOp>(intBinary(
      [](Operation *op, int64_t a, int64_t b, ElemKind) -> FailureOr<int64_t> {
        if (b == 0)
          return divisionByZero(op);
        return a / b;
      }));
  add<arith::DivUIOp>(intBinary([](Operation *op, int64_t a, int64_t b,
                                   ElemKind kind) -> FailureOr<int64_t> {
    if (b == 0)
      return divisionByZero(op);
    return static_cast<int64_t>(asUnsigned(a, kind) / asUnsigned(b, kind));
  }));
  add<arith::RemSIOp>(intBinary(
      [](Operation *op, int64_t a, int64_t b, ElemKind) -> FailureOr<int64_t> {
        if (b == 0)
          return divisionByZero(op);
        return a % b;
      }));
  add<arith::RemUIOp>(intBinary([](Operation *op, int64_t a, int64_t b,
                                   ElemKind kind) -> FailureOr<int64_t> {
    if (b == 0)
      return divisionByZero(op);
    return static_cast<int64_t>(asUnsigned(a, kind) % asUnsigned(b, kind));
  }));
  add<arith::FloorDivSIOp>(intBinary(
      [](Operation *op, int64_t a, int64_t b, ElemKind) -> FailureOr<int64_t> {
        if (b == 0)
          return divisionByZero(op);
        int64_t q = a / b;
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
      }));
  add<arith::CeilDivSIOp>(intBinary(
      [](Operation *op, int64_t a, int64_t b, ElemKind) -> FailureOr<int64_t> {
        if (b == 0)
          return divisionByZero(op);
        int64_t q = a / b;
        return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
      }));
  add<arith::AndIOp>(intBinary([](Operation *, int64_t a, int64_t b, ElemKind)
                                   -> FailureOr<int64_t> { return a & b; }));
  add<arith::OrIOp>(intBinary([](Operation *, int64_t a, int64_t b, ElemKind)
                                  -> FailureOr<int64_t> { return a | b; }));
  add<arith::XOrIOp>(intBinary([](Operation *, int64_t a, int64_t b, ElemKind)
                                   -> FailureOr<int64_t> { return a ^ b; }));
  add<arith::MaxSIOp>(intBinary([](Operation *, int64_t a, int64_t b, ElemKind)
                                    -> FailureOr<int64_t> {
    return std::max(a, b);
  }));
  add<arith::MinSIOp>(intBinary([](Operation *, int64_t a, int64_t b, ElemKind)
                                    -> FailureOr<int64_t> {
    return std::min(a, b);
  }));
  add<arith::MaxUIOp>(intBinary([](Operation *, int64_t a, int64_t b,
                                   ElemKind kind) -> FailureOr<int64_t> {
    return asUnsigned(a, kind) >= asUnsigned(b, kind) ? a : b;
  }));
  add<arith::MinUIOp>(intBinary([](Operation *, int64_t a, int64_t b,
                                   ElemKind kind) -> FailureOr<int64_t> {
    return asUnsigned(a, kind) <= asUnsigned(b, kind) ? a : b;
  }));
  add<arith::ShLIOp>(intBinary([](Operation *, int64_t a, int64_t b,
                                  ElemKind kind) -> FailureOr<int64_t> {
    if (b < 0 || b >= static_cast<int64_t>(bitWidth(kind)))
      return 0;
    return static_cast<int64_t>(static_cast<uint64_t>(a) << b);
  }));
  add<arith::ShRSIOp>(intBinary([](Operation *, int64_t a, int64_t b,
                                   ElemKind kind) -> FailureOr<int64_t> {
    if (b < 0 || b >= static_cast<int64_t>(bitWidth(kind)))
      return a < 0 ? -1 : 0;
    return a >> b;
  }));
  add<arith::ShRUIOp>(intBinary([](Operation *, int64_t a, int64_t b,
                                   ElemKind kind) -> FailureOr<int64_t> {
    if (b < 0 || b >= static_cast<int64_t>(bitWidth(kind)))
      return 0;
    return static_cast<int64_t>(asUnsigned(a, kind) >> b);
  }));

  // Comparisons and selection.
  add<arith::CmpFOp>([](Operation *op, ArrayRef<Scalar> in, ElemKind kind,
                        bool) -> FailureOr<Scalar> {
    auto predicate = cast<arith::CmpFOp>(op).getPredicate();
    return Scalar::ofInt(kind, compareFloat(predicate, in[0].f, in[1].f));
  });
  add<arith::CmpIOp>([](Operation *op, ArrayRef<Scalar> in, ElemKind kind,
                        bool) -> FailureOr<Scalar> {
    auto predicate = cast<arith::CmpIOp>(op).getPredicate();
    return Scalar::ofInt(kind,
                         compareInt(predicate, in[0].i, in[1].i, in[0].kind));
  });
  add<arith::SelectOp>([](Operation *, ArrayRef<Scalar> in, ElemKind,
                          bool) -> FailureOr<Scalar> {
    return in[0].i ? in[1] : in[2];
  });

  // Conversions.
  auto toFloat = [](Operation *, ArrayRef<Scalar> in, ElemKind kind,
                    bool f64) -> FailureOr<Scalar> {
    return Scalar::ofFloat(kind, roundFloat(in[0].f, kind, f64));
  };
  add<arith::ExtFOp>(toFloat);
  add<arith::TruncFOp>(toFloat);
  // Integers round to the float type once, not through a double.
  add<arith::SIToFPOp>([](Operation *, ArrayRef<Scalar> in, ElemKind kind,
                          bool f64) -> FailureOr<Scalar> {
    return Scalar::ofFloat(
        kind, roundIntToFloat(in[0].i, in[0].kind, /*isUnsigned=*/false, kind,
                              f64));
  });
  add<arith::UIToFPOp>([](Operation *, ArrayRef<Scalar> in, ElemKind kind,
                          bool f64) -> FailureOr<Scalar> {
    return Scalar::ofFloat(
        kind, roundIntToFloat(in[0].i, in[0].kind, /*isUnsigned=*/true, kind,
                              f64));
  });
  auto toInt = [](Operation *op, ArrayRef<Scalar> in, ElemKind kind,
                  bool) -> FailureOr<Scalar> {
    double value = std::trunc(in[0].f);
    if (std::isnan(value) || std::fabs(value) >= 9.2e18) {
      op->emitError() << "conversion of " << in[0].f
                      << " to an integer is out of range";
      return failure();
    }
    return Scalar::ofInt(kind, wrapInt(static_cast<int64_t>(value), kind));
  };
  add<arith::FPToSIOp>(toInt);
  add<arith::FPToUIOp>(toInt);
  auto signExtend = [](Operation *, ArrayRef<Scalar> in, ElemKind kind,
                       bool) -> FailureOr<Scalar> {
    // i1 true is -1 when sign-extended.
    int64_t value = in[0].kind == ElemKind::I1 ? -in[0].i : in[0].i;
    return Scalar::ofInt(kind, wrapInt(value, kind));
  };
  add<arith::ExtSIOp>(signExtend);
  add<arith::IndexCastOp>(signExtend);
  auto zeroExtend = [](Operation *, ArrayRef<Scalar> in, ElemKind kind,
                       bool) -> FailureOr<Scalar> {
    return Scalar::ofInt(
        kind, wrapInt(static_cast<int64_t>(asUnsigned(in[0].i, in[0].kind)),
                      kind));
  };
  add<arith::ExtUIOp>(zeroExtend);
  add<arith::IndexCastUIOp>(zeroExtend);
  add<arith::TruncIOp>([](Operation *, ArrayRef<Scalar> in, ElemKind kind,
                          bool) -> FailureOr<Scalar> {
    return Scalar::ofInt(kind, wrapInt(in[0].i, kind));
  });

  // math.
  add<math::ExpOp>(floatUnary(static_cast<FloatUnary>(std::exp)));
  add<math::Exp2Op>(floatUnary(exp2d));
  add<math::ExpM1Op>(floatUnary(static_cast<FloatUnary>(std::expm1)));
  add<math::LogOp>(floatUnary(static_cast<FloatUnary>(std::log)));
  add<math::Log2Op>(floatUnary(static_cast<FloatUnary>(std::log2)));
  add<math::Log10Op>(floatUnary(static_cast<FloatUnary>(std::log10)));
  add<math::Log1pOp>(floatUnary(static_cast<FloatUnary>(std::log1p)));
  add<math::SqrtOp>(floatUnary(static_cast<FloatUnary>(std::sqrt)));
  add<math::RsqrtOp>(floatUnary(rsqrt));
  add<math::TanhOp>(floatUnary(static_cast<FloatUnary>(std::tanh)));
  add<math::ErfOp>(floatUnary(static_cast<FloatUnary>(std::erf)));
  add<math::ErfcOp>(floatUnary(static_cast<FloatUnary>(std::erfc)));
  add<math::CbrtOp>(floatUnary(static_cast<FloatUnary>(std::cbrt)));
  add<math::SinOp>(floatUnary(static_cast<FloatUnary>(std::sin)));
  add<math::CosOp>(floatUnary(static_cast<FloatUnary>(std::cos)));
  add<math::TanOp>(floatUnary(static_cast<FloatUnary>(std::tan)));
  add<math::AbsFOp>(floatUnary(absolute));
  add<math::FloorOp>(floatUnary(static_cast<FloatUnary>(std::floor)));
  add<math::CeilOp>(floatUnary(static_cast<FloatUnary>(std::ceil)));
  add<math::RoundOp>(floatUnary(roundHalfAway));
  add<math::RoundEvenOp>(floatUnary(roundHalfEven));
  add<math::PowFOp>(
      floatBinary([](double a, double b) { return std::pow(a, b); }));
  add<math::Atan2Op>(
      floatBinary([](double a, double b) { return std::atan2(a, b); }));
  add<math::CopySignOp>(
      floatBinary([](double a, double b) { return std::copysign(a, b); }));
  add<math::FmaOp>([](Operation *, ArrayRef<Scalar> in, ElemKind kind,
                      bool f64) -> FailureOr<Scalar> {
    return Scalar::ofFloat(
        kind, roundFloat(std::fma(in[0].f, in[1].f, in[2].f), kind, f64));
  });
  add<math::AbsIOp>([](Operation *, ArrayRef<Scalar> in, ElemKind kind,
                       bool) -> FailureOr<Scalar> {
    return Scalar::ofInt(kind, wrapInt(in[0].i < 0 ? -in[0].i : in[0].i, kind));
  });
}

const ScalarFn *ScalarOpRegistry::lookup(Operation *op) const {
  auto it = functions.find(op->getName().getTypeID());
  return it == functions.end() ? nullptr : &it->second;
}
