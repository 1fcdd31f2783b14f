//===- Trace.cpp - the measured timeline as a Chrome trace ----------------===//
//
// The form braid-estimate writes (lib/Analysis/TimingModel.cpp,
// writeChromeTrace): one process per rank named "rank R", one thread per
// stream, "X" events in microseconds with "cat" compute or communication,
// so a predicted and a measured trace open side by side in Perfetto.
// Timestamps are microseconds since the traced step began on that rank;
// a CUDA program's spans were measured by CUDA events (ExecCuda.cpp) and
// placed on the same clock.
//
//===----------------------------------------------------------------------===//

#include "ProgramImpl.h"

#include <cstdio>
#include <cstring>

namespace braid_rt::program {

namespace {

template <typename T> void put(std::string &out, const T &value) {
  out.append(reinterpret_cast<const char *>(&value), sizeof(value));
}

template <typename T> bool get(const std::string &in, size_t &at, T &value) {
  if (at + sizeof(value) > in.size())
    return false;
  std::memcpy(&value, in.data() + at, sizeof(value));
  at += sizeof(value);
  return true;
}

void appendSpan(std::string &out, const Span &span, Clock::time_point origin) {
  put(out, span.stream);
  put(out, static_cast<int32_t>(span.kind));
  put(out, microsecondsSince(origin, span.start));
  put(out, microsecondsSince(span.start, span.end));
  const char *label = span.label ? span.label : "";
  uint32_t length = static_cast<uint32_t>(std::strlen(label));
  put(out, length);
  out.append(label, length);
}

void appendEscaped(std::string &out, const std::string &text) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.3f", value);
  return text;
}

/// Stream 0 of a CPU program is the calling thread; of a CUDA program, a
/// CUDA stream like the others.
std::string streamLabel(int stream, bool cuda) {
  return stream == 0 && !cuda ? "stream 0 (host)"
                              : "stream " + std::to_string(stream);
}

} // namespace

std::string serializeSpans(const braid_program &program) {
  std::string out;
  if (!program.traced)
    return out;
  for (const Span &span : program.hostSpans)
    appendSpan(out, span, program.traceOrigin);
  for (size_t i = 1; i < program.streams.size(); ++i)
    for (const Span &span : program.streams[i]->spans)
      appendSpan(out, span, program.traceOrigin);
  return out;
}

std::string chromeTraceJson(const braid_program_desc &desc,
                            const std::vector<std::string> &rankSpans) {
  std::string out = "{\n  \"traceEvents\": [";
  bool first = true;
  auto event = [&](const std::string &body) {
    out += first ? "\n    {" : ",\n    {";
    first = false;
    out += body;
    out += "}";
  };
  for (size_t rank = 0; rank < rankSpans.size(); ++rank) {
    std::string pid = std::to_string(rank);
    event("\"name\": \"process_name\", \"ph\": \"M\", \"pid\": " + pid +
          ", \"args\": {\"name\": \"rank " + pid + "\"}");
    for (int stream = 0; stream <= desc.num_streams; ++stream) {
      std::string name;
      appendEscaped(name, streamLabel(stream, desc.device ==
                                                    BRAID_PROGRAM_DEVICE_CUDA));
      event("\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": " + pid +
            ", \"tid\": " + std::to_string(stream) +
            ", \"args\": {\"name\": " + name + "}");
    }
    const std::string &spans = rankSpans[rank];
    size_t at = 0;
    while (at < spans.size()) {
      int32_t stream, kind;
      double start, duration;
      uint32_t length;
      if (!get(spans, at, stream) || !get(spans, at, kind) ||
          !get(spans, at, start) || !get(spans, at, duration) ||
          !get(spans, at, length) || at + length > spans.size())
        break;
      std::string label(spans.data() + at, length);
      at += length;
      std::string name;
      appendEscaped(name, label.empty() ? "work" : label);
      event("\"name\": " + name + ", \"cat\": \"" +
            (kind == static_cast<int32_t>(SpanKind::Communication)
                 ? "communication"
                 : "compute") +
            "\", \"ph\": \"X\", \"pid\": " + pid +
            ", \"tid\": " + std::to_string(stream) + ", \"ts\": " +
            number(start) + ", \"dur\": " + number(duration));
    }
  }
  std::string function, source;
  appendEscaped(function, desc.function ? desc.function : "");
  appendEscaped(source, desc.source ? desc.source : "");
  out += "\n  ],\n  \"displayTimeUnit\": \"ns\",\n  \"otherData\": "
         "{\"program\": " +
         function + ", \"source\": " + source +
         ", \"timeline\": \"measured\"}\n}\n";
  return out;
}

} // namespace braid_rt::program
