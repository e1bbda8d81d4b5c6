#include "engine/runtime/source_cleanup.h"

#include "engine/postgres/pg_connection.h"
#include "engine/postgres/source_admin.h"

namespace dbmazz::runtime {

absl::Status DropSourceObjects(const SourceObjects& objects, absl::Duration connect_timeout) {
  if (!objects.drop_slot && !objects.drop_publication) return absl::OkStatus();
  postgres::ConnectOptions options;
  options.connect_timeout = connect_timeout;
  auto conn = postgres::PgConnection::Connect(objects.dsn, options);
  if (!conn.ok()) return conn.status();
  postgres::SourceAdmin admin(conn->get());
  absl::Status dropped;
  // The walsender of a connection just closed may hold the slot a moment
  // longer (kUnavailable while active): bounded wait.
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (objects.drop_slot) {
    dropped = admin.DropSlot(objects.slot_name);
    if (dropped.code() == absl::StatusCode::kNotFound) dropped = absl::OkStatus();
    if (dropped.code() != absl::StatusCode::kUnavailable || absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (dropped.ok() && objects.drop_publication) {
    dropped = admin.DropPublication(objects.publication_name);
  }
  return dropped;
}

}  // namespace dbmazz::runtime
