// The embedded backend's ANN index: loading a saved file, binding it to the
// database (store id, collection id, data version, element count), catching
// it up with writes of other processes, rebuilding it, applying this
// process's writes and saving it.
#include <algorithm>
#include <filesystem>
#include <thread>

#include "base/log.h"
#include "store/embedded/embedded_store.h"

namespace imi::store {

namespace {

// The float32 vector in `column`, or nullptr when its size is not `dimension`.
const float* VectorColumn(const SqliteStatement& st, int column, int dimension, size_t* bytes) {
  const void* blob = st.Blob(column, bytes);
  if (*bytes != static_cast<size_t>(dimension) * sizeof(float)) return nullptr;
  return static_cast<const float*>(blob);
}

std::string Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

int BuildThreads() { return static_cast<int>(std::min(8u, std::max(1u, std::thread::hardware_concurrency()))); }

}  // namespace

IndexStamp EmbeddedStore::StampOf(int64_t collection_id, const IndexState& state) const {
  IndexStamp stamp;
  stamp.store_id = store_id_;
  stamp.collection_id = collection_id;
  stamp.data_version = state.index_version;
  stamp.max_chunk_id = state.max_chunk_id;
  stamp.excluded = state.excluded;
  return stamp;
}

void EmbeddedStore::ReportBadVector(SqliteDb* db, const Row& row, int64_t chunk_id, size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(bad_mu_);
    if (!reported_bad_chunks_.insert(chunk_id).second) return;
  }
  std::string where = "chunk row " + std::to_string(chunk_id);
  Result<SqliteStatement> st = SqliteStatement::Prepare(db, "SELECT document_id, ordinal FROM chunks WHERE id = ?1");
  if (st.ok()) {
    st->BindInt(1, chunk_id);
    Result<bool> found = st->Step();
    if (found.ok() && *found)
      where = "document " + Quoted(st->Text(0)) + " chunk " + std::to_string(st->Int(1));
  }
  Log("store", "collection " + Quoted(row.info.spec.name) + ": " + where + " has a vector of " +
                          std::to_string(bytes) + " bytes, not " + std::to_string(row.info.spec.dimension) +
                          " float32 values; it is left out of searches until the document is stored again");
}

Status EmbeddedStore::EnsureIndex(SqliteDb* db, const Row& row, IndexState* state) {
  // Called with state->mu held exclusively, inside the reader's snapshot.
  const std::string& name = row.info.spec.name;
  if (state->index) {
    if (state->index_version >= row.data_version) return Status::Ok();
    Status caught = CatchUp(db, row, state);
    if (caught.ok()) return Status::Ok();
    Log("store", "collection " + Quoted(name) + ": the search index could not follow the database (" +
                            caught.message() + "); rebuilding it from the database");
    state->index.reset();
    return BuildIndex(db, row, state);
  }
  const std::string path = IndexPath(row.id);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return BuildIndex(db, row, state);
  IndexStamp stamp;
  Result<std::unique_ptr<HnswIndex>> loaded = HnswIndex::Load(path, IndexParams(row.info.spec), &stamp);
  std::string problem;
  if (!loaded.ok()) {
    problem = loaded.status().message();
  } else if (stamp.store_id != store_id_) {
    problem = path + " was written by another store (store id " + Hex(stamp.store_id) + ", this store is " +
              Hex(store_id_) + ")";
  } else if (stamp.collection_id != row.id) {
    problem = path + " belongs to collection id " + std::to_string(stamp.collection_id) + ", not " +
              std::to_string(row.id);
  } else if (stamp.data_version > row.data_version) {
    problem = path + " reflects data version " + std::to_string(stamp.data_version) + ", newer than the database's " +
              std::to_string(row.data_version);
  } else {
    state->index = std::move(loaded).value();
    state->index_version = stamp.data_version;
    state->max_chunk_id = stamp.max_chunk_id;
    state->excluded = std::move(stamp.excluded);
    state->dirty = false;
    Status caught = CatchUp(db, row, state);
    if (caught.ok()) return Status::Ok();
    problem = path + " does not match the database: " + caught.message();
    state->index.reset();
  }
  Log("store", "collection " + Quoted(name) + ": rebuilding the search index from the database: " + problem);
  return BuildIndex(db, row, state);
}

Status EmbeddedStore::CatchUp(SqliteDb* db, const Row& row, IndexState* state) {
  HnswIndex& index = *state->index;
  const int dim = row.info.spec.dimension;
  const int64_t old_max = state->max_chunk_id;
  // Chunk ids are never reused and always grow, so the chunks written since
  // the index last looked are exactly those above its highest id.
  IMI_ASSIGN_OR_RETURN(SqliteStatement fresh,
                       SqliteStatement::Prepare(db, "SELECT id, vector FROM chunks WHERE collection_id = ?1 AND id > ?2 "
                                                    "ORDER BY id"));
  fresh.BindInt(1, row.id);
  fresh.BindInt(2, old_max);
  std::vector<uint64_t> labels;
  std::vector<float> vectors;
  std::vector<int64_t> excluded_now;
  int64_t fresh_rows = 0;
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool more, fresh.Step());
    if (!more) break;
    ++fresh_rows;
    const int64_t id = fresh.Int(0);
    state->max_chunk_id = std::max(state->max_chunk_id, id);
    size_t bytes = 0;
    const float* vector = VectorColumn(fresh, 1, dim, &bytes);
    if (vector == nullptr) {
      ReportBadVector(db, row, id, bytes);
      excluded_now.push_back(id);
      continue;
    }
    labels.push_back(static_cast<uint64_t>(id));
    vectors.insert(vectors.end(), vector, vector + dim);
  }
  // Older chunks can only have gone. The collection's chunk count says
  // whether any did; only then are the surviving ids listed and compared.
  const int64_t known = static_cast<int64_t>(index.size() + state->excluded.size());
  const int64_t surviving = row.info.chunk_count - fresh_rows;
  if (known < surviving)
    return Status::DataLoss("the index holds " + std::to_string(known) + " of the collection's " +
                            std::to_string(surviving) + " older chunks");
  if (known > surviving) {
    IMI_ASSIGN_OR_RETURN(SqliteStatement ids,
                         SqliteStatement::Prepare(db, "SELECT id FROM chunks WHERE collection_id = ?1 AND id <= ?2"));
    ids.BindInt(1, row.id);
    ids.BindInt(2, old_max);
    std::vector<int64_t> present;
    present.reserve(static_cast<size_t>(std::max<int64_t>(surviving, 0)));
    while (true) {
      IMI_ASSIGN_OR_RETURN(bool more, ids.Step());
      if (!more) break;
      present.push_back(ids.Int(0));
    }
    std::sort(present.begin(), present.end());
    for (uint64_t label : index.Labels()) {
      if (!std::binary_search(present.begin(), present.end(), static_cast<int64_t>(label))) index.MarkDeleted(label);
    }
    state->excluded.erase(std::remove_if(state->excluded.begin(), state->excluded.end(),
                                         [&](int64_t id) { return !std::binary_search(present.begin(), present.end(), id); }),
                          state->excluded.end());
  }
  IMI_RETURN_IF_ERROR(index.AddBatch(labels, vectors, BuildThreads()));
  state->excluded.insert(state->excluded.end(), excluded_now.begin(), excluded_now.end());
  std::sort(state->excluded.begin(), state->excluded.end());
  state->index_version = row.data_version;
  state->dirty = state->dirty || fresh_rows > 0 || known > surviving;
  const int64_t now = static_cast<int64_t>(index.size() + state->excluded.size());
  if (now != row.info.chunk_count)
    return Status::DataLoss("the index holds " + std::to_string(now) + " chunks, the collection " +
                            std::to_string(row.info.chunk_count));
  return Status::Ok();
}

Status EmbeddedStore::BuildIndex(SqliteDb* db, const Row& row, IndexState* state) {
  const int dim = row.info.spec.dimension;
  // Minutes at a million vectors: worth a line in the server's log.
  Log("store", "collection " + Quoted(row.info.spec.name) + ": building the search index from " +
                   std::to_string(row.info.chunk_count) + " stored vectors");
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<HnswIndex> index,
                       HnswIndex::Create(IndexParams(row.info.spec),
                                         static_cast<size_t>(std::max<int64_t>(row.info.chunk_count, 16))));
  IMI_ASSIGN_OR_RETURN(SqliteStatement st,
                       SqliteStatement::Prepare(db, "SELECT id, vector FROM chunks WHERE collection_id = ?1"));
  st.BindInt(1, row.id);
  std::vector<uint64_t> labels;
  std::vector<float> vectors;
  std::vector<int64_t> excluded;
  int64_t max_id = 0;
  labels.reserve(static_cast<size_t>(row.info.chunk_count));
  vectors.reserve(static_cast<size_t>(row.info.chunk_count) * static_cast<size_t>(dim));
  while (true) {
    IMI_ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    const int64_t id = st.Int(0);
    max_id = std::max(max_id, id);
    size_t bytes = 0;
    const float* vector = VectorColumn(st, 1, dim, &bytes);
    if (vector == nullptr) {
      ReportBadVector(db, row, id, bytes);
      excluded.push_back(id);
      continue;
    }
    labels.push_back(static_cast<uint64_t>(id));
    vectors.insert(vectors.end(), vector, vector + dim);
  }
  IMI_RETURN_IF_ERROR(index->AddBatch(labels, vectors, BuildThreads()));
  std::sort(excluded.begin(), excluded.end());
  state->index = std::move(index);
  state->index_version = row.data_version;
  state->max_chunk_id = max_id;
  state->excluded = std::move(excluded);
  state->dirty = true;
  // Persist now so the next process does not rebuild; failure only costs
  // time (the database holds everything), so it is logged, not returned.
  Status saved = state->index->Save(IndexPath(row.id), StampOf(row.id, *state));
  if (saved.ok()) {
    state->dirty = false;
  } else {
    Log("store", "collection " + Quoted(row.info.spec.name) + ": the rebuilt search index could not be saved (" +
                            saved.message() + "); searches work, and the next process rebuilds it again");
  }
  return Status::Ok();
}

void EmbeddedStore::ApplyToIndex(int64_t collection_id, uint64_t old_version, uint64_t new_version,
                                 const std::vector<int64_t>& removed,
                                 const std::vector<std::pair<int64_t, const float*>>& added) {
  std::shared_ptr<IndexState> state = StateFor(collection_id);
  std::unique_lock<std::shared_mutex> lock(state->mu);
  // Not loaded, or trailing writes of another process: the next search
  // catches it up from the database (this write included).
  if (!state->index || state->index_version != old_version) return;
  for (int64_t id : removed) {
    state->index->MarkDeleted(static_cast<uint64_t>(id));
    auto it = std::lower_bound(state->excluded.begin(), state->excluded.end(), id);
    if (it != state->excluded.end() && *it == id) state->excluded.erase(it);
  }
  for (const auto& [id, vector] : added) {
    if (!state->index->Add(static_cast<uint64_t>(id), vector).ok()) {
      state->index.reset();
      return;
    }
    state->max_chunk_id = std::max(state->max_chunk_id, id);
  }
  state->index_version = new_version;
  state->dirty = true;
}

Status EmbeddedStore::PrepareIndex(const std::string& collection) {
  IMI_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  SqliteDb* db = reader->get();
  IMI_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db, false));
  IMI_ASSIGN_OR_RETURN(Row row, FindCollection(db, collection));
  if (row.info.chunk_count < options_.exact_threshold) return Status::Ok();
  std::shared_ptr<IndexState> state = StateFor(row.id);
  std::unique_lock<std::shared_mutex> lock(state->mu);
  // Same test as a search: current, or trailing only this process's writes.
  if (state->index && (state->index_version >= row.data_version || writes_in_flight_.load() > 0)) return Status::Ok();
  return EnsureIndex(db, row, state.get());
}

Status EmbeddedStore::Flush() {
  std::vector<std::pair<int64_t, std::shared_ptr<IndexState>>> states;
  {
    std::lock_guard<std::mutex> lock(states_mu_);
    for (auto& [id, state] : states_) states.emplace_back(id, state);
  }
  Status first;
  for (auto& [id, state] : states) {
    std::unique_lock<std::shared_mutex> lock(state->mu);
    if (!state->index || !state->dirty) continue;
    Status status = state->index->Save(IndexPath(id), StampOf(id, *state));
    if (status.ok()) {
      state->dirty = false;
    } else if (first.ok()) {
      first = status;
    }
  }
  return first;
}

}  // namespace imi::store
