// command(device, name, argument, timeoutMs) and ping(device, timeoutMs).
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

struct CommandResult {
  int type = Tango::DEV_VOID;
  bool isVoid = true;
  bool isArray = false;
  bool isString = false;
  bool isBoolean = false;
  bool isState = false;
  std::vector<double> numbers;
  std::vector<std::string> strings;
};

template <typename T>
void insertScalar(Tango::DeviceData& dd, const WriteValue& v, const std::string& what) {
  if (v.isArray || v.isString || v.numbers.size() != 1)
    raise("WrongValue", "MLAYER_WrongValue", what + " takes one number; got " + describe(v), "mlayer_tango command");
  T c = convertNumber<T>(v.numbers.front(), what);
  dd << c;
}

template <typename T>
void insertArray(Tango::DeviceData& dd, const WriteValue& v, const std::string& what) {
  if (v.isString) raise("WrongValue", "MLAYER_WrongValue", what + " takes numbers; got " + describe(v), "mlayer_tango command");
  std::vector<T> values;
  for (double x : v.numbers) values.push_back(convertNumber<T>(x, what));
  dd << values;
}

Tango::DeviceData buildArgument(const Tango::CommandInfo& ci, const std::string& command, const WriteValue& v) {
  const std::string what = "command " + command;
  Tango::DeviceData dd;
  const int type = static_cast<int>(ci.in_type);
  if (type == Tango::DEV_VOID) {
    if (v.present) raise("WrongValue", "MLAYER_WrongValue", what + " takes no argument; got " + describe(v), "mlayer_tango command");
    return dd;
  }
  if (!v.present)
    raise("WrongValue", "MLAYER_WrongValue", what + " needs an argument of type " + std::string(Tango::CmdArgTypeName[type]),
          "mlayer_tango command");
  switch (type) {
    case Tango::DEV_BOOLEAN: {
      if (v.isArray || v.isString || v.numbers.size() != 1)
        raise("WrongValue", "MLAYER_WrongValue", what + " takes a boolean; got " + describe(v), "mlayer_tango command");
      dd << convertNumber<bool>(v.numbers.front(), what);
      break;
    }
    case Tango::DEV_SHORT: insertScalar<short>(dd, v, what); break;
    case Tango::DEV_USHORT: insertScalar<unsigned short>(dd, v, what); break;
    case Tango::DEV_LONG: insertScalar<Tango::DevLong>(dd, v, what); break;
    case Tango::DEV_ULONG: insertScalar<Tango::DevULong>(dd, v, what); break;
    case Tango::DEV_LONG64: insertScalar<Tango::DevLong64>(dd, v, what); break;
    case Tango::DEV_ULONG64: insertScalar<Tango::DevULong64>(dd, v, what); break;
    case Tango::DEV_FLOAT: insertScalar<float>(dd, v, what); break;
    case Tango::DEV_DOUBLE: insertScalar<double>(dd, v, what); break;
    case Tango::DEV_STRING: {
      if (v.isArray || !v.isString) raise("WrongValue", "MLAYER_WrongValue", what + " takes a string; got " + describe(v), "mlayer_tango command");
      std::string s = v.strings.front();
      dd << s;
      break;
    }
    case Tango::DEVVAR_CHARARRAY: insertArray<unsigned char>(dd, v, what); break;
    case Tango::DEVVAR_SHORTARRAY: insertArray<short>(dd, v, what); break;
    case Tango::DEVVAR_USHORTARRAY: insertArray<unsigned short>(dd, v, what); break;
    case Tango::DEVVAR_LONGARRAY: insertArray<Tango::DevLong>(dd, v, what); break;
    case Tango::DEVVAR_ULONGARRAY: insertArray<Tango::DevULong>(dd, v, what); break;
    case Tango::DEVVAR_LONG64ARRAY: insertArray<Tango::DevLong64>(dd, v, what); break;
    case Tango::DEVVAR_ULONG64ARRAY: insertArray<Tango::DevULong64>(dd, v, what); break;
    case Tango::DEVVAR_FLOATARRAY: insertArray<float>(dd, v, what); break;
    case Tango::DEVVAR_DOUBLEARRAY: insertArray<double>(dd, v, what); break;
    case Tango::DEVVAR_STRINGARRAY: {
      if (!v.isString && !v.strings.empty()) raise("WrongValue", "MLAYER_WrongValue", what + " takes strings; got " + describe(v), "mlayer_tango command");
      std::vector<std::string> s = v.strings;
      dd << s;
      break;
    }
    default:
      raise("Unsupported", "MLAYER_UnsupportedType",
            what + " takes a " + std::string(Tango::CmdArgTypeName[type]) + ", which mlayer does not send", "mlayer_tango command");
  }
  return dd;
}

template <typename T>
void extractScalar(Tango::DeviceData& dd, CommandResult& r) {
  T value;
  dd >> value;
  r.numbers.push_back(static_cast<double>(value));
}

template <typename T>
void extractArray(Tango::DeviceData& dd, CommandResult& r) {
  std::vector<T> values;
  dd >> values;
  r.isArray = true;
  r.numbers.assign(values.begin(), values.end());
}

CommandResult extractResult(const Tango::CommandInfo& ci, const std::string& command, Tango::DeviceData& dd) {
  CommandResult r;
  r.type = static_cast<int>(ci.out_type);
  dd.reset_exceptions(Tango::DeviceData::isempty_flag);
  if (r.type == Tango::DEV_VOID || dd.is_empty()) return r;
  r.isVoid = false;
  switch (r.type) {
    case Tango::DEV_BOOLEAN: {
      bool b;
      dd >> b;
      r.isBoolean = true;
      r.numbers.push_back(b ? 1.0 : 0.0);
      break;
    }
    case Tango::DEV_SHORT: extractScalar<short>(dd, r); break;
    case Tango::DEV_USHORT: extractScalar<unsigned short>(dd, r); break;
    case Tango::DEV_LONG: extractScalar<Tango::DevLong>(dd, r); break;
    case Tango::DEV_ULONG: extractScalar<Tango::DevULong>(dd, r); break;
    case Tango::DEV_LONG64: extractScalar<Tango::DevLong64>(dd, r); break;
    case Tango::DEV_ULONG64: extractScalar<Tango::DevULong64>(dd, r); break;
    case Tango::DEV_FLOAT: extractScalar<float>(dd, r); break;
    case Tango::DEV_DOUBLE: extractScalar<double>(dd, r); break;
    case Tango::DEV_STATE: {
      Tango::DevState s;
      dd >> s;
      r.isState = true;
      r.strings.push_back(Tango::DevStateName[s]);
      break;
    }
    case Tango::CONST_DEV_STRING:
    case Tango::DEV_STRING: {
      std::string s;
      dd >> s;
      r.isString = true;
      r.strings.push_back(s);
      break;
    }
    case Tango::DEVVAR_CHARARRAY: extractArray<unsigned char>(dd, r); break;
    case Tango::DEVVAR_SHORTARRAY: extractArray<short>(dd, r); break;
    case Tango::DEVVAR_USHORTARRAY: extractArray<unsigned short>(dd, r); break;
    case Tango::DEVVAR_LONGARRAY: extractArray<Tango::DevLong>(dd, r); break;
    case Tango::DEVVAR_ULONGARRAY: extractArray<Tango::DevULong>(dd, r); break;
    case Tango::DEVVAR_LONG64ARRAY: extractArray<Tango::DevLong64>(dd, r); break;
    case Tango::DEVVAR_ULONG64ARRAY: extractArray<Tango::DevULong64>(dd, r); break;
    case Tango::DEVVAR_FLOATARRAY: extractArray<float>(dd, r); break;
    case Tango::DEVVAR_DOUBLEARRAY: extractArray<double>(dd, r); break;
    case Tango::DEVVAR_STRINGARRAY: {
      dd >> r.strings;
      r.isArray = true;
      r.isString = true;
      break;
    }
    default:
      raise("Unsupported", "MLAYER_UnsupportedType",
            "command " + command + " returns a " + std::string(Tango::CmdArgTypeName[r.type]) + ", which mlayer does not read",
            "mlayer_tango command");
  }
  return r;
}

}  // namespace

// command(device, name, argument, timeoutMs): Promise<undefined | number | boolean | string | Float64Array | string[]>.
Napi::Value Command(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string device = info[0].As<Napi::String>().Utf8Value();
  const std::string command = info[1].As<Napi::String>().Utf8Value();
  const WriteValue argument = writeValueFromJs(info[2]);
  const int timeoutMs = info[3].As<Napi::Number>().Int32Value();
  auto result = std::make_shared<CommandResult>();
  return PromiseWorker::start(
      env,
      [device, command, argument, timeoutMs, result] {
        DeviceSlot& slot = deviceSlot(device);
        ProxyLease lease = slot.acquire();
        lease.setTimeout(timeoutMs);
        Tango::CommandInfo ci = slot.commandInfo(lease, command);
        Tango::DeviceData in = buildArgument(ci, command, argument);
        std::string name = command;
        Tango::DeviceData out = lease.proxy().command_inout(name, in);
        *result = extractResult(ci, command, out);
      },
      [result](Napi::Env env) -> Napi::Value {
        const CommandResult& r = *result;
        if (r.isVoid) return env.Undefined();
        if (r.isString) return r.isArray ? stringsToJs(env, r.strings) : Napi::String::New(env, r.strings.front());
        if (r.isState) return Napi::String::New(env, r.strings.front());
        if (r.isArray) return numbersToJs(env, r.numbers);
        if (r.isBoolean) return Napi::Boolean::New(env, r.numbers.front() != 0.0);
        return Napi::Number::New(env, r.numbers.front());
      });
}

// ping(device, timeoutMs): Promise<number> (round trip in microseconds).
Napi::Value Ping(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string device = info[0].As<Napi::String>().Utf8Value();
  const int timeoutMs = info[1].As<Napi::Number>().Int32Value();
  auto micros = std::make_shared<int>(0);
  return PromiseWorker::start(
      env,
      [device, timeoutMs, micros] {
        ProxyLease lease = deviceSlot(device).acquire();
        lease.setTimeout(timeoutMs);
        *micros = lease.proxy().ping();
      },
      [micros](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *micros); });
}

}  // namespace mlayer
