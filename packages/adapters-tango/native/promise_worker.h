// Runs a blocking TANGO call on the libuv worker pool and settles a Promise:
// `execute` runs off the main thread (its exceptions become a rejection with
// a Failure), `build` converts the result on the main thread.
#pragma once

#include <napi.h>

#include <functional>
#include <utility>

#include "failure.h"

namespace mlayer {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Execute_ = std::function<void()>;
  using Build = std::function<Napi::Value(Napi::Env)>;
  using Cleanup = std::function<void(const Failure&)>;

  static Napi::Promise start(Napi::Env env, Execute_ execute, Build build, Cleanup onSettled = nullptr) {
    auto* worker = new PromiseWorker(env, std::move(execute), std::move(build), std::move(onSettled));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override { failure_ = capture(execute_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (onSettled_) onSettled_(failure_);
    if (!failure_.empty()) {
      deferred_.Reject(failureToJs(env, failure_).Value());
      return;
    }
    Napi::Value result;
    Failure conversion = capture([&] { result = build_ ? build_(env) : env.Undefined(); });
    if (!conversion.empty()) {
      deferred_.Reject(failureToJs(env, conversion).Value());
      return;
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  PromiseWorker(Napi::Env env, Execute_ execute, Build build, Cleanup onSettled)
      : Napi::AsyncWorker(env, "mlayer_tango"),
        deferred_(Napi::Promise::Deferred::New(env)),
        execute_(std::move(execute)),
        build_(std::move(build)),
        onSettled_(std::move(onSettled)) {}

  Napi::Promise::Deferred deferred_;
  Execute_ execute_;
  Build build_;
  Cleanup onSettled_;
  Failure failure_;
};

}  // namespace mlayer
