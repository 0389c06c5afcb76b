// A value to write (attribute) or send (command argument), copied out of
// JavaScript on the main thread, plus its conversion into TANGO's C++ types.
#pragma once

#include <napi.h>
#include <tango.h>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "failure.h"

namespace mlayer {

struct WriteValue {
  bool present = false;   // false for `undefined` (void command argument)
  bool isString = false;
  bool isArray = false;
  std::vector<double> numbers;
  std::vector<std::string> strings;
};

// Accepts undefined, number, boolean, string, Float64Array (any typed array of
// numbers), arrays of numbers or of strings. Throws Napi::TypeError otherwise.
WriteValue writeValueFromJs(const Napi::Value& v);

// Checked conversion of one number into the C++ type of a TANGO type
// (integers must be integral and in range, booleans 0 or 1).
template <typename T>
T convertNumber(double v, const std::string& what) {
  if constexpr (std::is_same_v<T, bool>) {
    if (v != 0.0 && v != 1.0) raise("WrongValue", "MLAYER_WrongValue", what + ": a boolean must be 0 or 1, got " + std::to_string(v), "mlayer_tango");
    return v == 1.0;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isfinite(v) && std::fabs(v) > static_cast<double>(std::numeric_limits<T>::max()))
      raise("WrongValue", "MLAYER_WrongValue", what + ": " + std::to_string(v) + " does not fit the attribute's floating-point type", "mlayer_tango");
    return static_cast<T>(v);
  } else {
    if (!std::isfinite(v) || std::floor(v) != v)
      raise("WrongValue", "MLAYER_WrongValue", what + ": an integer type needs an integral value, got " + std::to_string(v), "mlayer_tango");
    if (v < static_cast<double>(std::numeric_limits<T>::lowest()) || v > static_cast<double>(std::numeric_limits<T>::max()))
      raise("WrongValue", "MLAYER_WrongValue", what + ": " + std::to_string(v) + " is outside the range of the integer type", "mlayer_tango");
    return static_cast<T>(v);
  }
}

// Description used in error messages: "3.5", "[1, 2, 3]", "\"ON\"".
std::string describe(const WriteValue& v);

}  // namespace mlayer
