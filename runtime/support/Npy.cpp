//===- Npy.cpp - read and write .npy files --------------------------------===//

#include "Npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace braid_rt::npy {

int64_t NpyArray::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

size_t NpyArray::itemSize() const {
  if (dtype.size() < 2)
    return 0;
  return static_cast<size_t>(dtype[1] - '0');
}

namespace {

/// The text of `key`'s value in the header dict, up to the next top-level
/// comma or the closing brace.
bool headerField(const std::string &header, const std::string &key,
                 std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  int depth = 0;
  size_t end = at + 1;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  value = header.substr(at + 1, end - at - 1);
  return true;
}

std::string trim(const std::string &text, const char *chars = " '\"") {
  size_t begin = text.find_first_not_of(chars);
  if (begin == std::string::npos)
    return "";
  size_t end = text.find_last_not_of(chars);
  return text.substr(begin, end - begin + 1);
}

} // namespace

bool readNpy(const std::string &path, NpyArray &array, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = path + ": cannot open";
    return false;
  }
  std::string data((std::istreambuf_iterator<char>(file)),
                   std::istreambuf_iterator<char>());
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) {
    error = path + ": not a .npy file";
    return false;
  }
  unsigned major = static_cast<unsigned char>(data[6]);
  size_t headerLength, offset;
  if (major == 1) {
    headerLength =
        static_cast<unsigned char>(data[8]) |
        (static_cast<size_t>(static_cast<unsigned char>(data[9])) << 8);
    offset = 10;
  } else if ((major == 2 || major == 3) && data.size() >= 12) {
    headerLength = 0;
    for (int i = 11; i >= 8; --i)
      headerLength = (headerLength << 8) | static_cast<unsigned char>(data[i]);
    offset = 12;
  } else {
    error = path + ": unsupported .npy version";
    return false;
  }
  if (data.size() < offset + headerLength) {
    error = path + ": truncated header";
    return false;
  }
  std::string header = data.substr(offset, headerLength);
  std::string descr, fortran, shape;
  if (!headerField(header, "descr", descr) ||
      !headerField(header, "fortran_order", fortran) ||
      !headerField(header, "shape", shape)) {
    error = path + ": malformed header";
    return false;
  }
  descr = trim(descr);
  if (trim(fortran, " ") != "False") {
    error = path + ": Fortran order is not supported";
    return false;
  }
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '|')) {
    error = path + ": unsupported dtype '" + descr + "'";
    return false;
  }
  array.dtype = descr.substr(1);
  array.shape.clear();
  std::stringstream dims(trim(shape, " ()"));
  std::string dim;
  while (std::getline(dims, dim, ','))
    if (!trim(dim, " ").empty())
      array.shape.push_back(std::stoll(trim(dim, " ")));
  size_t bytes = array.numElements() * array.itemSize();
  if (data.size() - offset - headerLength != bytes) {
    error = path + ": data size does not match the shape";
    return false;
  }
  array.bytes.assign(data.begin() + offset + headerLength, data.end());
  return true;
}

std::string npyDescr(const std::string &dtype) {
  bool singleByte = dtype.size() == 2 && dtype[1] == '1';
  return (singleByte ? "|" : "<") + dtype;
}

bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error) {
  std::string header =
      "{'descr': '" + npyDescr(array.dtype) + "', 'fortran_order': False, "
      "'shape': (";
  for (size_t i = 0; i < array.shape.size(); ++i)
    header += (i ? ", " : "") + std::to_string(array.shape[i]);
  if (array.shape.size() == 1)
    header += ",";
  header += "), }";
  // Pad with spaces so the data starts at a multiple of 64 bytes (as
  // braid-interp and numpy do).
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string prefix = "\x93NUMPY";
  prefix.push_back(1);
  prefix.push_back(0);
  prefix.push_back(static_cast<char>(header.size() & 0xff));
  prefix.push_back(static_cast<char>(header.size() >> 8));

  std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << prefix << header;
    file.write(reinterpret_cast<const char *>(array.bytes.data()),
               static_cast<std::streamsize>(array.bytes.size()));
    if (!file.good()) {
      error = path + ": cannot write";
      std::remove(temporary.c_str());
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = path + ": cannot rename into place: " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

} // namespace braid_rt::npy
