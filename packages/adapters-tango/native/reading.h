// One attribute reading (from a read, a write-read or an event), extracted
// from a DeviceAttribute on a worker thread and converted to JavaScript on
// the main thread.
#pragma once

#include <napi.h>
#include <tango.h>

#include <string>
#include <vector>

#include "failure.h"

namespace mlayer {

struct Reading {
  std::string name;
  Failure failure;           // non-empty when this attribute failed
  int type = -1;             // Tango::CmdArgType
  int format = 3;            // Tango::AttrDataFormat: SCALAR 0, SPECTRUM 1, IMAGE 2, FMT_UNKNOWN 3
  int quality = 0;           // Tango::AttrQuality
  double timestamp = 0;      // seconds since the epoch
  int dimX = 0;
  int dimY = 0;
  bool isString = false;
  bool empty = false;        // no value (INVALID quality)
  std::vector<double> numbers;
  std::vector<std::string> strings;
  bool hasSet = false;       // set point extracted (write-read)
  std::vector<double> setNumbers;
  std::vector<std::string> setStrings;
};

Reading readingFrom(Tango::DeviceAttribute& da, bool withSet);

// {name, type, format, quality, timestamp, dimX, dimY, value: Float64Array | string[] | null,
//  setValue?: Float64Array | string[]} or {name, error: {kind, tangoErrors}}.
Napi::Object readingToJs(Napi::Env env, const Reading& r);

Napi::Value stringsToJs(Napi::Env env, const std::vector<std::string>& strings);
Napi::Value numbersToJs(Napi::Env env, const std::vector<double>& numbers);

}  // namespace mlayer
