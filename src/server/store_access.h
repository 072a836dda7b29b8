#ifndef IMI_SERVER_STORE_ACCESS_H_
#define IMI_SERVER_STORE_ACCESS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "base/result.h"
#include "store/vector_store.h"

namespace imi::server {

// The vector store behind the /collections routes. Opens it on first use
// when constructed with an opener, and tries again on the next request after
// a failure (a database that was down at start-up). Thread-safe.
class StoreAccess {
 public:
  using Opener = std::function<Result<std::unique_ptr<store::VectorStore>>()>;

  // Opens through `opener` on the first Get.
  explicit StoreAccess(Opener opener);
  // Serves an already open store (owned).
  explicit StoreAccess(std::unique_ptr<store::VectorStore> store);

  // The store, or the opener's error (a store that cannot be opened is
  // reported as Unavailable so clients retry). The pointer stays valid for
  // the lifetime of this object.
  Result<store::VectorStore*> Get();

  // For shutdown: store calls in progress give up (VectorStore::Interrupt)
  // and Get fails from now on. Does not wait for an open in progress.
  void Interrupt();

 private:
  std::mutex mutex_;
  Opener opener_;
  std::unique_ptr<store::VectorStore> store_;
  std::atomic<store::VectorStore*> opened_{nullptr};
  std::atomic<bool> interrupted_{false};
};

}  // namespace imi::server

#endif  // IMI_SERVER_STORE_ACCESS_H_
