// Failures of TANGO calls, captured on a worker thread and turned into
// JavaScript errors on the main thread.
#pragma once

#include <napi.h>
#include <tango.h>

#include <exception>
#include <string>
#include <vector>

namespace mlayer {

struct ErrorItem {
  std::string reason;
  std::string desc;
  std::string origin;
  int severity = 1;  // Tango::ErrSeverity: WARN 0, ERR 1, PANIC 2
};

// What went wrong: `kind` names the exception class (DevFailed,
// ConnectionFailed, CommunicationFailed, WrongNameSyntax, WrongData, ...,
// or one of ours: Unsupported, WrongValue, ReadOnly, ReadbackMismatch).
struct Failure {
  std::string kind;
  std::vector<ErrorItem> stack;

  bool empty() const { return kind.empty(); }
};

Failure failureFromErrors(const Tango::DevErrorList& errors, const std::string& kind);
Failure simpleFailure(const std::string& kind, const std::string& reason, const std::string& desc,
                      const std::string& origin);

// Our own failures raised inside worker code.
class MlayerFailure : public std::exception {
 public:
  explicit MlayerFailure(Failure f) : failure(std::move(f)) {}
  const char* what() const noexcept override { return "mlayer tango failure"; }
  Failure failure;
};

[[noreturn]] void raise(const std::string& kind, const std::string& reason, const std::string& desc,
                        const std::string& origin);

// Runs `fn`, translating every exception (DevFailed and its subclasses,
// CORBA exceptions, std::exception, ours) into a Failure. Returns an empty
// Failure on success.
template <typename Fn>
Failure capture(Fn&& fn) {
  try {
    fn();
    return {};
  } catch (const MlayerFailure& e) {
    return e.failure;
  } catch (const Tango::ConnectionFailed& e) {
    return failureFromErrors(e.errors, "ConnectionFailed");
  } catch (const Tango::CommunicationFailed& e) {
    return failureFromErrors(e.errors, "CommunicationFailed");
  } catch (const Tango::WrongNameSyntax& e) {
    return failureFromErrors(e.errors, "WrongNameSyntax");
  } catch (const Tango::NonDbDevice& e) {
    return failureFromErrors(e.errors, "NonDbDevice");
  } catch (const Tango::WrongData& e) {
    return failureFromErrors(e.errors, "WrongData");
  } catch (const Tango::NonSupportedFeature& e) {
    return failureFromErrors(e.errors, "NonSupportedFeature");
  } catch (const Tango::EventSystemFailed& e) {
    return failureFromErrors(e.errors, "EventSystemFailed");
  } catch (const Tango::NamedDevFailedList& e) {
    Failure f;
    f.kind = "NamedDevFailedList";
    for (const auto& named : e.err_list) {
      Failure inner = failureFromErrors(named.err_stack, "DevFailed");
      f.stack.insert(f.stack.end(), inner.stack.begin(), inner.stack.end());
    }
    return f;
  } catch (const Tango::DevFailed& e) {
    return failureFromErrors(e.errors, "DevFailed");
  } catch (const CORBA::Exception& e) {
    return simpleFailure("CORBA", "CORBA_Exception", e._name(), "omniORB");
  } catch (const std::exception& e) {
    return simpleFailure("Native", "STD_Exception", e.what(), "mlayer_tango");
  } catch (...) {
    return simpleFailure("Native", "Unknown", "unknown C++ exception", "mlayer_tango");
  }
}

// A JavaScript Error with `kind` and `tangoErrors` ([{reason, desc, origin, severity}]).
Napi::Error failureToJs(Napi::Env env, const Failure& f);
Napi::Object failureToObject(Napi::Env env, const Failure& f);

}  // namespace mlayer
