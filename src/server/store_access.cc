#include "server/store_access.h"

namespace imi::server {

StoreAccess::StoreAccess(Opener opener) : opener_(std::move(opener)) {}

StoreAccess::StoreAccess(std::unique_ptr<store::VectorStore> store)
    : store_(std::move(store)), opened_(store_.get()) {}

void StoreAccess::Interrupt() {
  interrupted_ = true;
  if (store::VectorStore* store = opened_.load()) store->Interrupt();
}

Result<store::VectorStore*> StoreAccess::Get() {
  if (interrupted_) return Status::Unavailable("the server is shutting down");
  std::lock_guard<std::mutex> lock(mutex_);
  if (store_ != nullptr) return store_.get();
  if (!opener_) return Status::Unavailable("this server has no vector store");
  Result<std::unique_ptr<store::VectorStore>> opened = opener_();
  if (!opened.ok()) {
    const Status& s = opened.status();
    // A bad DSN or directory will not fix itself, but the server keeps
    // serving embeddings, so clients are told to retry rather than that
    // their request was wrong.
    if (s.code() == StatusCode::kUnavailable) return s.WithContext("the vector store is unreachable");
    return Status::Unavailable("the vector store cannot be opened: " + s.message());
  }
  store_ = std::move(opened).value();
  opened_ = store_.get();
  if (interrupted_) store_->Interrupt();
  return store_.get();
}

}  // namespace imi::server
