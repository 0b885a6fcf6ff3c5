#include "concur/errors.hpp"

#include <string>
#include <utility>

namespace concur {

RemoteError::RemoteError(std::string remote_type, const std::string& message)
    : Error(remote_type + ": " + message), remote_type_(std::move(remote_type)) {}

ExceptionGroup::ExceptionGroup(const std::string& message,
                               std::vector<std::exception_ptr> exceptions)
    : Error(message + " (" + std::to_string(exceptions.size()) +
            (exceptions.size() == 1 ? " sub-exception)" : " sub-exceptions)")),
      exceptions_(std::move(exceptions)) {}

}  // namespace concur
