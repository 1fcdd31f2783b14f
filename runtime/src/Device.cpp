//===- Device.cpp - streams, events and counters --------------------------===//

#include "braid_rt/Device.h"

namespace braid_rt {

Stream::~Stream() = default;
Event::~Event() = default;
Counter::~Counter() = default;
Device::~Device() = default;

const char *deviceKindName(DeviceKind kind) {
  switch (kind) {
  case DeviceKind::Cpu:
    return "cpu";
  case DeviceKind::Cuda:
    return "cuda";
  }
  return "invalid-device";
}

const char *memoryKindName(MemoryKind kind) {
  switch (kind) {
  case MemoryKind::Host:
    return "host";
  case MemoryKind::PinnedHost:
    return "pinned-host";
  case MemoryKind::Device:
    return "device";
  }
  return "invalid-memory-kind";
}

} // namespace braid_rt
