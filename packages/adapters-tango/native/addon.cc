// mlayer_tango: Node-API addon over cppTango. Every call that talks to a
// server runs on the libuv worker pool and returns a Promise; events arrive
// through thread-safe functions. See src/native-binding.ts for the
// JavaScript-side types.
#include <napi.h>
#include <tango.h>

#include "ops.h"

namespace {

Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Tango::TgLibVers);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("readAttributes", Napi::Function::New(env, mlayer::ReadAttributes, "readAttributes"));
  exports.Set("writeAttribute", Napi::Function::New(env, mlayer::WriteAttribute, "writeAttribute"));
  exports.Set("attributeInfo", Napi::Function::New(env, mlayer::AttributeInfo, "attributeInfo"));
  exports.Set("command", Napi::Function::New(env, mlayer::Command, "command"));
  exports.Set("ping", Napi::Function::New(env, mlayer::Ping, "ping"));
  exports.Set("subscribe", Napi::Function::New(env, mlayer::Subscribe, "subscribe"));
  exports.Set("unsubscribe", Napi::Function::New(env, mlayer::Unsubscribe, "unsubscribe"));
  exports.Set("version", Napi::Function::New(env, Version, "version"));
  env.AddCleanupHook([] { mlayer::ShutdownSubscriptions(); });
  return exports;
}

}  // namespace

NODE_API_MODULE(mlayer_tango, Init)
