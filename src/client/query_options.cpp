#include "e6data/query_options.hpp"

#include "rpc/cancel_state.hpp"

namespace e6data {

CancellationToken::CancellationToken() : state_(std::make_shared<detail::CancelState>()) {}

void CancellationToken::cancel() noexcept {
  state_->cancel();
}

bool CancellationToken::is_cancelled() const noexcept {
  return state_->cancelled.load();
}

}  // namespace e6data
