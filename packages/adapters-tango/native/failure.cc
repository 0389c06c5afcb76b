#include "failure.h"

namespace mlayer {

Failure failureFromErrors(const Tango::DevErrorList& errors, const std::string& kind) {
  Failure f;
  f.kind = kind;
  for (CORBA::ULong i = 0; i < errors.length(); ++i) {
    ErrorItem item;
    item.reason = errors[i].reason.in();
    item.desc = errors[i].desc.in();
    item.origin = errors[i].origin.in();
    item.severity = static_cast<int>(errors[i].severity);
    f.stack.push_back(std::move(item));
  }
  if (f.stack.empty()) f.stack.push_back({"API_Unknown", "DevFailed without an error stack", "", 1});
  return f;
}

Failure simpleFailure(const std::string& kind, const std::string& reason, const std::string& desc,
                      const std::string& origin) {
  Failure f;
  f.kind = kind;
  f.stack.push_back({reason, desc, origin, 1});
  return f;
}

void raise(const std::string& kind, const std::string& reason, const std::string& desc, const std::string& origin) {
  throw MlayerFailure(simpleFailure(kind, reason, desc, origin));
}

static Napi::Array stackToJs(Napi::Env env, const Failure& f) {
  Napi::Array stack = Napi::Array::New(env, f.stack.size());
  for (size_t i = 0; i < f.stack.size(); ++i) {
    Napi::Object item = Napi::Object::New(env);
    item.Set("reason", f.stack[i].reason);
    item.Set("desc", f.stack[i].desc);
    item.Set("origin", f.stack[i].origin);
    item.Set("severity", f.stack[i].severity);
    stack.Set(static_cast<uint32_t>(i), item);
  }
  return stack;
}

Napi::Object failureToObject(Napi::Env env, const Failure& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", f.kind);
  o.Set("tangoErrors", stackToJs(env, f));
  return o;
}

Napi::Error failureToJs(Napi::Env env, const Failure& f) {
  std::string message = f.kind;
  if (!f.stack.empty()) message += ": " + f.stack.front().reason + ": " + f.stack.front().desc;
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("kind", f.kind);
  err.Set("tangoErrors", stackToJs(env, f));
  return err;
}

}  // namespace mlayer
