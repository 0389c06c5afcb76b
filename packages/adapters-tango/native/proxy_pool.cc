#include "proxy_pool.h"

#include <algorithm>
#include <cctype>

namespace mlayer {

void ProxyLease::setTimeout(int timeoutMs) {
  if (timeoutMs <= 0 || entry_->timeoutMs == timeoutMs) return;
  entry_->proxy->set_timeout_millis(timeoutMs);
  entry_->timeoutMs = timeoutMs;
}

std::shared_ptr<ProxyEntry> DeviceSlot::create() {
  auto entry = std::make_shared<ProxyEntry>();
  // Throws DevFailed when the name is malformed or the device is not in the database.
  entry->proxy = std::make_unique<Tango::DeviceProxy>(device_);
  return entry;
}

ProxyLease DeviceSlot::acquire() {
  std::shared_ptr<ProxyEntry> chosen;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    for (auto& entry : entries_) {
      std::unique_lock<std::mutex> lock(entry->mutex, std::try_to_lock);
      if (lock.owns_lock()) return ProxyLease(entry, std::move(lock));
    }
    if (entries_.size() >= kProxiesPerDevice) {
      chosen = entries_[next_++ % entries_.size()];
    }
  }
  if (chosen) {
    std::unique_lock<std::mutex> lock(chosen->mutex);
    return ProxyLease(chosen, std::move(lock));
  }
  // Every proxy is busy and there is room for one more: build it outside the
  // slot lock (the constructor asks the database), then publish it.
  std::shared_ptr<ProxyEntry> entry = create();
  std::unique_lock<std::mutex> lock(entry->mutex);
  {
    std::lock_guard<std::mutex> guard(mutex_);
    entries_.push_back(entry);
  }
  return ProxyLease(entry, std::move(lock));
}

ProxyLease DeviceSlot::acquireEventProxy() {
  std::shared_ptr<ProxyEntry> entry;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    entry = eventEntry_;
  }
  if (!entry) {
    auto fresh = create();
    std::lock_guard<std::mutex> guard(mutex_);
    if (!eventEntry_) eventEntry_ = fresh;
    entry = eventEntry_;
  }
  std::unique_lock<std::mutex> lock(entry->mutex);
  return ProxyLease(entry, std::move(lock));
}

static std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Tango::AttributeInfoEx DeviceSlot::attributeInfo(ProxyLease& lease, const std::string& attribute) {
  const std::string key = lower(attribute);
  {
    std::lock_guard<std::mutex> guard(infoMutex_);
    auto it = attributes_.find(key);
    if (it != attributes_.end()) return it->second;
  }
  Tango::AttributeInfoEx info = lease.proxy().get_attribute_config(attribute);
  std::lock_guard<std::mutex> guard(infoMutex_);
  attributes_[key] = info;
  return info;
}

Tango::AttributeInfoEx DeviceSlot::refreshAttributeInfo(ProxyLease& lease, const std::string& attribute) {
  Tango::AttributeInfoEx info = lease.proxy().get_attribute_config(attribute);
  std::lock_guard<std::mutex> guard(infoMutex_);
  attributes_[lower(attribute)] = info;
  return info;
}

Tango::CommandInfo DeviceSlot::commandInfo(ProxyLease& lease, const std::string& command) {
  const std::string key = lower(command);
  {
    std::lock_guard<std::mutex> guard(infoMutex_);
    auto it = commands_.find(key);
    if (it != commands_.end()) return it->second;
  }
  Tango::CommandInfo info = lease.proxy().command_query(command);
  std::lock_guard<std::mutex> guard(infoMutex_);
  commands_[key] = info;
  return info;
}

DeviceSlot& deviceSlot(const std::string& device) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<DeviceSlot>>* slots = new std::map<std::string, std::unique_ptr<DeviceSlot>>();
  std::lock_guard<std::mutex> guard(mutex);
  auto& slot = (*slots)[lower(device)];
  if (!slot) slot = std::make_unique<DeviceSlot>(device);
  return *slot;
}

}  // namespace mlayer
