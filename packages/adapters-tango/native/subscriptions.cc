// Event subscriptions: cppTango calls Forwarder::push_event on its event
// consumer thread; the event is copied into an EventItem there and handed to
// JavaScript through a Napi::ThreadSafeFunction (non-blocking, unbounded
// queue, so the consumer thread never waits for the main thread).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ops.h"
#include "promise_worker.h"
#include "proxy_pool.h"
#include "reading.h"

namespace mlayer {

namespace {

struct EventItem {
  std::string event;
  bool hasReading = false;
  Reading reading;
  Failure failure;
};

void deliver(Napi::Env env, Napi::Function callback, EventItem* item) {
  std::unique_ptr<EventItem> owned(item);
  if (env == nullptr || callback == nullptr) return;
  try {
    Napi::Object o = Napi::Object::New(env);
    o.Set("event", item->event);
    if (!item->failure.empty()) o.Set("error", failureToObject(env, item->failure));
    if (item->hasReading) o.Set("reading", readingToJs(env, item->reading));
    callback.Call({o});
  } catch (const Napi::Error& e) {
    // The JavaScript side catches its own errors; anything left is reported
    // as an uncaught exception rather than unwinding into libuv.
    e.ThrowAsJavaScriptException();
  }
}

class Forwarder : public Tango::CallBack {
 public:
  explicit Forwarder(Napi::ThreadSafeFunction tsfn) : tsfn_(std::move(tsfn)) {}

  void push_event(Tango::EventData* ed) override {
    auto* item = new EventItem;
    item->event = ed->event;
    if (ed->err) {
      item->failure = failureFromErrors(ed->errors, "EventError");
    } else if (ed->attr_value != nullptr) {
      item->reading = readingFrom(*ed->attr_value, false);
      item->hasReading = true;
    }
    std::lock_guard<std::mutex> guard(mutex_);
    if (closed_ || tsfn_.NonBlockingCall(item, deliver) != napi_ok) delete item;
  }

  // After close() no event reaches JavaScript; the function is released.
  void close() {
    std::lock_guard<std::mutex> guard(mutex_);
    if (closed_) return;
    closed_ = true;
    tsfn_.Release();
  }

 private:
  std::mutex mutex_;
  bool closed_ = false;
  Napi::ThreadSafeFunction tsfn_;
};

struct Subscription {
  std::string device;
  std::string attribute;
  int eventId = -1;
  Forwarder* forwarder = nullptr;
};

std::mutex registryMutex;
std::map<int, std::shared_ptr<Subscription>>& registry() {
  static auto* subs = new std::map<int, std::shared_ptr<Subscription>>();
  return *subs;
}
std::atomic<int> nextId{1};

Tango::EventType eventTypeFrom(Napi::Env env, const std::string& name) {
  if (name == "change") return Tango::CHANGE_EVENT;
  if (name == "periodic") return Tango::PERIODIC_EVENT;
  if (name == "archive") return Tango::ARCHIVE_EVENT;
  if (name == "user") return Tango::USER_EVENT;
  throw Napi::TypeError::New(env, "event type must be change, periodic, archive or user; got '" + name + "'");
}

}  // namespace

// subscribe(device, attribute, eventType, stateless, timeoutMs, callback): Promise<number>.
// `callback({event, reading?, error?})` is called for every event, error events
// included (the heartbeat timeout when the server dies). The first event may
// arrive before the promise resolves.
Napi::Value Subscribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string device = info[0].As<Napi::String>().Utf8Value();
  const std::string attribute = info[1].As<Napi::String>().Utf8Value();
  const Tango::EventType type = eventTypeFrom(env, info[2].As<Napi::String>().Utf8Value());
  const bool stateless = info[3].ToBoolean().Value();
  const int timeoutMs = info[4].As<Napi::Number>().Int32Value();
  Napi::Function callback = info[5].As<Napi::Function>();

  Napi::ThreadSafeFunction tsfn = Napi::ThreadSafeFunction::New(env, callback, "mlayer_tango_event", 0, 1);
  tsfn.Unref(env);  // subscriptions do not keep the process alive
  auto sub = std::make_shared<Subscription>();
  sub->device = device;
  sub->attribute = attribute;
  sub->forwarder = new Forwarder(tsfn);
  const int id = nextId++;

  return PromiseWorker::start(
      env,
      [sub, type, stateless, timeoutMs] {
        ProxyLease lease = deviceSlot(sub->device).acquireEventProxy();
        lease.setTimeout(timeoutMs);
        sub->eventId = lease.proxy().subscribe_event(sub->attribute, type, sub->forwarder, stateless);
      },
      [id](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, id); },
      [sub, id](const Failure& failure) {
        if (!failure.empty()) {
          sub->forwarder->close();
          delete sub->forwarder;
          sub->forwarder = nullptr;
          return;
        }
        std::lock_guard<std::mutex> guard(registryMutex);
        registry()[id] = sub;
      });
}

// unsubscribe(id): Promise<void>. Unknown ids resolve (idempotent).
Napi::Value Unsubscribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int id = info[0].As<Napi::Number>().Int32Value();
  std::shared_ptr<Subscription> sub;
  {
    std::lock_guard<std::mutex> guard(registryMutex);
    auto it = registry().find(id);
    if (it != registry().end()) {
      sub = it->second;
      registry().erase(it);
    }
  }
  if (!sub) return PromiseWorker::start(env, [] {}, nullptr);
  // No event reaches JavaScript from here on, whatever the outcome below.
  sub->forwarder->close();
  return PromiseWorker::start(
      env,
      [sub] {
        ProxyLease lease = deviceSlot(sub->device).acquireEventProxy();
        lease.proxy().unsubscribe_event(sub->eventId);
      },
      nullptr,
      [sub](const Failure& failure) {
        // cppTango no longer calls the forwarder once unsubscribe_event returned;
        // after a failure it might, so it is kept (closed) in that case.
        if (failure.empty()) {
          delete sub->forwarder;
          sub->forwarder = nullptr;
        }
      });
}

// At environment teardown: stop forwarding (the event threads of cppTango
// outlive the JavaScript environment).
void ShutdownSubscriptions() {
  std::lock_guard<std::mutex> guard(registryMutex);
  for (auto& [id, sub] : registry())
    if (sub->forwarder) sub->forwarder->close();
}

}  // namespace mlayer
