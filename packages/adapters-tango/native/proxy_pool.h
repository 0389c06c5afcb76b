// Cache of DeviceProxy objects, keyed by the full device name
// (tango://host:port/domain/family/member). A device gets up to
// kProxiesPerDevice proxies so that concurrent calls from the worker threads
// do not share one proxy (a DeviceProxy is not safe for concurrent use);
// each proxy is used under its own mutex. Event subscriptions use a separate
// proxy per device that lives as long as the process.
#pragma once

#include <tango.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mlayer {

struct ProxyEntry {
  std::mutex mutex;
  std::unique_ptr<Tango::DeviceProxy> proxy;
  int timeoutMs = -1;
};

// A proxy held for the duration of one call.
class ProxyLease {
 public:
  ProxyLease(std::shared_ptr<ProxyEntry> entry, std::unique_lock<std::mutex> lock)
      : entry_(std::move(entry)), lock_(std::move(lock)) {}
  Tango::DeviceProxy& proxy() { return *entry_->proxy; }
  // Sets the CORBA timeout of this proxy (only when it changed).
  void setTimeout(int timeoutMs);

 private:
  std::shared_ptr<ProxyEntry> entry_;
  std::unique_lock<std::mutex> lock_;
};

class DeviceSlot {
 public:
  explicit DeviceSlot(std::string device) : device_(std::move(device)) {}
  ProxyLease acquire();
  ProxyLease acquireEventProxy();

  // Attribute and command descriptions, fetched once per process.
  Tango::AttributeInfoEx attributeInfo(ProxyLease& lease, const std::string& attribute);
  // Asks the server again (limits and labels may have changed) and updates the cache.
  Tango::AttributeInfoEx refreshAttributeInfo(ProxyLease& lease, const std::string& attribute);
  Tango::CommandInfo commandInfo(ProxyLease& lease, const std::string& command);

 private:
  std::shared_ptr<ProxyEntry> create();

  static constexpr size_t kProxiesPerDevice = 4;
  std::string device_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<ProxyEntry>> entries_;
  std::shared_ptr<ProxyEntry> eventEntry_;
  size_t next_ = 0;
  std::mutex infoMutex_;
  std::map<std::string, Tango::AttributeInfoEx> attributes_;
  std::map<std::string, Tango::CommandInfo> commands_;
};

// The process-wide cache.
DeviceSlot& deviceSlot(const std::string& device);

}  // namespace mlayer
