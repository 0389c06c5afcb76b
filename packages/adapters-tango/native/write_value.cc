#include "write_value.h"

#include <sstream>

namespace mlayer {

WriteValue writeValueFromJs(const Napi::Value& v) {
  WriteValue w;
  if (v.IsUndefined() || v.IsNull()) return w;
  w.present = true;
  if (v.IsNumber()) {
    w.numbers.push_back(v.As<Napi::Number>().DoubleValue());
  } else if (v.IsBoolean()) {
    w.numbers.push_back(v.As<Napi::Boolean>().Value() ? 1.0 : 0.0);
  } else if (v.IsString()) {
    w.isString = true;
    w.strings.push_back(v.As<Napi::String>().Utf8Value());
  } else if (v.IsTypedArray()) {
    w.isArray = true;
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    if (t.TypedArrayType() == napi_float64_array) {
      Napi::Float64Array f = t.As<Napi::Float64Array>();
      w.numbers.assign(f.Data(), f.Data() + f.ElementLength());
    } else {
      for (size_t i = 0; i < t.ElementLength(); ++i) {
        Napi::Value e = t.Get(static_cast<uint32_t>(i));
        w.numbers.push_back(e.ToNumber().DoubleValue());
      }
    }
  } else if (v.IsArray()) {
    w.isArray = true;
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value e = a.Get(i);
      if (e.IsString()) {
        if (!w.numbers.empty()) throw Napi::TypeError::New(v.Env(), "mixed numbers and strings in an array value");
        w.isString = true;
        w.strings.push_back(e.As<Napi::String>().Utf8Value());
      } else if (e.IsNumber() || e.IsBoolean()) {
        if (w.isString) throw Napi::TypeError::New(v.Env(), "mixed numbers and strings in an array value");
        w.numbers.push_back(e.ToNumber().DoubleValue());
      } else {
        throw Napi::TypeError::New(v.Env(), "array values must hold numbers or strings");
      }
    }
  } else {
    throw Napi::TypeError::New(v.Env(), "a TANGO value must be a number, boolean, string, typed array or array");
  }
  return w;
}

std::string describe(const WriteValue& v) {
  std::ostringstream out;
  out.precision(17);
  const size_t n = v.isString ? v.strings.size() : v.numbers.size();
  if (v.isArray) out << "[";
  for (size_t i = 0; i < n && i < 8; ++i) {
    if (i) out << ", ";
    if (v.isString) out << '"' << v.strings[i] << '"';
    else out << v.numbers[i];
  }
  if (n > 8) out << ", ... (" << n << " values)";
  if (v.isArray) out << "]";
  return out.str();
}

}  // namespace mlayer
