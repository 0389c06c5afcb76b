// The functions the addon exports (see addon.cc for their JavaScript names).
#pragma once

#include <napi.h>

namespace mlayer {

Napi::Value ReadAttributes(const Napi::CallbackInfo& info);
Napi::Value WriteAttribute(const Napi::CallbackInfo& info);
Napi::Value AttributeInfo(const Napi::CallbackInfo& info);
Napi::Value Command(const Napi::CallbackInfo& info);
Napi::Value Ping(const Napi::CallbackInfo& info);
Napi::Value Subscribe(const Napi::CallbackInfo& info);
Napi::Value Unsubscribe(const Napi::CallbackInfo& info);
void ShutdownSubscriptions();

}  // namespace mlayer
