// readAttributes, writeAttribute, attributeInfo.
#include <memory>
#include <string>
#include <vector>

#include "ops.h"
#include "promise_worker.h"
#include "proxy_pool.h"
#include "reading.h"
#include "write_value.h"

namespace mlayer {

namespace {

std::vector<std::string> stringList(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsString()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array of strings");
    out.push_back(e.As<Napi::String>().Utf8Value());
  }
  return out;
}

bool isTransportFailure(const Failure& f) {
  return f.kind == "ConnectionFailed" || f.kind == "CommunicationFailed" || f.kind == "CORBA";
}

template <typename T>
void insertNumbers(Tango::DeviceAttribute& da, const WriteValue& v, bool scalar, const std::string& what,
                   std::vector<double>& written) {
  std::vector<T> values;
  for (double x : v.numbers) {
    T c = convertNumber<T>(x, what);
    values.push_back(c);
    written.push_back(static_cast<double>(c));
  }
  if (scalar) {
    T first = values.front();
    da << first;
  } else {
    da << values;
  }
}

// Builds the DeviceAttribute for a write; `written` gets the values as the
// attribute's type holds them (for the readback check).
Tango::DeviceAttribute buildWrite(const Tango::AttributeInfoEx& info, const std::string& attr, const WriteValue& v,
                                  std::vector<double>& written, std::vector<std::string>& writtenStrings) {
  const std::string what = "attribute " + attr;
  if (info.writable == Tango::READ || info.writable == Tango::READ_WITH_WRITE) {
    std::string desc = what + " is read-only";
    if (info.writable == Tango::READ_WITH_WRITE) desc += " (its set point is attribute " + info.writable_attr_name + ")";
    raise("ReadOnly", "MLAYER_ReadOnly", desc, "mlayer_tango writeAttribute");
  }
  const bool scalar = info.data_format == Tango::SCALAR;
  if (info.data_format == Tango::IMAGE)
    raise("Unsupported", "MLAYER_UnsupportedFormat", what + " is an image; mlayer writes scalars and spectra only",
          "mlayer_tango writeAttribute");
  const size_t n = v.isString ? v.strings.size() : v.numbers.size();
  if (scalar && (n != 1 || v.isArray))
    raise("WrongValue", "MLAYER_WrongValue", what + " is a scalar; got " + describe(v), "mlayer_tango writeAttribute");
  if (!scalar && !v.isArray)
    raise("WrongValue", "MLAYER_WrongValue", what + " is a spectrum; got the single value " + describe(v),
          "mlayer_tango writeAttribute");

  Tango::DeviceAttribute da;
  std::string name = attr;
  da.set_name(name);
  const int type = info.data_type;

  if (type == Tango::DEV_STRING) {
    if (!v.isString) raise("WrongValue", "MLAYER_WrongValue", what + " holds strings; got " + describe(v), "mlayer_tango writeAttribute");
    writtenStrings = v.strings;
    if (scalar) {
      std::string copy = v.strings.front();
      da << copy;
    } else {
      std::vector<std::string> copy = v.strings;
      da << copy;
    }
    return da;
  }
  if (type == Tango::DEV_ENUM && v.isString) {
    // An enum label: write its index.
    WriteValue indices;
    indices.isArray = v.isArray;
    for (const auto& label : v.strings) {
      size_t k = 0;
      while (k < info.enum_labels.size() && info.enum_labels[k] != label) ++k;
      if (k == info.enum_labels.size()) {
        std::string labels;
        for (const auto& l : info.enum_labels) labels += (labels.empty() ? "" : ", ") + l;
        raise("WrongValue", "MLAYER_WrongValue", what + ": '" + label + "' is not one of its labels (" + labels + ")",
              "mlayer_tango writeAttribute");
      }
      indices.numbers.push_back(static_cast<double>(k));
    }
    insertNumbers<short>(da, indices, scalar, what, written);
    return da;
  }
  if (type == Tango::DEV_STATE) {
    if (!scalar) raise("Unsupported", "MLAYER_UnsupportedFormat", what + ": state spectra are not writable here", "mlayer_tango writeAttribute");
    double index = v.isString ? -1 : v.numbers.front();
    if (v.isString)
      for (int k = 0; k <= Tango::UNKNOWN; ++k)
        if (v.strings.front() == Tango::DevStateName[k]) index = k;
    if (index < 0 || index > Tango::UNKNOWN || std::floor(index) != index)
      raise("WrongValue", "MLAYER_WrongValue", what + ": " + describe(v) + " is not a TANGO state", "mlayer_tango writeAttribute");
    da << static_cast<Tango::DevState>(static_cast<int>(index));
    written.push_back(index);
    return da;
  }
  if (v.isString)
    raise("WrongValue", "MLAYER_WrongValue", what + " holds numbers (" + std::string(Tango::CmdArgTypeName[type]) + "); got " + describe(v),
          "mlayer_tango writeAttribute");
  switch (type) {
    case Tango::DEV_DOUBLE: insertNumbers<double>(da, v, scalar, what, written); break;
    case Tango::DEV_FLOAT: insertNumbers<float>(da, v, scalar, what, written); break;
    case Tango::DEV_SHORT: insertNumbers<short>(da, v, scalar, what, written); break;
    case Tango::DEV_ENUM: insertNumbers<short>(da, v, scalar, what, written); break;
    case Tango::DEV_USHORT: insertNumbers<unsigned short>(da, v, scalar, what, written); break;
    case Tango::DEV_LONG: insertNumbers<Tango::DevLong>(da, v, scalar, what, written); break;
    case Tango::DEV_ULONG: insertNumbers<Tango::DevULong>(da, v, scalar, what, written); break;
    case Tango::DEV_LONG64: insertNumbers<Tango::DevLong64>(da, v, scalar, what, written); break;
    case Tango::DEV_ULONG64: insertNumbers<Tango::DevULong64>(da, v, scalar, what, written); break;
    case Tango::DEV_UCHAR: insertNumbers<unsigned char>(da, v, scalar, what, written); break;
    case Tango::DEV_BOOLEAN: insertNumbers<bool>(da, v, scalar, what, written); break;
    default:
      raise("Unsupported", "MLAYER_UnsupportedType",
            what + " has TANGO data type " + std::string(Tango::CmdArgTypeName[type]) + ", which mlayer does not write",
            "mlayer_tango writeAttribute");
  }
  return da;
}

std::string notSpecifiedToEmpty(const std::string& s) {
  return (s == "Not specified" || s == "No unit" || s == "No display unit" || s == "No standard unit") ? "" : s;
}

}  // namespace

// readAttributes(device, names, timeoutMs): Promise<Reading[]>. One
// read_attributes call; when it fails for a reason other than the transport
// (a missing attribute), each attribute is read alone so that the others still
// give their values and the failing one its own error.
Napi::Value ReadAttributes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string device = info[0].As<Napi::String>().Utf8Value();
  auto names = std::make_shared<std::vector<std::string>>(stringList(info[1], "attribute names"));
  const int timeoutMs = info[2].As<Napi::Number>().Int32Value();
  auto readings = std::make_shared<std::vector<Reading>>();
  return PromiseWorker::start(
      env,
      [device, names, timeoutMs, readings] {
        DeviceSlot& slot = deviceSlot(device);
        ProxyLease lease = slot.acquire();
        lease.setTimeout(timeoutMs);
        std::unique_ptr<std::vector<Tango::DeviceAttribute>> result;
        Failure batch = capture([&] { result.reset(lease.proxy().read_attributes(*names)); });
        if (batch.empty()) {
          for (auto& da : *result) readings->push_back(readingFrom(da, false));
          return;
        }
        if (isTransportFailure(batch) || names->size() == 1) throw MlayerFailure(batch);
        for (std::string name : *names) {
          Reading r;
          Failure one = capture([&] {
            Tango::DeviceAttribute da = lease.proxy().read_attribute(name);
            r = readingFrom(da, false);
          });
          if (!one.empty()) {
            if (isTransportFailure(one)) throw MlayerFailure(one);
            r.name = name;
            r.failure = one;
          }
          readings->push_back(std::move(r));
        }
      },
      [readings](Napi::Env env) -> Napi::Value {
        Napi::Array out = Napi::Array::New(env, readings->size());
        for (size_t i = 0; i < readings->size(); ++i) out.Set(static_cast<uint32_t>(i), readingToJs(env, (*readings)[i]));
        return out;
      });
}

// writeAttribute(device, name, value, timeoutMs, readback): Promise<Reading | undefined>.
// With readback the write is a write_read_attribute and the set point read
// back must equal the value written (as the attribute's type holds it).
Napi::Value WriteAttribute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string device = info[0].As<Napi::String>().Utf8Value();
  const std::string attr = info[1].As<Napi::String>().Utf8Value();
  const WriteValue value = writeValueFromJs(info[2]);
  const int timeoutMs = info[3].As<Napi::Number>().Int32Value();
  const bool readback = info[4].ToBoolean().Value();
  if (!value.present) throw Napi::TypeError::New(env, "writeAttribute needs a value");
  auto reading = std::make_shared<Reading>();
  auto hasReading = std::make_shared<bool>(false);
  return PromiseWorker::start(
      env,
      [device, attr, value, timeoutMs, readback, reading, hasReading] {
        DeviceSlot& slot = deviceSlot(device);
        ProxyLease lease = slot.acquire();
        lease.setTimeout(timeoutMs);
        Tango::AttributeInfoEx ai = slot.attributeInfo(lease, attr);
        std::vector<double> written;
        std::vector<std::string> writtenStrings;
        Tango::DeviceAttribute da = buildWrite(ai, attr, value, written, writtenStrings);
        if (!readback) {
          lease.proxy().write_attribute(da);
          return;
        }
        Tango::DeviceAttribute out = lease.proxy().write_read_attribute(da);
        *reading = readingFrom(out, true);
        *hasReading = true;
        if (!reading->failure.empty()) throw MlayerFailure(reading->failure);
        if (!reading->hasSet) return;  // a WRITE-only attribute read back as its read value
        const bool same = reading->isString ? reading->setStrings == writtenStrings : reading->setNumbers == written;
        if (!same) {
          WriteValue got;
          got.isArray = value.isArray;
          got.isString = reading->isString;
          got.numbers = reading->setNumbers;
          got.strings = reading->setStrings;
          raise("ReadbackMismatch", "MLAYER_ReadbackMismatch",
                "attribute " + attr + ": wrote " + describe(value) + " but the set point reads back " + describe(got),
                "mlayer_tango writeAttribute");
        }
      },
      [reading, hasReading](Napi::Env env) -> Napi::Value {
        if (!*hasReading) return env.Undefined();
        return readingToJs(env, *reading);
      });
}

// attributeInfo(device, name, timeoutMs): Promise<AttributeInfo>, always from the server.
Napi::Value AttributeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string device = info[0].As<Napi::String>().Utf8Value();
  const std::string attr = info[1].As<Napi::String>().Utf8Value();
  const int timeoutMs = info[2].As<Napi::Number>().Int32Value();
  auto ai = std::make_shared<Tango::AttributeInfoEx>();
  return PromiseWorker::start(
      env,
      [device, attr, timeoutMs, ai] {
        DeviceSlot& slot = deviceSlot(device);
        ProxyLease lease = slot.acquire();
        lease.setTimeout(timeoutMs);
        *ai = slot.refreshAttributeInfo(lease, attr);
      },
      [ai](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", ai->name);
        o.Set("type", ai->data_type);
        o.Set("typeName", std::string(Tango::CmdArgTypeName[ai->data_type]));
        o.Set("format", static_cast<int>(ai->data_format));
        o.Set("writable", static_cast<int>(ai->writable));
        o.Set("writableAttrName", ai->writable_attr_name);
        o.Set("maxDimX", ai->max_dim_x);
        o.Set("maxDimY", ai->max_dim_y);
        o.Set("unit", notSpecifiedToEmpty(ai->unit));
        o.Set("label", ai->label);
        o.Set("description", ai->description);
        o.Set("minValue", notSpecifiedToEmpty(ai->min_value));
        o.Set("maxValue", notSpecifiedToEmpty(ai->max_value));
        o.Set("minAlarm", notSpecifiedToEmpty(ai->alarms.min_alarm));
        o.Set("maxAlarm", notSpecifiedToEmpty(ai->alarms.max_alarm));
        o.Set("minWarning", notSpecifiedToEmpty(ai->alarms.min_warning));
        o.Set("maxWarning", notSpecifiedToEmpty(ai->alarms.max_warning));
        o.Set("enumLabels", stringsToJs(env, ai->enum_labels));
        return o;
      });
}

}  // namespace mlayer
