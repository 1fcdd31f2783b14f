//===- ReferenceCases.cpp - loading and comparing reference data ----------===//

#include "ReferenceCases.h"

#include "braid_rt/kernels/Float.h"

#include <fstream>
#include <sstream>

namespace braid_rt::kernels::testing {

int64_t HostTensor::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

double HostTensor::at(int64_t i) const {
  const unsigned char *p = bytes.data() + i * braid_rt_elem_size(type);
  auto load = [p](auto value) {
    std::memcpy(&value, p, sizeof value);
    return value;
  };
  switch (type) {
  case BRAID_RT_ELEM_F32:
    return load(float{});
  case BRAID_RT_ELEM_BF16:
    return toFloat(load(bf16{}));
  case BRAID_RT_ELEM_F16:
    return toFloat(load(f16{}));
  case BRAID_RT_ELEM_F64:
    return load(double{});
  case BRAID_RT_ELEM_I1:
    return load(uint8_t{});
  case BRAID_RT_ELEM_I8:
    return load(int8_t{});
  case BRAID_RT_ELEM_I16:
    return load(int16_t{});
  case BRAID_RT_ELEM_I32:
    return load(int32_t{});
  case BRAID_RT_ELEM_I64:
    return static_cast<double>(load(int64_t{}));
  }
  return NAN;
}

HostTensor makeTensor(braid_rt_elem type, std::vector<int64_t> shape) {
  HostTensor tensor;
  tensor.type = type;
  tensor.shape = std::move(shape);
  tensor.bytes.assign(tensor.numElements() * braid_rt_elem_size(type), 0);
  return tensor;
}

HostTensor makePoisoned(braid_rt_elem type, std::vector<int64_t> shape) {
  HostTensor tensor = makeTensor(type, std::move(shape));
  std::fill(tensor.bytes.begin(), tensor.bytes.end(), 0xff);
  return tensor;
}

std::string Case::param(const std::string &key) const {
  auto it = params.find(key);
  return it == params.end() ? "" : it->second;
}

int64_t Case::intParam(const std::string &key) const {
  return std::stoll(param(key));
}

float Case::floatParam(const std::string &key) const {
  return std::strtof(param(key).c_str(), nullptr);
}

namespace {

bool elemOfName(const std::string &name, braid_rt_elem &type) {
  static const std::map<std::string, braid_rt_elem> names = {
      {"f32", BRAID_RT_ELEM_F32}, {"bf16", BRAID_RT_ELEM_BF16},
      {"f16", BRAID_RT_ELEM_F16}, {"f64", BRAID_RT_ELEM_F64},
      {"i1", BRAID_RT_ELEM_I1},   {"i8", BRAID_RT_ELEM_I8},
      {"i16", BRAID_RT_ELEM_I16}, {"i32", BRAID_RT_ELEM_I32},
      {"i64", BRAID_RT_ELEM_I64}};
  auto it = names.find(name);
  if (it == names.end())
    return false;
  type = it->second;
  return true;
}

bool parseTypes(const std::string &text, std::vector<braid_rt_elem> &types) {
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    braid_rt_elem type;
    if (!elemOfName(word, type))
      return false;
    types.push_back(type);
  }
  return true;
}

/// numpy's storage of a kernel type (bf16 as f4).
const char *storageOf(braid_rt_elem type) {
  switch (type) {
  case BRAID_RT_ELEM_F32:
  case BRAID_RT_ELEM_BF16:
    return "f4";
  case BRAID_RT_ELEM_F16:
    return "f2";
  case BRAID_RT_ELEM_F64:
    return "f8";
  case BRAID_RT_ELEM_I1:
    return "b1";
  case BRAID_RT_ELEM_I8:
    return "i1";
  case BRAID_RT_ELEM_I16:
    return "i2";
  case BRAID_RT_ELEM_I32:
    return "i4";
  case BRAID_RT_ELEM_I64:
    return "i8";
  }
  return "";
}

std::string formatValue(double value) {
  std::ostringstream os;
  os.precision(9);
  os << value;
  return os.str();
}

std::string describe(const HostTensor &got, int64_t i, double want) {
  std::ostringstream os;
  os << "element " << i << " of " << got.numElements() << ": got "
     << formatValue(got.at(i)) << ", expected " << formatValue(want);
  return os.str();
}

bool bothNan(double a, double b) { return std::isnan(a) && std::isnan(b); }

} // namespace

bool listCases(const std::string &dataDir, std::vector<std::string> &names,
               std::string &error) {
  std::ifstream file(dataDir + "/cases.txt");
  if (!file) {
    error = dataDir + "/cases.txt: cannot open";
    return false;
  }
  std::string name;
  while (std::getline(file, name))
    if (!name.empty())
      names.push_back(name);
  return true;
}

bool loadCase(const std::string &dataDir, const std::string &name, Case &c,
              std::string &error) {
  c = Case();
  c.name = name;
  std::string dir = dataDir + "/" + name;
  std::ifstream file(dir + "/case.txt");
  if (!file) {
    error = dir + "/case.txt: cannot open";
    return false;
  }
  std::string line;
  while (std::getline(file, line)) {
    size_t space = line.find(' ');
    if (space != std::string::npos)
      c.params[line.substr(0, space)] = line.substr(space + 1);
  }
  if (!parseTypes(c.param("args"), c.argTypes) ||
      !parseTypes(c.param("results"), c.resultTypes)) {
    error = dir + "/case.txt: unknown element type";
    return false;
  }
  c.args.resize(c.argTypes.size());
  for (size_t i = 0; i < c.args.size(); ++i)
    if (!readNpy(dir + "/arg" + std::to_string(i) + ".npy", c.args[i], error))
      return false;
  c.results.resize(c.resultTypes.size());
  for (size_t i = 0; i < c.results.size(); ++i)
    if (!readNpy(dir + "/result" + std::to_string(i) + ".npy", c.results[i],
                 error))
      return false;
  return true;
}

bool toKernel(const NpyArray &array, braid_rt_elem type, HostTensor &tensor,
              std::string &error) {
  if (array.dtype != storageOf(type)) {
    error = std::string("stored as '") + array.dtype + "', expected '" +
            storageOf(type) + "' for " + braid_rt_elem_name(type);
    return false;
  }
  tensor = makeTensor(type, array.shape);
  if (type != BRAID_RT_ELEM_BF16) {
    tensor.bytes = array.bytes;
    return true;
  }
  for (int64_t i = 0; i < array.numElements(); ++i) {
    float value;
    std::memcpy(&value, array.bytes.data() + 4 * i, 4);
    bf16 rounded = bf16FromFloat(value);
    if (!(toFloat(rounded) == value || std::isnan(value))) {
      error = "element " + std::to_string(i) + " (" + formatValue(value) +
              ") is not a bf16 value";
      return false;
    }
    std::memcpy(tensor.bytes.data() + 2 * i, &rounded, 2);
  }
  return true;
}

std::string compareExact(const HostTensor &got, const NpyArray &want) {
  HostTensor expected;
  std::string error;
  if (!toKernel(want, got.type, expected, error))
    return "reference: " + error;
  if (expected.shape != got.shape)
    return "shapes differ";
  size_t size = braid_rt_elem_size(got.type);
  for (int64_t i = 0; i < got.numElements(); ++i) {
    if (std::memcmp(got.bytes.data() + i * size,
                    expected.bytes.data() + i * size, size) == 0)
      continue;
    if (detail::isFloat(got.type) && bothNan(got.at(i), expected.at(i)))
      continue;
    return "not bitwise equal: " + describe(got, i, expected.at(i));
  }
  return "";
}

std::string compareWithin(const HostTensor &got, const NpyArray &want,
                          const std::vector<double> &bound) {
  HostTensor expected;
  std::string error;
  if (!toKernel(want, got.type, expected, error))
    return "reference: " + error;
  for (int64_t i = 0; i < got.numElements(); ++i) {
    double x = got.at(i), ref = expected.at(i);
    if (bothNan(x, ref) || x == ref)
      continue;
    if (!(std::fabs(x - ref) <= bound[i]))
      return "outside the bound " + formatValue(bound[i]) + ": " +
             describe(got, i, ref);
  }
  return "";
}

std::string compareClose(const HostTensor &got, const NpyArray &want,
                         double rtol, double atol) {
  HostTensor expected;
  std::string error;
  if (!toKernel(want, got.type, expected, error))
    return "reference: " + error;
  double scale = 0;
  for (int64_t i = 0; i < expected.numElements(); ++i)
    if (std::isfinite(expected.at(i)))
      scale = std::fmax(scale, std::fabs(expected.at(i)));
  for (int64_t i = 0; i < got.numElements(); ++i) {
    double x = got.at(i), ref = expected.at(i);
    if (bothNan(x, ref) || x == ref)
      continue;
    if (!(std::fabs(x - ref) <= rtol * std::fabs(ref) + atol * scale))
      return "not within rtol " + formatValue(rtol) + ", atol " +
             formatValue(atol) + " x " + formatValue(scale) + ": " +
             describe(got, i, ref);
  }
  return "";
}

double reassociationBound(double sumAbs, int64_t k, double reference,
                          braid_rt_elem type) {
  double unit = std::ldexp(1.0, type == BRAID_RT_ELEM_F64 ? -53 : -24);
  int precision = 24, minExponent = -149;
  switch (type) {
  case BRAID_RT_ELEM_BF16:
    precision = 8;
    minExponent = -133;
    break;
  case BRAID_RT_ELEM_F16:
    precision = 11;
    minExponent = -24;
    break;
  case BRAID_RT_ELEM_F64:
    precision = 53;
    minExponent = -1074;
    break;
  default:
    break;
  }
  return 2.0 * static_cast<double>(k + 2) * unit * sumAbs +
         std::ldexp(std::fabs(reference), 1 - precision) +
         std::ldexp(1.0, minExponent);
}

std::vector<double> gemmBound(const braid_rt_gemm_desc &desc,
                              const HostTensor &a, const HostTensor &b,
                              const HostTensor *c0, const NpyArray &reference) {
  HostTensor ref;
  std::string error;
  std::vector<double> bound(desc.batch * desc.m * desc.n, 0.0);
  if (!toKernel(reference, desc.c_type, ref, error))
    return bound; // compareWithin reports the reference's problem
  for (int64_t e = 0; e < desc.batch; ++e)
    for (int64_t i = 0; i < desc.m; ++i)
      for (int64_t j = 0; j < desc.n; ++j) {
        int64_t at = e * desc.stride_c + i * desc.ldc + j;
        double sumAbs = c0 ? std::fabs(c0->at(at)) : 0.0;
        for (int64_t kk = 0; kk < desc.k; ++kk) {
          int64_t ai = e * desc.stride_a +
                       (desc.trans_a ? kk * desc.lda + i : i * desc.lda + kk);
          int64_t bi = e * desc.stride_b +
                       (desc.trans_b ? j * desc.ldb + kk : kk * desc.ldb + j);
          sumAbs += std::fabs(a.at(ai) * b.at(bi));
        }
        bound[at] = reassociationBound(sumAbs, desc.k, ref.at(at), desc.c_type);
      }
  return bound;
}

} // namespace braid_rt::kernels::testing
