#include "reading.h"

namespace mlayer {

namespace {

template <typename T>
void extractNumbers(Tango::DeviceAttribute& da, Reading& r, bool withSet) {
  std::vector<T> values;
  da.extract_read(values);
  r.numbers.assign(values.begin(), values.end());
  if (withSet) {
    std::vector<T> set;
    if (da.extract_set(set)) {
      r.hasSet = true;
      r.setNumbers.assign(set.begin(), set.end());
    }
  }
}

void extractBooleans(Tango::DeviceAttribute& da, Reading& r, bool withSet) {
  std::vector<bool> values;
  da.extract_read(values);
  for (bool b : values) r.numbers.push_back(b ? 1.0 : 0.0);
  if (withSet) {
    std::vector<bool> set;
    if (da.extract_set(set)) {
      r.hasSet = true;
      for (bool b : set) r.setNumbers.push_back(b ? 1.0 : 0.0);
    }
  }
}

void extractStates(Tango::DeviceAttribute& da, Reading& r) {
  if (r.format == Tango::SCALAR) {
    Tango::DevState state;
    da >> state;
    r.numbers.push_back(static_cast<double>(state));
    return;
  }
  std::vector<Tango::DevState> values;
  da.extract_read(values);
  for (auto s : values) r.numbers.push_back(static_cast<double>(s));
}

}  // namespace

Reading readingFrom(Tango::DeviceAttribute& da, bool withSet) {
  Reading r;
  r.name = da.get_name();
  if (da.has_failed()) {
    r.failure = failureFromErrors(da.get_err_stack(), "DevFailed");
    return r;
  }
  Failure f = capture([&] {
    da.reset_exceptions(Tango::DeviceAttribute::isempty_flag);
    r.quality = static_cast<int>(da.get_quality());
    const Tango::TimeVal& tv = da.get_date();
    r.timestamp = static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
    r.type = da.get_type();
    r.format = static_cast<int>(da.get_data_format());
    Tango::AttributeDimension dim = da.get_r_dimension();
    r.dimX = dim.dim_x;
    r.dimY = dim.dim_y;
    if (da.is_empty()) {
      r.empty = true;
      return;
    }
    switch (r.type) {
      case Tango::DEV_DOUBLE: extractNumbers<double>(da, r, withSet); break;
      case Tango::DEV_FLOAT: extractNumbers<float>(da, r, withSet); break;
      case Tango::DEV_SHORT: extractNumbers<short>(da, r, withSet); break;
      case Tango::DEV_ENUM: extractNumbers<short>(da, r, withSet); break;
      case Tango::DEV_USHORT: extractNumbers<unsigned short>(da, r, withSet); break;
      case Tango::DEV_LONG: extractNumbers<Tango::DevLong>(da, r, withSet); break;
      case Tango::DEV_ULONG: extractNumbers<Tango::DevULong>(da, r, withSet); break;
      case Tango::DEV_LONG64: extractNumbers<Tango::DevLong64>(da, r, withSet); break;
      case Tango::DEV_ULONG64: extractNumbers<Tango::DevULong64>(da, r, withSet); break;
      case Tango::DEV_UCHAR: extractNumbers<unsigned char>(da, r, withSet); break;
      case Tango::DEV_BOOLEAN: extractBooleans(da, r, withSet); break;
      case Tango::DEV_STATE: extractStates(da, r); break;
      case Tango::DEV_STRING: {
        r.isString = true;
        da.extract_read(r.strings);
        if (withSet) r.hasSet = da.extract_set(r.setStrings);
        break;
      }
      default:
        raise("Unsupported", "MLAYER_UnsupportedType",
              "attribute " + r.name + " has TANGO data type " + std::string(Tango::CmdArgTypeName[r.type]) +
                  ", which mlayer does not read",
              "mlayer_tango readingFrom");
    }
  });
  if (!f.empty()) r.failure = f;
  return r;
}

Napi::Value stringsToJs(Napi::Env env, const std::vector<std::string>& strings) {
  Napi::Array a = Napi::Array::New(env, strings.size());
  for (size_t i = 0; i < strings.size(); ++i) a.Set(static_cast<uint32_t>(i), strings[i]);
  return a;
}

Napi::Value numbersToJs(Napi::Env env, const std::vector<double>& numbers) {
  Napi::Float64Array a = Napi::Float64Array::New(env, numbers.size());
  std::copy(numbers.begin(), numbers.end(), a.Data());
  return a;
}

Napi::Object readingToJs(Napi::Env env, const Reading& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", r.name);
  if (!r.failure.empty()) {
    o.Set("error", failureToObject(env, r.failure));
    return o;
  }
  o.Set("type", r.type);
  o.Set("typeName", r.type >= 0 ? std::string(Tango::CmdArgTypeName[r.type]) : std::string("unknown"));
  o.Set("format", r.format);
  o.Set("quality", r.quality);
  o.Set("timestamp", r.timestamp);
  o.Set("dimX", r.dimX);
  o.Set("dimY", r.dimY);
  if (r.empty) {
    o.Set("value", env.Null());
  } else if (r.isString) {
    o.Set("value", stringsToJs(env, r.strings));
  } else {
    o.Set("value", numbersToJs(env, r.numbers));
  }
  if (r.hasSet) o.Set("setValue", r.isString ? stringsToJs(env, r.setStrings) : numbersToJs(env, r.setNumbers));
  return o;
}

}  // namespace mlayer
