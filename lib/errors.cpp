#include "concur/errors.hpp"

#include <utility>

namespace concur {

RemoteError::RemoteError(std::string remote_type, const std::string& message)
    : Error(remote_type + ": " + message), remote_type_(std::move(remote_type)) {}

}  // namespace concur
